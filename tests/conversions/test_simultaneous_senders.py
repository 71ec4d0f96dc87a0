"""Many clients sending at once, over HTTP to a live server: nothing is stored twice, nothing is
lost, no request fails, and the conversions are those of the data sent one request at a time.

The live server answers each request in a thread with a database connection of its own, on
SQLite (writers queue at BEGIN IMMEDIATE) and on PostgreSQL (row locks and the account's
conversions lock) alike.
"""

import random
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from accounts.models import Account, User
from conversions.attribution import GoalTerms, Touch, Visit, credits
from conversions.models import Chat, Conversion, PageView
from conversions.models import Touch as TouchRow
from goals import rules
from tests.helpers.api import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

CLIENTS = 8
TIMEOUT = 60
START = datetime(2026, 11, 1, tzinfo=UTC)
PAGES = ["/", "/pricing", "/cart", "/checkout/thanks", "/blog/post"]


def send_all_at_once(sends: list[Callable[[], requests.Response]]) -> list[requests.Response]:
    barrier = threading.Barrier(len(sends))

    def send(request: Callable[[], requests.Response]) -> requests.Response:
        barrier.wait(timeout=TIMEOUT)
        return request()

    with ThreadPoolExecutor(max_workers=len(sends)) as pool:
        return list(pool.map(send, sends))


def poster(live_server: Any, user: User, path: str, body: Any) -> Callable[[], requests.Response]:
    return lambda: requests.post(
        f"{live_server.url}/api/v2/{path}",
        json=body,
        auth=(user.email, PASSWORD),
        timeout=TIMEOUT,
    )


def page_views(count: int, seed: int = 1) -> list[dict]:
    rng = random.Random(seed)
    return [
        {
            "id": f"pv-{n}",
            "visitor_id": f"v-{rng.randrange(40)}",
            "url": f"https://shop.example{rng.choice(PAGES)}",
            "timestamp": (START + timedelta(minutes=rng.randrange(60 * 24 * 20))).isoformat(),
        }
        for n in range(count)
    ]


def chats(count: int, seed: int = 2) -> list[dict]:
    rng = random.Random(seed)
    made = []
    for n in range(count):
        at = START + timedelta(minutes=rng.randrange(60 * 24 * 20))
        agent = rng.randrange(1, 6)
        made.append(
            {
                "id": f"chat-{n}",
                "visitor": {"id": f"v-{rng.randrange(40)}"},
                "timestamp": at.isoformat(),
                "history": [
                    {
                        "type": "chat.msg",
                        "nick": f"agent:{agent}",
                        "name": f"Agent {agent}",
                        "timestamp": (at + timedelta(seconds=30)).isoformat(),
                    }
                ],
            }
        )
    return made


@pytest.fixture
def goals(acme: Account, alice: User) -> None:
    for value, model in [("/checkout/thanks", "first_touch"), ("/pricing", "last_touch")]:
        rules.goal_create(
            account=acme,
            actor=alice,
            name=value,
            attribution_model=model,
            attribution_period=7,
            conditions=[{"type": "url", "operator": "contains", "value": value}],
        )


def stored_conversions(account: Account) -> set[tuple]:
    return set(
        Conversion.objects.filter(account_id=account.pk).values_list(
            "goal_id", "chat_id", "page_view_id", "agent_id", "timestamp"
        )
    )


def conversions_from_scratch(account: Account) -> set[tuple]:
    """What the rules give for everything the account has stored, computed in one go."""
    goals = [
        GoalTerms.of(goal)
        for goal in account.goals.filter(enabled=True).prefetch_related("conditions")
    ]
    touches = [
        Touch(*row)
        for row in TouchRow.objects.filter(account_id=account.pk).values_list(
            "chat_id",
            "agent_id",
            "visitor_id",
            "time",
            "agent_name",
            "department_id",
            "department_name",
        )
    ]
    visits = [
        Visit(*row)
        for row in PageView.objects.filter(account_id=account.pk).values_list(
            "page_view_id", "visitor_id", "url", "timestamp"
        )
    ]
    return {
        (
            c.goal.goal_id,
            c.touch.chat_id,
            c.page_view.page_view_id,
            c.touch.agent_id,
            c.page_view.timestamp,
        )
        for c in credits(goals, touches, visits).values()
    }


@pytest.mark.usefixtures("goals")
def test_the_same_page_views_sent_by_eight_clients_at_once_are_stored_once(
    live_server: Any, acme: Account, alice: User
):
    views = page_views(1000)
    send = poster(live_server, alice, "chats", chats(30))
    assert send().status_code == 200

    answers = send_all_at_once([poster(live_server, alice, "page_views", views)] * CLIENTS)

    assert [answer.status_code for answer in answers] == [200] * CLIENTS
    summaries = [answer.json() for answer in answers]
    assert sum(summary["created"] for summary in summaries) == 1000
    assert all(summary["received"] == 1000 for summary in summaries)
    assert PageView.objects.filter(account_id=acme.pk).count() == 1000
    assert stored_conversions(acme) == conversions_from_scratch(acme) != set()


@pytest.mark.usefixtures("goals")
def test_chats_and_page_views_of_the_same_visitors_sent_at_once_give_the_conversions_of_all(
    live_server: Any, acme: Account, alice: User
):
    views, sent_chats = page_views(1600, seed=3), chats(80, seed=4)
    sends = [
        poster(live_server, alice, "page_views", views[n * 400 : (n + 1) * 400]) for n in range(4)
    ] + [poster(live_server, alice, "chats", sent_chats[n * 20 : (n + 1) * 20]) for n in range(4)]
    random.Random(5).shuffle(sends)

    answers = send_all_at_once(sends)

    assert [answer.status_code for answer in answers] == [200] * len(sends)
    assert Chat.objects.filter(account_id=acme.pk).count() == 80
    assert stored_conversions(acme) == conversions_from_scratch(acme) != set()


def test_the_same_chats_sent_by_eight_clients_at_once_are_stored_once(
    live_server: Any, acme: Account, alice: User, goals: None
):
    sent = chats(100, seed=6)

    answers = send_all_at_once([poster(live_server, alice, "chats", sent)] * CLIENTS)

    assert [answer.status_code for answer in answers] == [200] * CLIENTS
    assert sum(answer.json()["created"] for answer in answers) == 100
    assert sum(answer.json()["updated"] for answer in answers) == 0
    assert Chat.objects.filter(account_id=acme.pk).count() == 100


def test_a_goal_changed_while_batches_arrive_ends_with_the_conversions_of_its_new_terms(
    live_server: Any, acme: Account, alice: User, goals: None
):
    assert poster(live_server, alice, "chats", chats(60, seed=7))().status_code == 200
    goal = acme.goals.get(name="/pricing")
    views = page_views(2000, seed=8)
    change = lambda: requests.put(  # noqa: E731
        f"{live_server.url}/api/v2/goals/{goal.pk}",
        json={"attribution_model": "first_touch", "attribution_period": 3},
        auth=(alice.email, PASSWORD),
        timeout=TIMEOUT,
    )
    sends = [
        poster(live_server, alice, "page_views", views[n * 500 : (n + 1) * 500]) for n in range(4)
    ]

    answers = send_all_at_once([*sends, change])

    assert [answer.status_code for answer in answers] == [200] * 5
    assert stored_conversions(acme) == conversions_from_scratch(acme) != set()
