"""The operators' Django admin site: lists, the goal form with its inline conditions, the actions,
accounts and users; every write goes through goals.rules, so the rules' errors show in the forms.

Cast (tests/conftest.py): Alice administers Acme, where Arthur is an agent; Bob administers
Bluebird. The operator runs the service across accounts and is the only one let into the admin.
"""

import traceback
from collections.abc import Callable, Sequence
from html.parser import HTMLParser
from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.contrib.messages.constants import DEFAULT_TAGS
from django.test import Client, RequestFactory
from django.utils.html import escape

from accounts.models import Account, User
from goals import rules
from goals.models import Condition, Goal
from tests.helpers.api import PASSWORD

GOALS = "/admin/goals/goal/"
ADD_GOAL = f"{GOALS}add/"
ADD_USER = "/admin/accounts/user/add/"
LIMIT_TITLE = "Goals limit exceeded"
EQUALS_NOT_A_URL = 'A URL that must be equal has to start with "http://" or "https://".'

CART_CONDITIONS = [
    {"operator": "equals", "value": "http://cart.com/"},
    {"operator": "contains", "value": "cart"},
]


# --- Reading the admin's forms as a browser submits them ------------------------------------


class FormReader(HTMLParser):
    """The fields of one form, with the values a browser would submit untouched."""

    def __init__(self, form_id: str) -> None:
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.values: dict[str, str] = {}
        self.select: str | None = None
        self.options: list[tuple[str, bool]] = []
        self.textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "form":
            self.inside = attributes.get("id") == self.form_id
        if not self.inside:
            return
        name = attributes.get("name") or ""
        if "__prefix__" in name:
            return  # the pattern the admin's script copies for "Add another", never submitted
        if tag == "input" and name:
            kind = attributes.get("type", "text")
            if kind in {"checkbox", "radio"}:
                if "checked" in attributes:
                    self.values[name] = attributes.get("value") or "on"
            elif kind not in {"submit", "button", "reset", "image"}:
                self.values[name] = attributes.get("value") or ""
        elif tag == "select" and name:
            self.select, self.options = name, []
        elif tag == "option" and self.select:
            self.options.append((attributes.get("value") or "", "selected" in attributes))
        elif tag == "textarea" and name:
            self.textarea = name
            self.values[name] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select" and self.select:
            chosen = [value for value, selected in self.options if selected] or [
                value for value, _ in self.options[:1]
            ]
            self.values[self.select] = chosen[0] if chosen else ""
            self.select = None
        elif tag == "textarea":
            self.textarea = None

    def handle_data(self, data: str) -> None:
        if self.textarea:
            self.values[self.textarea] += data.removeprefix("\n")


def form_values(response: Any, form_id: str) -> dict[str, str]:
    reader = FormReader(form_id)
    reader.feed(response.content.decode())
    reader.close()
    assert reader.values, f"no form #{form_id} on the page"
    return reader.values


def goal_form_values(response: Any) -> dict[str, str]:
    return form_values(response, "goal_form")


def set_new_conditions(data: dict[str, str], conditions: Sequence[dict[str, Any]]) -> None:
    """Fill the form's new rows (after the stored ones) with these conditions, in order."""
    first = int(data["conditions-INITIAL_FORMS"])
    for index in range(first, int(data["conditions-TOTAL_FORMS"])):
        for key in [key for key in data if key.startswith(f"conditions-{index}-")]:
            del data[key]
    for offset, condition in enumerate(conditions):
        index = first + offset
        data[f"conditions-{index}-position"] = str(condition.get("position", index + 1))
        data[f"conditions-{index}-type"] = condition.get("type", "url")
        data[f"conditions-{index}-operator"] = condition["operator"]
        data[f"conditions-{index}-value"] = condition["value"]
    data["conditions-TOTAL_FORMS"] = str(first + len(conditions))


def goal_fields(data: dict[str, str], *, enabled: bool = True, **fields: Any) -> None:
    data.update({key: str(value) for key, value in fields.items()})
    if enabled:
        data["enabled"] = "on"
    else:
        data.pop("enabled", None)  # an unticked box is not sent


def stored_conditions(goal: Goal) -> list[tuple[int, str, str]]:
    return list(goal.conditions.order_by("position").values_list("position", "operator", "value"))


def snapshot() -> tuple[list, list]:
    """Every goal and condition as stored: to show that a refused write changed nothing."""
    goals = list(
        Goal.objects.order_by("id").values_list(
            "id", "account_id", "name", "description", "enabled", "attribution_model",
            "attribution_period",
        )
    )  # fmt: skip
    conditions = list(
        Condition.objects.order_by("goal_id", "position").values_list(
            "id", "goal_id", "position", "type", "operator", "value"
        )
    )
    return goals, conditions


def assert_answered(response: Any, status: int = 200) -> None:
    """The answer has this status; a server error fails with the view's own traceback."""
    if response.status_code >= 500 and getattr(response, "exc_info", None):
        details = "".join(traceback.format_exception(*response.exc_info))
        pytest.fail(f"the admin answered {response.status_code}:\n{details}")
    assert response.status_code == status, response.content.decode()[:2000]


def page_messages(response: Any) -> list[tuple[str, str]]:
    """The messages the page shows, by level ("success", "error", ...)."""
    return [(DEFAULT_TAGS[message.level], str(message)) for message in response.context["messages"]]


def goal_form_errors(response: Any) -> dict[str, list[str]]:
    """The goal's own form errors, by field ("__all__" for the form as a whole)."""
    return {
        field: list(errors) for field, errors in response.context["adminform"].form.errors.items()
    }


def conditions_formset(response: Any) -> Any:
    (inline,) = response.context["inline_admin_formsets"]
    return inline.formset


def names(response: Any) -> list[str]:
    """The goals the changelist shows."""
    return sorted(goal.name for goal in response.context["cl"].result_list)


# --- The cast ---------------------------------------------------------------------------------


@pytest.fixture
def operator(db: None) -> User:
    return User.objects.create_superuser("olga@operators.example", PASSWORD)


@pytest.fixture
def admin_client(operator: User) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(operator)
    return client


@pytest.fixture
def five_active(acme: Account, alice: User, make_goal: Callable[..., Goal]) -> list[Goal]:
    return [make_goal(acme, name=f"Acme goal {n}") for n in range(1, 6)]


def post_goal_change(client: Client, goal: Goal, change: Callable[[dict[str, str]], None]) -> Any:
    """Open the goal's change form, change what it holds, and save it."""
    url = f"{GOALS}{goal.pk}/change/"
    page = client.get(url)
    assert_answered(page)
    data = goal_form_values(page)
    change(data)
    return client.post(url, data)


def add_goal(
    client: Client,
    account: Account,
    conditions: Sequence[dict[str, Any]] = (),
    *,
    enabled: bool = True,
    **fields: Any,
) -> Any:
    page = client.get(ADD_GOAL)
    assert_answered(page)
    data = goal_form_values(page)
    goal_fields(data, enabled=enabled, account=account.pk, **{"name": "Checkout", **fields})
    set_new_conditions(data, conditions)
    return client.post(ADD_GOAL, data)


def run_action(client: Client, action: str, goals: Sequence[Goal]) -> Any:
    data = {"action": action, "index": "0", "_selected_action": [str(goal.pk) for goal in goals]}
    return client.post(GOALS, data, follow=True)


# --- Who gets in, and the lists -------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/admin/accounts/account/", "/admin/accounts/user/", "/admin/goals/goal/"]
)
def test_operator_sees_the_accounts_users_and_goals_lists(
    admin_client: Client, url: str, alice: User, bob: User, make_goal: Callable[..., Goal]
) -> None:
    make_goal(alice.account, name="Cart", conditions=CART_CONDITIONS)
    make_goal(bob.account, name="Pricing")

    response = admin_client.get(url)

    assert_answered(response)
    assert response.context["cl"].result_count >= 2


@pytest.mark.parametrize(
    "url", ["/admin/", "/admin/goals/goal/", "/admin/accounts/account/", ADD_GOAL]
)
def test_administrator_who_is_not_an_operator_is_sent_to_the_admin_login(
    alice: User, url: str
) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(alice)

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/?next=")


def test_anonymous_visitor_is_sent_to_the_admin_login(db: None) -> None:
    response = Client(raise_request_exception=False).get(GOALS)

    assert response.status_code == 302
    assert response["Location"] == f"/admin/login/?next={GOALS}"


@pytest.fixture
def mixed_goals(
    acme: Account, bluebird: Account, alice: User, bob: User, make_goal: Callable[..., Goal]
) -> None:
    make_goal(acme, name="Acme cart", attribution_model="last_touch")
    make_goal(acme, name="Acme pricing", enabled=False)
    make_goal(bluebird, name="Bluebird cart", enabled=False, attribution_model="last_touch")
    make_goal(bluebird, name="Bluebird signup")


def test_goal_list_filters_by_account(
    admin_client: Client, mixed_goals: None, bluebird: Account
) -> None:
    response = admin_client.get(GOALS, {"account__id__exact": bluebird.pk})

    assert_answered(response)
    assert names(response) == ["Bluebird cart", "Bluebird signup"]


def test_goal_list_filters_by_enabled(admin_client: Client, mixed_goals: None) -> None:
    enabled = admin_client.get(GOALS, {"enabled__exact": "1"})
    disabled = admin_client.get(GOALS, {"enabled__exact": "0"})

    assert names(enabled) == ["Acme cart", "Bluebird signup"]
    assert names(disabled) == ["Acme pricing", "Bluebird cart"]


def test_goal_list_filters_by_attribution_model(admin_client: Client, mixed_goals: None) -> None:
    response = admin_client.get(GOALS, {"attribution_model__exact": "last_touch"})

    assert_answered(response)
    assert names(response) == ["Acme cart", "Bluebird cart"]


def test_goal_list_searches_by_name(admin_client: Client, mixed_goals: None) -> None:
    response = admin_client.get(GOALS, {"q": "cart"})

    assert_answered(response)
    assert names(response) == ["Acme cart", "Bluebird cart"]


# --- Adding and editing a goal with its inline conditions -----------------------------------


def test_operator_adds_a_goal_with_two_conditions(admin_client: Client, acme: Account) -> None:
    response = add_goal(
        admin_client,
        acme,
        CART_CONDITIONS,
        name="Cart",
        description="Reached the cart",
        attribution_model="last_touch",
        attribution_period=7,
    )

    assert_answered(response, 302)
    goal = Goal.objects.get()
    assert (goal.account, goal.name, goal.description) == (acme, "Cart", "Reached the cart")
    assert (goal.enabled, goal.attribution_model, goal.attribution_period) == (
        True,
        "last_touch",
        7,
    )
    assert stored_conditions(goal) == [
        (0, "equals", "http://cart.com/"),
        (1, "contains", "cart"),
    ]


def test_added_conditions_are_stored_in_the_order_of_their_positions(
    admin_client: Client, acme: Account
) -> None:
    rows = [
        {"position": 5, "operator": "contains", "value": "second"},
        {"position": 2, "operator": "contains", "value": "first"},
    ]

    response = add_goal(admin_client, acme, rows)

    assert_answered(response, 302)
    assert stored_conditions(Goal.objects.get()) == [
        (0, "contains", "first"),
        (1, "contains", "second"),
    ]


def test_the_change_form_shows_the_conditions_in_order(
    admin_client: Client, acme: Account, alice: User, make_goal: Callable[..., Goal]
) -> None:
    goal = make_goal(acme, name="Cart", conditions=CART_CONDITIONS)

    data = goal_form_values(admin_client.get(f"{GOALS}{goal.pk}/change/"))

    assert data["name"] == "Cart"
    assert data["conditions-INITIAL_FORMS"] == "2"
    shown = [(data[f"conditions-{i}-operator"], data[f"conditions-{i}-value"]) for i in (0, 1)]
    assert shown == [("equals", "http://cart.com/"), ("contains", "cart")]


def test_operator_renames_reorders_and_deletes_conditions_of_a_goal(
    admin_client: Client, acme: Account, alice: User, make_goal: Callable[..., Goal]
) -> None:
    goal = make_goal(
        acme,
        name="Cart",
        conditions=[
            {"operator": "contains", "value": "one"},
            {"operator": "contains", "value": "two"},
            {"operator": "equals", "value": "https://three.example/"},
        ],
    )

    def change(data: dict[str, str]) -> None:
        data["name"] = "Checkout"
        # "one" goes last, "two" is deleted, "three" comes first.
        data["conditions-0-position"] = "2"
        data["conditions-1-DELETE"] = "on"
        data["conditions-2-position"] = "0"

    response = post_goal_change(admin_client, goal, change)

    assert_answered(response, 302)
    goal.refresh_from_db()
    assert goal.name == "Checkout"
    assert stored_conditions(goal) == [
        (0, "equals", "https://three.example/"),
        (1, "contains", "one"),
    ]


def test_swapping_two_conditions_positions_keeps_both_in_the_new_order(
    admin_client: Client, acme: Account, alice: User, make_goal: Callable[..., Goal]
) -> None:
    goal = make_goal(acme, name="Cart", conditions=CART_CONDITIONS)

    def change(data: dict[str, str]) -> None:
        data["conditions-0-position"], data["conditions-1-position"] = "1", "0"

    response = post_goal_change(admin_client, goal, change)

    assert_answered(response, 302)
    assert stored_conditions(goal) == [(0, "contains", "cart"), (1, "equals", "http://cart.com/")]


def test_operator_adds_a_condition_to_a_stored_goal(
    admin_client: Client, acme: Account, alice: User, make_goal: Callable[..., Goal]
) -> None:
    goal = make_goal(acme, name="Cart", conditions=CART_CONDITIONS[:1])

    response = post_goal_change(
        admin_client,
        goal,
        lambda data: set_new_conditions(data, [{"operator": "contains", "value": "basket"}]),
    )

    assert_answered(response, 302)
    assert stored_conditions(goal) == [
        (0, "equals", "http://cart.com/"),
        (1, "contains", "basket"),
    ]


# --- Validation through the rules: form errors, never a 500, nothing saved -------------------


def test_equals_condition_without_a_scheme_is_refused_beside_its_row(
    admin_client: Client, acme: Account
) -> None:
    rows = [
        {"operator": "contains", "value": "cart"},
        {"operator": "equals", "value": "cart.com/checkout"},
    ]

    response = add_goal(admin_client, acme, rows)

    assert_answered(response)
    forms = conditions_formset(response).forms
    assert forms[1].errors == {"value": [EQUALS_NOT_A_URL]}
    assert forms[0].errors == {}
    assert escape(EQUALS_NOT_A_URL) in response.content.decode()
    assert Goal.objects.count() == 0
    assert Condition.objects.count() == 0


def test_equals_condition_without_a_scheme_is_refused_in_the_change_form(
    admin_client: Client, acme: Account, alice: User, make_goal: Callable[..., Goal]
) -> None:
    goal = make_goal(acme, name="Cart", conditions=CART_CONDITIONS)
    before = snapshot()

    def change(data: dict[str, str]) -> None:
        data["name"] = "Renamed"
        data["conditions-1-operator"] = "equals"  # its value, "cart", is no URL

    response = post_goal_change(admin_client, goal, change)

    assert_answered(response)
    assert conditions_formset(response).forms[1].errors == {"value": [EQUALS_NOT_A_URL]}
    assert snapshot() == before


def test_attribution_period_of_31_days_is_refused(admin_client: Client, acme: Account) -> None:
    response = add_goal(admin_client, acme, CART_CONDITIONS, attribution_period=31)

    assert_answered(response)
    assert goal_form_errors(response) == {
        "attribution_period": ["Ensure this value is between 1 and 30 days (it is 31)."]
    }
    assert snapshot() == ([], [])


def test_blank_name_is_refused(admin_client: Client, acme: Account) -> None:
    response = add_goal(admin_client, acme, CART_CONDITIONS, name="   ")

    assert_answered(response)
    assert list(goal_form_errors(response)) == ["name"]
    assert snapshot() == ([], [])


def test_twenty_one_conditions_are_refused(admin_client: Client, acme: Account) -> None:
    rows = [{"operator": "contains", "value": f"page-{n}"} for n in range(21)]

    response = add_goal(admin_client, acme, rows)

    assert_answered(response)
    assert conditions_formset(response).non_form_errors() == [
        "A goal may have at most 20 conditions (it has 21)."
    ]
    assert snapshot() == ([], [])


def test_two_new_conditions_at_the_same_position_are_refused(
    admin_client: Client, acme: Account
) -> None:
    rows = [
        {"position": 0, "operator": "contains", "value": "cart"},
        {"position": 0, "operator": "contains", "value": "basket"},
    ]

    response = add_goal(admin_client, acme, rows)

    assert_answered(response)
    assert "position" in " ".join(conditions_formset(response).non_form_errors())
    assert snapshot() == ([], [])


# --- The active-goal limit ------------------------------------------------------------------


def test_sixth_enabled_goal_is_refused(
    admin_client: Client, acme: Account, five_active: list[Goal]
) -> None:
    before = snapshot()

    response = add_goal(admin_client, acme, CART_CONDITIONS, name="Sixth")

    assert_answered(response)
    (error,) = goal_form_errors(response)["enabled"]
    assert LIMIT_TITLE in error
    assert snapshot() == before


def test_sixth_goal_can_be_added_disabled(
    admin_client: Client, acme: Account, five_active: list[Goal]
) -> None:
    response = add_goal(admin_client, acme, CART_CONDITIONS, name="Sixth", enabled=False)

    assert_answered(response, 302)
    sixth = Goal.objects.get(name="Sixth")
    assert sixth.enabled is False
    assert len(stored_conditions(sixth)) == 2


def test_enabling_a_disabled_goal_past_the_limit_in_its_change_form_is_refused(
    admin_client: Client, acme: Account, five_active: list[Goal], make_goal: Callable[..., Goal]
) -> None:
    sixth = make_goal(acme, name="Sixth", enabled=False, conditions=CART_CONDITIONS)
    before = snapshot()

    def change(data: dict[str, str]) -> None:
        data["name"] = "Sixth, renamed"
        data["enabled"] = "on"

    response = post_goal_change(admin_client, sixth, change)

    assert_answered(response)
    (error,) = goal_form_errors(response)["enabled"]
    assert LIMIT_TITLE in error
    assert snapshot() == before


def test_an_enabled_goal_at_the_limit_can_still_be_edited(
    admin_client: Client, five_active: list[Goal]
) -> None:
    goal = five_active[0]

    response = post_goal_change(admin_client, goal, lambda data: data.update(name="Renamed"))

    assert_answered(response, 302)
    goal.refresh_from_db()
    assert (goal.name, goal.enabled) == ("Renamed", True)


def test_the_limit_of_one_account_does_not_refuse_a_goal_of_another(
    admin_client: Client, bluebird: Account, five_active: list[Goal]
) -> None:
    response = add_goal(admin_client, bluebird, CART_CONDITIONS, name="Bluebird cart")

    assert_answered(response, 302)
    assert Goal.objects.get(name="Bluebird cart").enabled is True


def test_sixth_goal_that_lost_the_race_for_the_last_place_is_refused_with_a_message(
    admin_client: Client,
    acme: Account,
    five_active: list[Goal],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The form checked while there was room; the last place went to another writer before the
    # save, which the rules refuse under the account's lock.
    check = rules.goal_check
    monkeypatch.setattr(rules, "goal_check", lambda **given: check(**{**given, "enabled": False}))
    before = snapshot()

    response = add_goal(admin_client, acme, CART_CONDITIONS, name="Sixth")

    assert_answered(response, 302)
    assert snapshot() == before
    shown = page_messages(admin_client.get(response["Location"]))
    [(level, text)] = shown
    assert level == "error"
    assert text.startswith(f"Nothing was saved. {LIMIT_TITLE}.")


# --- The actions ----------------------------------------------------------------------------


def test_disable_selected_disables_the_selected_goals(
    admin_client: Client, five_active: list[Goal]
) -> None:
    response = run_action(admin_client, "disable_selected", five_active[:2])

    assert_answered(response)
    assert list(Goal.objects.filter(enabled=True).values_list("name", flat=True)) == [
        "Acme goal 3",
        "Acme goal 4",
        "Acme goal 5",
    ]
    assert page_messages(response) == [
        ("success", "Disabled: “Acme goal 1” (Acme), “Acme goal 2” (Acme).")
    ]


def test_enable_selected_says_which_goals_were_on_already_and_records_no_change_for_them(
    admin_client: Client, acme: Account, alice: User, make_goal: Callable[..., Goal]
) -> None:
    on = [make_goal(acme, name=f"On {n}") for n in (1, 2)]
    off = make_goal(acme, name="Off", enabled=False)

    response = run_action(admin_client, "enable_selected", [*on, off])

    assert_answered(response)
    assert page_messages(response) == [
        ("success", "Enabled: “Off” (Acme)."),
        ("info", "Left as they were, enabled already: “On 1” (Acme), “On 2” (Acme)."),
    ]
    assert [goal.history.count() for goal in on] == [1, 1]


def test_enable_selected_enables_up_to_the_limit_and_reports_the_rest(
    admin_client: Client, acme: Account, alice: User, make_goal: Callable[..., Goal]
) -> None:
    [make_goal(acme, name=f"Active {n}") for n in range(1, 5)]
    disabled = [make_goal(acme, name=f"Disabled {n}", enabled=False) for n in range(1, 4)]

    response = run_action(admin_client, "enable_selected", disabled)

    assert_answered(response)
    assert Goal.objects.filter(account=acme, enabled=True).count() == 5
    assert list(Goal.objects.filter(enabled=False).values_list("name", flat=True)) == [
        "Disabled 2",
        "Disabled 3",
    ]
    shown = page_messages(response)
    assert ("success", "Enabled: “Disabled 1” (Acme).") in shown
    refusals = [text for level, text in shown if level == "error"]
    assert len(refusals) == 1
    assert refusals == [
        f"{LIMIT_TITLE} in Acme, which may have 5 active goals at once, so these stay disabled: "
        "“Disabled 2”, “Disabled 3”. Disable others first, or raise the account's limit."
    ]


def test_enable_selected_with_no_room_left_enables_nothing(
    admin_client: Client, acme: Account, five_active: list[Goal], make_goal: Callable[..., Goal]
) -> None:
    sixth = make_goal(acme, name="Sixth", enabled=False)

    response = run_action(admin_client, "enable_selected", [sixth])

    assert_answered(response)
    sixth.refresh_from_db()
    assert sixth.enabled is False
    [(level, text)] = page_messages(response)
    assert level == "error"
    assert LIMIT_TITLE in text


def test_enable_selected_past_the_limit_says_so_once_naming_ten_goals_and_counting_the_rest(
    admin_client: Client, acme: Account, five_active: list[Goal], make_goal: Callable[..., Goal]
) -> None:
    off = [make_goal(acme, name=f"Off {n}", enabled=False) for n in range(1, 13)]

    response = run_action(admin_client, "enable_selected", off)

    assert_answered(response)
    [(level, text)] = page_messages(response)
    assert level == "error"
    named = ", ".join(f"“Off {n}”" for n in range(1, 11))
    assert f"so these stay disabled: {named} and 2 more. " in text


def test_enable_selected_counts_each_goal_against_its_own_accounts_limit(
    admin_client: Client,
    acme: Account,
    bluebird: Account,
    bob: User,
    five_active: list[Goal],
    make_goal: Callable[..., Goal],
) -> None:
    five_active[0].delete()  # Acme has room for one more
    acme_disabled = [make_goal(acme, name=f"Acme off {n}", enabled=False) for n in (1, 2)]
    bluebird_disabled = [
        make_goal(bluebird, name=f"Bluebird off {n}", enabled=False) for n in (1, 2)
    ]

    response = run_action(admin_client, "enable_selected", acme_disabled + bluebird_disabled)

    assert_answered(response)
    assert Goal.objects.filter(account=acme, enabled=True).count() == 5
    assert Goal.objects.get(name="Acme off 1").enabled is True
    assert Goal.objects.get(name="Acme off 2").enabled is False
    assert Goal.objects.filter(account=bluebird, enabled=True).count() == 2
    shown = page_messages(response)
    assert (
        "success",
        "Enabled: “Acme off 1” (Acme), “Bluebird off 1” (Bluebird), “Bluebird off 2” (Bluebird).",
    ) in shown
    refusals = [text for level, text in shown if level == "error"]
    assert len(refusals) == 1
    assert LIMIT_TITLE in refusals[0]
    assert "Acme off 2" in refusals[0]


# --- Accounts -------------------------------------------------------------------------------


def account_url(account: Account) -> str:
    return f"/admin/accounts/account/{account.pk}/change/"


def set_limit(client: Client, account: Account, limit: int) -> Any:
    page = client.get(account_url(account))
    assert_answered(page)
    data = form_values(page, "account_form")
    data["active_goal_limit"] = str(limit)
    return client.post(account_url(account), data)


def test_account_change_page_shows_its_limit_and_lists_its_users(
    admin_client: Client, acme: Account, alice: User, arthur: User, bob: User
) -> None:
    response = admin_client.get(account_url(acme))

    assert_answered(response)
    data = form_values(response, "account_form")
    assert (data["name"], data["active_goal_limit"]) == ("Acme", "5")
    html = response.content.decode()
    assert "alice@acme.example" in html
    assert "arthur@acme.example" in html
    assert "bob@bluebird.example" not in html


def test_lowering_an_accounts_limit_refuses_goals_past_it(
    admin_client: Client, acme: Account, alice: User, make_goal: Callable[..., Goal]
) -> None:
    make_goal(acme, name="First")
    make_goal(acme, name="Second")

    assert_answered(set_limit(admin_client, acme, 2), 302)

    acme.refresh_from_db()
    assert acme.active_goal_limit == 2
    response = add_goal(admin_client, acme, name="Third")
    assert_answered(response)
    (error,) = goal_form_errors(response)["enabled"]
    assert LIMIT_TITLE in error
    assert "2 active goals" in error
    assert not Goal.objects.filter(name="Third").exists()


def test_raising_an_accounts_limit_lets_a_sixth_goal_be_enabled(
    admin_client: Client, acme: Account, five_active: list[Goal], make_goal: Callable[..., Goal]
) -> None:
    sixth = make_goal(acme, name="Sixth", enabled=False)

    assert_answered(set_limit(admin_client, acme, 6), 302)

    response = post_goal_change(admin_client, sixth, lambda data: data.update(enabled="on"))
    assert_answered(response, 302)
    sixth.refresh_from_db()
    assert sixth.enabled is True


def test_raising_an_accounts_limit_lets_the_enable_action_go_further(
    admin_client: Client, acme: Account, five_active: list[Goal], make_goal: Callable[..., Goal]
) -> None:
    sixth = make_goal(acme, name="Sixth", enabled=False)
    assert_answered(set_limit(admin_client, acme, 6), 302)

    response = run_action(admin_client, "enable_selected", [sixth])

    assert_answered(response)
    assert ("success", "Enabled: “Sixth” (Acme).") in page_messages(response)
    assert Goal.objects.filter(account=acme, enabled=True).count() == 6


# --- Users ----------------------------------------------------------------------------------

NEW_PASSWORD = "violet-lantern-harbour-91"


def add_user(client: Client, **fields: str) -> Any:
    page = client.get(ADD_USER)
    assert_answered(page)
    data = form_values(page, "user_form")
    data.update(password1=NEW_PASSWORD, password2=NEW_PASSWORD, **fields)
    return client.post(ADD_USER, data)


def test_operator_adds_a_user_who_can_then_sign_in(admin_client: Client, acme: Account) -> None:
    response = add_user(
        admin_client, email="amelia@acme.example", account=str(acme.pk), role="administrator"
    )

    assert_answered(response, 302)
    user = User.objects.get(email="amelia@acme.example")
    assert (user.account, user.role, user.is_staff) == (acme, "administrator", False)
    sign_in = RequestFactory().post("/accounts/login/")
    assert authenticate(sign_in, email="amelia@acme.example", password=NEW_PASSWORD) == user
    assert user.is_administrator


def test_email_differing_only_in_case_from_an_existing_one_is_refused(
    admin_client: Client, acme: Account, alice: User
) -> None:
    response = add_user(
        admin_client, email="Alice@ACME.example", account=str(acme.pk), role="agent"
    )

    assert_answered(response)
    errors = response.context["adminform"].form.errors
    shown = [message for messages_of_field in errors.values() for message in messages_of_field]
    assert "A user with this email address already exists." in shown
    assert list(User.objects.values_list("email", flat=True)) == [
        "alice@acme.example",
        "olga@operators.example",
    ]


def test_adding_a_member_without_an_account_is_refused_with_a_form_error(
    admin_client: Client, acme: Account
) -> None:
    # Only operators may be without an account, and the add form makes no operators.
    response = add_user(admin_client, email="nobody@acme.example", account="", role="agent")

    assert_answered(response)
    assert response.context["adminform"].form.errors
    assert not User.objects.filter(email="nobody@acme.example").exists()
