from typing import Any

from oauth2_provider.models import AccessToken
from rest_framework.permissions import SAFE_METHODS, BasePermission

from goals import rules

OPERATOR_REFUSAL = (
    "Operators manage every account's goals in the Django admin (/admin/); this API serves the "
    "administrators of an account."
)


class MayManageGoals(BasePermission):
    """Signed in as someone who may manage the goals of their own account (goals.rules)."""

    message = "Only administrators of the account may manage its goals."

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        if rules.may_manage_goals(user, getattr(user, "account", None)):
            return True
        if user.is_staff:
            self.message = OPERATOR_REFUSAL
        return False


class TokenScopeAllowsMethod(BasePermission):
    """A bearer token reads with the scope "read" and writes with "write"; other ways of signing
    in are not limited by scopes."""

    message = 'This token\'s scope does not allow it: reading needs "read", changing needs "write".'

    def has_permission(self, request: Any, view: Any) -> bool:
        if not isinstance(request.auth, AccessToken):
            return True
        return request.auth.allow_scopes(["read" if request.method in SAFE_METHODS else "write"])
