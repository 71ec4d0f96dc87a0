import math
from typing import Any

from oauth2_provider.models import AccessToken
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import User


class ApiRateThrottle(SimpleRateThrottle):
    """The API's rate limit, counted in the shared cache for each API client, else each user,
    else each address.

    Requests are counted in fixed windows of the rate's period (a minute for "200/min"): one
    counter a caller and window, added to in the cache, which costs one increment a request
    where DRF's own throttle reads and writes back the list of every recent request's time. The
    increment may have been made already, with the request's other reads (goals.api.read_ahead).
    """

    scope = "api"

    def get_cache_key(self, request: Any, view: Any) -> str:
        if request.user.is_authenticated:
            return self.cache_key_of(request.user, request.auth)
        return self.cache_format % {
            "scope": self.scope,
            "ident": f"address-{self.get_ident(request)}",
        }

    def cache_key_of(self, user: User, auth: Any) -> str:
        if isinstance(auth, AccessToken):
            ident = f"client-{auth.application_id}"
        else:
            ident = f"user-{user.pk}"
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def counter_of(self, user: User, auth: Any) -> tuple[str, float]:
        """The caller's counter of this window, and when the cache may forget it."""
        return self.counter(self.cache_key_of(user, auth))

    def counter(self, cache_key: str) -> tuple[str, float]:
        window = int(self.timer() // self.duration)
        self.window_ends = (window + 1) * self.duration
        # A second more, for app servers whose clocks are a little behind.
        return f"{cache_key}_{window}", self.window_ends + 1

    def allow_request(self, request: Any, view: Any) -> bool:
        if self.rate is None:
            return True
        counter, ends = self.counter(self.get_cache_key(request, view))
        read_ahead = getattr(request, "read_ahead", None)
        count = read_ahead.take_count(counter) if read_ahead else None
        if count is None:
            count = self.cache.count(counter, ends)
        return count <= self.num_requests

    def wait(self) -> float:
        return max(1, math.ceil(self.window_ends - self.timer()))
