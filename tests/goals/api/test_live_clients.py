"""Real clients against a real server: simultaneous writers, zenpy as shipped, the 401 challenge.

Each test talks over HTTP to pytest-django's live server, which answers every request in a thread
of its own with a database connection of its own: the active-goal limit must hold there as it holds
in-process, on SQLite (BEGIN IMMEDIATE) and on PostgreSQL (the account's row lock) alike.
"""

import json
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from zenpy import Zenpy
from zenpy.lib.api_objects.chat_objects import Goal as ZenpyGoal
from zenpy.lib.exception import APIException

from accounts.models import User
from goals.models import Goal
from tests.helpers.api import PASSWORD

# The server's threads and the test's thread see each other's writes only outside a transaction.
pytestmark = pytest.mark.django_db(transaction=True)

WRITERS = 16
ACTIVE_LIMIT = 5
# Every request has an end: a server stuck on a lock fails the test instead of hanging it.
TIMEOUT = 30
LIMIT_ERROR = "Goals limit exceeded"

CHECKOUT = {"type": "url", "operator": "equals", "value": "https://shop.example/checkout"}
CART = {"type": "url", "operator": "contains", "value": "cart"}
PRICING = {"type": "url", "operator": "contains", "value": "pricing"}
PLANS = {"type": "url", "operator": "equals", "value": "http://shop.example/plans"}


def stored(goal_id: int) -> dict[str, Any]:
    """What the database holds for a goal, in the API's shape; conditions in stored order."""
    goal = Goal.objects.get(pk=goal_id)
    return {
        "name": goal.name,
        "description": goal.description,
        "enabled": int(goal.enabled),
        "attribution_model": goal.attribution_model,
        "attribution_period": goal.attribution_period,
        "conditions": [
            {"type": condition.type, "operator": condition.operator, "value": condition.value}
            for condition in goal.conditions.order_by("position")
        ],
    }


def shown(goal: ZenpyGoal) -> dict[str, Any]:
    """A goal as zenpy hands it back, in the same shape as stored()."""
    return {
        "name": goal.name,
        "description": goal.description,
        "enabled": goal.enabled,
        "attribution_model": goal.attribution_model,
        "attribution_period": goal.attribution_period,
        "conditions": [dict(condition) for condition in goal.settings["conditions"]],
    }


def all_at_once(requests_to_send: list[Callable[[], requests.Response]]) -> list[Any]:
    """Send the requests from as many threads, released together; answer (status, body) each."""
    barrier = threading.Barrier(len(requests_to_send))

    def send(request: Callable[[], requests.Response]) -> tuple[int, Any]:
        barrier.wait(timeout=TIMEOUT)
        response = request()
        return response.status_code, response.json()

    with ThreadPoolExecutor(max_workers=len(requests_to_send)) as pool:
        return list(pool.map(send, requests_to_send))


def assert_only_the_limit_was_admitted(answers: list[Any], success: int) -> None:
    statuses = sorted(status for status, _ in answers)
    assert 500 not in statuses, answers
    assert statuses == [success] * ACTIVE_LIMIT + [400] * (WRITERS - ACTIVE_LIMIT), answers
    refusals = [body for status, body in answers if status == 400]
    assert all(body["error"] == LIMIT_ERROR for body in refusals), refusals


# The limit under simultaneous writers.


def test_sixteen_simultaneous_creations_leave_exactly_five_active_goals(live_server, acme, alice):
    url = f"{live_server.url}/api/v2/goals"

    def create(n: int) -> Callable[[], requests.Response]:
        body = {"name": f"Rush {n}", "enabled": 1, "settings": {"conditions": [CART]}}
        return lambda: requests.post(url, json=body, auth=(alice.email, PASSWORD), timeout=TIMEOUT)

    answers = all_at_once([create(n) for n in range(WRITERS)])

    assert_only_the_limit_was_admitted(answers, success=201)
    assert Goal.objects.filter(account=acme, enabled=True).count() == ACTIVE_LIMIT
    assert Goal.objects.filter(account=acme).count() == ACTIVE_LIMIT
    created = sorted(body["id"] for status, body in answers if status == 201)
    assert sorted(Goal.objects.values_list("pk", flat=True)) == created


def test_sixteen_simultaneous_enablings_leave_exactly_five_active_goals(
    live_server, acme, alice, make_goal
):
    idle = [make_goal(acme, name=f"Idle {n}", enabled=False) for n in range(WRITERS)]

    def enable(goal: Goal) -> Callable[[], requests.Response]:
        url = f"{live_server.url}/api/v2/goals/{goal.pk}"
        return lambda: requests.put(
            url, json={"enabled": 1}, auth=(alice.email, PASSWORD), timeout=TIMEOUT
        )

    answers = all_at_once([enable(goal) for goal in idle])

    assert_only_the_limit_was_admitted(answers, success=200)
    assert Goal.objects.filter(account=acme, enabled=True).count() == ACTIVE_LIMIT
    assert Goal.objects.filter(account=acme).count() == WRITERS
    enabled = sorted(body["id"] for status, body in answers if status == 200)
    assert sorted(Goal.objects.filter(enabled=True).values_list("pk", flat=True)) == enabled


# zenpy, the Zendesk client, unmodified: its chats.goals speaks to /api/v2/chat/goals.


@pytest.fixture
def zenpy_client(live_server, alice: User, monkeypatch: pytest.MonkeyPatch) -> Iterator[Zenpy]:
    monkeypatch.setenv("ZENPY_FORCE_SCHEME", "http")
    monkeypatch.setenv("ZENPY_FORCE_NETLOC", urlsplit(live_server.url).netloc)
    client = Zenpy(subdomain="acme", email=alice.email, password=PASSWORD, timeout=TIMEOUT)
    yield client
    client.chats.goals.session.close()


@pytest.fixture
def zenpy_sent(zenpy_client: Zenpy) -> list[tuple[str, str, Any]]:
    """What zenpy sends, as (method, path, JSON body or None), recorded by a requests hook."""
    sent: list[tuple[str, str, Any]] = []

    def record(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        body = response.request.body
        sent.append(
            (
                response.request.method,
                urlsplit(response.request.url).path,
                json.loads(body) if body else None,
            )
        )

    zenpy_client.chats.goals.session.hooks["response"].append(record)
    return sent


def test_zenpy_creates_a_goal_and_the_server_stores_every_field_it_sent(zenpy_client):
    goal = ZenpyGoal(
        name="Checkout",
        description="Reached the checkout",
        enabled=1,
        attribution_model="last_touch",
        attribution_period=15,
        settings={"conditions": [CHECKOUT, CART]},
    )

    created = zenpy_client.chats.goals.create(goal)

    assert isinstance(created, ZenpyGoal)
    assert stored(created.id) == {
        "name": "Checkout",
        "description": "Reached the checkout",
        "enabled": 1,
        "attribution_model": "last_touch",
        "attribution_period": 15,
        "conditions": [CHECKOUT, CART],
    }
    assert shown(created) == stored(created.id)


def test_zenpy_creates_a_disabled_goal_with_the_defaults_for_what_it_leaves_out(zenpy_client):
    created = zenpy_client.chats.goals.create(ZenpyGoal(name="Pricing", enabled=0))

    assert stored(created.id) == {
        "name": "Pricing",
        "description": "",
        "enabled": 0,
        "attribution_model": "first_touch",
        "attribution_period": 30,
        "conditions": [],
    }
    assert created.enabled == 0


def test_zenpy_lists_the_account_goals_in_id_order(zenpy_client, acme, bob, make_goal):
    first = make_goal(acme, name="Checkout", conditions=[CHECKOUT, CART])
    second = make_goal(acme, name="Pricing", enabled=False, conditions=[PRICING])
    make_goal(bob.account, name="Bluebird's own")

    goals = zenpy_client.chats.goals()

    assert [goal.id for goal in goals] == [first.pk, second.pk]
    assert [shown(goal) for goal in goals] == [stored(first.pk), stored(second.pk)]
    assert [goal.enabled for goal in goals] == [1, 0]


def test_zenpy_shows_one_goal_by_id(zenpy_client, acme, make_goal):
    goal = make_goal(acme, name="Checkout", attribution_period=7, conditions=[CHECKOUT, CART])

    fetched = zenpy_client.chats.goals(id=goal.pk)

    assert isinstance(fetched, ZenpyGoal)
    assert fetched.id == goal.pk
    assert shown(fetched) == stored(goal.pk)
    assert shown(fetched)["conditions"] == [CHECKOUT, CART]


def test_zenpy_update_changes_the_name_and_replaces_the_conditions_in_order(
    zenpy_client, zenpy_sent, acme, make_goal
):
    goal = make_goal(acme, name="Checkout", description="Kept", conditions=[CHECKOUT, CART])
    fetched = zenpy_client.chats.goals(id=goal.pk)
    fetched.name = "Plans"
    fetched.settings = {"conditions": [PLANS, PRICING, CART]}

    updated = zenpy_client.chats.goals.update(fetched)

    # zenpy sends only what changed, nested fields flattened into a dotted key.
    assert zenpy_sent[-1] == (
        "PUT",
        f"/api/v2/chat/goals/{goal.pk}",
        {"name": "Plans", "settings.conditions": [PLANS, PRICING, CART]},
    )
    assert stored(goal.pk) == {
        "name": "Plans",
        "description": "Kept",
        "enabled": 1,
        "attribution_model": "first_touch",
        "attribution_period": 30,
        "conditions": [PLANS, PRICING, CART],
    }
    assert updated.id == goal.pk
    assert shown(updated) == stored(goal.pk)
    assert shown(zenpy_client.chats.goals(id=goal.pk)) == stored(goal.pk)


def test_zenpy_update_of_the_name_alone_keeps_the_conditions(zenpy_client, acme, make_goal):
    goal = make_goal(acme, name="Checkout", conditions=[CHECKOUT, CART])
    fetched = zenpy_client.chats.goals(id=goal.pk)
    fetched.name = "Basket"

    zenpy_client.chats.goals.update(fetched)

    assert stored(goal.pk)["name"] == "Basket"
    assert stored(goal.pk)["conditions"] == [CHECKOUT, CART]


def test_zenpy_deletes_a_goal_and_its_conditions(zenpy_client, acme, make_goal):
    doomed = make_goal(acme, name="Checkout", conditions=[CHECKOUT, CART])
    kept = make_goal(acme, name="Pricing", conditions=[PRICING])

    response = zenpy_client.chats.goals.delete(zenpy_client.chats.goals(id=doomed.pk))

    # A 204 is handed back as the raw requests response.
    assert response.status_code == 204
    assert response.content == b""
    assert list(Goal.objects.values_list("pk", flat=True)) == [kept.pk]
    assert [goal.id for goal in zenpy_client.chats.goals()] == [kept.pk]


def test_zenpy_walks_a_goal_through_create_show_update_list_and_delete(zenpy_client, acme):
    created = zenpy_client.chats.goals.create(
        ZenpyGoal(name="Checkout", enabled=1, settings={"conditions": [CHECKOUT]})
    )
    assert stored(created.id)["conditions"] == [CHECKOUT]

    fetched = zenpy_client.chats.goals(id=created.id)
    assert shown(fetched) == stored(created.id)

    fetched.name = "Checkout or cart"
    fetched.settings = {"conditions": [CART, CHECKOUT]}
    zenpy_client.chats.goals.update(fetched)
    assert stored(created.id)["name"] == "Checkout or cart"
    assert stored(created.id)["conditions"] == [CART, CHECKOUT]

    assert [shown(goal) for goal in zenpy_client.chats.goals()] == [stored(created.id)]

    zenpy_client.chats.goals.delete(zenpy_client.chats.goals(id=created.id))
    assert not Goal.objects.filter(account=acme).exists()
    assert zenpy_client.chats.goals() == []


def test_zenpy_sees_the_limit_as_an_api_exception_carrying_the_error(zenpy_client, acme, make_goal):
    for n in range(ACTIVE_LIMIT):
        make_goal(acme, name=f"Goal {n}")

    with pytest.raises(APIException) as raised:
        zenpy_client.chats.goals.create(ZenpyGoal(name="Sixth", enabled=1))

    assert raised.value.response.status_code == 400
    assert raised.value.response.json()["error"] == LIMIT_ERROR
    assert Goal.objects.filter(account=acme).count() == ACTIVE_LIMIT


def test_zenpy_enabling_a_sixth_goal_is_refused_with_the_limit_error(zenpy_client, acme, make_goal):
    for n in range(ACTIVE_LIMIT):
        make_goal(acme, name=f"Goal {n}")
    spare = make_goal(acme, name="Spare", enabled=False)
    fetched = zenpy_client.chats.goals(id=spare.pk)
    fetched.enabled = 1

    with pytest.raises(APIException) as raised:
        zenpy_client.chats.goals.update(fetched)

    assert raised.value.response.json()["error"] == LIMIT_ERROR
    assert stored(spare.pk)["enabled"] == 0


# Without credentials.


def test_anonymous_request_is_answered_401_with_a_basic_challenge(live_server):
    response = requests.get(f"{live_server.url}/api/v2/goals", timeout=TIMEOUT)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert response.json()["error"] == "Unauthorized"
