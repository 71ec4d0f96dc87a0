from typing import Any

from rest_framework.permissions import BasePermission


class IsAccountAdministrator(BasePermission):
    """Signed in as an administrator of an account; the goals looked up are that account's."""

    message = "Only administrators of the account may manage its goals."

    def has_permission(self, request: Any, view: Any) -> bool:
        return request.user.is_authenticated and request.user.is_administrator
