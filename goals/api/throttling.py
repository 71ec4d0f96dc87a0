from typing import Any

from oauth2_provider.models import AccessToken
from rest_framework.throttling import SimpleRateThrottle


class ApiRateThrottle(SimpleRateThrottle):
    """The API's rate limit, counted in the shared cache for each API client, else each user,
    else each address."""

    scope = "api"

    def get_cache_key(self, request: Any, view: Any) -> str:
        if isinstance(request.auth, AccessToken):
            ident = f"client-{request.auth.application_id}"
        elif request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = f"address-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
