"""The goal form's URL tester in a real browser: it tests the conditions as they stand in the form,
before anything is saved, and shows why a URL misses them.

htmx sends the goal form's fields along with the URL (hx-include), which only a browser running the
page's scripts shows; the view tests (tests/goals/dashboard/test_url_tester.py) post the same
fields by hand.
"""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import BrowserContext, Locator, Page, expect

from accounts.models import Account, User
from goals.models import Goal
from tests.helpers.browser import DESKTOP, PHONE, expect_no_horizontal_scroll

# The live server's threads see the test's writes only outside a transaction.
pytestmark = pytest.mark.django_db(transaction=True)

PRICING = "https://shop.example/pricing"
TEAM_PLANS = "https://shop.example/pricing/annual-plans-for-teams-of-every-size"


def sign_in(context: BrowserContext, live_server: Any, user: User) -> None:
    """Give the browser a session of the user, as signing in would."""
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )


def url_tester(page: Page) -> Locator:
    return page.get_by_role("region", name="Test a URL")


def mark_document(page: Page) -> None:
    page.evaluate("window.__sameDocument = true")


def expect_same_document(page: Page) -> None:
    assert page.evaluate("window.__sameDocument === true"), "the page was loaded again"


def test_on_a_new_goal_the_tester_tests_the_conditions_typed_before_anything_is_saved(
    page: Page, context: BrowserContext, live_server: Any, alice: User
) -> None:
    sign_in(context, live_server, alice)
    page.goto("/goals/new/")
    mark_document(page)
    page.locator("#id_name").fill("Pricing")
    row = page.get_by_role("group", name="Condition", exact=True).first
    row.get_by_label("The URL").select_option("equals")
    row.get_by_label("Text or URL").fill(f" {PRICING} ")

    url = url_tester(page).get_by_label("Try a URL")
    url.fill("HTTPS://Shop.Example/pricing")
    url.press("Enter")

    expect(url_tester(page).get_by_text("Fulfilled", exact=True)).to_be_visible()
    expect(url_tester(page).get_by_role("listitem")).to_have_text(
        [f"✓ Matches: URL equals {PRICING}"]
    )
    expect(url_tester(page)).to_contain_text(
        "Tested against the conditions in the form: nothing is saved yet."
    )
    expect_same_document(page)
    assert page.url.endswith("/goals/new/"), page.url
    assert not Goal.objects.exists()


@pytest.mark.parametrize(
    "browser_context_options",
    [DESKTOP, PHONE],
    ids=["desktop", "phone"],
)
def test_a_missed_url_shows_its_near_miss_next_to_the_unsaved_condition(
    page: Page,
    context: BrowserContext,
    live_server: Any,
    alice: User,
    acme: Account,
    make_goal: Callable[..., Goal],
    artifacts: Path,
    browser_context_options: dict[str, Any],
) -> None:
    goal = make_goal(acme, name="Pricing", conditions=[{"operator": "contains", "value": "cart"}])
    sign_in(context, live_server, alice)
    page.goto(f"/goals/{goal.pk}/edit/")
    mark_document(page)
    row = page.get_by_role("group", name="Condition", exact=True).first
    row.get_by_label("The URL").select_option("equals")
    row.get_by_label("Text or URL").fill(f"{TEAM_PLANS}/")

    url_tester(page).get_by_label("Try a URL").fill(TEAM_PLANS)
    url_tester(page).get_by_role("button", name="Test").click()

    expect(url_tester(page).get_by_text("Not fulfilled", exact=True)).to_be_visible()
    expect(url_tester(page).get_by_role("listitem")).to_have_text(
        [
            f"✗ Does not match: URL equals {TEAM_PLANS}/ Near miss: it would match with a "
            f"trailing slash: {TEAM_PLANS}/ matches."
        ]
    )
    expect(url_tester(page)).to_contain_text(
        "Tested against the conditions in the form, which are not saved yet. With the saved "
        "conditions, a visit to this URL does not fulfil the goal."
    )
    expect_same_document(page)
    assert list(goal.conditions.values_list("operator", "value")) == [("contains", "cart")]
    expect_no_horizontal_scroll(page)
    width = browser_context_options["viewport"]["width"]
    url_tester(page).scroll_into_view_if_needed()
    page.mouse.move(0, 0)  # the screenshot shows the tester at rest, not the button hovered
    url_tester(page).screenshot(
        path=artifacts / f"url-tester-near-miss-{width}.png", animations="disabled"
    )


def test_the_tester_answers_while_the_goal_form_is_half_filled_in(
    page: Page, context: BrowserContext, live_server: Any, alice: User
) -> None:
    sign_in(context, live_server, alice)
    page.goto("/goals/new/")
    row = page.get_by_role("group", name="Condition", exact=True).first
    row.get_by_label("Text or URL").fill("/pricing")
    url = url_tester(page).get_by_label("Try a URL")

    # No name yet, and a period out of range: the goal could not be saved, but may be tested.
    page.locator("#id_attribution_period").fill("45")
    url.fill("https://shop.example/pricing")
    url.press("Enter")
    expect(url_tester(page).get_by_text("Fulfilled", exact=True)).to_be_visible()

    url.fill("")
    url.press("Enter")
    expect(url_tester(page).get_by_role("alert")).to_have_text("This field is required.")
    expect(url_tester(page).get_by_text("Fulfilled", exact=True)).to_have_count(0)
