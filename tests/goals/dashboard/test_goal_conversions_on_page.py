"""The goals page says, beside each goal, how many conversions it had in the last 30 days.

Cast (tests/conftest.py): Alice administers Acme; Bob administers Bluebird.
"""

import itertools
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Account, User
from conversions import ingest
from conversions.models import Conversion
from conversions.recompute import conversion_id
from goals import rules
from goals.models import Goal
from tests.helpers.pages import parse

CHAT_NUMBERS = itertools.count()
THANKS = [{"type": "url", "operator": "contains", "value": "/thanks"}]


def conversions_line(response: Any, goal: Goal) -> str:
    card = parse(response).by_id(f"goal-{goal.pk}")
    lines = [
        element
        for element in card.iter()
        if "goal-conversions" in (element.attrs.get("class") or "").split()
    ]
    assert len(lines) == 1
    return lines[0].text


def convert(account: Account, goal: Goal, count: int = 1, *, days_ago: float = 1) -> None:
    """Store `count` conversions of the goal, `days_ago` days before now, as the engine does."""
    moment = timezone.now() - timedelta(days=days_ago)
    Conversion.objects.bulk_create(conversion(account, goal, moment) for _ in range(count))


def conversion(account: Account, goal: Goal, moment: datetime) -> Conversion:
    chat_id = f"chat-{next(CHAT_NUMBERS)}"
    return Conversion(
        account=account,
        goal_id=goal.pk,
        chat_id=chat_id,
        conversion_id=conversion_id(goal.pk, chat_id),
        goal_name=goal.name,
        visitor_id="v-1",
        page_view_id=f"pv-{chat_id}",
        url="https://shop.example/thanks",
        timestamp=moment,
        agent_id=7,
        agent_name="Ann",
        chat_timestamp=moment - timedelta(minutes=5),
        update_timestamp=timezone.now().replace(microsecond=0),
    )


def test_a_chat_then_a_visit_to_the_goal_page_shows_as_one_conversion(
    acme: Account, alice_client: Client, make_goal: Callable[..., Goal]
) -> None:
    thanks = make_goal(acme, name="Thanks", conditions=THANKS)
    chatted = timezone.now() - timedelta(days=2)
    ingest.chats_ingest(
        account=acme,
        items=[
            {
                "id": "c-1",
                "visitor": {"id": "v-9"},
                "timestamp": chatted.isoformat(),
                "agent_ids": [7],
                "agent_names": ["Ann"],
            }
        ],
    )
    ingest.page_views_ingest(
        account=acme,
        items=[
            {
                "id": "pv-1",
                "visitor_id": "v-9",
                "url": "https://shop.example/thanks",
                "timestamp": (chatted + timedelta(hours=1)).isoformat(),
            }
        ],
    )

    response = alice_client.get("/goals/")

    assert conversions_line(response, thanks) == "1 conversion in the last 30 days"


def test_each_goal_shows_its_own_count_in_words_singular_and_plural(
    acme: Account, alice_client: Client, make_goal: Callable[..., Goal]
) -> None:
    none, one, two, many = (make_goal(acme, name=name) for name in ["None", "One", "Two", "Many"])
    convert(acme, one)
    convert(acme, two, 2)
    convert(acme, many, 1234)

    response = alice_client.get("/goals/")

    assert conversions_line(response, none) == "No conversions in the last 30 days"
    assert conversions_line(response, one) == "1 conversion in the last 30 days"
    assert conversions_line(response, two) == "2 conversions in the last 30 days"
    assert conversions_line(response, many) == "1,234 conversions in the last 30 days"


def test_only_conversions_of_the_last_30_days_count(
    acme: Account, alice_client: Client, make_goal: Callable[..., Goal]
) -> None:
    goal = make_goal(acme)
    convert(acme, goal, days_ago=0.01)
    convert(acme, goal, 2, days_ago=29.9)
    convert(acme, goal, 4, days_ago=30.1)
    convert(acme, goal, 8, days_ago=59)

    response = alice_client.get("/goals/")

    assert conversions_line(response, goal) == "3 conversions in the last 30 days"


def test_another_accounts_conversions_never_count(
    acme: Account,
    bluebird: Account,
    alice_client: Client,
    bob: User,
    make_goal: Callable[..., Goal],
) -> None:
    goal = make_goal(acme)
    theirs = make_goal(bluebird)
    convert(acme, goal)
    convert(bluebird, theirs, 5)
    # Even a row of Bluebird's that names Acme's goal id is Bluebird's.
    Conversion.objects.bulk_create([conversion(bluebird, goal, timezone.now())])

    response = alice_client.get("/goals/")

    assert conversions_line(response, goal) == "1 conversion in the last 30 days"
    assert f"goal-{theirs.pk}" not in response.content.decode()


def test_a_goal_switched_off_still_shows_the_conversions_it_had(
    acme: Account, alice: User, alice_client: Client, make_goal: Callable[..., Goal]
) -> None:
    goal = make_goal(acme)
    convert(acme, goal, 3)
    rules.goal_set_enabled(goal=goal, actor=alice, enabled=False)

    response = alice_client.get("/goals/")

    assert conversions_line(response, goal) == "3 conversions in the last 30 days"


def test_the_counts_take_one_query_however_many_goals_the_page_shows(
    acme: Account, alice_client: Client, make_goal: Callable[..., Goal]
) -> None:
    for index in range(5):
        convert(acme, make_goal(acme, name=f"Goal {index}"), index)
    table = Conversion._meta.db_table

    with CaptureQueriesContext(connection) as queries:
        alice_client.get("/goals/")

    assert sum(table in query["sql"] for query in queries.captured_queries) == 1
