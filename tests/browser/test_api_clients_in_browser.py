"""An administrator creates, copies and revokes API clients in a real browser.

Chromium sees what the view tests cannot: what a reload does after the form was sent, the copy
button's script and the clipboard, and where the buttons land on a desktop and on a phone.
Elements are found by role and label, as a screen reader finds them.

Cast (tests/conftest.py): Alice administers Acme.
"""

from pathlib import Path
from typing import Any

import pytest
from oauth2_provider.models import Application
from playwright.sync_api import Locator, Page, expect

from accounts import services
from accounts.models import User
from tests.helpers.browser import DESKTOP, PHONE, sign_in

# The live server's threads see the test's writes only outside a transaction.
pytestmark = pytest.mark.django_db(transaction=True)

CLIPBOARD = ["clipboard-read", "clipboard-write"]
# A name that cannot wrap between words: the longest a row of the list has to hold.
LONG_NAME = "Warehouse-inventory-synchronisation-nightly"


def create_client(page: Page, name: str) -> str:
    """Create a client through the form; answer the secret the page shows."""
    page.get_by_label("Name of the new client").fill(name)
    page.get_by_role("button", name="Create API client").click()
    expect(page.get_by_role("heading", name=f"“{name}” is ready")).to_be_visible()
    return page.locator("#new-client-secret").inner_text()


def client_rows(page: Page) -> Locator:
    return page.get_by_role("table", name="Your API clients").locator("tbody").get_by_role("row")


def expect_no_horizontal_overflow(page: Page) -> None:
    widths = page.evaluate(
        "({scroll: document.documentElement.scrollWidth,"
        " client: document.documentElement.clientWidth})"
    )
    assert widths["scroll"] <= widths["client"], f"{page.url} scrolls sideways: {widths}"


def expect_fully_visible(page: Page, locator: Locator) -> None:
    """The element lies wholly within the page's width and is not clipped by a scroll box."""
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    assert box is not None, f"{locator} is not rendered"
    width = page.evaluate("document.documentElement.clientWidth")
    assert box["x"] >= 0, (locator, box)
    assert box["x"] + box["width"] <= width, (locator, box, width)
    # A scroll box around it (the table's) would show only part of it: the point at its far
    # edge must be the element itself.
    far_edge_is_the_element = locator.evaluate(
        """element => {
            const box = element.getBoundingClientRect();
            const hit = document.elementFromPoint(box.right - 2, box.top + box.height / 2);
            return element === hit || element.contains(hit);
        }"""
    )
    assert far_edge_is_the_element, f"{locator} is cut off"


def expect_create_button_placed(page: Page, width: int) -> None:
    """Beside the name field, on its line, on a wide screen; under it, as wide, on a phone."""
    field = page.get_by_label("Name of the new client").bounding_box()
    button = page.get_by_role("button", name="Create API client").bounding_box()
    if width >= 576:
        assert button["x"] >= field["x"] + field["width"], (field, button)
        assert abs(button["y"] - field["y"]) <= 2, (field, button)
    else:
        assert button["y"] >= field["y"] + field["height"], (field, button)
        assert abs(button["x"] - field["x"]) <= 1, (field, button)
        assert abs(button["width"] - field["width"]) <= 1, (field, button)


def test_reloading_after_creating_a_client_creates_no_second_one(page: Page, alice: User) -> None:
    sign_in(page, alice, start="/api-clients/", heading="API clients")

    secret = create_client(page, "Shop sync")
    expect(client_rows(page)).to_have_count(1)
    assert len(secret) >= 32

    page.reload()

    expect(page.get_by_role("heading", name="API clients", exact=True)).to_be_visible()
    expect(client_rows(page)).to_have_count(1)
    assert Application.objects.count() == 1
    # The secret was shown once: a reload no longer shows it.
    expect(page.get_by_role("heading", name="“Shop sync” is ready")).to_have_count(0)
    assert secret not in page.content()


@pytest.mark.parametrize(
    "browser_context_options", [{**DESKTOP, "permissions": CLIPBOARD}], ids=["desktop"]
)
def test_copy_button_puts_the_secret_on_the_clipboard_and_says_so(
    page: Page, alice: User, browser_context_options: dict[str, Any]
) -> None:
    sign_in(page, alice, start="/api-clients/", heading="API clients")
    secret = create_client(page, "Shop sync")
    ready = page.get_by_role("region", name="“Shop sync” is ready")

    ready.get_by_role("button", name="Copy secret").click()

    # Said in a live region, so a screen reader hears it as well.
    expect(ready.get_by_role("status")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == secret


@pytest.mark.parametrize(
    "browser_context_options", [{**DESKTOP, "java_script_enabled": False}], ids=["no-script"]
)
def test_page_works_without_javascript_and_offers_no_dead_copy_button(
    page: Page, alice: User, browser_context_options: dict[str, Any]
) -> None:
    sign_in(page, alice, start="/api-clients/", heading="API clients")

    secret = create_client(page, "Shop sync")

    expect(page.locator("#new-client-secret")).to_have_text(secret)
    expect(page.get_by_role("button", name="Copy secret")).to_have_count(0)
    page.get_by_role("button", name="Revoke Shop sync").click()
    expect(page.get_by_text("The API client “Shop sync” was revoked")).to_be_visible()
    assert not Application.objects.exists()


@pytest.mark.parametrize("browser_context_options", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_clients_page_fits_the_screen_with_every_button_in_reach(
    page: Page, alice: User, artifacts: Path, browser_context_options: dict[str, Any]
) -> None:
    services.api_client_create(owner=alice, name=LONG_NAME)
    services.api_client_create(owner=alice, name="Reports")
    sign_in(page, alice, start="/api-clients/", heading="API clients")
    width = browser_context_options["viewport"]["width"]
    assert page.evaluate("window.innerWidth") == width

    expect_create_button_placed(page, width)
    # A refused name adds an error under the field: the button stays where it was.
    page.get_by_label("Name of the new client").fill("   ")
    page.get_by_role("button", name="Create API client").click()
    expect(page.get_by_text("This field may not be blank.")).to_be_visible()
    expect_create_button_placed(page, width)

    create_client(page, "Shop sync")
    expect(client_rows(page)).to_have_count(3)
    name = "desktop" if width >= 576 else "phone"
    page.screenshot(path=artifacts / f"api-clients-{name}.png", full_page=True)

    expect_no_horizontal_overflow(page)
    for client in ("Shop sync", LONG_NAME, "Reports"):
        expect_fully_visible(page, page.get_by_role("button", name=f"Revoke {client}"))
    expect_fully_visible(page, page.get_by_role("button", name="Copy secret"))
