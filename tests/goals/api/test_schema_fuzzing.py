"""Schemathesis fuzzes every operation of the goals API that its OpenAPI schema documents.

For each operation it sends the schema's examples, its coverage cases (boundaries, missing and
mistyped fields, unlisted methods) and a bounded number of random requests, valid and invalid,
signed in as Alice; every answer must be no 5xx, a documented status and content type, and a body
that matches the schema; invalid input and missing or wrong credentials must be refused, and a goal
of another account must look exactly like one that does not exist.

The requests go to the WSGI application in-process, inside the test's transaction, and each one is
rolled back, so every example meets the same goals: replays and shrinking see what the first run
saw, on SQLite and PostgreSQL alike.
"""

import base64
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from accounts.models import Account, User
from accounts.services import api_client_create
from goals.api.throttling import ApiRateThrottle
from goals.models import Goal
from goals_admin.wsgi import application
from tests.helpers.api import PASSWORD
from tests.helpers.tokens import token_of


def generated_schema() -> dict:
    # What /api/schema/ serves (test_the_fuzzed_schema_is_the_one_served says so), made without
    # a request: collection may not touch the database, and the schema view is rate limited.
    return json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(public=True)))


schema = schemathesis.openapi.from_dict(generated_schema())
schema.app = application  # requests, and the checks' own probes, go to it in-process
# The credentials are the test's own (see `authorization`), never ones schemathesis makes up.
schema.config.generation.update(with_security_parameters=False)
schema.config.phases.update(phases=["examples", "coverage", "fuzzing"])
# Schemathesis's engine keeps a cache and crash files in .schemathesis/ under the working
# directory, which is the work tree here: a test run keeps nothing.
schema.config.cache.enabled = False

# positive_data_acceptance is left out: the rules rightly refuse some values that the schema's
# types allow (a blank name of spaces, NUL characters, more than 20 conditions, an "equals" value
# that is not a URL, a goal past the active-goal limit), so it would report the rules as faults.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
    # Without credentials, or with wrong ones, the same request is refused.
    ignored_auth,
    # A method the schema does not list answers 405 with an Allow header.
    unsupported_method,
]


def basic(user: User) -> str:
    token = base64.b64encode(f"{user.email}:{PASSWORD}".encode()).decode()
    return f"Basic {token}"


def bearer(user: User) -> str:
    """A bearer token of an API client that the user owns, asked for as a program would."""
    return f"Bearer {token_of(api_client_create(owner=user, name='Fuzzer'))}"


# Each way of signing in as Alice: a function of her that gives the Authorization header.
AUTHENTICATIONS = [pytest.param(basic, id="basic"), pytest.param(bearer, id="bearer")]


@pytest.fixture(autouse=True)
def _no_rate_limit_while_fuzzing(monkeypatch: pytest.MonkeyPatch) -> None:
    # One operation is fuzzed with a few hundred requests in well under a minute: past the
    # API's rate limit, which test_rate_limits_and_lockouts.py checks on its own.
    monkeypatch.setattr(ApiRateThrottle, "THROTTLE_RATES", {"api": "100000/min"})


@pytest.fixture(params=AUTHENTICATIONS)
def authorization(request: pytest.FixtureRequest, alice: User) -> str:
    return request.param(alice)


# An id within the route's 18 digits that no test's goal reaches.
UNKNOWN_GOAL_ID = 10**15


class KnownGoals:
    """The goals that generated ids are steered to: Acme's, and one of another account."""

    own: tuple[int, ...] = ()
    foreign: tuple[int, ...] = ()


@pytest.fixture
def known_goals(
    acme: Account, alice: User, bob: User, make_goal: Callable[..., Goal]
) -> Iterator[type[KnownGoals]]:
    pricing = make_goal(
        acme,
        name="Pricing page",
        description="Visitors who reached pricing",
        conditions=[
            {"type": "url", "operator": "contains", "value": "/pricing"},
            {"type": "url", "operator": "equals", "value": "https://acme.example/plans"},
        ],
    )
    checkout = make_goal(
        acme, name="Checkout", enabled=False, attribution_model="last_touch", attribution_period=7
    )
    bluebird = make_goal(bob.account, name="Bluebird's signup")
    KnownGoals.own = (pricing.pk, checkout.pk)
    KnownGoals.foreign = (bluebird.pk,)
    yield KnownGoals
    KnownGoals.own = KnownGoals.foreign = ()


def aim_at_known_goals(case: schemathesis.Case) -> None:
    """Turn most generated ids into ids of known goals, picked by the generated value.

    The choice is a function of the generated id, so a replay sends the same request; negative,
    huge and non-numeric ids, and one id in four, stay as generated: unknown ids. Schemathesis
    hooks such as map_path_parameters do not see the coverage phase's cases, whose id is the string
    "0": it goes to Acme's first goal, so that their bodies reach the rules rather than a 404.
    """
    goal_id = str((case.path_parameters or {}).get("goal_id"))
    known = (*KnownGoals.own, *KnownGoals.foreign)
    if goal_id.isascii() and goal_id.isdigit():
        pick = int(goal_id) % (len(known) + 1)
        if pick < len(known):
            case.path_parameters["goal_id"] = known[pick]


def another_accounts_goal_looks_unknown(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> None:
    """Bluebird's goal answers Alice exactly as a goal that does not exist: nothing reveals it."""
    if case.path_parameters.get("goal_id") not in KnownGoals.foreign:
        return
    twin = case.derive(keep_auth=True)
    twin.path_parameters["goal_id"] = UNKNOWN_GOAL_ID
    unknown = twin.call(headers={"Authorization": response.request.headers["Authorization"]})
    assert response.status_code == unknown.status_code
    # A 415 repeats the request's own media type, whose multipart boundary differs each time.
    if response.status_code != 415:
        assert response.content == unknown.content


@contextmanager
def inside_the_test_transaction() -> Iterator[None]:
    """Send requests inside the test's transaction, rolling back what they write.

    The WSGI handler closes the database connection at the end of each request (which would end
    the test's transaction) unless close_old_connections is off, as Django's test client turns it
    off around each of its requests; rolling back leaves the next example the same goals.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        with transaction.atomic():
            yield
            transaction.set_rollback(True)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.mark.usefixtures("known_goals")
@schema.parametrize()
# 20 generated requests an operation, on top of the coverage phase's fixed cases, keeps the file
# near 20 s; derandomized, every run sends the same requests. The fixtures are deliberately shared
# by all the examples of an operation: each example's writes are rolled back.
@settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_answers_generated_requests_as_documented(
    case: schemathesis.Case, authorization: str
) -> None:
    aim_at_known_goals(case)
    with inside_the_test_transaction():
        case.call_and_validate(
            headers={"Authorization": authorization},
            checks=CHECKS,
            additional_checks=[another_accounts_goal_looks_unknown],
        )


def test_the_fuzzed_schema_is_the_one_served(client: Client, db: None) -> None:
    response = client.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    assert json.loads(response.content) == generated_schema()
