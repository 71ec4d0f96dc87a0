"""A goal's page (issue 15) in a real browser, at desktop width and at 390 px: its history in
words, and where its conversions stand, which the page asks again (htmx, every 2 s) while a job
waits, until it says the job finished; and the goals import page refusing a bad file.

Screenshots go to SCREENSHOTS_DIR when it is set (the issue's note takes them into
docs/screenshots/issue-15/), else to the git-ignored artifacts/.

Cast (tests/conftest.py): Alice administers Acme.
"""

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from accounts.models import Account, User
from conversions import jobs
from goals import rules
from goals.models import Goal
from goals_admin import celery_app
from tests.helpers.browser import DESKTOP, PHONE, expect_no_horizontal_scroll, sign_in

# The live server's threads see the test's writes only outside a transaction.
pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = pytest.mark.parametrize(
    "browser_context_options", [DESKTOP, PHONE], ids=["desktop", "phone"]
)


def width_name(page: Page) -> str:
    return "390" if page.viewport_size["width"] < 576 else "desktop"


@pytest.fixture
def jobs_sent_nowhere(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """Jobs wait, as for a worker that has not taken them yet: the jobs sent."""
    celery_app.conf.task_always_eager = False
    sent: list[tuple[int, int]] = []
    monkeypatch.setattr(jobs.recompute_goal, "delay", lambda *job: sent.append(job))
    return sent


@WIDTHS
def test_the_goal_s_page_tells_its_history_and_follows_its_job_until_it_finishes(
    page: Page,
    alice: User,
    acme: Account,
    make_goal: Callable[..., Goal],
    jobs_sent_nowhere: list[tuple[int, int]],
    screenshots: Path,
) -> None:
    pricing = make_goal(
        acme,
        name="Pricing",
        conditions=[{"type": "url", "operator": "contains", "value": "/pricing"}],
    )
    rules.goal_update(goal=pricing, actor=alice, attribution_period=7, name="Pricing page")
    sign_in(page, alice, start=f"/goals/{pricing.pk}/edit/", heading="Edit “Pricing page”")
    section = page.locator("#recompute")
    expect(section).to_contain_text("by a worker: waiting since")
    history = page.locator("#history")
    expect(history.get_by_role("listitem").first).to_contain_text(
        "Name changed from “Pricing” to “Pricing page”."
    )
    expect(history.get_by_role("listitem").first).to_contain_text(
        "Period changed from 30 to 7 days"
    )
    expect(history.get_by_role("listitem").nth(1)).to_contain_text("Created “Pricing”")
    expect_no_horizontal_scroll(page)
    page.screenshot(path=screenshots / f"goal-{width_name(page)}.png", full_page=True)

    # The worker takes the job: the page, asking again, says it finished without a reload.
    for goal_id, version in jobs_sent_nowhere:
        jobs.run(goal_id, version)
    expect(section).to_contain_text("Its conversions were last brought up to date", timeout=10_000)
    expect(section).not_to_have_attribute("hx-trigger", "every 2s")


@WIDTHS
def test_the_import_page_refuses_a_bad_file_and_says_what_to_correct(
    page: Page, alice: User, tmp_path: Path, screenshots: Path
) -> None:
    bad = tmp_path / "goals.json"
    bad.write_text(json.dumps([{"name": "Paid", "attribution_period": 90}, {"enabled": True}]))
    sign_in(page, alice)
    page.get_by_role("link", name="Import goals").click()
    page.get_by_label("An export of goals").set_input_files(bad)
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_text("Nothing was imported:")).to_be_visible()
    expect(page.get_by_text("Goal 1, attribution_period:")).to_be_visible()
    expect(page.get_by_text("Goal 2, name:")).to_be_visible()
    expect_no_horizontal_scroll(page)
    page.screenshot(path=screenshots / f"import-{width_name(page)}.png", full_page=True)
