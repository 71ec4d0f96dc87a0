"""Chromium, driven by Playwright, against pytest-django's live server.

One browser for the whole session and a fresh context (cookies, storage, viewport) for every test.
Each page watches itself: a console error, an uncaught script error, a request that fails or is
answered 400 or more by our own server, or any request to another host fails the test that made it.

Static files: pytest-django's live server wraps its handler in staticfiles' StaticFilesHandler
whenever django.contrib.staticfiles is installed (it is), so the vendored Bootstrap, htmx and our
scripts are served from the finders, with DEBUG off as under test, and no collectstatic is needed.
"""

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Error,
    Page,
    Playwright,
    Request,
    Response,
    sync_playwright,
)

# Playwright's sync API keeps an asyncio loop running in this thread, and Django refuses ORM calls
# from a thread with a running loop. The tests only set up and read data between browser steps,
# never concurrently with them, so the check has nothing to protect here.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
# A page that takes longer than this to answer is broken, not slow: fail fast, keep the suite quick.
TIMEOUT_MS = 5_000


@dataclass
class PageProblems:
    """What went wrong in the browser while a test ran, as lines to report."""

    origin: str
    lines: list[str] = field(default_factory=list)

    def same_origin(self, url: str) -> bool:
        return url.startswith(self.origin + "/") or url == self.origin

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.lines.append(f"console error: {message.text} ({message.location})")

    def on_page_error(self, error: Error) -> None:
        self.lines.append(f"uncaught script error: {error}")

    def on_request(self, request: Request) -> None:
        # Pages load only the project's own files: no CDN, no third-party host.
        if urlsplit(request.url).scheme in {"http", "https"} and not self.same_origin(request.url):
            self.lines.append(f"request to another host: {request.method} {request.url}")

    def on_request_failed(self, request: Request) -> None:
        if self.same_origin(request.url):
            self.lines.append(f"request failed: {request.method} {request.url}: {request.failure}")

    def on_response(self, response: Response) -> None:
        if self.same_origin(response.url) and response.status >= 400:
            request = response.request
            self.lines.append(f"{response.status} for {request.method} {response.url}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    # Report browser problems as a failure of the test itself, once its own assertions passed.
    result = yield
    problems: PageProblems | None = getattr(item, "browser_problems", None)
    if problems is not None and problems.lines:
        raise AssertionError("The browser saw problems:\n  " + "\n  ".join(problems.lines))
    return result


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def browser_context_options() -> dict[str, Any]:
    """Override in a test module (or parametrize) for another viewport."""
    return {"viewport": {"width": 1280, "height": 900}}


@pytest.fixture
def context(
    browser: Browser, live_server: Any, browser_context_options: dict[str, Any]
) -> Iterator[BrowserContext]:
    context = browser.new_context(base_url=live_server.url, **browser_context_options)
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext, live_server: Any, request: pytest.FixtureRequest) -> Page:
    page = context.new_page()
    problems = PageProblems(origin=live_server.url)
    page.on("console", problems.on_console)
    page.on("pageerror", problems.on_page_error)
    page.on("request", problems.on_request)
    page.on("requestfailed", problems.on_request_failed)
    page.on("response", problems.on_response)
    request.node.browser_problems = problems
    return page


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where screenshots go: a git-ignored folder at the project's root."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
