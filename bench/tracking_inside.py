"""The tracking bench's work inside Django, in bench.tracking's own process once it has set Django
up on the bench's database and Redis: the account and its site, what a request costs inside the
app server, whether the rate limit tells forwarded addresses apart, and the stored counts.
"""

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import redis
from django.conf import settings
from django.db import close_old_connections, connection
from django.test import Client

from bench.conversions_data import GOALS
from bench.measure import answered, endpoint_request
from bench.scenario import Endpoint
from bench.seed import administrator
from bench.tracking_report import Cost
from conversions.models import PageView
from goals import rules as goal_rules
from infra.rate import parse_rate
from tracking import rules
from tracking.models import Site

# The rate check sends one more than the rate from one address: past this, it would take long.
MOST_RATE_CHECKED = 2000


def seed(origin: str) -> tuple[int, str]:
    """A new account with the five goals of the conversions bench, and its site, which lists
    `origin`; returns the account's id and the site key."""
    admin, _ = administrator("Tracking bench")
    for goal in GOALS:
        goal_rules.goal_create(account=admin.account, actor=admin, **goal)
    site = rules.origins_set(account=admin.account, origins=[origin])
    return admin.account_id, site.site_key


class Tally:
    """How often the calls it times were made, and the seconds they took."""

    def __init__(self) -> None:
        self.calls = 0
        self.seconds = 0.0

    @contextmanager
    def timing(self) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.calls += 1
            self.seconds += time.perf_counter() - started


def cost(endpoint: Endpoint, repetitions: int) -> Cost:
    """The endpoint's first request, then `repetitions` of it, timed with their queries and
    Redis commands. Each starts as in an app server, which checks its kept database connection
    at the first query of a request (the check is timed, not counted)."""
    request = endpoint_request(Client(), endpoint)
    answered(request, endpoint.status)  # what a process does once is no request's cost
    queries, commands = Tally(), Tally()
    execute_command = redis.Redis.execute_command

    def timed_query(execute: Callable, sql: str, params: Any, many: bool, context: Any) -> Any:
        with queries.timing():
            return execute(sql, params, many, context)

    def timed_command(client: redis.Redis, *arguments: Any, **options: Any) -> Any:
        with commands.timing():
            return execute_command(client, *arguments, **options)

    with (
        connection.execute_wrapper(timed_query),
        mock.patch.object(redis.Redis, "execute_command", timed_command),
    ):
        started = time.perf_counter()
        for _ in range(repetitions):
            # What Django's request_started signal does in the app servers, not in the client.
            close_old_connections()
            answered(request, endpoint.status)
        seconds = time.perf_counter() - started
    return Cost(
        name=endpoint.name,
        ms=seconds * 1000 / repetitions,
        queries=queries.calls / repetitions,
        query_ms=queries.seconds * 1000 / repetitions,
        redis_commands=commands.calls / repetitions,
        redis_ms=commands.seconds * 1000 / repetitions,
    )


def rate_tells_addresses_apart(collect: Endpoint, proxy: str) -> bool:
    """Whether the collect endpoint's rate limit counts each client by the address that the
    proxy in front forwards (PROXY_COUNT=1: X-Forwarded-For is "<client>, <proxy>"), as
    production needs: once one address is past the rate, another still gets in. Sends one more
    than the rate from one address; twice at most, in case a window of the limit ended
    meanwhile."""
    rate, _ = parse_rate(settings.TRACKING_RATE_LIMIT)
    if rate > MOST_RATE_CHECKED:
        raise SystemExit(
            f"TRACKING_RATE_LIMIT: the bench checks the limit at rates of {MOST_RATE_CHECKED:,} "
            "at most, such as production's default."
        )
    client = Client()

    def status_from(address: str) -> int:
        headers = {**collect.headers, "X-Forwarded-For": f"{address}, {proxy}"}
        body = json.dumps(collect.body)
        return client.post(
            collect.paths[0], body, content_type="text/plain", headers=headers
        ).status_code

    for attempt in (1, 2):
        # Addresses kept for documentation (RFC 5737): none of the load's.
        statuses = [status_from(f"192.0.2.{attempt}") for _ in range(rate + 1)]
        if statuses[-1] == 429:
            return status_from(f"198.51.100.{attempt}") == 204
    raise SystemExit(f"The collect endpoint never answered 429 past {rate} requests.")


def page_views_received(account_id: int) -> int:
    """The page views the account's site has stored, as the Tracking page counts them."""
    return Site.objects.values_list("page_views_received", flat=True).get(pk=account_id)


def page_views_stored(account_id: int, id_prefix: str) -> int:
    """The account's stored page views whose ids start so."""
    return PageView.objects.filter(
        account_id=account_id, page_view_id__startswith=id_prefix
    ).count()
