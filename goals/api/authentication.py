"""Who calls the API: HTTP Basic (email and password), OAuth 2 bearer tokens, or the session."""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from oauth2_provider.models import AccessToken
from rest_framework import authentication, exceptions

from accounts.models import User

# A token's last use is written at most this often, so a busy client costs no write a request.
LAST_USED_PRECISION_SECONDS = 60


class LockedOut(exceptions.Throttled):
    title = "Locked out"
    default_detail = (
        "Too many failed sign-ins for this email from your address; the login is locked for a "
        "while. An operator can unlock it sooner."
    )


class BasicAuthentication(authentication.BasicAuthentication):
    """DRF's HTTP Basic, telling a locked-out caller so (django-axes counts the failures)."""

    def authenticate_credentials(
        self, userid: str, password: str, request: Any = None
    ) -> tuple[User, None]:
        try:
            return super().authenticate_credentials(userid, password, request)
        except exceptions.AuthenticationFailed:
            if getattr(request, "axes_locked_out", False):
                raise LockedOut(wait=settings.AXES_COOLOFF_TIME.total_seconds()) from None
            raise


class BearerTokenAuthentication(OAuth2Authentication):
    """OAuth 2 bearer tokens; a client-credentials token acts as the administrator who made the
    client, and fails at once when that user is deactivated."""

    def authenticate(self, request: Any) -> tuple[User, AccessToken] | None:
        result = super().authenticate(request)
        if result is None:
            if request.META.get("HTTP_AUTHORIZATION", "").startswith("Bearer "):
                raise exceptions.AuthenticationFailed(
                    "The bearer token is not valid: it is unknown, expired or revoked."
                )
            return None
        token: AccessToken = result[1]
        user = token.user or token.application.user
        if user is None or not user.is_active:
            raise exceptions.AuthenticationFailed("The user behind this token is deactivated.")
        record_use(token)
        return user, token


def record_use(token: AccessToken) -> None:
    now = timezone.now()
    stale = now - timedelta(seconds=LAST_USED_PRECISION_SECONDS)
    # The token's "updated" time is its last use: the API clients page shows it.
    AccessToken.objects.filter(pk=token.pk, updated__lt=stale).update(updated=now)
