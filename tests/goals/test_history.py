"""A goal's history (issue 15): every change, through every door, recorded in its transaction
with who, when, the door and the values after it, and told in words, newest first.

Cast (tests/conftest.py): Alice administers Acme; Bob administers Bluebird; Olga is an operator.
"""

import re
from datetime import UTC, datetime

import pytest
from django.db import transaction
from django.utils import timezone

from accounts import services
from accounts.models import Account, User
from goals import history, rules
from goals.dashboard import views
from goals.history import Change
from goals.models import Goal
from tests.helpers.api import PASSWORD, Api
from tests.helpers.pages import main_text, signed_in
from tests.helpers.tokens import bearer_api, token_of

PRICING = [{"type": "url", "operator": "contains", "value": "/pricing"}]
CHECKOUT = [{"type": "url", "operator": "equals", "value": "https://shop.example/checkout"}]
MOMENT = datetime(2026, 11, 3, 8, 0, tzinfo=UTC)


@pytest.fixture
def olga(db: None) -> User:
    return User.objects.create_superuser("olga@operators.example", PASSWORD)


@pytest.fixture
def pricing(acme: Account, alice: User) -> Goal:
    return rules.goal_create(account=acme, actor=alice, name="Pricing", conditions=PRICING)


def told(goal: Goal) -> list[tuple[str, str, str, list[str]]]:
    """The goal's history as (who, door, API client, what), newest first."""
    return [
        (change.who, change.door, change.api_client, change.what)
        for change in history.GoalHistory(goal.account, goal.pk)
    ]


def test_creating_a_goal_records_who_made_it_and_its_settings(pricing: Goal) -> None:
    assert told(pricing) == [
        (
            "alice@acme.example",
            "a command",
            "",
            ["Created “Pricing”: enabled, first touch over 30 days, URL contains /pricing."],
        )
    ]


def test_each_change_says_what_it_changed_newest_first(pricing: Goal, alice: User) -> None:
    rules.goal_update(goal=pricing, actor=alice, attribution_period=7)
    rules.goal_update(
        goal=pricing,
        actor=alice,
        name="Plans",
        description="Who looked at the plans",
        attribution_model="last_touch",
        conditions=CHECKOUT,
    )
    rules.goal_set_enabled(goal=pricing, actor=alice, enabled=False)

    whats = [what for *_, what in told(pricing)]
    assert whats[:3] == [
        ["Disabled."],
        [
            "Name changed from “Pricing” to “Plans”.",
            "Description changed from none to “Who looked at the plans”.",
            "Attribution changed from first touch to last touch.",
            "Conditions changed from URL contains /pricing to URL equals "
            "https://shop.example/checkout.",
        ],
        ["Period changed from 30 to 7 days."],
    ]
    assert len(whats) == 4


def test_a_write_that_changes_nothing_records_nothing(pricing: Goal, alice: User) -> None:
    rules.goal_update(goal=pricing, actor=alice, name="Pricing", conditions=PRICING)
    assert len(told(pricing)) == 1


def test_a_deleted_goal_keeps_its_history_with_its_last_conditions(
    pricing: Goal, alice: User
) -> None:
    goal_id = pricing.pk
    rules.goal_delete(goal=pricing, actor=alice)

    changes = list(history.GoalHistory(pricing.account, goal_id))
    assert changes[0].what == ["Deleted “Pricing”."]
    deleted = Goal.history.get(id=goal_id, history_type="-")
    assert deleted.conditions == PRICING


def test_a_change_rolled_back_leaves_no_record(pricing: Goal, alice: User) -> None:
    def change_then_fail() -> None:
        with transaction.atomic():
            rules.goal_update(goal=pricing, actor=alice, attribution_period=1)
            raise RuntimeError("the request failed after the write")

    with pytest.raises(RuntimeError):
        change_then_fail()
    assert len(told(pricing)) == 1
    # A write the rules refuse leaves none either.
    for number in range(4):
        rules.goal_create(account=pricing.account, actor=alice, name=f"Goal {number}")
    with pytest.raises(rules.GoalLimitExceeded):
        rules.goal_create(account=pricing.account, actor=alice, name="Sixth")
    assert not Goal.history.filter(name="Sixth").exists()


def test_another_account_s_goal_has_no_history_to_show(pricing: Goal, bluebird: Account) -> None:
    assert list(history.GoalHistory(bluebird, pricing.pk)) == []


# --- Every door ------------------------------------------------------------------------------


def test_the_api_records_the_user_through_the_api(pricing: Goal, alice_api: Api) -> None:
    alice_api.put(f"/api/v2/goals/{pricing.pk}", {"attribution_period": 7})
    assert told(pricing)[0] == (
        "alice@acme.example",
        "the API",
        "",
        ["Period changed from 30 to 7 days."],
    )


def test_the_api_records_the_client_acting_for_the_user(
    pricing: Goal, openapi_schema: dict, shop_sync: services.NewApiClient
) -> None:
    client = bearer_api(openapi_schema, token_of(shop_sync))
    client.delete(f"/api/v2/goals/{pricing.pk}")
    changes = list(history.GoalHistory(pricing.account, pricing.pk))
    assert (changes[0].who, changes[0].door, changes[0].api_client) == (
        "alice@acme.example",
        "the API",
        "Shop sync",
    )


def test_the_dashboard_records_its_administrator(pricing: Goal, alice: User) -> None:
    response = signed_in(alice).post(f"/goals/{pricing.pk}/toggle/", {"enabled": "0"})
    assert response.status_code == 302
    assert told(pricing)[0] == ("alice@acme.example", "the dashboard", "", ["Disabled."])


def test_the_django_admin_records_its_operator(pricing: Goal, olga: User) -> None:
    response = signed_in(olga).post(
        "/admin/goals/goal/",
        {"action": "disable_selected", "index": "0", "_selected_action": [str(pricing.pk)]},
    )
    assert response.status_code == 302
    assert told(pricing)[0] == ("olga@operators.example", "the Django admin", "", ["Disabled."])


def test_the_history_keeps_the_email_of_a_user_deleted_since(pricing: Goal, alice: User) -> None:
    alice.delete()
    assert told(pricing)[0][0] == "alice@acme.example"


def test_each_change_carries_its_moment(
    acme: Account, alice: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(timezone, "now", lambda: MOMENT)
    goal = rules.goal_create(account=acme, actor=alice, name="Pricing", conditions=PRICING)
    assert list(history.GoalHistory(acme, goal.pk)) == [
        Change(
            goal_id=goal.pk,
            name="Pricing",
            when=MOMENT,
            who="alice@acme.example",
            door="a command",
            api_client="",
            what=["Created “Pricing”: enabled, first touch over 30 days, URL contains /pricing."],
        )
    ]


@pytest.mark.parametrize(
    "part",
    [slice(0, 2), slice(2, 5), slice(4, 9), slice(-2, None), slice(None, None, 2), slice(3, 1)],
)
def test_a_part_of_a_history_tells_each_change_as_the_whole_history_does(
    pricing: Goal, alice: User, part: slice
) -> None:
    for period in (7, 14, 21, 28):
        rules.goal_update(goal=pricing, actor=alice, attribution_period=period)
    whole = list(history.GoalHistory(pricing.account, pricing.pk))
    changes = history.GoalHistory(pricing.account, pricing.pk)

    assert changes[part] == whole[part]
    assert [changes[-1], changes[0]] == [whole[-1], whole[0]]
    with pytest.raises(IndexError):
        changes[5]


# --- The pages ------------------------------------------------------------------------------


def test_the_goal_s_page_shows_its_history_newest_first(pricing: Goal, alice: User) -> None:
    rules.goal_update(goal=pricing, actor=alice, attribution_period=7)
    page = signed_in(alice).get(f"/goals/{pricing.pk}/edit/")
    section = main_text(page).split("History", 1)[1]
    assert "Period changed from 30 to 7 days." in section
    assert section.index("Period changed") < section.index("Created “Pricing”")
    assert "by alice@acme.example, through a command" in " ".join(section.split())


def test_a_deleted_goal_s_history_stays_readable(pricing: Goal, alice: User) -> None:
    goal_id = pricing.pk
    browser = signed_in(alice)
    browser.post(f"/goals/{goal_id}/delete/")

    deleted = browser.get("/goals/deleted/")
    assert "Pricing" in main_text(deleted)
    assert f'href="/goals/{goal_id}/history/"' in deleted.content.decode()
    page = browser.get(f"/goals/{goal_id}/history/")
    text = " ".join(main_text(page).split())
    assert "Deleted “Pricing”." in text
    assert "by alice@acme.example, through the dashboard" in text
    assert browser.get(f"/goals/{goal_id}/edit/").status_code == 404


def test_a_long_history_is_shown_by_pages_each_change_told_as_on_one_list(
    pricing: Goal, alice: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(views, "HISTORY_PER_PAGE", 10)
    for period in range(1, 24):
        rules.goal_update(goal=pricing, actor=alice, attribution_period=period)
    browser = signed_in(alice)
    url = f"/goals/{pricing.pk}/history/"

    pages = [browser.get(f"{url}?page={number}") for number in (1, 2, 3)]

    texts = [" ".join(main_text(page).split()) for page in pages]
    assert all("History of “Pricing”" in text for text in texts)
    for text, shown in zip(texts, ["1 to 10", "11 to 20", "21 to 24"], strict=True):
        assert f"Changes {shown} of 24" in text
    told_on_pages = [
        told for text in texts for told in re.findall(r"(?:Period|Created)[^.]*", text)
    ]
    assert told_on_pages == [
        *[f"Period changed from {period - 1} to {period} days" for period in range(23, 1, -1)],
        "Period changed from 30 to 1 day",
        "Created “Pricing”: enabled, first touch over 30 days, URL contains /pricing",
    ]
    # A page past the end, as a link kept from a longer history, shows the last; one below the
    # first, or none, the first.
    shown = {
        asked: " ".join(main_text(browser.get(f"{url}?page={asked}")).split())
        for asked in ("9", "0", "-1", "x")
    }
    assert shown == {"9": texts[2], "0": texts[0], "-1": texts[0], "x": texts[0]}


def test_another_account_s_goal_history_is_not_found(pricing: Goal, bob: User) -> None:
    assert signed_in(bob).get(f"/goals/{pricing.pk}/history/").status_code == 404
    assert "Pricing" not in main_text(signed_in(bob).get("/goals/deleted/"))


def test_the_django_admin_lists_every_change_a_deleted_goal_s_too(
    pricing: Goal, alice: User, olga: User
) -> None:
    rules.goal_update(goal=pricing, actor=alice, attribution_period=7)
    rules.goal_delete(goal=pricing, actor=alice)

    page = signed_in(olga).get("/admin/goals/historicalgoal/")
    assert page.status_code == 200
    text = " ".join(main_text(page).split())
    for words in ("Created “Pricing”", "Period changed from 30 to 7 days.", "Deleted “Pricing”."):
        assert words in text
    # Nobody writes the history by hand.
    assert signed_in(olga).get("/admin/goals/historicalgoal/add/").status_code == 403


def test_the_django_admin_s_history_button_shows_the_goal_s_changes_through_every_door(
    pricing: Goal, alice: User, olga: User, alice_api: Api
) -> None:
    other = rules.goal_create(
        account=pricing.account, actor=alice, name="Other", conditions=PRICING
    )
    alice_api.put(f"/api/v2/goals/{pricing.pk}", {"attribution_period": 7})
    admin = signed_in(olga)

    button = admin.get(f"/admin/goals/goal/{pricing.pk}/history/")
    assert button.status_code == 302
    page = admin.get(button["Location"])
    text = " ".join(main_text(page).split())
    assert "Period changed from 30 to 7 days." in text
    assert "Created “Pricing”" in text
    assert "Other" not in text
    assert "Created “Other”" in " ".join(
        main_text(
            admin.get(admin.get(f"/admin/goals/goal/{other.pk}/history/")["Location"])
        ).split()
    )
