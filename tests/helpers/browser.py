"""What the browser tests share: the screens they look at pages on, a check of the layout, and
the watch kept on what the browser does."""

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from playwright.sync_api import (
    BrowserContext,
    ConsoleMessage,
    Page,
    Request,
    Response,
    WebError,
    expect,
)

from accounts.models import User
from tests.helpers.api import PASSWORD

DESKTOP = {"viewport": {"width": 1280, "height": 900}}
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
}


def sign_in(
    page: Page,
    user: User,
    *,
    start: str = "/goals/",
    heading: str = "Goals",
    password: str = PASSWORD,
) -> None:
    """Open `start`, sign in on the page it leads to, and wait for the page named `heading`."""
    page.goto(start)
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()


def expect_no_horizontal_scroll(page: Page) -> None:
    widths = page.evaluate(
        "({scroll: document.scrollingElement.scrollWidth, inner: window.innerWidth})"
    )
    assert widths["scroll"] <= widths["inner"], f"{page.url} scrolls sideways: {widths}"


@dataclass
class PageProblems:
    """What went wrong in the browser while a test ran, as lines to report: a console error, an
    uncaught script error, a request to one of `origins` that failed or was answered 400 or
    more, or any request to another host (pages load only the project's own files: no CDN, no
    third-party host). tests/browser/conftest.py fails a test whose `browser_problems` has lines.
    """

    origins: tuple[str, ...]
    lines: list[str] = field(default_factory=list)

    def known(self, url: str) -> bool:
        return any(url == origin or url.startswith(origin + "/") for origin in self.origins)

    def attach(self, context: BrowserContext) -> None:
        """Watch every page of the context."""
        context.on("console", self.on_console)
        context.on("weberror", self.on_web_error)
        context.on("request", self.on_request)
        context.on("requestfailed", self.on_request_failed)
        context.on("response", self.on_response)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.lines.append(f"console error: {message.text} ({message.location})")

    def on_web_error(self, error: WebError) -> None:
        self.lines.append(f"uncaught script error: {error.error}")

    def on_request(self, request: Request) -> None:
        if urlsplit(request.url).scheme in {"http", "https"} and not self.known(request.url):
            self.lines.append(f"request to another host: {request.method} {request.url}")

    def on_request_failed(self, request: Request) -> None:
        # A beacon outlives its page by design, but DevTools calls it aborted when the page goes
        # before the answer comes: whether it arrived, the tests check in the database.
        if request.resource_type == "ping" and request.failure == "net::ERR_ABORTED":
            return
        if self.known(request.url):
            self.lines.append(f"request failed: {request.method} {request.url}: {request.failure}")

    def on_response(self, response: Response) -> None:
        if self.known(response.url) and response.status >= 400:
            request = response.request
            self.lines.append(f"{response.status} for {request.method} {response.url}")
