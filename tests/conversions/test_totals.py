"""The daily totals behind the reports: kept in step by every write, computed anew by rebuild(),
checked by differences(), and the command `conversion_totals` that does both for operators.

The totals are held here to plain counts of the stored Conversion and Touch rows (counted(),
below), which shares nothing with conversions.totals: a ConversionTotal is the conversions of a
UTC day, goal, agent, department and attribution model, with the DELAY_BOUNDS bucket of each; a
ServedChatTotal is the chats of a day and department, each once, on its first touch's day; an
AgentServedTotal is an agent's touches of a day and department.
"""

import re
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F

from accounts.models import Account, User
from conversions import ingest, reports, totals
from conversions.models import (
    DELAY_BOUNDS,
    DELAY_COLUMNS,
    NO_DEPARTMENT,
    Agent,
    AgentServedTotal,
    Conversion,
    ConversionTotal,
    Department,
    ServedChatTotal,
    Touch,
)
from goals import rules
from goals.models import Goal
from tests.helpers.conversions import KIM, SAM, THANKS, at, chat, iso, page_view

LEE = (5, "Lee")
SUPPORT = {"department_id": 12, "department_name": "Support"}
NO_DEPARTMENT_SENT = {"department_id": None, "department_name": None}
PRICING = "https://shop.example/pricing"

CONVERSION_KEY = ("day", "goal_id", "agent_id", "department_id", "attribution_model")


def day_of(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def bucket_of(delay: timedelta) -> int:
    for index, bound in enumerate(DELAY_BOUNDS):
        if delay < bound:
            return index
    return len(DELAY_BOUNDS)


def department_key(department_id: int | None) -> int:
    return NO_DEPARTMENT if department_id is None else department_id


def counted(account: Account) -> dict[str, dict[tuple, tuple[int, ...]]]:
    """The account's totals as counting its stored rows gives them: {table: {key: counts}}."""
    conversions: dict[tuple, list[int]] = {}
    for c in Conversion.objects.filter(account=account).values():
        key = (
            day_of(c["timestamp"]),
            c["goal_id"],
            c["agent_id"],
            department_key(c["department_id"]),
            c["attribution_model"],
        )
        counts = conversions.setdefault(key, [0] * (1 + len(DELAY_COLUMNS)))
        counts[0] += 1
        counts[1 + bucket_of(c["timestamp"] - c["chat_timestamp"])] += 1
    touches = list(Touch.objects.filter(account=account).values())
    first: dict[str, dict[str, Any]] = {}
    for t in sorted(touches, key=lambda t: t["time"]):
        first.setdefault(t["chat_id"], t)
    served = Counter(
        (day_of(t["time"]), department_key(t["department_id"])) for t in first.values()
    )
    agents = Counter(
        (day_of(t["time"]), t["agent_id"], department_key(t["department_id"])) for t in touches
    )
    return {
        "conversions": {key: tuple(counts) for key, counts in conversions.items()},
        "served": {key: (count,) for key, count in served.items()},
        "agents served": {key: (count,) for key, count in agents.items()},
    }


def stored_totals(account: Account) -> dict[str, dict[tuple, tuple[int, ...]]]:
    """The account's stored totals, without the rows that count nothing (what a row's counts
    fall back to zero leaves behind: no report reads it as more than nothing)."""
    tables = {
        "conversions": (ConversionTotal, CONVERSION_KEY, ("conversions", *DELAY_COLUMNS)),
        "served": (ServedChatTotal, ("day", "department_id"), ("chats",)),
        "agents served": (AgentServedTotal, ("day", "agent_id", "department_id"), ("chats",)),
    }
    stored = {}
    for name, (model, key, counts) in tables.items():
        rows = model.objects.filter(account=account).values_list(*key, *counts)
        stored[name] = {row[: len(key)]: row[len(key) :] for row in rows if any(row[len(key) :])}
    return stored


def names_of(account: Account) -> dict[str, dict[int, str]]:
    return {
        "agents": dict(Agent.objects.filter(account=account).values_list("agent_id", "name")),
        "departments": dict(
            Department.objects.filter(account=account).values_list("department_id", "name")
        ),
    }


def chats_in(account: Account, *chats: dict[str, Any]) -> None:
    ingest.chats_ingest(account=account, items=list(chats))


def views_in(account: Account, *views: dict[str, Any]) -> None:
    ingest.page_views_ingest(account=account, items=list(views))


def checked(**options: Any) -> str:
    """What `manage.py conversion_totals` prints when the totals agree."""
    out = StringIO()
    call_command("conversion_totals", stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def paid(acme: Account, alice: User, make_goal: Callable[..., Goal]) -> Goal:
    return make_goal(
        acme,
        name="Paid",
        conditions=[{"type": "url", "operator": "contains", "value": "/checkout/thanks"}],
        attribution_model="last_touch",
        attribution_period=30,
    )


@pytest.fixture
def busy_acme(acme: Account, alice: User, paid: Goal, make_goal: Callable[..., Goal]) -> Account:
    """Acme after a busy day and night: conversions of both models over midnight, a hand-over
    between agents, chats sent again with other agents, departments and visitors, missed chats,
    and goals edited, disabled and deleted along the way."""
    pricing = make_goal(
        acme,
        name="Pricing",
        conditions=[{"type": "url", "operator": "contains", "value": "/pricing"}],
        attribution_period=7,
    )
    offer = make_goal(
        acme,
        name="Offer",
        conditions=[{"type": "url", "operator": "contains", "value": "/offer"}],
    )
    views_in(
        acme,
        page_view("p1", visitor="v1", minutes=20),
        page_view("p2", visitor="v1", url=PRICING, minutes=10),
        page_view("p3", visitor="v2", minutes=14 * 60),  # after midnight
        page_view("p4", visitor="v3", url="https://shop.example/offer", minutes=30),
        page_view("p5", visitor="v4", minutes=3 * 24 * 60),
    )
    chats_in(
        acme,
        chat("c1", visitor="v1", agents=(SAM, KIM)),
        chat("c2", visitor="v2", minutes=13 * 60 + 59, agents=(KIM,), **SUPPORT),
        chat("c3", visitor="v3", minutes=5, agents=(LEE,), **NO_DEPARTMENT_SENT),
        chat("c4", visitor="v4", minutes=60, missed=True),
        chat("c5", visitor="v4", minutes=90, agents=(SAM,), history=[], timestamp=iso(at(90))),
    )
    rules.goal_update(goal=pricing, actor=alice, attribution_model="last_touch")
    rules.goal_set_enabled(goal=offer, actor=alice, enabled=False)
    chats_in(
        acme,
        chat("c1", visitor="v1", agents=(KIM, SAM), **SUPPORT),
        chat("c3", visitor="v2", minutes=15 * 60, agents=(LEE,)),
    )
    rules.goal_update(goal=paid, actor=alice, attribution_period=1)
    rules.goal_delete(goal=pricing, actor=alice)
    views_in(acme, page_view("p6", visitor="v2", url=PRICING, minutes=16 * 60))
    assert Conversion.objects.filter(account=acme).count() >= 4
    return acme


def test_the_writes_keep_the_totals_that_counting_the_rows_gives(busy_acme: Account) -> None:
    assert stored_totals(busy_acme) == counted(busy_acme)
    assert all(counted(busy_acme).values())


def test_rebuilding_gives_the_totals_and_names_that_the_writes_kept(
    busy_acme: Account, bluebird: Account, bob: User, make_goal: Callable[..., Goal]
) -> None:
    make_goal(bluebird, conditions=[{"type": "url", "operator": "contains", "value": "/"}])
    chats_in(bluebird, chat("c1", visitor="v1", agents=((SAM[0], "Samuel"),)))
    views_in(bluebird, page_view("p1", visitor="v1"))
    kept = stored_totals(busy_acme), names_of(busy_acme)
    theirs = stored_totals(bluebird), names_of(bluebird)
    totals.rebuild(busy_acme.pk)
    assert (stored_totals(busy_acme), names_of(busy_acme)) == kept
    assert stored_totals(busy_acme) == counted(busy_acme)
    assert (stored_totals(bluebird), names_of(bluebird)) == theirs
    assert names_of(busy_acme)["agents"][SAM[0]] == "Sam"
    assert names_of(bluebird)["agents"][SAM[0]] == "Samuel"


def test_rebuilding_an_account_of_wrong_totals_makes_them_right(busy_acme: Account) -> None:
    ConversionTotal.objects.filter(account=busy_acme).update(conversions=F("conversions") + 5)
    ServedChatTotal.objects.filter(account=busy_acme).delete()
    AgentServedTotal.objects.create(
        account=busy_acme, day=date(2020, 1, 1), agent_id=1, department_id=NO_DEPARTMENT, chats=3
    )
    assert stored_totals(busy_acme) != counted(busy_acme)
    totals.rebuild(busy_acme.pk)
    assert stored_totals(busy_acme) == counted(busy_acme)
    assert totals.differences(busy_acme.pk) == []


def test_rebuilding_keeps_the_name_of_an_agent_whom_only_kept_conversions_credit(
    acme: Account, alice: User, paid: Goal
) -> None:
    chats_in(acme, chat("c1", visitor="v1", agents=(SAM,)))
    views_in(acme, page_view("p1", visitor="v1"))
    rules.goal_set_enabled(goal=paid, actor=alice, enabled=False)
    # Sam's only chat is Kim's now; the disabled goal keeps the conversion credited to Sam.
    chats_in(acme, chat("c1", visitor="v1", agents=(KIM,)))
    assert Conversion.objects.get(account=acme).agent_name == "Sam"
    day = reports.Filters(at().date(), at().date())
    named = {row.key: row.name for row in reports.agent_rows(acme, day)}
    assert named == {SAM[0]: "Sam", KIM[0]: "Kim"}
    totals.rebuild(acme.pk)
    assert {row.key: row.name for row in reports.agent_rows(acme, day)} == named


def test_differences_name_a_conversion_total_changed_behind_the_writes_back(
    acme: Account, paid: Goal
) -> None:
    chats_in(acme, chat("c1", visitor="v1", agents=(SAM,)))
    views_in(acme, page_view("p1", visitor="v1", minutes=3))
    assert totals.differences(acme.pk) == []
    ConversionTotal.objects.filter(account=acme).update(conversions=F("conversions") + 1)
    # Three minutes from Sam's touch: the bucket from one to five minutes.
    delays = [0, 1] + [0] * (len(DELAY_COLUMNS) - 2)
    key = (acme.pk, at().date(), paid.pk, SAM[0], 7, "last_touch")
    assert totals.differences(acme.pk) == [
        f"ConversionTotal {key}: stored {[2, *delays]}, counted {[1, *delays]}"
    ]
    totals.rebuild(acme.pk)
    assert totals.differences(acme.pk) == []


def test_differences_name_served_chats_lost_and_made_up(acme: Account) -> None:
    chats_in(acme, chat("c1", visitor="v1", agents=(SAM, KIM), **NO_DEPARTMENT_SENT))
    ServedChatTotal.objects.filter(account=acme).delete()
    AgentServedTotal.objects.filter(account=acme, agent_id=KIM[0]).update(chats=0)
    AgentServedTotal.objects.create(
        account=acme, day=date(2026, 1, 1), agent_id=LEE[0], department_id=3, chats=1
    )
    day = at().date()
    assert totals.differences(acme.pk) == [
        f"ServedChatTotal {(acme.pk, day, NO_DEPARTMENT)}: stored [0], counted [1]",
        f"AgentServedTotal {(acme.pk, date(2026, 1, 1), LEE[0], 3)}: stored [1], counted [0]",
        f"AgentServedTotal {(acme.pk, day, KIM[0], NO_DEPARTMENT)}: stored [0], counted [1]",
    ]
    totals.rebuild(acme.pk)
    assert totals.differences(acme.pk) == []


def test_differences_of_an_account_ignore_anothers_totals(
    acme: Account, bluebird: Account, paid: Goal
) -> None:
    for account in (acme, bluebird):
        chats_in(account, chat("c1", visitor="v1", agents=(SAM,)))
        views_in(account, page_view("p1", visitor="v1"))
    ServedChatTotal.objects.filter(account=bluebird).update(chats=7)
    assert totals.differences(acme.pk) == []
    assert len(totals.differences(bluebird.pk)) == 1
    totals.rebuild(bluebird.pk)


def test_the_command_says_when_the_totals_of_every_account_agree(
    busy_acme: Account, bluebird: Account
) -> None:
    assert checked() == (
        '"Acme": the totals agree with the stored rows.\n'
        '"Bluebird": the totals agree with the stored rows.\n'
    )


def test_the_command_names_the_disagreement_and_suggests_a_rebuild_which_repairs_it(
    busy_acme: Account, bluebird: Account
) -> None:
    ServedChatTotal.objects.filter(account=busy_acme).update(chats=F("chats") + 2)
    expected = totals.differences(busy_acme.pk)
    assert expected
    out = StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("conversion_totals", stdout=out)
    assert str(refused.value) == (
        "The totals of 1 account(s) disagree with the stored rows: run this command again "
        "with --rebuild."
    )
    assert out.getvalue() == "".join(f'"Acme": {line}\n' for line in expected) + (
        '"Bluebird": the totals agree with the stored rows.\n'
    )
    assert checked(rebuild=True) == (
        '"Acme": totals computed anew.\n"Bluebird": totals computed anew.\n'
    )
    assert stored_totals(busy_acme) == counted(busy_acme)
    assert checked().count("the totals agree with the stored rows") == 2


def test_the_command_checks_and_rebuilds_one_account_when_named(
    acme: Account, bluebird: Account
) -> None:
    for account in (acme, bluebird):
        chats_in(account, chat("c1", visitor="v1", agents=(SAM,)))
    AgentServedTotal.objects.filter(account=bluebird).update(chats=F("chats") + 1)
    ServedChatTotal.objects.filter(account=acme).update(chats=F("chats") + 1)
    with pytest.raises(CommandError, match=r"of 1 account\(s\) disagree"):
        call_command("conversion_totals", "--account", "Bluebird", stdout=StringIO())
    assert checked(account="Bluebird", rebuild=True) == '"Bluebird": totals computed anew.\n'
    assert checked(account="Bluebird") == '"Bluebird": the totals agree with the stored rows.\n'
    # Acme was left as it was.
    assert totals.differences(acme.pk) != []
    with pytest.raises(CommandError, match=r"of 1 account\(s\) disagree"):
        call_command("conversion_totals", stdout=StringIO())
    checked(account="Acme", rebuild=True)
    assert checked(account="Acme") == '"Acme": the totals agree with the stored rows.\n'


def test_the_command_refuses_an_account_that_does_not_exist(acme: Account) -> None:
    refusal = 'No account is named "acme". Did you mean "Acme"?'
    with pytest.raises(CommandError, match=re.escape(refusal)):
        call_command("conversion_totals", "--account", "acme", stdout=StringIO())


def test_a_conversion_is_counted_on_its_own_utc_day_and_its_chat_on_the_touchs(
    acme: Account, paid: Goal
) -> None:
    # Kim answers at 23:59 (839 minutes after T0, 10:00 UTC); the visitor pays at 00:00:30.
    chats_in(acme, chat("c1", visitor="v1", minutes=839, agents=(KIM,)))
    views_in(acme, page_view("p1", visitor="v1", url=THANKS, minutes=840.5))
    assert stored_totals(acme) == counted(acme)
    [total] = ConversionTotal.objects.filter(account=acme)
    # A minute and a half: the bucket from one to five minutes.
    assert (total.day, total.conversions, total.delay_1) == (at().date() + timedelta(days=1), 1, 1)
    [served] = ServedChatTotal.objects.filter(account=acme)
    assert (served.day, served.chats) == (at().date(), 1)
