"""Chromium, driven by Playwright, against pytest-django's live server.

One browser for the whole session and a fresh context (cookies, storage, viewport) for every test.
Each context is watched (tests/helpers/browser.py, PageProblems): a console error, an uncaught
script error, a request that fails or is answered 400 or more by our own server, or any request to
another host fails the test that made it.

Static files: pytest-django's live server wraps its handler in staticfiles' StaticFilesHandler
whenever django.contrib.staticfiles is installed (it is), so the vendored Bootstrap, htmx and our
scripts are served from the finders, with DEBUG off as under test, and no collectstatic is needed.
"""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    sync_playwright,
)

from tests.helpers.browser import PageProblems

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
    problems = PageProblems(origins=(live_server.url,))
    problems.attach(context)
    request.node.browser_problems = problems
    return context.new_page()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where screenshots go: a git-ignored folder at the project's root."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def screenshots(artifacts: Path) -> Path:
    """Where the screenshots that an issue's note shows go: SCREENSHOTS_DIR when it is set (the
    note takes them into docs/screenshots/issue-N/), else artifacts."""
    chosen = os.environ.get("SCREENSHOTS_DIR")
    if not chosen:
        return artifacts
    folder = Path(chosen)
    folder.mkdir(parents=True, exist_ok=True)
    return folder
