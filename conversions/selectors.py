"""Reads of conversions and chats: keyset pages whose cost does not grow with the stored total.
The counts the dashboard shows come from the daily totals (conversions.reports)."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from accounts.models import Account
from conversions.models import Chat, Conversion
from goals.models import Goal

CHAT_CONVERSIONS = 20


@dataclass(frozen=True)
class Page:
    """Conversion rows (dicts of Conversion's fields); `next_query` is the query string of the
    next page, "" on the last. `end_time` (epoch seconds) and `end_id` say where it ended."""

    rows: list[dict[str, Any]]
    next_query: str
    end_time: int | None = None
    end_id: str | None = None


def chat_with_conversions(
    account: Account, chat_id: str
) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    """The chat as last sent and the last CHAT_CONVERSIONS conversions credited to it, newest
    first; None when the account has no such chat."""
    data = Chat.objects.filter(account_id=account.pk, chat_id=chat_id).values_list("data")
    found = data.first()
    if found is None:
        return None
    conversions = Conversion.objects.filter(account_id=account.pk, chat_id=chat_id).order_by(
        "-timestamp", "-conversion_id"
    )
    return found[0], list(conversions.values()[:CHAT_CONVERSIONS])


def conversions_updated_since(
    account: Account, *, start_time: int, start_id: str | None, limit: int
) -> Page:
    """The account's conversions by (update_timestamp, id) from start_time (epoch seconds), after
    start_id when given: Zendesk's incremental export cursor. `end_time`/`end_id` are the last
    row's; the next page starts there. A page shorter than `limit` is the last.

    Conversions updated in the last CONVERSIONS_EXPORT_DELAY seconds are held back: a writer
    still in its transaction may yet commit rows stamped with those seconds, which a cursor
    already past them would skip.
    """
    since = datetime.fromtimestamp(start_time, UTC)
    # The first condition alone bounds the index range that is read, so that a page costs the
    # same however many conversions come before it; the second leaves out the start's second
    # up to start_id.
    after = Q(update_timestamp__gte=since)
    if start_id is not None:
        after &= Q(update_timestamp__gt=since) | Q(conversion_id__gt=start_id)
    if settings.CONVERSIONS_EXPORT_DELAY:
        settled = timezone.now() - timedelta(seconds=settings.CONVERSIONS_EXPORT_DELAY)
        after &= Q(update_timestamp__lte=settled)
    rows = list(
        Conversion.objects.filter(after, account_id=account.pk)
        .order_by("update_timestamp", "conversion_id")
        .values()[:limit]
    )
    if not rows:
        return Page(rows, "", start_time, start_id)
    end_time, end_id = int(rows[-1]["update_timestamp"].timestamp()), rows[-1]["conversion_id"]
    more = len(rows) == limit
    next_query = f"start_time={end_time}&start_id={end_id}&limit={limit}" if more else ""
    return Page(rows, next_query, end_time, end_id)


def goal_conversions(
    account: Account, goal_id: int, *, after: tuple[datetime, str] | None, limit: int
) -> Page | None:
    """The goal's conversions by (timestamp, id), after the cursor's (timestamp, id); None when
    the account has no such goal and no conversions of one (a deleted goal keeps its own)."""
    conversions = Conversion.objects.filter(account_id=account.pk, goal_id=goal_id)
    if not Goal.objects.filter(account_id=account.pk, pk=goal_id).exists() and (
        not conversions.exists()
    ):
        return None
    if after is not None:
        moment, conversion_id = after
        # As in conversions_updated_since: the first condition bounds the index range read.
        conversions = conversions.filter(
            Q(timestamp__gt=moment) | Q(conversion_id__gt=conversion_id), timestamp__gte=moment
        )
    rows = list(conversions.order_by("timestamp", "conversion_id").values()[:limit])
    if len(rows) < limit:
        return Page(rows, "")
    return Page(rows, f"cursor={cursor_of(rows[-1])}&limit={limit}")


def cursor_of(row: dict[str, Any]) -> str:
    """The cursor after a conversion in a goal's list: its timestamp's microseconds since the
    epoch and its id, as "<microseconds>.<id>"."""
    moment = row["timestamp"]
    microseconds = (moment - datetime(1970, 1, 1, tzinfo=UTC)) // datetime.resolution
    return f"{microseconds}.{row['conversion_id']}"
