"""Django's Redis cache, with fewer round trips and less work for each of them.

Django's backend builds a new redis.Redis for every cache operation, and redis-py's client sets
up dozens of response callbacks each time it is built: more CPU than the round trip to Redis. So
one client is made and kept, holding one connection: Django gives each thread a backend of its
own, and a connection taken from the pool for every command costs a third of the round trip more
(a check that it holds no unread answer, and the pool's bookkeeping). A process that forks makes
new ones, as the two processes must not share a connection. And the operations of
goals_admin.shared_cache are one command each: a script that reads and counts, sent on that
connection itself, as redis-py's machinery for a command (retries, reply callbacks, a lock for
threads that Django keeps apart anyway) costs as much as the round trip.

What the script reads comes back as the same bytes request after request (a remembered sign-in
or token, the goals): each process keeps what the small ones unpickle to, by their bytes, since
rebuilding a user and a token costs more than the round trip that read them. The bytes hold the
version they were made under (goals_admin.versioned_cache), so anything changed is other bytes;
and the objects so shared between a process's requests are only ever read.
"""

import hashlib
import os
from collections.abc import Iterable
from typing import Any

from django.core.cache.backends import redis
from redis.backoff import NoBackoff
from redis.exceptions import NoScriptError
from redis.retry import Retry

from goals_admin.memory import ForgetfulDict
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
READ_AND_COUNT_SHA1 = hashlib.sha1(READ_AND_COUNT.encode()).hexdigest()


# Unless the settings' OPTIONS say otherwise: a connection that Redis closed (a restart, or a proxy
# that ends idle ones) is opened again once, so the request that finds it closed does not fail;
# and a Redis out of reach fails a request in seconds, not at the system's TCP timeouts.
CONNECTION_OPTIONS = {
    "retry": Retry(NoBackoff(), retries=1),
    "socket_connect_timeout": 2,
    "socket_timeout": 2,
}


def command(client: Any, *arguments: Any) -> Any:
    """The answer to one command, sent on the client's own connection as redis-py would send it
    (with the connection's retry); an error that Redis answered is raised as redis-py does."""
    connection = client.connection

    def send_and_read() -> Any:
        connection.send_command(*arguments)
        return connection.read_response()

    # On a failure part of an answer may be left unread: the connection is closed, and opened
    # again for the retry.
    return connection.retry.call_with_retry(send_and_read, lambda error: connection.disconnect())


# Values read ahead, unpickled, by their bytes. Sign-ins and tokens take a kilobyte or two; an
# account's goals may take megabytes, and unpickle to bytes at the cost of a copy: not kept.
_unpickled: ForgetfulDict = ForgetfulDict(max_items=1000)
UNPICKLED_KEPT_UP_TO = 4096  # bytes


# Which process this is, counted in forks: clients made before a fork are not used after it.
_process = 0


def _forked() -> None:
    global _process
    _process += 1


os.register_at_fork(after_in_child=_forked)


class ReusingRedisCacheClient(redis.RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **{**CONNECTION_OPTIONS, **kwargs})
        self._clients: dict[tuple[int, int], Any] = {}

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
        lifetimes = [seconds_until(ends) for ends in counters.values()]
        script_keys = [*keys, *counters]
        arguments = [len(script_keys), *script_keys, len(keys), by, *lifetimes]
        try:
            answers = command(client, "EVALSHA", READ_AND_COUNT_SHA1, *arguments)
        except NoScriptError:
            # A Redis that has restarted knows the script no more: EVAL sends it, and keeps it.
            answers = command(client, "EVAL", READ_AND_COUNT, *arguments)
        values = {
            key: self._loads(value)
            for key, value in zip(keys, answers, strict=False)
            if value is not None
        }
        return values, dict(zip(counters, answers[len(keys) :], strict=True))

    def _loads(self, stored: bytes) -> Any:
        if len(stored) > UNPICKLED_KEPT_UP_TO:
            return self._serializer.loads(stored)
        try:
            return _unpickled[stored]
        except KeyError:
            value = _unpickled[stored] = self._serializer.loads(stored)
            return value


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
