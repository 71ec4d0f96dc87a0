"""What the shared cache does beyond Django's cache API: counting, and reading ahead.

A request of the API wants several things from the cache (the sign-in it was made with, its
caller's count of requests, the goals), and each round trip to Redis costs more than the rest of a
repeated read. So a request that can name them all at its start asks for them in one round trip
(ReadAhead), adding to its counters in the same go; each part of the request then takes what it
wants from what was read, and asks the cache itself for anything else.

Both backends the settings choose give the same two operations: goals_admin.redis_cache in one
round trip, DatabaseCache here in a few queries.
"""

import logging
import math
import time
from collections.abc import Iterable
from typing import Any

import redis
from django.core.cache import cache
from django.core.cache.backends import db

logger = logging.getLogger(__name__)

# Redis down, or silent past the client's timeouts. (With the cache in the database, an outage is
# the database's, which /healthz reports.)
OUT_OF_REACH = (redis.ConnectionError, redis.TimeoutError)
# How long a client is told to wait before trying again.
RETRY_AFTER_SECONDS = 5


def report_out_of_reach(error: Exception) -> None:
    # Every server fails so until Redis is back: the operators need to hear of it.
    logger.error("The shared cache is out of reach: %s", error)


def seconds_until(ends: float) -> int:
    """A cache timeout that ends at the Unix time `ends` (a second at least)."""
    return max(1, math.ceil(ends - time.time()))


class CountingCache:
    """count() and get_many_and_count() for a Django cache backend, from its own operations:
    several queries, and two simultaneous counts may count as one, as with Django's own incr()
    on such a backend."""

    def count(self, key: str, ends: float, by: int = 1) -> int:
        """Add `by` to a counter that the cache forgets at the Unix time `ends`; the count."""
        if self.add(key, by, seconds_until(ends)):
            return by
        counted = self.get(key, 0) + by
        # Django's incr() would keep the counter for the default timeout instead.
        self.set(key, counted, seconds_until(ends))
        return counted

    def get_many_and_count(
        self, keys: Iterable[str], counters: dict[str, float]
    ) -> tuple[dict[str, Any], dict[str, int]]:
        """get_many(keys), and count() each of counters (key: ends); both answers."""
        counts = {key: self.count(key, ends) for key, ends in counters.items()}
        return self.get_many(keys), counts


class DatabaseCache(CountingCache, db.DatabaseCache):
    pass


class ReadAhead:
    """Values and counters that a request will want, read and counted at once at its start.

    A count nobody took was counted on a wrong guess of whose request it is: give_back() takes
    it back off its counter.
    """

    def __init__(self, keys: Iterable[str] = (), counters: dict[str, float] | None = None) -> None:
        self.keys = frozenset(keys)
        self.counters = counters or {}
        self.values: dict[str, Any] = {}
        self.counts: dict[str, int] = {}
        if self.keys or self.counters:
            self.values, self.counts = cache.get_many_and_count(self.keys, self.counters)

    def get_many(self, keys: Iterable[str]) -> dict[str, Any] | None:
        """The values of keys, as cache.get_many tells them; None unless all of them were read."""
        keys = list(keys)
        if not self.keys.issuperset(keys):
            return None
        return {key: self.values[key] for key in keys if key in self.values}

    def take_count(self, counter: str) -> int | None:
        """The counter's count with this request, if it was counted here (once)."""
        return self.counts.pop(counter, None)

    def give_back(self) -> bool:
        """Take the counts nobody took off their counters; whether there were any."""
        untaken, self.counts = self.counts, {}
        for counter in untaken:
            cache.count(counter, self.counters[counter], by=-1)
        return bool(untaken)
