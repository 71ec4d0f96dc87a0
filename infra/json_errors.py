"""The one shape of every JSON error the service answers under /api/:
{"error": short title, "description": one sentence[, "details": {field: [messages]}]}."""

from typing import Any

API_PREFIX = "/api/"

TITLES = {
    400: "Invalid input",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    411: "Length required",
    413: "Request too large",
    415: "Unsupported media type",
    429: "Too many requests",
    500: "Server error",
}


def error_body(status: int, description: str, *, title: str | None = None, **extra: Any) -> dict:
    """The body of an error answered with the HTTP status `status`; the title defaults to the
    status's own."""
    return {"error": title or TITLES.get(status, "Error"), "description": description, **extra}
