"""The tracking snippet on a real website, in a real browser (issue 13).

A small shop (tests/browser/shop_site/, served by tests/helpers/shop.py) runs on another origin
than Goals Admin's live server, with the snippet the Tracking page gives pasted into its pages.
Chromium visits it as a visitor would: page loads, moves within its single-page account section
(history.pushState, then the back button), and leaving at once. What the script sent arrives as
Acme's page views, and a chat for that visitor turns the checkout into a conversion on the
dashboard. Both origins' pages are watched: a console or script error, a failed or refused
request, or a request to any third host fails the test.
"""

import base64
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Request,
    expect,
)

from accounts.models import Account, User
from conversions.models import PageView
from goals.models import Goal
from tests.helpers.api import PASSWORD
from tests.helpers.browser import DESKTOP, PHONE, PageProblems, expect_no_horizontal_scroll, sign_in
from tests.helpers.shop import shop_server
from tests.helpers.tracking import (
    BROWSER_AGENT,
    ingest_worker_process,
    site_with_origins,
    wait_until,
)
from tracking import rules

# The live server's threads, and the ingest worker's process, see the test's writes only outside
# a transaction.
pytestmark = pytest.mark.django_db(transaction=True)

SHOP_SITE = Path(__file__).resolve().parent / "shop_site"
# As tests/browser/conftest.py: a page slower than this is broken, not slow.
TIMEOUT_MS = 5_000
ORDER_PLACED = [{"type": "url", "operator": "contains", "value": "/checkout/complete"}]
# Playwright's own way to say what the browser does, before any page script runs.
SENDS_GPC = (
    "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', "
    "{get: () => true, configurable: true})"
)
SCREENS = {"desktop": DESKTOP, "390": PHONE}


@dataclass
class Shop:
    """The test shop, whose origin Acme's site lists."""

    origin: str

    def url(self, path: str) -> str:
        return self.origin + path


@dataclass
class Watch(PageProblems):
    """PageProblems on both origins, which also keeps the addresses of the pages that sent page
    views: a beacon's body is a Blob, which Playwright does not show, but its page tells."""

    sent_from: list[str] = field(default_factory=list)

    def on_request(self, request: Request) -> None:
        super().on_request(request)
        if "/api/collect/" in request.url and request.method == "POST":
            self.sent_from.append(request.frame.url)


@pytest.fixture
def page_views_stored(live_server: Any) -> Iterator[None]:
    """Page views reach the database as in production: through `manage.py ingest_worker`, as a
    process of its own, when REDIS_URL is set; at once, by the collect endpoint, without."""
    if not settings.REDIS_URL:
        yield
        return
    with ingest_worker_process():
        yield


@pytest.fixture
def shop(live_server: Any, acme: Account) -> Iterator[Shop]:
    """The shop, serving the snippet with Acme's site key, and listed on Acme's site."""
    values = {"goals_admin": live_server.url, "site_key": rules.site_of(acme).site_key}
    with shop_server(SHOP_SITE, values) as origin:
        site_with_origins(acme, origin)
        yield Shop(origin=origin)


@pytest.fixture
def watch(live_server: Any, shop: Shop, request: pytest.FixtureRequest) -> Watch:
    watch = Watch(origins=(live_server.url, shop.origin))
    # tests/browser/conftest.py fails the test with these lines once its own assertions passed.
    request.node.browser_problems = watch
    return watch


@pytest.fixture
def open_context(
    browser: Browser, live_server: Any, watch: Watch
) -> Iterator[Callable[..., BrowserContext]]:
    """Open a watched browser context (a browser profile of its own) with these options."""
    contexts: list[BrowserContext] = []

    def open(**options: Any) -> BrowserContext:
        context = browser.new_context(base_url=live_server.url, **(DESKTOP | options))
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        watch.attach(context)
        contexts.append(context)
        return context

    yield open
    for context in contexts:
        context.close()


@pytest.fixture
def visitor(open_context: Callable[..., BrowserContext]) -> Page:
    """A visitor's browser: headless Chromium says "HeadlessChrome" in its user agent, which the
    collect endpoint takes for a crawler."""
    return open_context(user_agent=BROWSER_AGENT).new_page()


def arrive(page: Page, heading: str) -> None:
    """Wait until the page shows `heading` and its snippet has run: a visitor who moves on
    before the async script ran would have its page view reported under the next address."""
    expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    page.wait_for_function("() => typeof window.goalsAdmin?.identify === 'function'")


def follow(page: Page, link: str, heading: str) -> None:
    page.get_by_role("link", name=link, exact=True).click()
    arrive(page, heading)


def page_views(account: Account) -> list[dict[str, Any]]:
    return list(
        PageView.objects.filter(account=account)
        .order_by("timestamp", "page_view_id")
        .values("page_view_id", "visitor_id", "url", "title")
    )


def page_views_arrived(account: Account, count: int) -> list[dict[str, Any]]:
    """The account's page views, once there are `count` of them."""
    return wait_until(
        lambda: (found := page_views(account)) and len(found) >= count and found,
        what=f"{count} page views",
    )


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def chat_before(moment: datetime, visitor_id: str) -> dict[str, Any]:
    """A chat of the visitor in which Sam (agent 1001) answered just before `moment`."""
    return {
        "id": "shop-chat-1",
        "type": "chat",
        "timestamp": iso(moment - timedelta(minutes=2)),
        "visitor": {"id": visitor_id, "name": "Visitor"},
        "missed": False,
        "department_id": 1,
        "department_name": "Sales",
        "agent_ids": [1001],
        "agent_names": ["Sam"],
        "history": [
            {
                "type": "chat.msg",
                "nick": "visitor",
                "name": "Visitor",
                "timestamp": iso(moment - timedelta(minutes=2)),
                "msg": "Does the Kyoto teapot come with a strainer?",
            },
            {
                "type": "chat.msg",
                "nick": "agent:1001",
                "name": "Sam",
                "timestamp": iso(moment - timedelta(minutes=1)),
                "msg": "It does, and it ships today.",
            },
        ],
    }


def test_a_shop_visit_arrives_as_one_visitor_s_page_views_and_its_chat_converts(
    page_views_stored: None,
    shop: Shop,
    visitor: Page,
    open_context: Callable[..., BrowserContext],
    acme: Account,
    alice: User,
    live_server: Any,
    make_goal: Callable[..., Goal],
) -> None:
    goal = make_goal(acme, name="Order placed", conditions=ORDER_PLACED)
    visit_started = timezone.now()

    visitor.goto(shop.url("/"))
    arrive(visitor, "Teapots for every table")
    follow(visitor, "Pricing", "Pricing")
    follow(visitor, "See the Kyoto teapot", "The Kyoto teapot")
    follow(visitor, "Buy now", "Thank you for your order")
    follow(visitor, "Follow it in your account", "Your account")
    follow(visitor, "Your orders", "Your orders")
    follow(visitor, "Order 1042", "Order 1042")
    kept_id = visitor.evaluate("localStorage.getItem('goalsAdmin.visitor')")
    visitor.go_back()
    expect(visitor.get_by_role("heading", name="Your orders", exact=True)).to_be_visible()
    assert visitor.url == shop.url("/app/orders")
    # Leave at once, as a visitor closing the tab: the beacon of that last move still arrives.
    visitor.close()

    # Each with its own title: a single-page app's move too, whose title comes after the move.
    expected = [
        (shop.url("/"), "Teapot Shop"),
        (shop.url("/pricing"), "Pricing · Teapot Shop"),
        (shop.url("/products/teapot"), "The Kyoto teapot · Teapot Shop"),
        (shop.url("/checkout/complete?order=1042"), "Thank you · Teapot Shop"),
        (shop.url("/app/"), "Your account · Teapot Shop"),
        (shop.url("/app/orders"), "Your orders · Teapot Shop"),
        (shop.url("/app/orders/1042"), "Order 1042 · Teapot Shop"),
        (shop.url("/app/orders"), "Your orders · Teapot Shop"),
    ]
    arrived = page_views_arrived(acme, len(expected))
    assert Counter((view["url"], view["title"]) for view in arrived) == Counter(expected)
    assert {view["visitor_id"] for view in arrived} == {kept_id}
    assert kept_id, "the visitor id is kept in the shop's local storage"

    answer = requests.post(
        f"{live_server.url}/api/v2/chats",
        json=[chat_before(visit_started, kept_id)],
        auth=(alice.email, PASSWORD),
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"received": 1, "created": 1, "updated": 0}
    chat = requests.get(
        f"{live_server.url}/api/v2/chats/shop-chat-1", auth=(alice.email, PASSWORD), timeout=10
    ).json()
    assert [
        (conversion["goal_id"], conversion["url"], conversion["attribution"]["agent_name"])
        for conversion in chat["conversions"]
    ] == [(goal.id, shop.url("/checkout/complete?order=1042"), "Sam")]

    dashboard = open_context().new_page()
    sign_in(dashboard, alice)
    card = (
        dashboard.get_by_role("list", name="Goals")
        .get_by_role("listitem")
        .filter(has=dashboard.get_by_role("heading", name="Order placed", exact=True))
    )
    expect(card).to_contain_text("1 conversion in the last 30 days")
    # Nothing arrived twice or late meanwhile.
    assert page_views(acme) == arrived


def test_a_visitor_id_given_before_the_snippet_is_sent_and_kept_for_the_next_pages(
    page_views_stored: None, shop: Shop, visitor: Page, acme: Account
) -> None:
    visitor.goto(shop.url("/support"))
    arrive(visitor, "Support")
    follow(visitor, "See our prices", "Pricing")

    arrived = page_views_arrived(acme, 2)
    assert sorted((view["url"], view["visitor_id"]) for view in arrived) == [
        (shop.url("/pricing"), "chat-visitor-7"),
        (shop.url("/support"), "chat-visitor-7"),
    ]


def test_a_move_to_a_fragment_is_no_page_view_and_an_id_the_server_would_refuse_is_not_kept(
    page_views_stored: None, shop: Shop, visitor: Page, acme: Account
) -> None:
    visitor.goto(shop.url("/"))
    arrive(visitor, "Teapots for every table")
    kept_id = visitor.evaluate("localStorage.getItem('goalsAdmin.visitor')")
    visitor.evaluate("location.hash = 'deals'")
    visitor.go_back()
    visitor.evaluate("goalsAdmin.identify('x'.repeat(300)); goalsAdmin.identify('line\\nbreak')")
    visitor.evaluate("goalsAdmin.identify('half \\ud83d'); goalsAdmin.identify('\\x85')")
    # A route of a single-page app that routes by fragments is a page, though.
    visitor.evaluate("history.pushState(null, '', '#/deals')")
    follow(visitor, "Pricing", "Pricing")

    # Beacons sent within a second may arrive in any order: each is stamped as it arrives.
    arrived = page_views_arrived(acme, 3)
    assert sorted((view["url"], view["visitor_id"]) for view in arrived) == [
        (shop.url("/"), kept_id),
        (shop.url("/#/deals"), kept_id),
        (shop.url("/pricing"), kept_id),
    ]


def test_a_snippet_that_honours_gpc_sends_nothing_from_a_browser_that_asks_it(
    page_views_stored: None,
    shop: Shop,
    open_context: Callable[..., BrowserContext],
    watch: Watch,
    acme: Account,
) -> None:
    context = open_context(user_agent=BROWSER_AGENT)
    context.add_init_script(SENDS_GPC)
    visitor = context.new_page()
    visitor.goto(shop.url("/privacy"))
    arrive(visitor, "Privacy")
    assert visitor.evaluate("navigator.globalPrivacyControl") is True
    # The pricing page's tag does not honour GPC: its page view arrives, so by then the privacy
    # page's would have arrived before it, had it been sent.
    follow(visitor, "See our prices", "Pricing")

    arrived = page_views_arrived(acme, 1)
    assert [view["url"] for view in arrived] == [shop.url("/pricing")]
    assert watch.sent_from == [shop.url("/pricing")]


def figure(caption: str, png: bytes) -> str:
    source = "data:image/png;base64," + base64.b64encode(png).decode()
    return f'<figure><figcaption>{caption}</figcaption><img src="{source}" alt=""></figure>'


# Two screenshots side by side on a wide screen, one after the other on a narrow one.
PICTURE = """<!doctype html><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><style>
body { margin: 0; font: 15px/1.4 system-ui, sans-serif; }
main { padding: 12px; display: flex; flex-wrap: wrap; gap: 12px; background: #dee2e6; }
figure { margin: 0; flex: 1 1 300px; }
figcaption { margin-bottom: 6px; overflow-wrap: anywhere; }
img { display: block; width: 100%; border: 1px solid #868e96; }
</style><main>{figures}</main>"""


@pytest.mark.parametrize("screen", list(SCREENS))
def test_the_tracking_page_shows_the_shop_s_page_views_as_they_arrive(
    screen: str,
    page_views_stored: None,
    shop: Shop,
    open_context: Callable[..., BrowserContext],
    acme: Account,
    alice: User,
    artifacts: Path,
) -> None:
    dashboard = open_context(**SCREENS[screen]).new_page()
    sign_in(dashboard, alice)
    # The status asks the server again every 5 seconds: the test moves the page's clock on
    # instead of waiting for it.
    dashboard.clock.install()
    dashboard.goto("/tracking/")
    receiving = dashboard.get_by_role("region", name="Receiving")
    expect(receiving).to_contain_text("No page view from your website yet")

    visitor = open_context(user_agent=BROWSER_AGENT, **SCREENS[screen]).new_page()
    visitor.goto(shop.url("/"))
    arrive(visitor, "Teapots for every table")
    follow(visitor, "The Kyoto teapot", "The Kyoto teapot")
    page_views_arrived(acme, 2)

    dashboard.clock.fast_forward(5_000)
    expect(receiving).to_contain_text("2 page views received from your website")
    expect(receiving).to_contain_text(shop.url("/products/teapot"))
    expect_no_horizontal_scroll(dashboard)
    dashboard.screenshot(path=artifacts / f"tracking-{screen}.png", full_page=True)

    # The note's picture: the shop's page, and the top of the Tracking page down to the status.
    box = receiving.bounding_box()
    assert box is not None
    width = SCREENS[screen]["viewport"]["width"]
    top = {"x": 0, "y": 0, "width": width, "height": box["y"] + box["height"] + 16}
    figures = figure(f"The shop: {visitor.url}", visitor.screenshot(clip=top)) + figure(
        "Goals Admin's Tracking page, at its next poll", dashboard.screenshot(clip=top)
    )
    # Sharper than the screen, as the screenshots are shown at half their width side by side.
    picture = open_context(**{"device_scale_factor": 2} | SCREENS[screen]).new_page()
    picture.set_content(PICTURE.replace("{figures}", figures))
    picture.locator("main").screenshot(path=artifacts / f"shop-{screen}.png")
