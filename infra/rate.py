"""Rate limits counted in the shared cache: one counter a caller and window."""

from django.core.cache import cache

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """A rate as the settings write it, "200/min", as (requests, period in seconds): (200, 60).
    The period's first letter counts (s, m, h, d), as Django REST framework reads rates.
    Raises ValueError for anything else."""
    count, _, period = rate.partition("/")
    seconds = PERIODS.get(period.strip()[:1].lower())
    if seconds is None or not count.strip().isdigit():
        raise ValueError(f'A rate is written as "200/min"; got "{rate}".')
    return int(count), seconds


def count_request(key: str, period: int, now: float) -> tuple[int | None, float]:
    """Count one request of the caller `key` in the fixed window of `period` seconds that holds
    `now` (epoch seconds).

    Returns the window's count so far, this request included (None while the cache is out of
    reach: nothing is counted then), and the time (epoch seconds) at which the window ends.
    The count is approximate, which a rate limit can afford: a caller may pass twice its rate
    across the turn of a window, and with the cache in the database two simultaneous requests
    may count as one. One atomic increment in Redis.
    """
    window = int(now // period)
    ends = (window + 1) * period
    counter = f"{key}_{window}"
    try:
        count = cache.incr(counter)
    except ValueError:  # the window's first request
        # A second more, for app servers whose clocks are a little behind.
        lifetime = ends - now + 1
        count = 1 if cache.add(counter, 1, lifetime) else cache.incr(counter)
    return count, ends
