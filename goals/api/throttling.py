from typing import Any

from oauth2_provider.models import AccessToken
from rest_framework.throttling import SimpleRateThrottle


class ApiRateThrottle(SimpleRateThrottle):
    """DRF's rate limit over the shared cache, counted for each API client, else each user, else
    each address. Two simultaneous requests may be counted as one (DRF reads the history of
    requests and writes it back), so the count is approximate under races."""

    scope = "api"

    def get_cache_key(self, request: Any, view: Any) -> str:
        if isinstance(request.auth, AccessToken):
            ident = f"client-{request.auth.application_id}"
        elif request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = f"address-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
