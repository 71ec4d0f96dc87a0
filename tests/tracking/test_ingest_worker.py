"""The ingest worker (`manage.py ingest_worker`): it stores what the collect endpoint queued in
Redis, loses nothing when it dies, and stores nothing twice when it reads an entry again."""

import json
import random
import signal
import threading
import time
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Account
from conversions.models import PageView
from tests.helpers.conversions import iso
from tests.helpers.tracking import (
    SHOP,
    ingest_worker_process,
    queued_in_redis,
    requires_test_redis,
    site_with_origins,
    start_ingest_worker,
    stop,
    wait_until,
    worker_environment,
)
from tracking import stream
from tracking.models import Site
from tracking.stream import GROUP, IngestWorker

__all__ = ["queued_in_redis"]  # a fixture, used by name

pytestmark = requires_test_redis()


def queue(account: Account, count: int, *, first: int = 0) -> list[str]:
    """Queue `count` page views of the account as the collect endpoint does; return their ids."""
    ids = [f"pv-{n:06d}" for n in range(first, first + count)]
    for page_view_id in ids:
        page_view = {
            "id": page_view_id,
            "visitor_id": f"visitor-{page_view_id[-2:]}",
            "url": f"{SHOP}/products/{page_view_id}",
            "timestamp": iso(account.created_at),
        }
        assert stream.append(account.pk, page_view)
    return ids


def stored_ids(account: Account) -> list[str]:
    return sorted(PageView.objects.filter(account=account).values_list("page_view_id", flat=True))


def left_in_stream(worker: IngestWorker) -> tuple[int, int]:
    """The stream's entries, and those read but not acknowledged."""
    return worker.client.xlen(worker.stream), worker.client.xpending(worker.stream, GROUP)[
        "pending"
    ]


@pytest.fixture
def site(acme: Account, queued_in_redis: Any) -> Site:
    return site_with_origins(acme, SHOP)


def test_the_worker_stores_the_queue_in_batches_of_its_size(site: Site, acme: Account) -> None:
    ids = queue(acme, 2500)
    worker = IngestWorker(consumer="one", block_seconds=0.001)
    worker.ensure_group()
    assert [worker.step() for _ in range(4)] == [1000, 1000, 500, 0]
    assert stored_ids(acme) == ids
    assert left_in_stream(worker) == (0, 0)
    site.refresh_from_db()
    assert site.page_views_received == 2500


def test_a_few_page_views_wait_a_moment_for_others_to_join_their_batch(
    site: Site, acme: Account
) -> None:
    worker = IngestWorker(consumer="one", linger_seconds=0.5)
    worker.ensure_group()
    first = queue(acme, 1)
    later = threading.Timer(0.1, queue, [acme, 9], {"first": 1})
    later.start()
    try:
        assert worker.step() == 10
    finally:
        later.join()
    assert stored_ids(acme) == first + [f"pv-{n:06d}" for n in range(1, 10)]


def test_page_views_of_an_account_deleted_since_are_dropped(
    site: Site, acme: Account, bluebird: Account
) -> None:
    site_with_origins(bluebird, "https://bluebird.example")
    queue(acme, 3)
    bluebird_ids = queue(bluebird, 2, first=100)
    acme.delete()
    worker = IngestWorker(consumer="one", block_seconds=0.001)
    worker.ensure_group()
    assert worker.step() == 5
    assert stored_ids(bluebird) == bluebird_ids
    assert PageView.objects.count() == 2
    assert left_in_stream(worker) == (0, 0)


def test_an_entry_that_is_no_page_view_costs_only_itself(site: Site, acme: Account) -> None:
    worker = IngestWorker(consumer="one", block_seconds=0.001)
    worker.ensure_group()
    worker.client.xadd(worker.stream, {"what": "no page view"})
    worker.client.xadd(
        worker.stream,
        {stream.ACCOUNT: acme.pk, stream.PAGE_VIEW: json.dumps({"id": "pv-bad", "url": "x"})},
    )
    ids = queue(acme, 2)
    assert worker.step() == 4
    assert stored_ids(acme) == ids
    assert left_in_stream(worker) == (0, 0)


def test_what_a_dead_worker_read_is_claimed_by_another_after_the_claim_time(
    site: Site, acme: Account
) -> None:
    ids = queue(acme, 10)
    dead = IngestWorker(consumer="dead", block_seconds=0.001)
    dead.ensure_group()
    # It reads the entries, then dies before it stores them.
    assert len(dead._read(">")) == 10
    heir = IngestWorker(consumer="heir", block_seconds=0.001, claim_after=0.05)
    assert heir.step() == 0  # not before the claim time
    time.sleep(0.1)
    assert heir.step() == 10
    assert stored_ids(acme) == ids
    assert left_in_stream(heir) == (0, 0)


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_in_the_middle_of_flushes_loses_nothing_and_stores_nothing_twice(
    site: Site, acme: Account
) -> None:
    # Forty batches: enough that three of twelve kills land in a flush before the end.
    ids = queue(acme, 20_000)
    worker = IngestWorker(consumer="crashing")
    environment = worker_environment()
    # Killed with SIGKILL at a random moment just after a batch committed, and started again
    # under the same name, until three kills have caught it in the middle of a flush: entries
    # read and not acknowledged, whose transaction was open (and is rolled back) or committed.
    kills_in_a_flush = 0
    for _ in range(12):
        before = len(stored_ids(acme))
        process = start_ingest_worker(environment, "crashing", batch_size=500)
        try:
            wait_until(lambda b=before: len(stored_ids(acme)) > b, what="a batch stored")
            time.sleep(random.uniform(0, 0.1))
            process.send_signal(signal.SIGKILL)
            process.wait()
        finally:
            stop(process)
        _, pending = left_in_stream(worker)
        kills_in_a_flush += pending > 0
        if kills_in_a_flush == 3 or len(stored_ids(acme)) == len(ids):
            break
    assert kills_in_a_flush == 3, "the worker finished before three kills caught it in a flush"
    process = start_ingest_worker(environment, "crashing")
    try:
        wait_until(lambda: left_in_stream(worker) == (0, 0), timeout=60, what="an empty stream")
    finally:
        stop(process)
    assert stored_ids(acme) == ids
    site.refresh_from_db()
    assert site.page_views_received == len(ids)


@pytest.mark.django_db(transaction=True)
def test_sigterm_stops_the_worker_once_its_batch_is_stored(site: Site, acme: Account) -> None:
    ids = queue(acme, 3000)
    with ingest_worker_process(consumer="polite") as process:
        wait_until(lambda: stored_ids(acme), what="a first batch")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    stored = stored_ids(acme)
    worker = IngestWorker(consumer="polite")
    # What it stored was taken off the stream, and nothing half-done is left pending.
    assert left_in_stream(worker) == (len(ids) - len(stored), 0)


@pytest.mark.django_db(transaction=True)  # run() closes its connection between batches
def test_a_worker_whose_stream_redis_lost_makes_it_again_and_goes_on(
    site: Site, acme: Account
) -> None:
    worker = IngestWorker(consumer="one", block_seconds=0.001)
    worker.ensure_group()
    # Redis restarted without its data (or someone ran FLUSHDB): the stream and its group are gone.
    worker.client.delete(worker.stream)
    ids = queue(acme, 3)
    steps = iter(range(5))
    worker.run(lambda: next(steps, None) is None)
    assert stored_ids(acme) == ids
    assert left_in_stream(worker) == (0, 0)


def test_the_worker_will_not_start_without_redis(settings: Any) -> None:
    settings.REDIS_URL = ""
    with pytest.raises(CommandError, match="REDIS_URL"):
        call_command("ingest_worker")
