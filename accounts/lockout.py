from typing import Any


def login_of(request: Any, credentials: dict[str, Any]) -> str:
    """The login that django-axes counts failures for, however it was typed or sent.

    The sign-in forms send it as "username", HTTP Basic (through authenticate) as "email"; the
    login is case-insensitive, so every spelling of one email counts towards one lockout.
    """
    login = credentials.get("username") or credentials.get("email") or ""
    return login.strip().lower()
