"""Who calls the API: HTTP Basic (email and password), OAuth 2 bearer tokens, or the session.

Checking a password costs a deliberately slow hash, and a token a query, so both are remembered in
the shared cache for a few minutes, with the user they sign in: a sign-in under a keyed hash of the
caller's address and credentials (never the password itself), a token under its checksum. Saving
or deleting a user, a token or an API client, and a lockout, forget what was remembered of them at
once (goals_admin.versioned_cache), so a changed password, a deactivation, a change of role or a
revoked token is refused on the next request, by every app server.
"""

import hashlib
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from axes.helpers import get_client_ip_address
from axes.signals import user_locked_out
from django.conf import settings
from django.db.models import Q
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.crypto import salted_hmac
from oauth2_provider.models import AccessToken, Application
from rest_framework import authentication, exceptions

from accounts.models import User
from goals_admin.memory import ForgetfulDict
from goals_admin.versioned_cache import MISSING, VersionedCache

REMEMBERED_SECONDS = 300
# Owned by the login, lowercased as users' emails are stored, so that saving a user or locking
# out the login forgets its sign-ins.
sign_ins = VersionedCache("api-sign-in", seconds=REMEMBERED_SECONDS)
tokens = VersionedCache("api-token", seconds=REMEMBERED_SECONDS)

# A token's last use is written at most this often by each app server, so a busy client costs no
# write a request.
LAST_USED_PRECISION_SECONDS = 60
# Past this many tokens the memory of them starts again: at worst one write each, once more.
_last_recorded: ForgetfulDict = ForgetfulDict(max_items=10_000)


@dataclass(frozen=True)
class Caller:
    """Whom a request's credentials signed in, and the cache keys of what that depended on."""

    cache_keys: tuple[str, ...]
    user: User
    auth: AccessToken | None


# Whom each credentials signed in last on this app server, by credentials_key: a guess that
# goals.api.read_ahead checks before it relies on it.
_callers: ForgetfulDict = ForgetfulDict(max_items=10_000)


def credentials_key(request: Any) -> str:
    """A keyed hash of the request's credentials and address (never the credentials themselves).

    The address is in it so that a sign-in remembered for one address cannot let a locked-out
    guesser in from another.
    """
    # Asked for up to three times a request: worked out once.
    if not hasattr(request, "_credentials_key"):
        credentials = request.META.get("HTTP_AUTHORIZATION", "")
        request._credentials_key = salted_hmac(
            "goals.api.credentials",
            f"{get_client_ip_address(request)}\n{credentials}",
            algorithm="sha256",
        ).hexdigest()
    return request._credentials_key


def last_caller(request: Any) -> Caller | None:
    if "HTTP_AUTHORIZATION" not in request.META:
        return None
    return _callers.get(credentials_key(request))


def remember_caller(request: Any, caller: Caller) -> None:
    _callers[credentials_key(request)] = caller


def forget_caller(request: Any, caller: Caller) -> None:
    """Forget that the request's credentials signed in this caller, unless they have signed in
    someone since."""
    key = credentials_key(request)
    if _callers.get(key) is caller:
        del _callers[key]


class LockedOut(exceptions.Throttled):
    title = "Locked out"
    default_detail = (
        "Too many failed sign-ins for this email from your address; the login is locked for a "
        "while. An operator can unlock it sooner."
    )


class BasicAuthentication(authentication.BasicAuthentication):
    """DRF's HTTP Basic, remembering good credentials and telling a locked-out caller so
    (django-axes counts the failures)."""

    def authenticate(self, request: Any) -> tuple[User, None] | None:
        # DRF finds the header through request.headers, which first sorts out every header of
        # the request: a request that does not even say Basic is let past without that.
        words = request.META.get("HTTP_AUTHORIZATION", "").split()
        if not words or words[0].lower() != "basic":
            return None
        return super().authenticate(request)

    def authenticate_credentials(
        self, userid: str, password: str, request: Any = None
    ) -> tuple[User, None]:
        login, key = userid.strip().lower(), credentials_key(request)
        version, user = sign_ins.lookup(login, key, getattr(request, "read_ahead", None))
        if user is MISSING:
            user = self._checked(userid, password, request)
            # Saving a user forgets the sign-ins of the email as stored; one spelt otherwise
            # that the database still matched (it compares case its own way) is not remembered.
            if login != user.email.lower():
                return user, None
            sign_ins.store(login, key, version, user)
        remember_caller(request, Caller(sign_ins.keys(login, key), user, None))
        return user, None

    def _checked(self, userid: str, password: str, request: Any) -> User:
        try:
            user, _ = super().authenticate_credentials(userid, password, request)
        except exceptions.AuthenticationFailed:
            if getattr(request, "axes_locked_out", False):
                raise LockedOut(wait=settings.AXES_COOLOFF_TIME.total_seconds()) from None
            raise
        return user


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """OAuth 2 bearer tokens in the Authorization header (never the query string, RFC 9700); a
    client-credentials token acts as the administrator who made the client, and fails at once
    when that user is deactivated."""

    def authenticate(self, request: Any) -> tuple[User, AccessToken] | None:
        words = request.META.get("HTTP_AUTHORIZATION", "").split()
        if len(words) != 2 or words[0].lower() != "bearer":
            return None
        checksum = hashlib.sha256(words[1].encode()).hexdigest()
        token, user = tokens.get(
            checksum, "token", lambda: stored_token(checksum), getattr(request, "read_ahead", None)
        )
        if token is None or token.is_expired() or not audience_allows(token, request):
            raise exceptions.AuthenticationFailed(
                "The bearer token is not valid: it is unknown, expired or revoked."
            )
        if user is None or not user.is_active:
            raise exceptions.AuthenticationFailed("The user behind this token is deactivated.")
        record_use(token)
        remember_caller(request, Caller(tokens.keys(checksum, "token"), user, token))
        return user, token

    def authenticate_header(self, request: Any) -> str:
        return 'Bearer realm="api"'


def stored_token(checksum: str) -> tuple[AccessToken | None, User | None]:
    """The token with this checksum and the user it acts as: its own, else its client's owner."""
    found = (
        AccessToken.objects.select_related("user__account", "application__user__account")
        .filter(token_checksum=checksum)
        .first()
    )
    if found is None:
        return None, None
    return found, found.user or (found.application.user if found.application else None)


def audience_allows(token: AccessToken, request: Any) -> bool:
    # A token bound to a resource (RFC 8707) is good only there.
    return not token.resource or token.allows_audience(request.build_absolute_uri().split("?")[0])


def record_use(token: AccessToken) -> None:
    now = time.monotonic()
    last = _last_recorded.get(token.token_checksum)
    if last is not None and now - last < LAST_USED_PRECISION_SECONDS:
        return
    _last_recorded[token.token_checksum] = now
    used = timezone.now()
    stale = used - timedelta(seconds=LAST_USED_PRECISION_SECONDS)
    # The token's "updated" time is its last use: the API clients page shows it.
    AccessToken.objects.filter(pk=token.pk, updated__lt=stale).update(updated=used)


def only_last_login(update_fields: frozenset[str] | None) -> bool:
    # A sign-in to the pages records its time, which changes nothing the API decides on: so
    # signing in neither costs a round trip to the cache nor needs the cache to be there.
    return update_fields == {"last_login"}


@receiver(pre_save, sender=User, dispatch_uid="api-forget-old-login")
def forget_sign_ins_of_old_login(
    instance: User, update_fields: frozenset[str] | None = None, **kwargs: Any
) -> None:
    # Sign-ins are remembered under the login: one given up must not sign in the user it was.
    if instance.pk is None or only_last_login(update_fields):
        return
    old = User.objects.filter(pk=instance.pk).values_list("email", flat=True).first()
    if old is not None and old.lower() != instance.email.lower():
        sign_ins.changed(old.lower())


@receiver([post_save, post_delete], sender=User, dispatch_uid="api-forget-user")
def forget_user(instance: User, update_fields: frozenset[str] | None = None, **kwargs: Any) -> None:
    if only_last_login(update_fields):
        return
    sign_ins.changed(instance.email.lower())
    own_or_clients = Q(user=instance) | Q(application__user=instance)
    forget_tokens(AccessToken.objects.filter(own_or_clients, expires__gt=timezone.now()))


@receiver([post_save, post_delete], sender=AccessToken, dispatch_uid="api-forget-token")
def forget_token(instance: AccessToken, **kwargs: Any) -> None:
    tokens.changed(instance.token_checksum)


@receiver([post_save, post_delete], sender=Application, dispatch_uid="api-forget-client")
def forget_client_tokens(instance: Application, **kwargs: Any) -> None:
    # A client's tokens act as its owner, who may have changed.
    forget_tokens(AccessToken.objects.filter(application=instance))


def forget_tokens(found: Any) -> None:
    for checksum in found.values_list("token_checksum", flat=True):
        tokens.changed(checksum)


@receiver(user_locked_out, dispatch_uid="api-forget-sign-ins")
def forget_sign_ins(username: str, **kwargs: Any) -> None:
    sign_ins.changed(username.strip().lower())
