"""The goal form and the goals page at the active-goal limit, and how the goal form marks what it
requires, read as a browser without JavaScript (or with htmx) reads them.

Cast (tests/conftest.py): Alice administers Acme, where Arthur is an agent; Bob administers
Bluebird. Acme may have 5 active goals.
"""

from typing import Any

import pytest

from goals.models import Goal
from tests.helpers.pages import (
    Element,
    alerts,
    error_beside,
    goal_form,
    main_text,
    parse,
    row,
    submitted_values,
)

LIMIT_TITLE = "Goals limit exceeded"
HTMX = {"HX-Request": "true"}


@pytest.fixture
def five_active(acme, alice, make_goal) -> list[Goal]:
    return [make_goal(acme, name=f"Goal {n}") for n in range(1, 6)]


@pytest.fixture
def spare(acme, make_goal, five_active) -> Goal:
    """A sixth goal, off, while five are on."""
    return make_goal(acme, name="Spare", enabled=False)


def limit_note(response: Any) -> Element | None:
    found = [e for e in parse(response).iter() if e.attrs.get("id") == "enabled-limit-note"]
    return found[0] if found else None


def enabled_box(response: Any) -> Element:
    return parse(response).by_id("id_enabled")


def times_said(response: Any, text: str) -> int:
    """How many times the page (or the htmx answer) says this text."""
    return parse(response).text.count(text)


# --- The new goal form at the limit ---------------------------------------------------------


def test_new_goal_form_at_the_limit_starts_off_and_says_the_account_is_at_its_limit(
    alice_client, five_active
):
    response = alice_client.get("/goals/new/")

    assert "enabled" not in submitted_values(response)
    note = limit_note(response)
    assert note is not None
    assert note.text == (
        "Your account already has 5 active goals, the most it may have, so this goal will be "
        "saved off. To switch it on, first switch off or delete one of your active goals on "
        "the goals page."
    )
    assert "enabled-limit-note" in enabled_box(response).attrs["aria-describedby"].split()


def test_new_goal_form_below_the_limit_starts_on_and_says_nothing_of_a_limit(
    alice_client, acme, make_goal
):
    for n in range(4):
        make_goal(acme, name=f"Goal {n}")

    response = alice_client.get("/goals/new/")

    assert submitted_values(response)["enabled"] == "on"
    assert limit_note(response) is None
    assert enabled_box(response).attrs["aria-describedby"] == "id_enabled_helptext"


def test_new_goal_filled_in_at_the_limit_is_created_off_without_a_refusal(
    alice_client, five_active
):
    values = submitted_values(alice_client.get("/goals/new/"))
    values.update({"name": "Sixth", "conditions-0-value": "pricing"})

    response = alice_client.post("/goals/new/", values, follow=True)

    assert response.redirect_chain[-1][1] == 302
    assert LIMIT_TITLE not in main_text(response)
    sixth = Goal.objects.get(name="Sixth")
    assert sixth.enabled is False
    assert list(sixth.conditions.values_list("value", flat=True)) == ["pricing"]


def test_limit_note_counts_the_accounts_own_limit(alice_client, acme, make_goal):
    acme.active_goal_limit = 1
    acme.save()
    make_goal(acme, name="Only one")

    note = limit_note(alice_client.get("/goals/new/"))

    assert note is not None
    assert note.text.startswith("Your account already has 1 active goal, the most it may have")


def test_limit_note_of_an_account_that_may_have_no_active_goals_asks_nothing_to_be_disabled(
    alice_client, acme
):
    acme.active_goal_limit = 0
    acme.save()

    note = limit_note(alice_client.get("/goals/new/"))

    assert note is not None
    assert " ".join(note.text.split()) == (
        "Your account may have no active goals, so this goal will be saved off. An operator can "
        "raise the account's limit."
    )


def test_ticking_enabled_anyway_at_the_limit_is_refused_and_the_note_stays(
    alice_client, five_active
):
    response = alice_client.post("/goals/new/", goal_form([row("contains", "sixth")]))

    assert response.status_code == 200
    assert any(LIMIT_TITLE in alert for alert in alerts(parse(response)))
    assert limit_note(response) is not None
    assert not Goal.objects.filter(name="Checkout").exists()


def test_edit_form_of_a_goal_that_is_off_at_the_limit_says_so(alice_client, spare):
    response = alice_client.get(f"/goals/{spare.pk}/edit/")

    assert "enabled" not in submitted_values(response)
    assert limit_note(response) is not None


def test_edit_form_of_a_goal_that_is_on_at_the_limit_says_nothing_of_it(alice_client, five_active):
    response = alice_client.get(f"/goals/{five_active[0].pk}/edit/")

    assert submitted_values(response)["enabled"] == "on"
    assert limit_note(response) is None


# --- The meter ------------------------------------------------------------------------------


def meter_state(response: Any) -> tuple[list[str], str | None, str | None]:
    """The meter's classes, the words beside it, and what describes the bar."""
    root = parse(response)
    meter = root.by_id("active-meter")
    state = [e for e in meter.iter() if e.attrs.get("id") == "active-meter-state"]
    bar = root.by_id("active-meter-bar")
    return (
        meter.attrs["class"].split(),
        state[0].text if state else None,
        bar.attrs.get("aria-describedby"),
    )


def test_full_meter_is_coloured_and_says_the_limit_is_reached_in_words(alice_client, five_active):
    classes, words, described_by = meter_state(alice_client.get("/goals/"))

    assert "active-meter-full" in classes
    assert words == "Limit reached"
    assert described_by == "active-meter-state"


def test_meter_with_room_left_is_plain(alice_client, acme, make_goal):
    make_goal(acme, name="One")

    classes, words, described_by = meter_state(alice_client.get("/goals/"))

    assert "active-meter-full" not in classes
    assert (words, described_by) == (None, None)


def test_meter_past_a_lowered_limit_says_the_account_is_over_it(alice_client, acme, five_active):
    acme.active_goal_limit = 3
    acme.save()

    classes, words, _ = meter_state(alice_client.get("/goals/"))

    assert "active-meter-full" in classes
    assert words == "Over the limit"


def test_switching_on_the_last_free_place_with_htmx_fills_the_meter(alice_client, five_active):
    last = five_active[-1]
    alice_client.post(f"/goals/{last.pk}/toggle/", {"enabled": "0"}, headers=HTMX)

    response = alice_client.post(f"/goals/{last.pk}/toggle/", {"enabled": "1"}, headers=HTMX)

    classes, words, _ = meter_state(response)
    assert "active-meter-full" in classes
    assert words == "Limit reached"


# --- A switch refused at the limit: said once, beside the switch ----------------------------


def test_switch_refused_without_javascript_says_why_once_beside_the_switch(alice_client, spare):
    response = alice_client.post(f"/goals/{spare.pk}/toggle/", {"enabled": "1"}, follow=True)

    assert response.redirect_chain == [(f"/goals/#goal-{spare.pk}", 302)]
    assert times_said(response, LIMIT_TITLE) == 1
    root = parse(response)
    switch = root.by_id(f"switch-{spare.pk}")
    assert alerts(switch) == [
        "“Spare” stays off. Goals limit exceeded. The account already has 5 active goals, the "
        "most it may have: disable or delete one of them first, or keep this goal disabled."
    ]
    assert switch.find_all("button")[0].attrs["aria-checked"] == "false"
    assert root.by_id("messages").text == ""
    spare.refresh_from_db()
    assert spare.enabled is False


def test_switch_refusal_is_not_said_again_on_the_next_visit(alice_client, spare):
    alice_client.post(f"/goals/{spare.pk}/toggle/", {"enabled": "1"}, follow=True)

    assert times_said(alice_client.get("/goals/"), LIMIT_TITLE) == 0


def test_switch_refused_with_htmx_says_why_once_beside_the_switch(alice_client, spare):
    response = alice_client.post(f"/goals/{spare.pk}/toggle/", {"enabled": "1"}, headers=HTMX)

    assert times_said(response, LIMIT_TITLE) == 1
    root = parse(response)
    assert alerts(root.by_id(f"switch-{spare.pk}")) == [
        "“Spare” stays off. Goals limit exceeded. The account already has 5 active goals, the "
        "most it may have: disable or delete one of them first, or keep this goal disabled."
    ]
    messages = root.by_id("messages")
    assert (messages.attrs.get("hx-swap-oob"), messages.text) == ("true", "")


def test_switch_refusal_read_on_a_page_without_the_goal_is_said_once_above(alice_client, spare):
    # Another tab asked for another page first: the refusal is said there, with the goal's name.
    alice_client.post(f"/goals/{spare.pk}/toggle/", {"enabled": "1"})

    response = alice_client.get("/goals/new/")

    assert times_said(response, LIMIT_TITLE) == 1
    assert parse(response).by_id("messages").text.startswith("“Spare” stays off. Goals limit")


def test_switch_refusal_beside_a_goal_on_a_later_page_is_said_on_that_page(
    alice_client, spare, monkeypatch
):
    monkeypatch.setattr("goals.dashboard.views.GOALS_PER_PAGE", 4)

    response = alice_client.post(f"/goals/{spare.pk}/toggle/", {"enabled": "1"}, follow=True)

    assert response.redirect_chain == [(f"/goals/?page=2#goal-{spare.pk}", 302)]
    assert times_said(response, LIMIT_TITLE) == 1
    assert alerts(parse(response).by_id(f"switch-{spare.pk}"))


def test_switch_that_succeeds_is_still_said_in_the_banner(alice_client, five_active):
    goal = five_active[0]

    response = alice_client.post(f"/goals/{goal.pk}/toggle/", {"enabled": "0"}, follow=True)

    assert response.redirect_chain == [("/goals/", 302)]
    assert parse(response).by_id("messages").text == "The goal “Goal 1” is now off."
    assert alerts(parse(response).by_id(f"switch-{goal.pk}")) == []


# --- Required fields: one marker, explained -------------------------------------------------

# The page marks with an asterisk the label of every control that says it is required (the
# `required` attribute, or aria-required in the condition rows), as assistive technology reads
# it: static/css/app.css. Which controls say so is what these tests read.
REQUIRED = ["Name", "Credit the conversion to", "Attribution period (days)"]
REQUIRED_IN_A_CONDITION = ["The URL", "Text or URL"]


def says_required(control: Element) -> bool:
    return "required" in control.attrs or control.attrs.get("aria-required") == "true"


def required_labels(root: Element) -> list[str]:
    """The labels (for a radio group, its legend) of the controls that say they are required,
    in the page's order, each once, without crispy-forms' own (hidden) asterisk."""
    labels = {label.attrs.get("for"): label for label in root.find_all("label")}
    found: list[str] = []
    for control in root.find_all("input", "select", "textarea"):
        if not says_required(control) or control.inside("template"):
            continue
        if control.attrs.get("type") == "radio":
            fieldset = control.parent
            while fieldset.tag != "fieldset":
                fieldset = fieldset.parent
            text = fieldset.find_all("legend")[0].text
        else:
            text = labels[control.attrs["id"]].text
        text = text.removesuffix("*")
        if not found or found[-1] != text:
            found.append(text)
    return found


def test_every_required_field_of_the_goal_form_says_so_and_nothing_else_does(alice_client):
    root = parse(alice_client.get("/goals/new/"))

    assert required_labels(root.by_id("goal-form")) == [
        *REQUIRED,
        *REQUIRED_IN_A_CONDITION,
        *REQUIRED_IN_A_CONDITION,
    ]
    optional = ["id_description", "id_enabled", "id_conditions-0-ORDER", "id_conditions-0-DELETE"]
    assert not [name for name in optional if says_required(root.by_id(name))]


def test_the_required_marker_is_explained_at_the_top_of_the_form(alice_client):
    root = parse(alice_client.get("/goals/new/"))

    assert root.by_id("required-note").text == (
        "Fields marked with an asterisk (*) are required. A condition needs both of its fields; "
        "a condition left blank is skipped."
    )


def test_rows_of_a_stored_goal_say_their_fields_are_required_too(alice_client, cart_goal):
    root = parse(alice_client.get(f"/goals/{cart_goal.pk}/edit/"))

    assert required_labels(root.by_id("goal-form")) == [
        *REQUIRED,
        *REQUIRED_IN_A_CONDITION * 4,  # two stored conditions, two spare rows
    ]


def test_blank_name_is_still_refused_in_the_rules_words(alice_client):
    response = alice_client.post("/goals/new/", goal_form([row("contains", "cart")], name=""))

    assert response.status_code == 200
    assert error_beside(response, "id_name") == "This field may not be blank."
    assert not Goal.objects.exists()


def test_touched_condition_with_a_blank_value_is_refused_in_the_rules_words(alice_client):
    response = alice_client.post(
        "/goals/new/", goal_form([row("equals", ""), row("contains", "cart")])
    )

    assert error_beside(response, "id_conditions-0-value") == "This field may not be blank."
    assert not Goal.objects.exists()


def test_blank_spare_conditions_are_still_skipped(alice_client):
    response = alice_client.post("/goals/new/", goal_form([row("contains", "cart"), row()]))

    assert response.status_code == 302
    assert list(Goal.objects.get().conditions.values_list("value", flat=True)) == ["cart"]
