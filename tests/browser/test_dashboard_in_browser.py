"""An administrator manages goals in a real browser, as the issue's user stories tell it.

Chromium runs the pages' own scripts (the condition rows, htmx), so these tests see what the view
tests cannot: rows added, removed and reordered on screen, answers swapped in place, focus, layout.
Elements are found by role and label, as a screen reader finds them, so a missing label fails too.
"""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from accounts.models import Account, User
from goals.models import Goal
from tests.helpers.api import PASSWORD
from tests.helpers.browser import PHONE, expect_no_horizontal_scroll, sign_in

# The live server's threads see the test's writes only outside a transaction.
pytestmark = pytest.mark.django_db(transaction=True)

CHECKOUT_URL = "https://shop.example/checkout"
CART = {"type": "url", "operator": "contains", "value": "cart"}
CHECKOUT = {"type": "url", "operator": "equals", "value": CHECKOUT_URL}
LIMIT_ERROR = "Goals limit exceeded"


def condition_rows(page: Page) -> Locator:
    """The condition rows on screen (each a fieldset named "Condition"), in their order."""
    return page.get_by_role("group", name="Condition", exact=True)


def fill_condition(row: Locator, operator: str, value: str) -> None:
    row.get_by_label("The URL").select_option(operator)
    row.get_by_label("Text or URL").fill(value)


def goal_card(page: Page, name: str) -> Locator:
    goals = page.get_by_role("list", name="Goals")
    return goals.get_by_role("listitem").filter(
        has=page.get_by_role("heading", name=name, exact=True)
    )


def conditions_in_words(page: Page, name: str) -> Locator:
    return goal_card(page, name).get_by_role("listitem")


def expect_meter(page: Page, active: int, limit: int = 5) -> None:
    meter = page.get_by_role("meter", name=f"{active} of {limit} active")
    expect(meter).to_be_visible()
    expect(meter).to_have_attribute("value", str(active))
    expect(meter).to_have_attribute("max", str(limit))


def switch(page: Page, name: str) -> Locator:
    return page.get_by_role("switch", name=name)


def mark_document(page: Page) -> None:
    """Tag the current document, to tell later whether an answer replaced it or was swapped in."""
    page.evaluate("window.__sameDocument = true")


def expect_same_document(page: Page) -> None:
    assert page.evaluate("window.__sameDocument === true"), "the page was loaded again"


def is_focused(locator: Locator) -> bool:
    return locator.evaluate("element => element === document.activeElement")


def tab_to(page: Page, target: Locator, most: int = 60) -> int:
    """Press Tab until the target has the focus; answer how many presses it took."""
    for presses in range(1, most + 1):
        page.keyboard.press("Tab")
        if is_focused(target):
            return presses
    focused = page.evaluate("document.activeElement.outerHTML.slice(0, 200)")
    raise AssertionError(f"Tab never reached {target} in {most} presses; focus on {focused}")


def test_administrator_signs_in_and_creates_a_goal_with_two_conditions(
    page: Page, alice: User, artifacts: Path
) -> None:
    page.goto("/")
    page.get_by_label("Email address").fill(alice.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="Goals", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="No goals yet")).to_be_visible()
    expect_meter(page, 0)
    page.get_by_role("link", name="Create your first goal").click()

    expect(page.get_by_role("heading", name="New goal")).to_be_visible()
    page.get_by_label("Name", exact=True).fill("Checkout")
    page.get_by_label("Description").fill("Visitors who reach the checkout")
    page.get_by_label("Last touch").check()
    page.get_by_label("Attribution period (days)").fill("14")
    expect(page.get_by_label("Enabled")).to_be_checked()

    rows = condition_rows(page)
    fill_condition(rows.first, "contains", "cart")
    visible_before = rows.count()
    page.get_by_role("button", name="Add a condition").click()
    expect(rows).to_have_count(visible_before + 1)
    added = rows.last
    expect(added.get_by_label("Text or URL")).to_be_focused()
    fill_condition(added, "equals", CHECKOUT_URL)
    # Any other rows on screen are blank spares: move the new one to the top, one step at a time.
    for _ in range(visible_before):
        added.get_by_role("button", name="Move up").click()
    expect(rows.first.get_by_label("Text or URL")).to_have_value(CHECKOUT_URL)
    rows.first.get_by_role("button", name="Move down").click()
    expect(rows.nth(1).get_by_label("Text or URL")).to_have_value(CHECKOUT_URL)
    rows.nth(1).get_by_role("button", name="Move up").click()
    expect(rows.first.get_by_label("Text or URL")).to_have_value(CHECKOUT_URL)
    expect(rows.nth(1).get_by_label("Text or URL")).to_have_value("cart")
    page.screenshot(path=artifacts / "goal-form.png", full_page=True)

    page.get_by_role("button", name="Create goal").click()

    expect(page.get_by_role("status")).to_have_text("The goal “Checkout” was created.")
    expect(conditions_in_words(page, "Checkout")).to_have_text(
        [f"URL equals {CHECKOUT_URL}", "URL contains cart"]
    )
    card = goal_card(page, "Checkout")
    expect(card).to_contain_text("Visitors who reach the checkout")
    expect(card).to_contain_text("Last touch, 14 days")
    expect(switch(page, "Checkout")).to_have_attribute("aria-checked", "true")
    expect_meter(page, 1)
    page.screenshot(path=artifacts / "goals-page.png", full_page=True)
    goal = Goal.objects.get()
    assert [(c.operator, c.value) for c in goal.conditions.order_by("position")] == [
        ("equals", CHECKOUT_URL),
        ("contains", "cart"),
    ]


def test_administrator_renames_a_goal_and_removes_a_condition(
    page: Page, alice: User, acme: Account, make_goal: Callable[..., Goal]
) -> None:
    make_goal(acme, name="Shopping", conditions=[CART, CHECKOUT])
    sign_in(page, alice)

    page.get_by_role("link", name="Edit Shopping").click()
    expect(page.get_by_role("heading", name="Edit “Shopping”")).to_be_visible()
    name = page.get_by_label("Name", exact=True)
    expect(name).to_have_value("Shopping")
    name.fill("Checkout reached")
    rows = condition_rows(page)
    expect(rows).to_have_count(2)
    expect(rows.first.get_by_label("Text or URL")).to_have_value("cart")
    rows.first.get_by_role("button", name="Remove").click()
    expect(rows).to_have_count(1)
    expect(rows.first.get_by_label("Text or URL")).to_have_value(CHECKOUT_URL)
    page.get_by_role("button", name="Save changes").click()

    expect(page.get_by_role("status")).to_have_text("The goal “Checkout reached” was saved.")
    expect(goal_card(page, "Shopping")).to_have_count(0)
    expect(conditions_in_words(page, "Checkout reached")).to_have_text(
        [f"URL equals {CHECKOUT_URL}"]
    )


def test_url_tester_answers_in_place_which_condition_matches(
    page: Page, alice: User, acme: Account, make_goal: Callable[..., Goal]
) -> None:
    goal = make_goal(acme, name="Shopping", conditions=[CHECKOUT, CART])
    sign_in(page, alice)
    page.goto(f"/goals/{goal.pk}/edit/")
    mark_document(page)
    tester = page.get_by_role("region", name="Test a URL")
    url = tester.get_by_label("Try a URL")

    url.fill("https://shop.example/cart?item=42")
    tester.get_by_role("button", name="Test").click()

    expect(tester.get_by_text("Fulfilled", exact=True)).to_be_visible()
    expect(tester.get_by_role("listitem")).to_have_text(
        [f"✗ Does not match: URL equals {CHECKOUT_URL}", "✓ Matches: URL contains cart"]
    )
    expect_same_document(page)
    assert page.url.endswith(f"/goals/{goal.pk}/edit/"), page.url

    url.fill("https://shop.example/pricing")
    tester.get_by_role("button", name="Test").click()

    expect(tester.get_by_text("Not fulfilled", exact=True)).to_be_visible()
    expect(tester.get_by_text("Fulfilled", exact=True)).to_have_count(0)
    expect(tester.get_by_role("listitem")).to_have_text(
        [f"✗ Does not match: URL equals {CHECKOUT_URL}", "✗ Does not match: URL contains cart"]
    )
    expect_same_document(page)


def test_switch_turns_a_goal_off_and_on_in_place(
    page: Page, alice: User, acme: Account, make_goal: Callable[..., Goal]
) -> None:
    make_goal(acme, name="Pricing page", conditions=[CART])
    sign_in(page, alice)
    mark_document(page)
    expect_meter(page, 1)

    switch(page, "Pricing page").click()

    expect(switch(page, "Pricing page")).to_have_attribute("aria-checked", "false")
    expect_meter(page, 0)
    expect(page.get_by_role("status")).to_have_text("The goal “Pricing page” is now off.")

    switch(page, "Pricing page").click()

    expect(switch(page, "Pricing page")).to_have_attribute("aria-checked", "true")
    expect_meter(page, 1)
    expect(page.get_by_role("status")).to_have_text("The goal “Pricing page” is now on.")
    expect_same_document(page)
    assert Goal.objects.get().enabled


def test_sixth_goal_stays_off_and_says_the_limit_is_reached(
    page: Page, alice: User, acme: Account, make_goal: Callable[..., Goal]
) -> None:
    for number in range(1, 6):
        make_goal(acme, name=f"Goal {number}")
    make_goal(acme, name="Newsletter", enabled=False)
    sign_in(page, alice)
    mark_document(page)
    expect_meter(page, 5)
    expect(switch(page, "Newsletter")).to_have_attribute("aria-checked", "false")

    switch(page, "Newsletter").click()

    alert = goal_card(page, "Newsletter").get_by_role("alert")
    expect(alert).to_contain_text(LIMIT_ERROR)
    expect(alert).to_contain_text("disable or delete one of them first")
    expect(switch(page, "Newsletter")).to_have_attribute("aria-checked", "false")
    expect_meter(page, 5)
    expect_same_document(page)
    assert not Goal.objects.get(name="Newsletter").enabled


def test_delete_asks_first_and_says_what_is_lost(
    page: Page, alice: User, acme: Account, make_goal: Callable[..., Goal]
) -> None:
    make_goal(acme, name="Shopping", conditions=[CART, CHECKOUT])
    sign_in(page, alice)

    page.get_by_role("link", name="Delete Shopping").click()

    expect(page.get_by_role("heading", name="Delete the goal “Shopping”?")).to_be_visible()
    note = page.get_by_role("note")
    expect(note).to_contain_text("Its 2 conditions will be deleted with it")
    expect(note).to_contain_text("it is one of your active goals")
    expect(note).to_contain_text("This cannot be undone.")
    assert Goal.objects.count() == 1, "asking must not delete"
    page.get_by_role("button", name="Delete goal").click()

    expect(page.get_by_role("status")).to_have_text("The goal “Shopping” was deleted.")
    expect(page.get_by_role("heading", name="No goals yet")).to_be_visible()
    expect_meter(page, 0)
    assert not Goal.objects.exists()


@pytest.mark.parametrize("browser_context_options", [PHONE], ids=["phone"])
def test_pages_work_at_phone_width(
    page: Page,
    alice: User,
    acme: Account,
    make_goal: Callable[..., Goal],
    browser_context_options: dict[str, Any],
) -> None:
    long_url = "https://shop.example/checkout/thank-you?utm_source=newsletter&utm_campaign=spring"
    make_goal(
        acme,
        name="Reached the thank-you page after the spring newsletter",
        description="Counts the orders that the spring campaign brought in",
        conditions=[{"type": "url", "operator": "equals", "value": long_url}],
    )
    sign_in(page, alice)
    assert page.evaluate("window.innerWidth") == 390
    expect_no_horizontal_scroll(page)

    page.get_by_role("link", name="New goal").click()
    expect_no_horizontal_scroll(page)
    page.get_by_label("Name", exact=True).fill("Pricing page")
    fill_condition(condition_rows(page).first, "contains", "pricing")
    page.get_by_role("button", name="Create goal").click()

    expect(page.get_by_role("status")).to_have_text("The goal “Pricing page” was created.")
    expect(conditions_in_words(page, "Pricing page")).to_have_text(["URL contains pricing"])
    expect_meter(page, 2)
    expect_no_horizontal_scroll(page)


def test_keyboard_alone_fills_the_form_and_works_the_switch(page: Page, alice: User) -> None:
    sign_in(page, alice)
    page.goto("/goals/new/")

    tab_to(page, page.get_by_label("Name", exact=True))
    page.keyboard.type("Keyboard goal")
    tab_to(page, condition_rows(page).first.get_by_label("Text or URL"))
    page.keyboard.type("pricing")
    tab_to(page, page.get_by_role("button", name="Create goal"))
    page.keyboard.press("Enter")

    expect(page.get_by_role("status")).to_have_text("The goal “Keyboard goal” was created.")
    toggle = switch(page, "Keyboard goal")
    expect(toggle).to_have_attribute("aria-checked", "true")
    tab_to(page, toggle)
    page.keyboard.press("Space")
    expect(toggle).to_have_attribute("aria-checked", "false")
    expect_meter(page, 0)
    tab_to(page, toggle)
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-checked", "true")
    expect_meter(page, 1)


def test_switch_keeps_the_keyboard_focus_after_toggling(
    page: Page, alice: User, acme: Account, make_goal: Callable[..., Goal]
) -> None:
    make_goal(acme, name="Pricing page")
    sign_in(page, alice)
    toggle = switch(page, "Pricing page")
    toggle.focus()

    page.keyboard.press("Space")

    expect(toggle).to_have_attribute("aria-checked", "false")
    # A keyboard user who just pressed the switch must not be sent back to the top of the page.
    expect(toggle).to_be_focused(timeout=1_000)


def test_the_icon_the_browser_asks_for_exists(page: Page, alice: User) -> None:
    sign_in(page, alice)
    icon = page.evaluate(
        "document.querySelector('link[rel~=icon]')?.href"
        " ?? new URL('/favicon.ico', location.href).href"
    )

    response = page.request.get(icon)

    assert response.status == 200, f"the browser asks for {icon}: {response.status}"
