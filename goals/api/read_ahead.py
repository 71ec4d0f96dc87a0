"""A repeated API request in one round trip to the shared cache.

An API request reads the sign-in or token it was made with, counts itself against its caller's
rate limit, and a GET reads the goals: three round trips to the cache one after the other, as the
second and third depend on who the caller is, and each round trip costs more than the rest of a
repeated read. So each app server remembers whom each credentials signed in last
(goals.api.authentication.last_caller), and on their next request asks for all three at once, on
that guess (goals_admin.shared_cache.ReadAhead).

The guess only chooses what is fetched. Authentication checks the credentials on what was read,
as always; the count and the goals are used only where they are those of the caller it found, the
rest is asked for again; a count taken on a wrong guess is given back, and the guess forgotten.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from goals.api.authentication import Caller, forget_caller, last_caller
from goals.api.throttling import ApiRateThrottle
from goals_admin.shared_cache import ReadAhead

GoalsCacheKeys = Callable[[int], tuple[str, ...]]


@contextmanager
def reading_ahead(
    request: Any, throttles: list[Any], goals_cache_keys: GoalsCacheKeys | None
) -> Iterator[ReadAhead]:
    """Read the caller's sign-in and, with goals_cache_keys(account id), the account's goals,
    and count the request, on the guess that the caller is whom these credentials signed in
    last; once the request is let in or refused, give back what was counted on a wrong guess."""
    caller = last_caller(request)
    ahead = ReadAhead() if caller is None else guessed(caller, throttles, goals_cache_keys)
    try:
        yield ahead
    finally:
        if ahead.give_back():
            forget_caller(request, caller)


def guessed(
    caller: Caller, throttles: list[Any], goals_cache_keys: GoalsCacheKeys | None
) -> ReadAhead:
    keys = list(caller.cache_keys)
    if goals_cache_keys is not None:
        keys.extend(goals_cache_keys(caller.user.account_id))
    counters = dict(
        throttle.counter_of(caller.user, caller.auth)
        for throttle in throttles
        if isinstance(throttle, ApiRateThrottle) and throttle.rate is not None
    )
    return ReadAhead(keys, counters)
