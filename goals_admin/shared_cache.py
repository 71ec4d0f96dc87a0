"""What the shared cache does beyond Django's cache API: counting, and reading ahead.

A request of the API wants several things from the cache (the sign-in it was made with, its
caller's count of requests, the goals), and each round trip to Redis costs more than the rest of a
repeated read. So a request that can name them all at its start asks for them in one round trip
(ReadAhead), adding to its counters in the same go; each part of the request then takes what it
wants from what was read, and asks the cache itself for anything else.

Both backends the settings choose give the same two operations: goals_admin.redis_cache in one
round trip, DatabaseCache here in a few queries.
"""

from collections.abc import Iterable
from contextlib import suppress
from typing import Any

from django.core.cache import cache
from django.core.cache.backends import db


class CountingCache:
    """count() and get_many_and_count() for a Django cache backend, from its own operations."""

    def count(self, key: str, seconds: int) -> int:
        """Add one to a counter that lives `seconds` from its first count; the count so far."""
        try:
            return self.incr(key)
        except ValueError:
            self.add(key, 0, seconds)
            return self.incr(key)

    def get_many_and_count(
        self, keys: Iterable[str], counters: dict[str, int]
    ) -> tuple[dict[str, Any], dict[str, int]]:
        """get_many(keys), and count() each of counters (key: seconds); both answers."""
        counts = {key: self.count(key, seconds) for key, seconds in counters.items()}
        return self.get_many(keys), counts


class DatabaseCache(CountingCache, db.DatabaseCache):
    pass


class ReadAhead:
    """Values and counters that a request will want, read and counted at once at its start.

    A count nobody took was counted on a wrong guess of whose request it is: give_back() takes
    it back off its counter.
    """

    def __init__(self, keys: Iterable[str] = (), counters: dict[str, int] | None = None) -> None:
        self.keys = frozenset(keys)
        counters = counters or {}
        self.values: dict[str, Any] = {}
        self.counts: dict[str, int] = {}
        if self.keys or counters:
            self.values, self.counts = cache.get_many_and_count(self.keys, counters)

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
            # One whose window ended meanwhile is gone already.
            with suppress(ValueError):
                cache.decr(counter)
        return bool(untaken)
