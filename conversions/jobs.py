"""A goal's conversions recomputed over all stored data, as a job of the task queue.

A change of an enabled goal's terms (conditions, attribution model or period), its enabling, or
its renaming asks for a job within the change's own transaction (ask): the goal's RecomputeJob
counts a new version. Without a worker (no REDIS_URL) the job runs there and then, inside the
change, which commits with its conversions; with one, the job is sent once the change commits,
and the request answers at once.

A job (run) writes in one transaction: killed half way, it leaves the conversions as they
were, and run again it does the whole work again. Between chunks of visitors it checks that no
later change asked for a job meanwhile: one did, and it stops, rolled back, leaving the work to
the later job, which reads the settings as they are then; so the last settings win, and nothing
of the first job's stays. Its progress goes to the cache, where readers outside its transaction
(the goal's page) see it.

Until its job has run, a goal whose terms changed gets no conversion from the page views and
chats that arrive, whose batches note their visitors for it instead (recompute.enabled_goals).
So the job holds the account's exclusive conversions lock (recompute.lock_conversions) only for
a moment at its start, once the batches that read the old terms have ended, and for its last
step: it computes the visitors noted since its start in rounds while the account's chats and
page views go on arriving (recompute.Recomputation), and the few noted since under the lock
(recompute.catch_up). Run inside the change that asked (no worker), it holds the lock
throughout, for the batches cannot see that change before it commits.
"""

import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from celery import Task, shared_task
from celery.signals import worker_ready
from django.core.cache import cache
from django.db import DatabaseError, transaction
from django.dispatch import receiver
from django.utils import timezone
from kombu.exceptions import OperationalError

from conversions import recompute
from conversions.attribution import GoalTerms
from conversions.models import RecomputeJob
from goals.models import Goal
from goals.signals import goal_written

logger = logging.getLogger(__name__)

# What a goal's conversions depend on, besides the stored chats and page views.
TERMS = frozenset({"conditions", "attribution_model", "attribution_period", "enabled"})
# A running job refreshes its progress after each chunk of a thousand visitors, well under a
# second apart: progress older than this is a job that died, and the page says it waits.
PROGRESS_SECONDS = 15
# At most this many rounds of the visitors noted while a job computed, before its last step
# takes the rest under the lock: a round takes those noted during the one before.
CATCH_UP_ROUNDS = 5
# A job that the database fails is tried again this many times, at most this long apart: for
# some 24 minutes in all, then it waits for a worker to start or `manage.py recompute_goals`.
RETRIES = 12
RETRY_SECONDS = 300


class Superseded(Exception):
    """A later change asked for a job of the same goal while this one ran."""


@dataclass(frozen=True)
class Progress:
    """How far a running job is: visitors done of the account's visitors with touches, and when
    it started (aware, UTC)."""

    done: int
    total: int
    started_at: datetime

    @property
    def percent(self) -> int:
        """Whole percent done, 0 to 100 (0 before the visitors are counted)."""
        return self.done * 100 // self.total if self.total else 0


@receiver(goal_written)
def _keep_goal_conversions_current(
    sender: Any, goal: Goal, changed: set[str], **kwargs: Any
) -> None:
    """A goal's terms changed, or it was enabled: its conversions are computed anew. Renamed:
    its conversions carry the new name. Disabled or deleted: it keeps what it has, under its
    last name, and gets no more, which the lock makes exact against batches being credited at
    the same moment (a job holds it at its start and last step, which the change waits for)."""
    stopped = "deleted" in changed or (
        "enabled" in changed and not goal.enabled and "created" not in changed
    )
    if stopped:
        # Before ask(), which locks the job's row that a running job writes as it ends.
        recompute.lock_conversions(goal.account_id, exclusive=True)
    if "deleted" in changed:
        # Its job, if one waits, will find it gone: a name given since its conversions last
        # took one is given to them here.
        recompute.rename_goal(goal.account_id, goal.pk, goal.name)
        return
    whole = goal.enabled and bool(changed & TERMS)
    # A new goal has no conversions to rename. A disabled one supersedes a job that computes
    # it, which would otherwise go on crediting it with what arrives after.
    if whole or stopped or ("name" in changed and "created" not in changed):
        ask(goal, whole=whole)


def ask(goal: Goal, *, whole: bool) -> None:
    """Ask for a job that computes the goal's conversions anew (`whole`), or else only renames
    them, within the current transaction: it runs in it without a worker, else once it commits.
    A job asked before and not yet finished is superseded."""
    job, _ = RecomputeJob.objects.select_for_update().get_or_create(goal_id=goal.pk)
    job.version += 1
    job.whole = job.whole or whole
    job.asked_at = timezone.now()
    job.save()
    goal_id, version = goal.pk, job.version

    if recompute_goal.app.conf.task_always_eager:
        recompute_goal.delay(goal_id, version)
        return

    def send() -> None:
        try:
            recompute_goal.delay(goal_id, version)
        except OperationalError:
            # The change is saved, and its job waits, as the goal's page says, for
            # `manage.py recompute_goals` (README.md, "Background work").
            logger.exception("The job of goal %s could not be sent to the workers.", goal_id)

    # The worker reads the change, so it must be committed first.
    transaction.on_commit(send)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=RETRIES)
def recompute_goal(task: Task, goal_id: int, version: int) -> bool:
    """The task queue's job: run(goal_id, version). On a worker, a job that the database fails
    (a lost connection, a server restarting, a deadlock) is tried again, after 1, 2, 4... and
    at most RETRY_SECONDS seconds, RETRIES times; the change that asked for an eager job fails
    with it instead."""
    try:
        return run(goal_id, version)
    except DatabaseError as error:
        if task.request.is_eager:
            raise
        logger.warning("The job of goal %s failed, and is tried again: %s", goal_id, error)
        countdown = min(2**task.request.retries, RETRY_SECONDS)
        raise task.retry(exc=error, countdown=countdown) from error


def run(goal_id: int, version: int) -> bool:
    """Do the job that the change numbered `version` of the goal asked for: compute its
    conversions anew if it is enabled and its terms changed, and in any case give them its
    current name; all in one transaction. True when done; False when there was nothing to do
    (the job was done already, the goal is gone) or a later change superseded it. Raises what
    the database raises, the transaction rolled back."""
    try:
        with transaction.atomic():
            # Inside the change that asked (no worker), a savepoint: the lock then holds until
            # that change commits.
            begun = _begin(goal_id, version)
        if begun is None:
            return False
        with transaction.atomic():
            return _run(goal_id, version, *begun)
    except Superseded:
        return False
    finally:
        # Done, superseded or failed, this job shows no more progress; a later job may show its own.
        key = _progress_key(goal_id)
        if (cache.get(key) or {}).get("version") == version:
            cache.delete(key)


def _begin(goal_id: int, version: int) -> tuple[int, int] | None:
    """The goal's account and its last visitor noted (recompute.last_noted), once the batches
    that may have read the goal's terms before the change are over; None if there is nothing
    to do (the job was done already, or the goal is gone)."""
    if _job_asked(goal_id, version) is None:
        return None
    account_id = Goal.objects.filter(pk=goal_id).values_list("account_id", flat=True).first()
    if account_id is None:
        return None
    recompute.lock_conversions(account_id, exclusive=True)
    return account_id, recompute.last_noted(goal_id)


def _run(goal_id: int, version: int, account_id: int, noted: int) -> bool:
    job = _job_asked(goal_id, version)
    if job is None:
        return False
    started, started_at = time.monotonic(), timezone.now()

    def progress(done: int, total: int) -> None:
        if _job_asked(goal_id, version) is None:
            raise Superseded
        cache.set(
            _progress_key(goal_id),
            {"version": version, "done": done, "total": total, "started_at": started_at},
            PROGRESS_SECONDS,
        )

    progress(0, 0)
    goal = Goal.objects.prefetch_related("conditions").filter(pk=goal_id).first()
    if goal is None:
        return False  # deleted since
    terms = GoalTerms.of(goal) if goal.enabled and job.whole else None
    if terms is not None:
        computed = recompute.Recomputation(account_id, [terms])
        computed.every_visitor(progress)
        # The visitors noted meanwhile, while the batches go on, until the last step, which
        # holds them off, has only the few noted since to compute.
        for _ in range(CATCH_UP_ROUNDS):
            if computed.noted(noted) < recompute.CHUNK:
                break
        computed.put_in_place()
        # Those noted while it was put in place, a few seconds' worth, still without the lock.
        recompute.recompute_noted(account_id, terms, noted)
    # The last step: the batches wait, and none of them notes a visitor meanwhile.
    recompute.lock_conversions(account_id, exclusive=True)
    if _job_asked(goal_id, version) is None:
        raise Superseded
    recompute.catch_up(account_id, goal_id, terms, noted)
    recompute.rename_goal(account_id, goal_id, goal.name)
    RecomputeJob.objects.filter(goal_id=goal_id, version=version).update(
        done_version=version,
        whole=False,
        finished_at=timezone.now(),
        seconds=time.monotonic() - started,
    )
    return True


@worker_ready.connect
def _send_waiting_jobs(**kwargs: Any) -> None:
    """A worker that starts sends the jobs asked for and not finished once more: those whose
    message is lost, as when Redis was out of reach at the change, or waits in Redis for the
    visibility timeout, as when a worker was killed whole. A job sent twice runs once: the
    second finds it done."""
    for job in waiting_jobs():
        recompute_goal.delay(job.goal_id, job.version)


def _job_asked(goal_id: int, version: int) -> RecomputeJob | None:
    """The goal's job if `version` is the latest change's and is not done, else None."""
    return RecomputeJob.objects.filter(
        goal_id=goal_id, version=version, done_version__lt=version
    ).first()


def waiting_jobs(goal_id: int | None = None) -> list[RecomputeJob]:
    """The jobs asked and not finished (of this goal only, if given), the oldest asked first:
    those whose worker died, or whose message the broker lost."""
    jobs = RecomputeJob.objects.waiting()
    if goal_id is not None:
        jobs = jobs.filter(goal_id=goal_id)
    return list(jobs.order_by("asked_at"))


def job_of(goal: Goal) -> tuple[RecomputeJob | None, Progress | None]:
    """The goal's job row (None if no change ever asked for one) and, while one runs, its
    progress (None while it waits for a worker or the account's lock)."""
    job = RecomputeJob.objects.filter(goal_id=goal.pk).first()
    if job is None or not job.waiting:
        return job, None
    seen = cache.get(_progress_key(goal.pk))
    if not seen or seen["version"] != job.version:
        return job, None
    return job, Progress(seen["done"], seen["total"], seen["started_at"])


def _progress_key(goal_id: int) -> str:
    return f"recompute-job:{goal_id}"
