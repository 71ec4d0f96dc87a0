"""Count queries and time the curve inside Django, on the bench's database and Redis
(bench.django_step measure, given the seed as JSON on standard input).

Queries are those of a request made a second time, in the steady state that load reaches. The
curve times the API list "cold" (the product told, before each request, that the account's goals
changed, so it must serialize them again) and "warm" (asked again), and the dashboard page.
"""

import dataclasses
import functools
import json
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from bench.scenario import CurveAccount, CurvePoint, Endpoint, Seed, endpoints
from bench.seed import goals_changed

# Each timing repeats its request at least MIN and at most MAX times, and stops past MIN once the
# requests took BUDGET seconds: the slowest (1,000 goals) stay affordable, the fast get 20 samples.
MIN_REPETITIONS = 5
MAX_REPETITIONS = 20
BUDGET_SECONDS = 2.0

Request = Callable[[], HttpResponse]


def run() -> dict[str, Any]:
    seed = Seed.from_json(json.load(sys.stdin))
    return {
        "queries": {endpoint.name: steady_queries(endpoint) for endpoint in endpoints(seed)},
        "curve": [dataclasses.asdict(curve_point(account)) for account in seed.curve],
    }


def steady_queries(endpoint: Endpoint) -> int:
    request = endpoint_request(Client(), endpoint)
    answered(request, endpoint.status)
    return queries_of(request, endpoint.status)


def endpoint_request(client: Client, endpoint: Endpoint) -> Request:
    return functools.partial(
        client.generic,
        endpoint.method,
        endpoint.paths[0],
        "" if endpoint.body is None else json.dumps(endpoint.body),
        content_type="application/json",
        headers=endpoint.headers,
    )


def curve_point(account: CurveAccount) -> CurvePoint:
    api_list = functools.partial(
        Client().get, "/api/v2/goals", headers={"Authorization": account.authorization}
    )
    dashboard = Client()
    dashboard.force_login(User.objects.get(email=account.email))
    dashboard_page = functools.partial(dashboard.get, "/goals/")
    # Untimed, uncounted first requests: whatever a process does once is not the curve's.
    answered(api_list)
    answered(dashboard_page)
    forget = functools.partial(goals_changed, account.account_id)
    return CurvePoint(
        goals=account.goals,
        list_cold_ms=median_ms(api_list, before=forget),
        list_warm_ms=median_ms(api_list),
        list_cold_queries=queries_of(api_list, before=forget),
        list_warm_queries=queries_of(api_list),
        dashboard_ms=median_ms(dashboard_page),
        dashboard_queries=queries_of(dashboard_page),
    )


def median_ms(request: Request, before: Callable[[], None] = lambda: None) -> float:
    seconds: list[float] = []
    while len(seconds) < MIN_REPETITIONS or (
        len(seconds) < MAX_REPETITIONS and sum(seconds) < BUDGET_SECONDS
    ):
        before()
        started = time.perf_counter()
        answered(request)
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds) * 1000


def queries_of(
    request: Request, status: int = 200, before: Callable[[], None] = lambda: None
) -> int:
    before()
    with CaptureQueriesContext(connection) as queries:
        answered(request, status)
    return len(queries)


def answered(request: Request, status: int = 200) -> HttpResponse:
    response = request()
    if response.status_code != status:
        asked = f"{response.request['REQUEST_METHOD']} {response.request['PATH_INFO']}"
        raise RuntimeError(
            f"{asked} answered {response.status_code}, not {status}: {response.content[:2000]!r}"
        )
    return response
