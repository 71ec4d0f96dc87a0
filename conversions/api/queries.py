"""The query strings of the conversions API, read into what conversions.selectors takes.

Bad values are a 400 that names the parameter, never a 500.
"""

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from django.http import QueryDict
from rest_framework.exceptions import ValidationError

MAX_LIMIT = 1000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CURSOR = re.compile(r"(?P<microseconds>[0-9]{1,18})\.(?P<conversion_id>[0-9a-f]{16})")
_START_ID = re.compile(r"[0-9a-f]{16}")


def incremental_query(params: QueryDict) -> dict[str, Any]:
    """start_time (required, epoch seconds), start_id (a conversion id) and limit (1 to 1,000,
    1,000 if absent), after Zendesk's incremental exports."""
    raw_start = params.get("start_time")
    if raw_start is None:
        raise ValidationError(
            {"start_time": ["Required: seconds since the epoch, such as 0 for every conversion."]}
        )
    start_time = _integer(raw_start, "start_time", 0, 253402300799)
    start_id = params.get("start_id")
    if start_id is not None and not _START_ID.fullmatch(start_id):
        raise ValidationError({"start_id": ["A conversion id: 16 hexadecimal digits (end_id)."]})
    return {"start_time": start_time, "start_id": start_id, "limit": _limit(params)}


def cursor_query(params: QueryDict) -> dict[str, Any]:
    """cursor (from the previous page's next_page) and limit (1 to 1,000, 1,000 if absent)."""
    raw_cursor = params.get("cursor")
    after = None
    if raw_cursor is not None:
        match = _CURSOR.fullmatch(raw_cursor)
        if match is None:
            raise ValidationError({"cursor": ["Use the cursor of the previous page's next_page."]})
        try:
            moment = EPOCH + timedelta(microseconds=int(match["microseconds"]))
        except OverflowError:
            raise ValidationError({"cursor": ["This cursor is past the year 9999."]}) from None
        after = (moment, match["conversion_id"])
    return {"after": after, "limit": _limit(params)}


def _limit(params: QueryDict) -> int:
    raw = params.get("limit")
    return MAX_LIMIT if raw is None else _integer(raw, "limit", 1, MAX_LIMIT)


def _integer(raw: str, name: str, low: int, high: int) -> int:
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 18 and low <= int(raw) <= high):
        raise ValidationError({name: [f"Expected a whole number from {low} to {high:,}."]})
    return int(raw)
