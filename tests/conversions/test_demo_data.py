"""`manage.py demodata` fills an account once with a demo shop's goals, chats and page views, so
that a newcomer running `make run` sees conversions on the goals page from the start."""

import random
from collections.abc import Callable
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from accounts.models import Account, User
from conversions.demo import DEMO_DAYS, demo_fill
from conversions.models import Chat, Conversion, PageView, Touch
from goals.models import Goal

# A small shop keeps the tests quick; `make run` fills the demo account with far more.
VISITORS = 300


def demodata(account: Account) -> str:
    out = StringIO()
    call_command("demodata", account=account.name, visitors=VISITORS, stdout=out)
    return out.getvalue()


def test_the_command_fills_an_empty_account_with_three_goals_that_all_have_conversions(
    acme: Account, alice: User
) -> None:
    said = demodata(acme)

    goals = Goal.objects.filter(account=acme)
    assert sorted(goal.name for goal in goals) == [
        "Account created",
        "Order placed",
        "Return started",
    ]
    assert all(goal.enabled for goal in goals)
    converted = set(Conversion.objects.filter(account=acme).values_list("goal_id", flat=True))
    assert converted == {goal.pk for goal in goals}
    chats = Chat.objects.filter(account=acme).count()
    page_views = PageView.objects.filter(account=acme).count()
    conversions = Conversion.objects.filter(account=acme).count()
    assert chats > 50
    assert page_views > 10 * chats
    assert f"{conversions:,} conversions (3 goals created)" in said


def test_a_second_run_adds_nothing_and_says_so(acme: Account, alice: User) -> None:
    demodata(acme)
    stored = [
        model.objects.filter(account=acme).count() for model in (Goal, Chat, PageView, Conversion)
    ]

    said = demodata(acme)

    assert "no demo data added" in said
    assert [
        model.objects.filter(account=acme).count() for model in (Goal, Chat, PageView, Conversion)
    ] == stored


def test_an_account_that_has_goals_keeps_them_and_gets_no_demo_goals(
    acme: Account, alice: User, make_goal: Callable[..., Goal]
) -> None:
    orders = make_goal(
        acme,
        name="Orders",
        conditions=[{"type": "url", "operator": "contains", "value": "/checkout/complete"}],
    )

    said = demodata(acme)

    assert list(Goal.objects.filter(account=acme)) == [orders]
    assert Conversion.objects.filter(account=acme, goal_id=orders.pk).exists()
    assert "the account's goals kept" in said


def test_only_the_named_account_is_filled(acme: Account, alice: User, bob: User) -> None:
    demodata(acme)

    bluebird = bob.account
    for model in (Goal, Chat, PageView, Conversion):
        assert not model.objects.filter(account=bluebird).exists()


def test_an_account_without_an_administrator_is_refused(bluebird: Account) -> None:
    with pytest.raises(CommandError, match="no administrator"):
        demodata(bluebird)

    assert not Chat.objects.filter(account=bluebird).exists()


def test_the_chats_are_zendesk_shaped_from_two_departments_with_missed_and_offline_ones(
    acme: Account, alice: User
) -> None:
    demo_fill(account=acme, actor=alice, rng=random.Random(1), visitors=VISITORS)

    chats = [chat.data for chat in Chat.objects.filter(account=acme)]
    served = [chat for chat in chats if chat["type"] == "chat" and not chat["missed"]]
    assert any(chat["type"] == "offline_msg" for chat in chats)
    assert any(chat["type"] == "chat" and chat["missed"] for chat in chats)
    assert {chat["department_name"] for chat in chats} == {"Sales", "Support"}
    for chat in served:
        nicks = {item["nick"] for item in chat["history"] if item["type"] == "chat.msg"}
        assert nicks == {"visitor"} | {f"agent:{agent}" for agent in chat["agent_ids"]}
        assert len(chat["agent_ids"]) == len(chat["agent_names"])
        assert chat["webpath"]
    agents = {agent for chat in served for agent in chat["agent_names"]}
    assert 6 < len(agents) <= 12
    # Every served chat is a touch per agent; missed chats and offline messages are none.
    assert Touch.objects.filter(account=acme).count() == sum(
        len(chat["agent_ids"]) for chat in served
    )


def test_everything_happened_in_the_last_sixty_days_and_nothing_in_the_future(
    acme: Account, alice: User
) -> None:
    before = timezone.now()
    demo_fill(account=acme, actor=alice, rng=random.Random(2), visitors=VISITORS)

    oldest = before - timedelta(days=DEMO_DAYS)
    moments = [
        *Chat.objects.filter(account=acme).values_list("timestamp", flat=True),
        *PageView.objects.filter(account=acme).values_list("timestamp", flat=True),
    ]
    assert oldest <= min(moments)
    assert max(moments) <= timezone.now()
    assert min(moments) < before - timedelta(days=DEMO_DAYS - 5)
