"""The goal form and the goals page at the active-goal limit, and the condition rows' move
buttons, in a real browser (Chromium), at desktop width and at 390 px.

Cast (tests/conftest.py): Alice administers Acme, which may have 5 active goals.
"""

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from accounts.models import Account, User
from goals.models import Goal
from tests.helpers.browser import DESKTOP, PHONE, expect_no_horizontal_scroll, sign_in

# The live server's threads see the test's writes only outside a transaction.
pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = pytest.mark.parametrize(
    "browser_context_options", [DESKTOP, PHONE], ids=["desktop", "phone"]
)
LIMIT_ERROR = "Goals limit exceeded"
CART = {"type": "url", "operator": "contains", "value": "cart"}
BASKET = {"type": "url", "operator": "contains", "value": "basket"}
CHECKOUT = {"type": "url", "operator": "equals", "value": "https://shop.example/checkout"}


def width_name(page: Page) -> str:
    return "phone" if page.viewport_size["width"] < 576 else "desktop"


def shoot(page: Page, artifacts: Path, name: str) -> None:
    page.screenshot(path=artifacts / f"{name}-{width_name(page)}.png", full_page=True)


def condition_rows(page: Page) -> Locator:
    """The condition rows on screen (each a fieldset named "Condition"), in their order."""
    return page.get_by_role("group", name="Condition", exact=True)


def goal_card(page: Page, name: str) -> Locator:
    return (
        page.get_by_role("list", name="Goals")
        .get_by_role("listitem")
        .filter(has=page.get_by_role("heading", name=name, exact=True))
    )


def move(row: Locator, direction: str) -> Locator:
    return row.get_by_role("button", name=f"Move {direction}")


def expect_moves(rows: Locator, *enabled: tuple[bool, bool]) -> None:
    """Each row's (Move up, Move down) enabled or not, in the rows' order on screen."""
    expect(rows).to_have_count(len(enabled))
    for index, (up, down) in enumerate(enabled):
        for direction, can in (("up", up), ("down", down)):
            button = move(rows.nth(index), direction)
            if can:
                expect(button).to_be_enabled()
            else:
                expect(button).to_be_disabled()


def after(element: Locator) -> str:
    """What the page's style sheet shows after the element (its ::after content)."""
    return element.evaluate("e => getComputedStyle(e, '::after').content")


def values(rows: Locator) -> list[str]:
    return [rows.nth(i).get_by_label("Text or URL").input_value() for i in range(rows.count())]


@pytest.fixture
def five_active(acme: Account, alice: User, make_goal: Callable[..., Goal]) -> list[Goal]:
    return [make_goal(acme, name=f"Goal {n}") for n in range(1, 6)]


# --- Item: at the limit -----------------------------------------------------------------------


@WIDTHS
def test_at_the_limit_the_meter_says_so_and_a_new_goal_starts_off(
    page: Page, alice: User, five_active: list[Goal], artifacts: Path
) -> None:
    sign_in(page, alice)
    meter = page.get_by_role("meter", name="5 of 5 active")
    expect(meter).to_have_accessible_description("Limit reached")
    expect(page.get_by_text("Limit reached", exact=True)).to_be_visible()
    # Coloured in the warning's dark shade (the bar's fill, which no script can read, is looked
    # at in the screenshot), besides the words.
    dark_warning = page.evaluate(
        "getComputedStyle(document.body).getPropertyValue('--bs-warning-text-emphasis')"
    )
    shade = page.evaluate(
        "c => { const e = document.createElement('i'); e.style.color = c; document.body.append(e);"
        " const rgb = getComputedStyle(e).color; e.remove(); return rgb; }",
        dark_warning.strip(),
    )
    label = page.locator("label[for='active-meter-bar']")
    assert label.evaluate("l => getComputedStyle(l).color") == shade
    assert meter.evaluate("m => getComputedStyle(m).borderTopColor") == shade
    expect_no_horizontal_scroll(page)
    shoot(page, artifacts, "goals-page-full-meter")

    page.get_by_role("link", name="New goal").click()

    enabled = page.get_by_label("Enabled")
    expect(enabled).not_to_be_checked()
    expect(enabled).to_have_accessible_description(
        re.compile(r"^Your account already has 5 active goals, the most it may have")
    )
    note = page.locator("#enabled-limit-note")
    expect(note).to_be_visible()
    expect(note).to_contain_text("switch off or delete one of your active goals")
    expect_no_horizontal_scroll(page)
    shoot(page, artifacts, "goal-form-at-the-limit")
    note.screenshot(path=artifacts / f"goal-form-limit-note-{width_name(page)}.png")

    page.get_by_label("Name", exact=True).fill("Newsletter")
    condition_rows(page).first.get_by_label("Text or URL").fill("newsletter")
    page.get_by_role("button", name="Create goal").click()

    expect(page.get_by_role("status")).to_have_text("The goal “Newsletter” was created.")
    expect(goal_card(page, "Newsletter").get_by_role("switch")).to_have_attribute(
        "aria-checked", "false"
    )
    assert Goal.objects.get(name="Newsletter").enabled is False


@WIDTHS
def test_switch_at_the_limit_says_why_once_beside_the_switch(
    page: Page,
    alice: User,
    acme: Account,
    make_goal: Callable[..., Goal],
    five_active: list[Goal],
    artifacts: Path,
) -> None:
    make_goal(acme, name="Newsletter", enabled=False)
    sign_in(page, alice)
    card = goal_card(page, "Newsletter")

    card.get_by_role("switch").click()

    alert = card.get_by_role("alert")
    expect(alert).to_contain_text(LIMIT_ERROR)
    expect(page.get_by_text(LIMIT_ERROR)).to_have_count(1)
    expect(alert).to_have_text(re.compile(r"^“Newsletter” stays off\. Goals limit exceeded\."))
    expect(page.locator("#messages")).to_have_text("")
    expect(card.get_by_role("switch")).to_have_attribute("aria-checked", "false")
    expect_no_horizontal_scroll(page)
    alert.scroll_into_view_if_needed()
    shoot(page, artifacts, "switch-refused")
    card.screenshot(path=artifacts / f"switch-refused-card-{width_name(page)}.png")


@pytest.mark.parametrize(
    "browser_context_options",
    [{**DESKTOP, "java_script_enabled": False}, {**PHONE, "java_script_enabled": False}],
    ids=["desktop", "phone"],
)
def test_switch_at_the_limit_without_javascript_says_why_once_beside_the_switch(
    page: Page,
    alice: User,
    acme: Account,
    make_goal: Callable[..., Goal],
    five_active: list[Goal],
    artifacts: Path,
) -> None:
    newsletter = make_goal(acme, name="Newsletter", enabled=False)
    sign_in(page, alice)

    goal_card(page, "Newsletter").get_by_role("switch").click()

    page.wait_for_load_state()
    card = goal_card(page, "Newsletter")
    expect(card.get_by_role("alert")).to_contain_text(LIMIT_ERROR)
    expect(page.get_by_text(LIMIT_ERROR)).to_have_count(1)
    expect(page.locator("#messages")).to_have_text("")
    # Sent to the goal's card, which shows the refusal however far down the page it is.
    assert page.url.endswith(f"/goals/#goal-{newsletter.pk}"), page.url
    expect(card).to_be_in_viewport()
    shoot(page, artifacts, "switch-refused-without-javascript")


# --- Item: move buttons and required markers ------------------------------------------------


@WIDTHS
def test_move_buttons_are_disabled_where_they_would_do_nothing(
    page: Page, alice: User, artifacts: Path
) -> None:
    sign_in(page, alice)
    page.goto("/goals/new/")
    rows = condition_rows(page)
    add = page.get_by_role("button", name="Add a condition")

    expect_moves(rows, (False, False))
    rows.first.get_by_label("Text or URL").fill("cart")
    add.click()
    rows.last.get_by_label("Text or URL").fill("basket")
    expect_moves(rows, (False, True), (True, False))
    add.click()
    rows.last.get_by_label("Text or URL").fill("checkout")
    expect_moves(rows, (False, True), (True, True), (True, False))
    # A disabled button is announced as such: found by role as a disabled button.
    expect(rows.first.get_by_role("button", name="Move up", disabled=True)).to_have_count(1)
    expect_no_horizontal_scroll(page)
    shoot(page, artifacts, "condition-rows-move-buttons")
    page.locator("#condition-rows").screenshot(
        path=artifacts / f"condition-rows-close-up-{width_name(page)}.png"
    )

    move(rows.nth(1), "up").click()
    assert values(rows) == ["basket", "cart", "checkout"]
    expect_moves(rows, (False, True), (True, True), (True, False))
    # Its Move up went dead under the focus, which passes to the row's Move down.
    expect(move(rows.first, "down")).to_be_focused()

    move(rows.nth(1), "down").click()
    assert values(rows) == ["basket", "checkout", "cart"]
    expect_moves(rows, (False, True), (True, True), (True, False))
    expect(move(rows.last, "up")).to_be_focused()

    rows.last.get_by_role("button", name="Remove").click()
    assert values(rows) == ["basket", "checkout"]
    expect_moves(rows, (False, True), (True, False))

    rows.first.get_by_role("button", name="Remove").click()
    assert values(rows) == ["checkout"]
    expect_moves(rows, (False, False))

    page.get_by_label("Name", exact=True).fill("Checkout")
    page.get_by_role("button", name="Create goal").click()
    expect(page.get_by_role("status")).to_have_text("The goal “Checkout” was created.")
    goal = Goal.objects.get()
    assert list(goal.conditions.values_list("value", flat=True)) == ["checkout"]


def test_move_buttons_of_a_stored_goal_start_right_and_follow_the_moves(
    page: Page, alice: User, acme: Account, make_goal: Callable[..., Goal]
) -> None:
    goal = make_goal(acme, name="Shopping", conditions=[CART, BASKET, CHECKOUT])
    sign_in(page, alice)
    page.goto(f"/goals/{goal.pk}/edit/")
    rows = condition_rows(page)

    expect_moves(rows, (False, True), (True, True), (True, False))
    move(rows.last, "up").click()
    move(rows.nth(1), "up").click()
    assert values(rows) == [CHECKOUT["value"], "cart", "basket"]
    expect_moves(rows, (False, True), (True, True), (True, False))
    page.get_by_role("button", name="Add a condition").click()
    expect_moves(rows, (False, True), (True, True), (True, True), (True, False))

    page.get_by_role("button", name="Save changes").click()

    expect(page.get_by_role("status")).to_have_text("The goal “Shopping” was saved.")
    assert list(goal.conditions.order_by("position").values_list("value", flat=True)) == [
        CHECKOUT["value"],
        "cart",
        "basket",
    ]


@WIDTHS
def test_required_fields_wear_one_marker_that_the_form_explains(
    page: Page, alice: User, artifacts: Path
) -> None:
    sign_in(page, alice)
    page.goto("/goals/new/")

    expect(page.get_by_text("Fields marked with an asterisk (*) are required.")).to_be_visible()
    row = condition_rows(page).first
    required = {
        "Name": page.get_by_role("textbox", name="Name", exact=True),
        "Attribution period (days)": page.get_by_role(
            "spinbutton", name="Attribution period (days)", exact=True
        ),
        "The URL": row.get_by_role("combobox", name="The URL", exact=True),
        "Text or URL": row.get_by_role("textbox", name="Text or URL", exact=True),
    }
    for name, field in required.items():
        # Found by its label's words alone: "required" is said by the field, not by the marker.
        expect(field).to_have_count(1)
        assert field.evaluate("f => f.required || f.ariaRequired === 'true'"), name
        label = page.locator(f"label[for='{field.get_attribute('id')}']")
        assert "*" in after(label), name
    legend = page.locator("legend", has_text="Credit the conversion to")
    assert "*" in after(legend)
    for optional in ("Description", "Enabled"):
        control_id = page.get_by_label(optional, exact=True).get_attribute("id")
        assert after(page.locator(f"label[for='{control_id}']")) == "none", optional
    # crispy-forms' own asterisk shows nowhere: one marker, the same for every field.
    expect(page.locator(".asteriskField").filter(visible=True)).to_have_count(0)
    page.get_by_label("Name", exact=True).scroll_into_view_if_needed()
    shoot(page, artifacts, "goal-form-required-markers")


def test_a_removed_row_never_comes_back_and_every_row_shown_is_saved(
    page: Page, alice: User
) -> None:
    sign_in(page, alice)
    page.goto("/goals/new/")
    rows = condition_rows(page)
    add = page.get_by_role("button", name="Add a condition")
    rows.first.get_by_label("Text or URL").fill("/first")

    rows.first.get_by_role("button", name="Remove").click()
    add.click()

    assert values(rows) == [""], "Add a condition brought the removed row back"
    rows.first.get_by_label("Text or URL").fill("https://shop.example/kept")
    add.click()
    rows.last.get_by_label("Text or URL").fill("/second")
    page.get_by_label("Name", exact=True).fill("Kept")
    page.get_by_role("button", name="Create goal").click()
    expect(page.get_by_role("status")).to_have_text("The goal “Kept” was created.")
    goal = Goal.objects.get()
    assert list(goal.conditions.values_list("value", flat=True)) == [
        "https://shop.example/kept",
        "/second",
    ]
