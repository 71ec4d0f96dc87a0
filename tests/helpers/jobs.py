"""A real Celery worker for the tests of background jobs, and what they read of it.

Tests run jobs eagerly (tests/conftest.py). A test that wants them on a worker asks for the
`jobs_on_a_worker` fixture (tests/conversions/test_recompute_jobs.py): jobs then go through the
Redis of TEST_REDIS_URL, on this test process's own queue, and `worker_process` starts
`celery --app goals_admin worker` on the test database, with the test's cache (where a running
job's progress is) in the same Redis.
"""

import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import redis
from django.conf import settings
from django.db import connection

from tests.helpers.tracking import TEST_REDIS_URL, database_url, stop

PROJECT = Path(__file__).resolve().parents[2]
# One queue a test process, so that two test runs on one machine never take each other's jobs.
QUEUE = f"goals-admin-test-{os.getpid()}"


def empty_queue() -> None:
    """Drop the jobs that an earlier test left in the queue (their goals are gone)."""
    redis.Redis.from_url(TEST_REDIS_URL).delete(QUEUE)


@contextmanager
def worker_process() -> Iterator[subprocess.Popen]:
    """`celery --app goals_admin worker`, one process in its pool, on the test database and
    this process's queue, its cache keys those of the running test; stopped (SIGTERM, then
    SIGKILL) when the block ends. Needs data committed: a transactional test."""
    environment = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": TEST_REDIS_URL,
        "CELERY_QUEUE": QUEUE,
        "CACHE_KEY_PREFIX": settings.CACHES["default"]["KEY_PREFIX"],
        # A loaded machine may answer later than production's 0.1 s: progress would be lost.
        "REDIS_TIMEOUT_SECONDS": "5",
        "CONN_MAX_AGE": "0",
    }
    log = Path(tempfile.gettempdir()) / f"{QUEUE}.log"
    printed = log.open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "--app",
            "goals_admin",
            "worker",
            "--concurrency",
            "1",
            "--loglevel",
            "INFO",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=PROJECT,
        env=environment,
        stdout=printed,
        stderr=subprocess.STDOUT,
    )
    try:
        yield process
    finally:
        stop(process)
        printed.close()
        # Shown with the test's output when it fails.
        print(f"The worker printed:\n{log.read_text()}")
        log.unlink()


def pool_process(worker: subprocess.Popen) -> int:
    """The pid of the worker's pool process, the one that runs jobs."""
    children = Path(f"/proc/{worker.pid}/task/{worker.pid}/children")
    pids = children.read_text().split()
    assert len(pids) == 1, f"the worker has pool processes {pids}"
    return int(pids[0])


def eventually(condition: Callable[[], object], seconds: float = 60, what: str = "") -> object:
    """The first true value of `condition()`, asked every 50 ms; fails after `seconds`."""
    deadline = time.monotonic() + seconds
    while not (value := condition()):
        assert time.monotonic() < deadline, f"not in {seconds} s: {what}"
        time.sleep(0.05)
    return value


class InTheBackground:
    """`work` run in a thread of its own, as another request or batch would be, on a database
    connection of its own, closed when the work ends; what it raised is kept in `failed`."""

    def __init__(self, work: Callable[[], object]) -> None:
        self.failed: list[BaseException] = []
        self._thread = threading.Thread(target=self._run, args=(work,))
        self._thread.start()

    def _run(self, work: Callable[[], object]) -> None:
        try:
            work()
        except BaseException as error:
            self.failed.append(error)
        finally:
            connection.close()

    def finished(self, seconds: float = 30) -> bool:
        """Whether the work has ended, waiting `seconds` at most for it."""
        self._thread.join(timeout=seconds)
        return not self._thread.is_alive()
