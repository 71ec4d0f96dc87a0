"""The shared cache's counting and reading ahead (goals_admin.shared_cache), on the backend the
settings chose: Redis when REDIS_URL is set, else Django's database cache table."""

import time
from datetime import UTC, datetime

import pytest
from django.core.cache import cache, caches
from django.db import connection

from goals_admin.redis_cache import RedisCache
from goals_admin.shared_cache import ReadAhead

pytestmark = pytest.mark.django_db

MINUTE = 60


def seconds_left(key: str) -> float:
    """How long the cache keeps the key from now."""
    backend = caches["default"]
    made = backend.make_and_validate_key(key)
    if isinstance(backend, RedisCache):
        return backend._cache.get_client(made).ttl(made)
    with connection.cursor() as cursor:
        table = connection.ops.quote_name(backend._table)
        cursor.execute(f"SELECT expires FROM {table} WHERE cache_key = %s", [made])
        (expires,) = cursor.fetchone()
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=UTC)
    return expires.timestamp() - datetime.now(UTC).timestamp()


def in_a_minute() -> float:
    return time.time() + MINUTE


def test_a_counter_counts_from_one_and_is_forgotten_when_asked():
    ends = in_a_minute()
    assert [cache.count("visits", ends) for _ in range(3)] == [1, 2, 3]

    assert MINUTE - 2 <= seconds_left("visits") <= MINUTE + 1


def test_values_and_counts_come_back_together():
    cache.set("greeting", "hello")
    cache.count("visits", in_a_minute())

    values, counts = cache.get_many_and_count(["greeting", "absent"], {"visits": in_a_minute()})

    assert values == {"greeting": "hello"}
    assert counts == {"visits": 2}


def test_what_was_read_ahead_is_told_only_for_keys_it_read():
    cache.set("greeting", "hello")
    ahead = ReadAhead(["greeting", "absent"])
    cache.set("greeting", "changed since")

    assert ahead.get_many(["greeting", "absent"]) == {"greeting": "hello"}
    assert ahead.get_many(["greeting", "not read"]) is None


def test_a_count_taken_is_kept_and_one_left_untaken_is_given_back():
    cache.count("mine", in_a_minute())
    ahead = ReadAhead(counters={"mine": in_a_minute(), "a-wrong-guess": in_a_minute()})

    assert ahead.take_count("mine") == 2
    assert ahead.take_count("mine") is None, "a count is taken once"
    assert ahead.give_back() is True
    assert (cache.get("mine"), cache.get("a-wrong-guess")) == (2, 0)
    assert ahead.give_back() is False


def forget_redis_scripts_and_connections() -> None:
    """What a restart of Redis does to an app server's client: its connection closed, its
    scripts forgotten (on the database cache, nothing)."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        client = backend._cache.get_client(write=True)
        client.script_flush()
        client.client_kill_filter(_id=client.client_id(), skipme=False)


def test_reading_and_counting_go_on_after_redis_restarts():
    cache.set("greeting", "hello")
    cache.count("visits", in_a_minute())
    forget_redis_scripts_and_connections()

    values, counts = cache.get_many_and_count(["greeting"], {"visits": in_a_minute()})

    assert values == {"greeting": "hello"}
    assert counts == {"visits": 2}
    cache.set("greeting", "hello again")
    assert cache.get("greeting") == "hello again"


def test_a_value_read_ahead_again_is_what_the_cache_holds_now():
    cache.set("sign-in", ("version-1", {"user": "alice", "active": True}))
    first = ReadAhead(["sign-in"]).get_many(["sign-in"])
    cache.set("sign-in", ("version-2", {"user": "alice", "active": False}))
    second = ReadAhead(["sign-in"]).get_many(["sign-in"])
    cache.set("sign-in", ("version-1", {"user": "alice", "active": True}))
    third = ReadAhead(["sign-in"]).get_many(["sign-in"])

    assert first == third == {"sign-in": ("version-1", {"user": "alice", "active": True})}
    assert second == {"sign-in": ("version-2", {"user": "alice", "active": False})}
