"""The goals page says, beside each goal, how many conversions it had in the last 30 days (UTC
days, today's included), with a trend line, and leads to the report of that goal.

Cast (tests/conftest.py): Alice administers Acme; Bob administers Bluebird.
"""

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Account, User
from conversions import ingest, totals
from conversions.models import Conversion, GoalDayTotal
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


def convert(
    account: Account, goal: Goal, count: int = 1, *, days_ago: float = 1, at: datetime | None = None
) -> None:
    """Store `count` conversions of the goal, `days_ago` days before now (or `at`), as the
    engine does: with the daily totals."""
    moment = at or timezone.now() - timedelta(days=days_ago)
    stored = Conversion.objects.bulk_create(conversion(account, goal, moment) for _ in range(count))
    totals.conversions_changed(
        account.pk,
        removed=(),
        added=[totals.Counted.of_row(vars(row)) for row in stored],
    )


def conversion(account: Account, goal: Goal, moment: datetime) -> Conversion:
    """A conversion of the goal at that moment, credited to Ann (agent 7), by last touch."""
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
        attribution_model="last_touch",
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
    today = datetime.combine(timezone.now().date(), time(), UTC)
    convert(acme, goal, at=timezone.now())
    convert(acme, goal, 2, at=today - timedelta(days=29))
    convert(acme, goal, 4, at=today - timedelta(days=29, microseconds=1))
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


def test_the_counts_take_one_query_of_the_daily_totals_however_many_goals_the_page_shows(
    acme: Account, alice_client: Client, make_goal: Callable[..., Goal]
) -> None:
    for index in range(5):
        convert(acme, make_goal(acme, name=f"Goal {index}"), index)

    with CaptureQueriesContext(connection) as queries:
        alice_client.get("/goals/")

    sql = [query["sql"] for query in queries.captured_queries]
    assert sum(f'"{GoalDayTotal._meta.db_table}"' in query for query in sql) == 1
    assert not any(f'"{Conversion._meta.db_table}"' in query for query in sql)


def test_the_trend_line_rises_on_the_days_with_more_conversions(
    acme: Account, alice_client: Client, make_goal: Callable[..., Goal]
) -> None:
    goal = make_goal(acme)
    today = datetime.combine(timezone.now().date(), time(12), UTC)
    convert(acme, goal, 1, at=today - timedelta(days=29))
    convert(acme, goal, 4, at=today - timedelta(days=10))

    card = parse(alice_client.get("/goals/")).by_id(f"goal-{goal.pk}")
    points = next(
        element.attrs["points"] for element in card.iter() if element.tag == "polyline"
    ).split()

    heights = [float(point.split(",")[1]) for point in points]
    assert len(heights) == 30
    # SVG's y grows downwards: the highest day is the line's top, days without any its bottom.
    assert heights[19] == min(heights)
    assert heights[0] < heights[1] == max(heights)


def test_the_count_leads_to_the_report_of_the_goal(
    acme: Account, alice_client: Client, make_goal: Callable[..., Goal]
) -> None:
    goal = make_goal(acme)
    convert(acme, goal, 3)

    card = parse(alice_client.get("/goals/")).by_id(f"goal-{goal.pk}")
    link = next(
        element for element in card.iter() if element.tag == "a" and "conversion" in element.text
    )
    report = alice_client.get(link.attrs["href"])

    assert report.status_code == 200
    assert [
        option.text
        for option in parse(report).iter()
        if option.tag == "option" and "selected" in option.attrs
    ] == ["Last 30 days", goal.name, "All agents", "All departments"]
