"""Django's Redis cache, with fewer round trips and less work for each of them.

Django's backend builds a new redis.Redis for every cache operation, and redis-py's client sets
up dozens of response callbacks each time it is built: more CPU than the round trip to Redis. So
one client is made and kept, holding one connection: Django gives each thread a backend of its
own, and a connection taken from the pool for every command costs a third of the round trip more
(a check that it holds no unread answer, and the pool's bookkeeping). A process that forks makes
new ones, as the two processes must not share a connection. And the operations of
goals_admin.shared_cache are one command each: a script that reads and counts.
"""

import os
from collections.abc import Iterable
from typing import Any

from django.core.cache.backends import redis

from goals_admin.shared_cache import seconds_until

# Reads KEYS[1..ARGV[1]], then adds ARGV[2] to each counter of the other KEYS, which starts at 0
# and lives ARGV[3], ARGV[4]... seconds; answers the values read, then the counts. A script is one
# command and one answer, and runs whole: no counter is ever made without its lifetime.
READ_AND_COUNT = """
local reading, by = tonumber(ARGV[1]), tonumber(ARGV[2])
local answers = {}
if reading > 0 then
    answers = redis.call('mget', unpack(KEYS, 1, reading))
end
for i = reading + 1, #KEYS do
    redis.call('set', KEYS[i], 0, 'ex', ARGV[i - reading + 2], 'nx')
    answers[i] = redis.call('incrby', KEYS[i], by)
end
return answers
"""


# Which process this is, counted in forks: clients made before a fork are not used after it.
_process = 0


def _forked() -> None:
    global _process
    _process += 1


os.register_at_fork(after_in_child=_forked)


class ReusingRedisCacheClient(redis.RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[tuple[int, int], Any] = {}
        self._read_and_count: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)
        client = self._clients.get((_process, id(pool)))
        if client is None:
            client = self._client(connection_pool=pool, single_connection_client=True)
            self._clients[_process, id(pool)] = client
        return client

    def get_many_and_count(
        self, keys: list[str], counters: dict[str, float], by: int
    ) -> tuple[dict[str, Any], dict[str, int]]:
        client = self.get_client(write=True)
        script = self._read_and_count.get(id(client))
        if script is None:
            script = self._read_and_count[id(client)] = client.register_script(READ_AND_COUNT)
        lifetimes = [seconds_until(ends) for ends in counters.values()]
        answers = script(keys=[*keys, *counters], args=[len(keys), by, *lifetimes])
        values = {
            key: self._serializer.loads(value)
            for key, value in zip(keys, answers, strict=False)
            if value is not None
        }
        return values, dict(zip(counters, answers[len(keys) :], strict=True))


class RedisCache(redis.RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient

    def count(self, key: str, ends: float, by: int = 1) -> int:
        """Add `by` to a counter that the cache forgets at the Unix time `ends`; the count."""
        return self.get_many_and_count((), {key: ends}, by)[1][key]

    def get_many_and_count(
        self, keys: Iterable[str], counters: dict[str, float], by: int = 1
    ) -> tuple[dict[str, Any], dict[str, int]]:
        """get_many(keys), and count() each of counters (key: ends); both answers."""
        # make_key, not make_and_validate_key: the validation warns of keys that memcached
        # refuses, Redis takes them all, and it costs more than the rest of this line.
        made_keys = {self.make_key(key): key for key in keys}
        made_counters = {self.make_key(key): key for key in counters}
        values, counts = self._cache.get_many_and_count(
            list(made_keys),
            {made: counters[key] for made, key in made_counters.items()},
            by,
        )
        return (
            {made_keys[made]: value for made, value in values.items()},
            {made_counters[made]: count for made, count in counts.items()},
        )
