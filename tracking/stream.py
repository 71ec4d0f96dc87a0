"""The queue between the collect endpoint and the database, when REDIS_URL is set: a Redis
stream that the endpoint appends each page view to, and that `manage.py ingest_worker` reads
with a consumer group and writes in batches through tracking.rules.page_views_collect.

Delivery is at least once: an entry leaves the stream only after the transaction that stored it
has committed. A worker that dies in the middle of a flush leaves its entries pending, and they are
read again (by the same consumer when it starts again, or claimed by another after
TRACKING_CLAIM_SECONDS); the page views they hold are then duplicates, which the ingest stores
once. Without Redis, or while it is out of reach, the endpoint writes directly instead.
"""

import json
import logging
import time
from collections import defaultdict
from collections.abc import Callable
from functools import cache
from typing import Any

import redis
from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection

from accounts.models import Account
from conversions.imports import Batches, Problems
from conversions.inputs import MAX_PAGE_VIEWS
from tracking import rules

log = logging.getLogger(__name__)

GROUP = "ingest"
# The entry's fields: the account's id, and the page view as conversions.inputs reads it.
ACCOUNT, PAGE_VIEW = "account", "page_view"
Entry = tuple[str, dict[str, str]]


@cache
def _client(url: str, timeout: float | None) -> redis.Redis:
    # One connection pool for each process, as Django's own Redis cache keeps.
    return redis.Redis.from_url(
        url, socket_connect_timeout=timeout, socket_timeout=timeout, decode_responses=True
    )


def append(account_id: int, page_view: dict[str, Any]) -> bool:
    """Queue a page view of the account; False when there is no Redis to queue it in (no
    REDIS_URL, or Redis out of reach for REDIS_TIMEOUT_SECONDS): then the caller stores it."""
    if not settings.REDIS_URL:
        return False
    client = _client(settings.REDIS_URL, settings.REDIS_TIMEOUT_SECONDS)
    try:
        client.xadd(
            settings.TRACKING_STREAM, {ACCOUNT: account_id, PAGE_VIEW: json.dumps(page_view)}
        )
    except redis.RedisError:
        log.warning("Redis out of reach: a page view is stored directly", exc_info=True)
        return False
    return True


class IngestWorker:
    """Reads the stream as `consumer` of the group "ingest" and stores what it reads.

    `step()` handles one batch of up to `batch_size` entries: first the entries this consumer
    read before and did not acknowledge (after a crash or an error), then those that other
    consumers left pending for over `claim_after` seconds (looked for every `claim_after`
    seconds), then new ones, waiting up to `block_seconds` for the first and `linger_seconds`
    more for others to join it: a batch of a thousand costs the database a twentieth of what a
    thousand batches of one do.
    """

    def __init__(
        self,
        *,
        consumer: str,
        batch_size: int = MAX_PAGE_VIEWS,
        block_seconds: float = 1.0,
        claim_after: float = 60.0,
        linger_seconds: float = 0.2,
    ) -> None:
        # No socket timeout: a blocking read waits longer than a cache operation may.
        self.client = _client(settings.REDIS_URL, None)
        self.stream = settings.TRACKING_STREAM
        self.consumer = consumer
        self.batch_size = batch_size
        self.block_ms = max(1, int(block_seconds * 1000))
        self.claim_after = claim_after
        self.linger_seconds = linger_seconds
        self.stored = 0
        self._own_pending = True
        self._next_claim = 0.0  # time.monotonic()

    def ensure_group(self) -> None:
        """Make the stream and its consumer group, unless they exist."""
        try:
            self.client.xgroup_create(self.stream, GROUP, id="0", mkstream=True)
        except redis.ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise

    def run(self, should_stop: Callable[[], bool]) -> None:
        """Handle batches until `should_stop()` says so (it is asked between batches). A
        database or Redis error is logged and the batch tried again a second later; a consumer
        group that Redis lost (a restart without its data, a FLUSHDB) is made again."""
        group_ready = False
        while not should_stop():
            # A connection past CONN_MAX_AGE, or broken, is replaced before the next batch.
            close_old_connections()
            try:
                if not group_ready:
                    self.ensure_group()
                    group_ready = True
                self.step()
            except (DatabaseError, redis.RedisError) as error:
                if "NOGROUP" in str(error):
                    log.warning("The stream's consumer group is gone: it is made again")
                    group_ready = False
                    continue
                if isinstance(error, redis.ConnectionError):
                    log.warning("Redis out of reach (%s): trying again in a second", error)
                else:
                    log.exception("The ingest worker will try again in a second")
                self._own_pending = True
                # A broken connection is dropped, and a new one made for the next try.
                connection.close()
                time.sleep(1)

    def step(self) -> int:
        """Read one batch and store it; return how many entries it had."""
        entries = self._pending() or self._claimed() or self._new()
        if entries:
            self.flush(entries)
        return len(entries)

    def _pending(self) -> list[Entry]:
        if not self._own_pending:
            return []
        entries = self._read("0")
        self._own_pending = bool(entries)
        return entries

    def _claimed(self) -> list[Entry]:
        if time.monotonic() < self._next_claim:
            return []
        _, entries, *_ = self.client.xautoclaim(
            self.stream, GROUP, self.consumer, int(self.claim_after * 1000), count=self.batch_size
        )
        claimed = [(entry_id, fields) for entry_id, fields in entries if fields]
        # A full batch may have more behind it; else nothing is due before claim_after.
        self._next_claim = time.monotonic() + (0 if claimed else self.claim_after)
        return claimed

    def _new(self) -> list[Entry]:
        entries = self._read(">", block=True)
        if entries and len(entries) < self.batch_size and self.linger_seconds:
            time.sleep(self.linger_seconds)
            entries += self._read(">", count=self.batch_size - len(entries))
        return entries

    def _read(self, start: str, *, block: bool = False, count: int | None = None) -> list[Entry]:
        answer = self.client.xreadgroup(
            GROUP,
            self.consumer,
            {self.stream: start},
            count=count or self.batch_size,
            block=self.block_ms if block else None,
        )
        return [(entry_id, fields) for _, entries in answer or () for entry_id, fields in entries]

    def flush(self, entries: list[Entry]) -> None:
        """Store the entries' page views, a transaction for each account and batch, then take
        the entries off the stream."""
        by_account: dict[int, list[tuple[str, dict]]] = defaultdict(list)
        for entry_id, fields in entries:
            try:
                by_account[int(fields[ACCOUNT])].append((entry_id, json.loads(fields[PAGE_VIEW])))
            except (KeyError, ValueError, TypeError):
                log.error("Stream entry %s is not a page view; dropped", entry_id)
        existing = set(
            Account.objects.filter(pk__in=by_account).values_list("pk", flat=True).order_by()
        )
        for account_id in sorted(by_account):
            if account_id not in existing:
                count = len(by_account[account_id])
                log.warning("Account %s is gone: %d page views dropped", account_id, count)
                continue
            refused = Problems()
            batches = Batches(
                rules.page_views_collect,
                account=Account(pk=account_id),
                size=MAX_PAGE_VIEWS,
                refused=refused,
            )
            for entry_id, page_view in by_account[account_id]:
                batches.add(entry_id, page_view)
            batches.flush()
            self.stored += batches.totals["created"]
            for line in refused.lines():
                log.error("Page view of account %s refused: %s", account_id, line)
        ids = [entry_id for entry_id, _ in entries]
        with self.client.pipeline(transaction=False) as pipeline:
            pipeline.xack(self.stream, GROUP, *ids)
            pipeline.xdel(self.stream, *ids)
            pipeline.execute()
