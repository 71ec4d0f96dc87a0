from typing import Any

from oauth2_provider.models import AccessToken
from rest_framework.permissions import SAFE_METHODS, BasePermission


class IsAccountAdministrator(BasePermission):
    """Signed in as an administrator of an account; the goals looked up are that account's."""

    message = "Only administrators of the account may manage its goals."

    def has_permission(self, request: Any, view: Any) -> bool:
        return request.user.is_authenticated and request.user.is_administrator


class TokenScopeAllowsMethod(BasePermission):
    """A bearer token reads with the scope "read" and writes with "write"; other ways of signing
    in are not limited by scopes."""

    message = 'This token\'s scope does not allow it: reading needs "read", changing needs "write".'

    def has_permission(self, request: Any, view: Any) -> bool:
        if not isinstance(request.auth, AccessToken):
            return True
        return request.auth.allow_scopes(["read" if request.method in SAFE_METHODS else "write"])
