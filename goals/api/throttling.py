import math
from typing import Any

from oauth2_provider.models import AccessToken
from rest_framework.throttling import SimpleRateThrottle


class ApiRateThrottle(SimpleRateThrottle):
    """The API's rate limit, counted in the shared cache for each API client, else each user,
    else each address.

    Requests are counted in fixed windows of the rate's period (a minute for "200/min"): one
    counter a caller and window, added to in the cache, which costs one increment a request
    where DRF's own throttle reads and writes back the list of every recent request's time.
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
        return self.count(f"{self.get_cache_key(request, view)}_{window}") <= self.num_requests

    def count(self, counter: str) -> int:
        """Add this request to the counter; the count so far, this request included."""
        try:
            return self.cache.incr(counter)
        except ValueError:
            # The window's first request: the counter lives as long as the window.
            self.cache.add(counter, 0, self.duration + 1)
            return self.cache.incr(counter)

    def wait(self) -> float:
        return max(1, math.ceil(self.window_ends - self.timer()))
