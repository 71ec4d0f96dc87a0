"""The tracking snippet as the tests drive it: sites with origins, beacons sent as a browser's
script sends them, the ingest worker in this process or as a process of its own.

Where the page views go depends on REDIS_URL, as in production: with it (the PostgreSQL run of
CI) the collect endpoint queues them in a Redis stream, and `flush_queued()` runs the ingest
worker over the stream in this process; without it they are stored at once. Each test has a
stream of its own (tests/conftest.py). `TEST_REDIS_URL` names a Redis for the tests that need one
whatever REDIS_URL says (the worker's own tests); .ci/run sets it for both runs.
"""

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from accounts.models import Account
from tracking import rules
from tracking.models import Site
from tracking.stream import IngestWorker

SHOP = "https://shop.example"
BROWSER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL") or os.environ.get("REDIS_URL") or ""
PROJECT = Path(__file__).resolve().parents[2]


def site_with_origins(account: Account, *origins: str) -> Site:
    """The account's site, with these origins allowed to send."""
    return rules.origins_set(account=account, origins=list(origins))


def send_beacon(
    client: Client,
    site: Site,
    *,
    origin: str = SHOP,
    agent: str = BROWSER_AGENT,
    address: str = "127.0.0.1",
    body: Any = None,
    forwarded_for: str | None = None,
    **fields: Any,
) -> Any:
    """POST a page view to the site's collect endpoint as the script does (text/plain JSON),
    from a page of `origin` in a browser at `address`, or behind proxies that say
    `forwarded_for`. `fields` make the body {"id", "visitor_id", "url"[, "title"]}; `body`
    (bytes, or anything JSON can write) replaces it."""
    if body is None:
        body = fields
    data = body if isinstance(body, bytes) else json.dumps(body)
    return client.post(
        f"/api/collect/{site.site_key}",
        data=data,
        content_type="text/plain",
        headers={"Origin": origin, "User-Agent": agent},
        REMOTE_ADDR=address,
        **({"HTTP_X_FORWARDED_FOR": forwarded_for} if forwarded_for else {}),
    )


def flush_queued() -> int:
    """Store what the collect endpoint queued in this test's stream, as `manage.py
    ingest_worker` would; return how many entries there were. Nothing to do without Redis."""
    if not settings.REDIS_URL:
        return 0
    worker = IngestWorker(consumer="tests", block_seconds=0.001, linger_seconds=0)
    worker.ensure_group()
    count = 0
    while handled := worker.step():
        count += handled
    return count


def requires_test_redis() -> pytest.MarkDecorator:
    return pytest.mark.skipif(not TEST_REDIS_URL, reason="Set TEST_REDIS_URL (or REDIS_URL).")


@pytest.fixture
def queued_in_redis(settings: Any) -> Any:
    """The collect endpoint queues page views in a Redis stream of this test's own (deleted
    afterwards: tests/conftest.py), whatever REDIS_URL says."""
    settings.REDIS_URL = TEST_REDIS_URL
    # A loaded machine may answer later than production's 0.1 s, which would store the page
    # view directly (as production does when Redis is out of reach), not queue it.
    settings.REDIS_TIMEOUT_SECONDS = 5
    return settings


def database_url() -> str:
    """The address of the test database, for a process of its own (the ingest worker)."""
    database = connection.settings_dict
    if database["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{database['NAME']}"
    password = f":{database['PASSWORD']}" if database["PASSWORD"] else ""
    return (
        f"postgres://{database['USER']}{password}@{database['HOST']}:{database['PORT']}"
        f"/{database['NAME']}"
    )


def worker_environment(claim_seconds: float = 60) -> dict[str, str]:
    """The environment of an ingest worker process that works on the test database and this
    test's stream."""
    return {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "TRACKING_STREAM": settings.TRACKING_STREAM,
        "TRACKING_CLAIM_SECONDS": str(claim_seconds),
        "CONN_MAX_AGE": "0",
    }


@contextmanager
def ingest_worker_process(consumer: str = "worker") -> Iterator[subprocess.Popen]:
    """`manage.py ingest_worker` running against the test database and this test's stream,
    stopped (SIGTERM, then SIGKILL) when the block ends. Needs data committed: a transactional
    test (live_server, transactional_db)."""
    process = start_ingest_worker(worker_environment(), consumer)
    try:
        yield process
    finally:
        stop(process)


def start_ingest_worker(
    environment: dict[str, str], consumer: str, batch_size: int = 1000
) -> subprocess.Popen:
    """`manage.py ingest_worker --consumer CONSUMER` in the environment given."""
    return subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "ingest_worker",
            "--consumer",
            consumer,
            "--batch-size",
            str(batch_size),
        ],
        cwd=PROJECT,
        env=environment,
        stdout=subprocess.DEVNULL,
    )


def stop(process: subprocess.Popen) -> None:
    """Stop a worker process as a service manager does: SIGTERM, then SIGKILL after 10 s."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until(condition: Callable[[], Any], *, timeout: float = 20, what: str = "") -> Any:
    """Poll `condition` until it gives something true, and return that; fail after `timeout`
    seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"Waited {timeout} s for {what or condition}")
        time.sleep(0.05)
