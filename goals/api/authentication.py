"""Who calls the API: HTTP Basic (email and password), OAuth 2 bearer tokens, or the session.

Checking a password costs a deliberately slow hash, so credentials that signed in recently skip
it: the cache keeps, for a few minutes, a keyed hash of the password that signed in a login from
an address. The user's row is still read and checked on every request, as django.contrib.auth
does for sessions: a deactivation, a demotion, a move to another account or a new password (which
changes the user's session auth hash) counts on the next request, on every app server.
"""

from typing import Any

from axes.helpers import get_client_ip_address
from axes.signals import user_locked_out
from django.conf import settings
from django.core.cache import cache
from django.dispatch import receiver
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from oauth2_provider.models import AccessToken
from rest_framework import authentication, exceptions

from accounts.models import User
from accounts.selectors import user_with_account

REMEMBERED_SECONDS = 300
EMAIL_MAX_LENGTH = User._meta.get_field("email").max_length
# A token's last use (the API clients page shows it) is written at most this often.
LAST_USED_PRECISION_SECONDS = 60


class LockedOut(exceptions.Throttled):
    title = "Locked out"
    default_detail = (
        "Too many failed sign-ins for this email from your address; the login is locked for a "
        "while. An operator can unlock it sooner."
    )


def sign_in_key(address: str, login: str) -> str:
    """The cache key of the sign-in remembered for a login (lowercased) from an address.

    One key for each login and address, so that locking out the login from that address
    (django-axes counts failures so) forgets it; a keyed hash, so the key reveals neither.
    """
    digest = salted_hmac("goals.api.sign-in", f"{address}\n{login}", algorithm="sha256")
    return f"api-sign-in:{digest.hexdigest()}"


def password_proof(password: str) -> str:
    # Keyed with SECRET_KEY: a copy of the cache is no dictionary of password hashes to attack.
    return salted_hmac("goals.api.password", password, algorithm="sha256").hexdigest()


class BasicAuthentication(authentication.BasicAuthentication):
    """DRF's HTTP Basic, skipping the password hash for credentials that signed in recently, and
    telling a locked-out caller so."""

    def authenticate_credentials(
        self, userid: str, password: str, request: Any = None
    ) -> tuple[User, None]:
        if "\x00" in userid or len(userid) > EMAIL_MAX_LENGTH:
            # No user has such a login, and the database could not store it in a lockout record.
            raise exceptions.AuthenticationFailed("Invalid username/password.")
        # Lowercased as emails are stored, and otherwise as sent: a login that the full check
        # would refuse (a stray space) must not pass on what the cache remembers.
        login = userid.lower()
        key = sign_in_key(get_client_ip_address(request), login)
        proof = password_proof(password)
        user = remembered_user(cache.get(key), login, proof)
        if user is None:
            user = self._checked(userid, password, request)
            remembered = {"user": user.pk, "proof": proof, "auth": user.get_session_auth_hash()}
            cache.set(key, remembered, REMEMBERED_SECONDS)
        return user, None

    def _checked(self, userid: str, password: str, request: Any) -> User:
        try:
            user, _ = super().authenticate_credentials(userid, password, request)
        except exceptions.AuthenticationFailed:
            if getattr(request, "axes_locked_out", False):
                raise LockedOut(wait=settings.AXES_COOLOFF_TIME.total_seconds()) from None
            raise
        return user


def remembered_user(remembered: dict | None, login: str, proof: str) -> User | None:
    """The user whom these credentials signed in recently, if that still holds for the user's row
    as it is now: active, the same login, the same password hash."""
    if remembered is None or not constant_time_compare(remembered["proof"], proof):
        return None
    user = user_with_account(remembered["user"])
    if (
        user is None
        or not user.is_active
        or user.email.lower() != login
        or not constant_time_compare(remembered["auth"], user.get_session_auth_hash())
    ):
        return None
    return user


@receiver(user_locked_out, dispatch_uid="api-forget-sign-in")
def forget_sign_in(username: str, ip_address: str, **kwargs: Any) -> None:
    # An accepted race: a lockout while Redis is out of reach forgets nothing, so a sign-in
    # remembered before (the right password, from that address) may pass for its last minutes.
    cache.delete(sign_in_key(ip_address, username.strip().lower()))


class BearerAuthentication(OAuth2Authentication):
    """django-oauth-toolkit's bearer tokens (in the Authorization header only, RFC 9700); a
    client-credentials token acts as the administrator who made the client."""

    def authenticate(self, request: Any) -> tuple[User, AccessToken] | None:
        words = request.META.get("HTTP_AUTHORIZATION", "").split()
        if len(words) != 2 or words[0].lower() != "bearer":
            return None
        found = super().authenticate(request)
        if found is None:
            raise exceptions.AuthenticationFailed(
                "The bearer token is not valid: it is unknown, expired or revoked."
            )
        token = found[1]
        owner_id = token.user_id or (token.application.user_id if token.application else None)
        user = user_with_account(owner_id)
        if user is None or not user.is_active:
            raise exceptions.AuthenticationFailed("The user behind this token is deactivated.")
        record_use(token)
        return user, token


def record_use(token: AccessToken) -> None:
    # The token's "updated" time is its last use; the cache spares a busy client a write a request.
    # False: written within the minute. None: Redis out of reach, so written every time meanwhile.
    if cache.add(f"api-token-used:{token.pk}", True, LAST_USED_PRECISION_SECONDS) is not False:
        AccessToken.objects.filter(pk=token.pk).update(updated=timezone.now())
