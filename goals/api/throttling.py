from typing import Any

from oauth2_provider.models import AccessToken
from rest_framework.throttling import SimpleRateThrottle

from infra.rate import count_request


class ApiRateThrottle(SimpleRateThrottle):
    """The API's rate limit, counted in the shared cache for each API client, else each user,
    else each address, in fixed windows of the rate's period (a minute for "200/min").

    DRF's own throttle keeps the time of every request of the period in one cache entry, read and
    written back whole: two round trips, and work that grows with the rate. A counter
    (infra.rate.count_request) is one atomic increment, and approximate.
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
        key = self.get_cache_key(request, view)
        count, self.window_ends = count_request(key, self.duration, self.timer())
        return count is None or count <= self.num_requests

    def wait(self) -> float:
        return max(1.0, self.window_ends - self.timer())
