from typing import Any

from oauth2_provider.models import AccessToken
from rest_framework.throttling import SimpleRateThrottle


class ApiRateThrottle(SimpleRateThrottle):
    """The API's rate limit, counted in the shared cache for each API client, else each user,
    else each address, in fixed windows of the rate's period (a minute for "200/min").

    DRF's own throttle keeps the time of every request of the period in one cache entry, read and
    written back whole: two round trips, and work that grows with the rate. A counter is one
    atomic increment. A client may so pass twice its rate across the turn of a window, and with
    the cache in the database two simultaneous requests may count as one: the count is
    approximate, which a rate limit can afford. With Redis out of reach nothing is counted.
    """

    scope = "api"

    def get_cache_key(self, request: Any, view: Any) -> str:
        if isinstance(request.auth, AccessToken):
            ident = f"client-{request.auth.application_id}"
        elif request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = f"address-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def allow_request(self, request: Any, view: Any) -> bool:
        if self.rate is None:
            return True
        window = int(self.timer() // self.duration)
        self.window_ends = (window + 1) * self.duration
        counter = f"{self.get_cache_key(request, view)}_{window}"
        try:
            count = self.cache.incr(counter)
        except ValueError:  # the window's first request
            # A second more, for app servers whose clocks are a little behind.
            lifetime = self.window_ends - self.timer() + 1
            count = 1 if self.cache.add(counter, 1, lifetime) else self.cache.incr(counter)
        return count is None or count <= self.num_requests

    def wait(self) -> float:
        return max(1.0, self.window_ends - self.timer())
