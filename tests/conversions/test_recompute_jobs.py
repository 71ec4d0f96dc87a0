"""A goal's conversions brought up to date with its settings as a job of the task queue.

The story: Acme's goal "Paid" (the thank-you page, last touch, 30 days) has converted two
visitors: v1, who paid five minutes after Sam's chat, and v2, who paid three days after Kim's.
v3 looked at the pricing page ten minutes after Lee's chat. A period of 1 day keeps v1's
conversion alone; the pricing page as the condition, with that period, v3's alone.
"""

import os
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from io import StringIO
from subprocess import Popen
from typing import Any

import psycopg
import pytest
from celery.signals import worker_ready
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.utils import timezone
from kombu.exceptions import OperationalError

from conversions import jobs, recompute, totals
from conversions.attribution import GoalTerms
from conversions.models import (
    ChangedVisitor,
    Conversion,
    GoalDayTotal,
    PageView,
    RecomputeJob,
    Touch,
)
from goals import rules
from goals.models import Goal
from goals_admin import celery_app
from tests.helpers.api import Api
from tests.helpers.conversions import KIM, SAM, SHOP, chat, page_view, sent
from tests.helpers.jobs import (
    InTheBackground,
    empty_queue,
    eventually,
    pool_process,
    worker_process,
)
from tests.helpers.pages import signed_in
from tests.helpers.tracking import TEST_REDIS_URL, database_url, requires_test_redis

LEE = (361089721037, "Lee")
PRICING = f"{SHOP}/pricing"
ONE_DAY = {"attribution_period": 1}
PRICING_PAGE = {
    "settings": {"conditions": [{"type": "url", "operator": "contains", "value": "/pricing"}]}
}


@pytest.fixture
def paid_story(alice_api: Api, thanks_goal: Goal) -> Goal:
    sent(
        alice_api,
        "/api/v2/chats",
        [
            chat("c1", visitor="v1", agents=(SAM,)),
            chat("c2", visitor="v2", agents=(KIM,)),
            chat("c3", visitor="v3", agents=(LEE,)),
        ],
    )
    sent(
        alice_api,
        "/api/v2/page_views",
        [
            page_view("p1", visitor="v1", minutes=5),
            page_view("p2", visitor="v2", minutes=3 * 24 * 60),
            page_view("p3", visitor="v3", url=PRICING, minutes=10),
        ],
    )
    assert credited(thanks_goal) == {"c1", "c2"}
    return thanks_goal


@pytest.fixture
def jobs_sent_nowhere(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """Jobs go to a queue that no worker reads, as when the workers are down: the jobs sent,
    as (goal id, version). They are sent as the change commits: a transactional test."""
    celery_app.conf.task_always_eager = False
    queued: list[tuple[int, int]] = []
    monkeypatch.setattr(jobs.recompute_goal, "delay", lambda *job: queued.append(job))
    return queued


@pytest.fixture
def jobs_on_a_worker(settings: Any) -> Iterator[None]:
    """Jobs go through the Redis of TEST_REDIS_URL, on this test process's queue, to the
    worker that the test starts (tests/helpers/jobs.py; tests/conftest.py sets the queue); the
    cache, where a running job tells its progress, is in the same Redis."""
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": TEST_REDIS_URL,
        }
    }
    celery_app.conf.task_always_eager = False
    empty_queue()
    yield
    empty_queue()


def credited(goal: Goal) -> set[str]:
    """The chats that the goal's stored conversions are credited to."""
    return set(Conversion.objects.filter(goal_id=goal.pk).values_list("chat_id", flat=True))


def changed(api: Api, goal: Goal, body: dict[str, Any]) -> None:
    response = api.put(f"/api/v2/goals/{goal.pk}", body)
    assert response.status_code == 200, response.content


def its_conversions(client: Client, goal: Goal) -> str:
    """What the goal's page says of its conversions, in one line."""
    page = client.get(f"/goals/{goal.pk}/edit/").content.decode()
    section = page[page.index('id="recompute"') :]
    return " ".join(section[: section.index("</section>")].split())


def job_done(goal: Goal) -> bool:
    job = RecomputeJob.objects.get(goal_id=goal.pk)
    return not job.waiting


def test_without_a_worker_a_changed_period_recomputes_the_goal_before_the_change_answers(
    alice_api: Api, alice_client: Client, paid_story: Goal
) -> None:
    changed(alice_api, paid_story, ONE_DAY)
    assert credited(paid_story) == {"c1"}
    assert "Its conversions were last brought up to date with its settings" in its_conversions(
        alice_client, paid_story
    )


def test_a_renamed_goal_s_conversions_carry_its_new_name_and_stay_credited_as_they_were(
    alice_api: Api, paid_story: Goal
) -> None:
    changed(alice_api, paid_story, {"name": "Orders"})
    names = Conversion.objects.filter(goal_id=paid_story.pk).values_list("goal_name", flat=True)
    assert sorted(names) == ["Orders", "Orders"]
    assert credited(paid_story) == {"c1", "c2"}


@pytest.mark.django_db(transaction=True)
def test_a_goal_changed_while_the_workers_are_down_keeps_its_conversions_and_says_it_waits(
    alice_api: Api,
    alice_client: Client,
    paid_story: Goal,
    jobs_sent_nowhere: list[tuple[int, int]],
) -> None:
    changed(alice_api, paid_story, ONE_DAY)
    assert jobs_sent_nowhere == [(paid_story.pk, 2)]  # the first: its creation
    assert credited(paid_story) == {"c1", "c2"}
    said = its_conversions(alice_client, paid_story)
    assert "will be brought up to date with its settings, over all stored data, by a worker" in said
    assert 'hx-trigger="every 2s"' in said


@pytest.mark.django_db(transaction=True)
def test_a_job_killed_half_way_leaves_the_old_conversions_and_runs_again_in_full(
    alice_api: Api,
    alice_client: Client,
    paid_story: Goal,
    jobs_sent_nowhere: list[tuple[int, int]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    changed(alice_api, paid_story, {"name": "Orders", **ONE_DAY})

    # The worker dies after the job has renamed the conversions and removed v2's, before it
    # has taken the removal into the daily totals.
    def killed(*args: Any, **kwargs: Any) -> None:
        raise SystemExit("killed")

    with monkeypatch.context() as patched:
        patched.setattr(recompute.totals.ConversionChanges, "write", killed)
        with pytest.raises(SystemExit):
            jobs.run(*jobs_sent_nowhere[0])
    assert credited(paid_story) == {"c1", "c2"}
    assert set(Conversion.objects.values_list("goal_name", flat=True)) == {"Paid"}
    assert totals.differences(paid_story.account_id) == []
    assert "waiting since" in its_conversions(alice_client, paid_story)

    printed = StringIO()
    call_command("recompute_goals", stdout=printed)
    assert printed.getvalue().endswith(": done.\n")
    assert credited(paid_story) == {"c1"}
    assert set(Conversion.objects.values_list("goal_name", flat=True)) == {"Orders"}
    assert "last brought up to date" in its_conversions(alice_client, paid_story)


@pytest.mark.django_db(transaction=True)
def test_a_second_change_before_the_first_job_runs_supersedes_it_and_the_last_settings_win(
    alice_api: Api, paid_story: Goal, jobs_sent_nowhere: list[tuple[int, int]]
) -> None:
    changed(alice_api, paid_story, ONE_DAY)
    changed(alice_api, paid_story, PRICING_PAGE)
    first, second = jobs_sent_nowhere
    assert jobs.run(*first) is False
    assert credited(paid_story) == {"c1", "c2"}
    assert jobs.run(*second) is True
    assert credited(paid_story) == {"c3"}
    # Run again, as a broker may deliver a job twice, it does nothing more.
    assert jobs.run(*second) is False


@pytest.mark.django_db(transaction=True)
def test_a_worker_that_starts_sends_the_jobs_left_waiting_again(
    alice_api: Api, paid_story: Goal, jobs_sent_nowhere: list[tuple[int, int]]
) -> None:
    changed(alice_api, paid_story, ONE_DAY)
    jobs_sent_nowhere.clear()  # lost, as when Redis was out of reach
    worker_ready.send(sender=None)
    assert jobs_sent_nowhere == [(paid_story.pk, 2)]


@pytest.mark.django_db(transaction=True)
def test_a_change_made_while_redis_is_out_of_reach_is_saved_and_its_job_waits_for_the_command(
    alice_api: Api,
    alice_client: Client,
    paid_story: Goal,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    celery_app.conf.task_always_eager = False

    def unreachable(*job: Any) -> None:
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(jobs.recompute_goal, "delay", unreachable)
    changed(alice_api, paid_story, ONE_DAY)
    assert f"The job of goal {paid_story.pk} could not be sent to the workers." in caplog.text
    assert paid_story.__class__.objects.get(pk=paid_story.pk).attribution_period == 1
    assert "waiting since" in its_conversions(alice_client, paid_story)
    call_command("recompute_goals", stdout=StringIO())
    assert credited(paid_story) == {"c1"}


@pytest.mark.django_db(transaction=True)
def test_a_goal_waiting_for_its_job_credits_no_page_view_until_the_job_computes_them_all(
    alice_api: Api, paid_story: Goal, jobs_sent_nowhere: list[tuple[int, int]]
) -> None:
    changed(alice_api, paid_story, PRICING_PAGE)
    # v1 chats again and sees the pricing page: the new conditions would credit Sam, the old
    # ones nothing. Until the job runs, the goal's conversions are the old ones, all of them.
    sent(alice_api, "/api/v2/chats", [chat("c4", visitor="v1", minutes=60, agents=(SAM,))])
    sent(alice_api, "/api/v2/page_views", [page_view("p4", visitor="v1", url=PRICING, minutes=70)])
    assert credited(paid_story) == {"c1", "c2"}
    call_command("recompute_goals", stdout=StringIO())
    assert credited(paid_story) == {"c3", "c4"}
    # What the batches noted for the job is gone with it.
    assert not ChangedVisitor.objects.exists()


def test_the_recompute_command_says_when_no_job_waits(paid_story: Goal) -> None:
    printed = StringIO()
    call_command("recompute_goals", stdout=printed)
    assert printed.getvalue() == "No job waits.\n"


@pytest.mark.django_db(transaction=True)
def test_a_disabled_goal_keeps_its_conversions_and_a_job_asked_before_is_superseded(
    alice_api: Api, paid_story: Goal, jobs_sent_nowhere: list[tuple[int, int]]
) -> None:
    changed(alice_api, paid_story, ONE_DAY)
    changed(alice_api, paid_story, {"enabled": False})
    period, disabled = jobs_sent_nowhere
    assert jobs.run(*period) is False
    assert jobs.run(*disabled) is True
    assert credited(paid_story) == {"c1", "c2"}
    assert job_done(paid_story)


@pytest.mark.django_db(transaction=True)
def test_a_goal_renamed_then_deleted_before_its_job_runs_leaves_its_conversions_its_last_name(
    alice_api: Api, paid_story: Goal, jobs_sent_nowhere: list[tuple[int, int]]
) -> None:
    changed(alice_api, paid_story, {"name": "Orders"})
    assert alice_api.delete(f"/api/v2/goals/{paid_story.pk}").status_code == 204
    assert jobs.run(*jobs_sent_nowhere[-1]) is False  # the goal is gone
    names = Conversion.objects.filter(goal_id=paid_story.pk).values_list("goal_name", flat=True)
    assert sorted(names) == ["Orders", "Orders"]


def test_conditions_only_reordered_or_repeated_ask_for_no_job_and_are_kept_in_the_history(
    alice_api: Api, paid_story: Goal
) -> None:
    thanks = {"type": "url", "operator": "contains", "value": "/thanks"}
    pricing = {"type": "url", "operator": "contains", "value": "/pricing"}
    changed(alice_api, paid_story, {"settings": {"conditions": [thanks, pricing]}})
    asked = RecomputeJob.objects.get(goal_id=paid_story.pk).version
    changed(alice_api, paid_story, {"settings": {"conditions": [pricing, thanks, pricing]}})
    assert RecomputeJob.objects.get(goal_id=paid_story.pk).version == asked
    assert credited(paid_story) == {"c1", "c2", "c3"}
    assert paid_story.history.count() == 3  # created, and both changes
    saved = alice_api.get(f"/api/v2/goals/{paid_story.pk}").json()["settings"]["conditions"]
    assert [condition["value"] for condition in saved] == ["/pricing", "/thanks", "/pricing"]


def test_another_account_s_goal_has_no_job_page(
    bob: Any, paid_story: Goal, alice_client: Client
) -> None:
    assert signed_in(bob).get(f"/goals/{paid_story.pk}/recompute/").status_code == 404
    assert alice_client.get(f"/goals/{paid_story.pk}/recompute/").status_code == 200


@requires_test_redis()
@pytest.mark.django_db(transaction=True)
def test_with_a_worker_the_change_answers_at_once_and_the_worker_brings_the_goal_up_to_date(
    alice_api: Api, alice_client: Client, paid_story: Goal, jobs_on_a_worker: None
) -> None:
    # The worker starts after the change has answered: the request did not do the job.
    changed(alice_api, paid_story, ONE_DAY)
    assert credited(paid_story) == {"c1", "c2"}
    assert "waiting since" in its_conversions(alice_client, paid_story)
    with worker_process():
        eventually(lambda: job_done(paid_story), what="the job done")
    assert credited(paid_story) == {"c1"}
    assert "last brought up to date" in its_conversions(alice_client, paid_story)


class HeldTotals:
    """The goal's daily totals locked by another connection (SELECT ... FOR UPDATE), as a
    slow writer would: a job that changes them waits as it takes what it counted into them,
    having computed every visitor, its transaction open, before its last step."""

    def __init__(self, goal: Goal) -> None:
        self.connection = psycopg.connect(database_url())
        self.connection.execute(
            f"SELECT * FROM {GoalDayTotal._meta.db_table} WHERE goal_id = %s FOR UPDATE",
            [goal.pk],
        )

    def job_waits(self) -> bool:
        """Whether a connection waits for a lock that this one holds."""
        return bool(self.waiting_pids())

    def waiting_pids(self) -> list[int]:
        """The server processes of the connections that wait for a lock that this one holds."""
        # pg_locks, not pg_stat_activity, which a transaction reads as it was at its start.
        waiting = self.connection.execute(
            "SELECT pid FROM pg_locks WHERE NOT granted"
            " AND pg_backend_pid() = ANY(pg_blocking_pids(pid))"
        )
        return [row[0] for row in waiting.fetchall()]

    def release(self) -> None:
        self.connection.rollback()
        self.connection.autocommit = True

    def ended(self, pid: int) -> bool:
        """Whether the server process has ended (after release: each statement a snapshot)."""
        found = self.connection.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid]
        )
        return found.fetchone()[0] == 0


@contextmanager
def job_held(api: Api, goal: Goal, change: dict[str, Any]) -> Iterator[tuple[HeldTotals, Popen]]:
    """A worker (stopped when the block ends) doing the job of this change of the goal, held
    by another connection as it takes what it counted into the goal's daily totals: the held
    totals, which release it, and the worker's process."""
    held = HeldTotals(goal)
    try:
        with worker_process() as worker:
            changed(api, goal, change)
            eventually(held.job_waits, what="the job waiting for the daily totals")
            yield held, worker
    finally:
        held.connection.close()


# Only PostgreSQL lets another connection hold a job half way: SQLite's writer holds the whole
# database from its first statement.
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="Holds a job half way with PostgreSQL's row locks."
)


def written_beside_a_batch(
    write: Callable[[], object], account_id: int, lock: str, insert: str, params: list[Any]
) -> InTheBackground:
    """A goal write run while a batch of the account, on a connection of its own, holds its
    conversions lock (`lock`, the advisory function), then inserts a row that refers to the
    account or the goal (`insert`), as the write waits for the lock, and commits: the write,
    finished. Had the write locked that row against the insert's check, each would wait for
    the other, and PostgreSQL would fail one of them."""
    batch = psycopg.connect(database_url())
    batch.execute(f"SELECT {lock}(%s, %s)", [recompute.LOCK_CLASS, account_id])
    written = InTheBackground(write)
    eventually(
        lambda: batch.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        ).fetchone()[0],
        what="the write waiting for the batch",
    )
    batch.execute(insert, params)
    batch.commit()
    batch.close()
    assert written.finished()
    return written


def on_a_worker_held_half_way(test: Callable[..., None]) -> Callable[..., None]:
    """The marks of a test that holds a job on a real worker half way (job_held)."""
    return postgresql_only(requires_test_redis()(pytest.mark.django_db(transaction=True)(test)))


@on_a_worker_held_half_way
def test_a_worker_killed_mid_job_leaves_the_old_conversions_and_the_job_runs_again(
    alice_api: Api, alice_client: Client, paid_story: Goal, jobs_on_a_worker: None
) -> None:
    with job_held(alice_api, paid_story, {"name": "Orders", **ONE_DAY}) as (held, worker):
        said = its_conversions(alice_client, paid_story)
        assert "Bringing its conversions up to date with its settings" in said
        assert "3 of 3 visitors" in said
        (job_connection,) = held.waiting_pids()
        # Killed as the kernel kills a process out of memory: the worker, then its pool's.
        pool = pool_process(worker)
        os.kill(worker.pid, signal.SIGKILL)
        os.kill(pool, signal.SIGKILL)
        worker.wait()
        held.release()
        # The killed job's connection learns that its client is gone, and rolls back.
        eventually(lambda: held.ended(job_connection), what="the killed job rolled back")
    assert credited(paid_story) == {"c1", "c2"}
    assert set(Conversion.objects.values_list("goal_name", flat=True)) == {"Paid"}
    # The dead job's last word on its progress lasts as long as a live one's would.
    eventually(
        lambda: "waiting since" in its_conversions(alice_client, paid_story),
        seconds=2 * jobs.PROGRESS_SECONDS,
        what="the page saying that the job waits",
    )

    # A worker started again sends the jobs left waiting, and does them.
    with worker_process():
        eventually(lambda: job_done(paid_story), what="the job done by the next worker")
    assert credited(paid_story) == {"c1"}
    assert set(Conversion.objects.values_list("goal_name", flat=True)) == {"Orders"}


@on_a_worker_held_half_way
def test_a_job_that_loses_its_database_connection_is_tried_again_by_the_running_worker(
    alice_api: Api, paid_story: Goal, jobs_on_a_worker: None
) -> None:
    with worker_process() as worker:
        # At work, and past sending the jobs that waited as it started: this job is sent once.
        changed(alice_api, paid_story, {"name": "Orders"})
        eventually(lambda: job_done(paid_story), what="the worker at work")
        held = HeldTotals(paid_story)
        changed(alice_api, paid_story, ONE_DAY)
        eventually(held.job_waits, what="the job waiting for the daily totals")
        (job_connection,) = held.waiting_pids()
        # As when the database server restarts, or an operator ends the connection.
        held.connection.execute("SELECT pg_terminate_backend(%s)", [job_connection])
        held.release()
        held.connection.close()
        eventually(lambda: job_done(paid_story), what="the job tried again, and done")
        assert worker.poll() is None
    assert credited(paid_story) == {"c1"}
    assert totals.differences(paid_story.account_id) == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "failing",
    [
        lambda: recompute._rows("SELECT visitor_id FROM no_such_table WHERE account_id = %s", [1]),
        lambda: recompute.copy_rows(PageView, ["page_view_id"], [["p9"]], "no_such_table"),
    ],
    ids=["a read", "a copy"],
)
def test_what_the_database_fails_in_a_job_s_own_statements_is_an_error_that_jobs_retry(
    failing: Callable[[], object],
) -> None:
    # recompute_goal retries DatabaseError; a job's reads and copies go around Django's cursor.
    with pytest.raises(DatabaseError), transaction.atomic():
        failing()


@on_a_worker_held_half_way
def test_chats_and_page_views_sent_while_a_job_computes_are_stored_at_once_and_counted_by_it(
    alice_api: Api, alice_client: Client, paid_story: Goal, jobs_on_a_worker: None
) -> None:
    with job_held(alice_api, paid_story, PRICING_PAGE) as (held, _):
        # v1 chats again and sees the pricing page, which the new conditions credit to Sam,
        # and v4 chats with Kim: had the job held the account's batches off while it computes,
        # they would wait for it, and it waits for this test.
        def send() -> None:
            sent(
                alice_api,
                "/api/v2/chats",
                [
                    chat("c4", visitor="v1", minutes=60, agents=(SAM,)),
                    chat("c5", visitor="v4", minutes=60, agents=(KIM,)),
                ],
            )
            sent(
                alice_api,
                "/api/v2/page_views",
                [
                    page_view("p4", visitor="v1", url=PRICING, minutes=70),
                    page_view("p5", visitor="v4", url=PRICING, minutes=80),
                ],
            )

        batches = InTheBackground(send)
        assert batches.finished(), "the batches waited for the job"
        assert not batches.failed
        assert credited(paid_story) == {"c1", "c2"}  # the old conditions' until the job ends
        held.release()
        eventually(lambda: job_done(paid_story), what="the job done")
    assert credited(paid_story) == {"c3", "c4", "c5"}
    assert totals.differences(paid_story.account_id) == []
    assert not ChangedVisitor.objects.exists()
    assert "last brought up to date" in its_conversions(alice_client, paid_story)


@on_a_worker_held_half_way
def test_a_change_while_a_job_runs_answers_at_once_and_leaves_nothing_of_the_first_job(
    alice_api: Api, alice_client: Client, paid_story: Goal, jobs_on_a_worker: None
) -> None:
    with job_held(alice_api, paid_story, ONE_DAY) as (held, _):
        # Had the second change waited for the first job, which waits for this test, it would
        # never answer.
        second = InTheBackground(lambda: changed(alice_api, paid_story, PRICING_PAGE))
        assert second.finished(), "the second change waited for the first job"
        assert not second.failed
        held.release()
        eventually(lambda: job_done(paid_story), what="the second job done")
    # Asked for by its creation, then by the two changes.
    assert RecomputeJob.objects.get(goal_id=paid_story.pk).done_version == 3
    assert credited(paid_story) == {"c3"}
    assert "last brought up to date" in its_conversions(alice_client, paid_story)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_goal_enabled_while_a_page_view_batch_is_stored_waits_for_the_batch_and_both_go_through(
    alice: Any, paid_story: Goal
) -> None:
    rules.goal_set_enabled(goal=paid_story, actor=alice, enabled=False)
    # A page-view batch, holding its share of the lock, stores a page view, which checks that
    # the account exists; without a worker, the goal's job runs inside the change, which waits
    # for the batch.
    change = written_beside_a_batch(
        lambda: rules.goal_set_enabled(goal=paid_story, actor=alice, enabled=True),
        paid_story.account_id,
        "pg_advisory_xact_lock_shared",
        f"INSERT INTO {PageView._meta.db_table}"
        " (account_id, page_view_id, visitor_id, url, timestamp, title)"
        " VALUES (%s, 'p9', 'v9', %s, now(), '')",
        [paid_story.account_id, PRICING],
    )
    assert not change.failed, change.failed
    assert Goal.objects.get(pk=paid_story.pk).enabled
    assert credited(paid_story) == {"c1", "c2"}


def test_a_goal_enabled_after_its_chat_moved_to_another_visitor_credits_the_chat_there_once(
    alice: Any, alice_api: Api, paid_story: Goal
) -> None:
    rules.goal_set_enabled(goal=paid_story, actor=alice, enabled=False)
    # Sent again, Sam's chat is v5's, who paid an hour later; v1 has no chat any more.
    sent(alice_api, "/api/v2/chats", [chat("c1", visitor="v5", agents=(SAM,))])
    sent(alice_api, "/api/v2/page_views", [page_view("p5", visitor="v5", minutes=60)])
    assert Conversion.objects.get(goal_id=paid_story.pk, chat_id="c1").visitor_id == "v1"

    rules.goal_set_enabled(goal=paid_story, actor=alice, enabled=True)
    moved = Conversion.objects.get(goal_id=paid_story.pk, chat_id="c1")
    assert (moved.visitor_id, moved.page_view_id) == ("v5", "p5")
    assert credited(paid_story) == {"c1", "c2"}
    assert totals.differences(paid_story.account_id) == []


@on_a_worker_held_half_way
def test_a_goal_disabled_while_its_job_computes_keeps_its_old_conversions_and_gets_no_more(
    alice_api: Api, paid_story: Goal, jobs_on_a_worker: None
) -> None:
    with job_held(alice_api, paid_story, PRICING_PAGE) as (held, _):
        disabled = InTheBackground(lambda: changed(alice_api, paid_story, {"enabled": False}))
        assert disabled.finished(), "the disabling waited for the job"
        assert not disabled.failed
        # v1 chats again and sees the pricing page: a disabled goal credits nothing of it.
        sent(alice_api, "/api/v2/chats", [chat("c4", visitor="v1", minutes=60, agents=(SAM,))])
        sent(
            alice_api,
            "/api/v2/page_views",
            [page_view("p4", visitor="v1", url=PRICING, minutes=70)],
        )
        held.release()
        eventually(lambda: job_done(paid_story), what="the disabling's job done")
    assert credited(paid_story) == {"c1", "c2"}
    assert totals.differences(paid_story.account_id) == []


@pytest.mark.django_db(transaction=True)
def test_a_job_stamps_the_conversions_it_writes_as_it_ends_for_the_incremental_export(
    alice_api: Api,
    paid_story: Goal,
    jobs_sent_nowhere: list[tuple[int, int]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    changed(alice_api, paid_story, PRICING_PAGE)
    clock = [timezone.now().replace(microsecond=0)]
    monkeypatch.setattr(recompute.timezone, "now", lambda: clock[0])
    computed = recompute._recompute

    def taking_a_minute(
        account_id: int, goals: Any, visitors: list[str], *args: Any, **kwargs: Any
    ) -> None:
        computed(account_id, goals, visitors, *args, **kwargs)
        if visitors:
            clock[0] += timedelta(minutes=1)
        if len(visitors) > 1:  # computing every visitor: a batch notes v3 meanwhile
            recompute.note_visitors([paid_story.pk], ["v3"])

    # The export holds back 30 seconds: a conversion stamped a minute or two before its job
    # commits, as it was computed or computed again for a noted visitor, would be behind the
    # cursor of a client that read meanwhile.
    monkeypatch.setattr(recompute, "_recompute", taking_a_minute)
    assert jobs.run(*jobs_sent_nowhere[-1]) is True
    assert Conversion.objects.get(chat_id="c3").update_timestamp == clock[0]
    assert not ChangedVisitor.objects.exists()
    assert totals.differences(paid_story.account_id) == []


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_goal_disabled_while_a_chat_batch_notes_visitors_for_its_job_waits_for_the_batch(
    alice: Any, alice_api: Api, paid_story: Goal, jobs_sent_nowhere: list[tuple[int, int]]
) -> None:
    changed(alice_api, paid_story, PRICING_PAGE)  # its job waits: batches note for it
    # A chat batch, holding the lock alone, notes a visitor for the goal's job, which checks
    # that the goal exists.
    disabling = written_beside_a_batch(
        lambda: rules.goal_set_enabled(goal=paid_story, actor=alice, enabled=False),
        paid_story.account_id,
        "pg_advisory_xact_lock",
        f"INSERT INTO {ChangedVisitor._meta.db_table} (goal_id, visitor_id) VALUES (%s, 'v9')",
        [paid_story.pk],
    )
    assert not disabling.failed, disabling.failed
    assert not Goal.objects.get(pk=paid_story.pk).enabled


def test_a_chat_that_moves_to_a_later_visitor_while_a_job_computes_is_credited_once(
    alice: Any, alice_api: Api, paid_story: Goal, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent(alice_api, "/api/v2/chats", [chat("c9", visitor="v9", minutes=-60, agents=(KIM,))])
    sent(alice_api, "/api/v2/page_views", [page_view("p9", visitor="v9", minutes=30)])
    paid_story.refresh_from_db()
    paid_story.name = "Orders"  # what the job computes differs from what is stored
    terms = GoalTerms.of(paid_story)
    # A visitor a chunk, and Sam's chat moved from v1 to v9 (a later chunk) once v1's is done,
    # as a batch sending it again with that visitor would while the job computes.
    monkeypatch.setattr(recompute, "chunks", lambda items, size=1: [[item] for item in items])

    def progress(done: int, total: int) -> None:
        if done == 1:
            Touch.objects.filter(chat_id="c1").update(visitor_id="v9")

    with transaction.atomic():
        recompute.recompute_goals(paid_story.account_id, [terms], progress=progress)
    assert Conversion.objects.filter(goal_id=paid_story.pk, chat_id="c1").count() == 1
    assert totals.differences(paid_story.account_id) == []
