"""Page views and chats in: every door (the API, the imports) stores them through here.

Each call is one transaction that stores a batch and brings its conversions up to date
(conversions.recompute), or raises ValidationError (conversions.inputs) and stores nothing.
"""

from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Account
from conversions import recompute, totals
from conversions.attribution import Visit
from conversions.inputs import (
    ChatIn,
    PageViewIn,
    parse_chats,
    parse_page_views,
    webpath_page_view_id,
)
from conversions.models import Chat, PageView, Touch

_PAGE_VIEW_TABLE = connection.ops.quote_name(PageView._meta.db_table)
_PAGE_VIEW_COLUMNS = ["account_id", "page_view_id", "visitor_id", "url", "timestamp", "title"]


@dataclass(frozen=True)
class PageViewsReceived:
    """What a batch of page views did: `duplicates` had ids the account already had."""

    received: int
    created: int
    duplicates: int


@dataclass(frozen=True)
class ChatsReceived:
    """What a batch of chats did: `updated` replaced a stored chat that differed from it."""

    received: int
    created: int
    updated: int


def page_views_ingest(*, account: Account, items: Any) -> PageViewsReceived:
    """Store a batch of page views (conversions.inputs.parse_page_views) and credit their
    conversions. A page view whose id the account already has is a duplicate: it changes
    nothing, even if its other fields differ. Raises ValidationError for an invalid batch."""
    page_views = parse_page_views(items)
    with transaction.atomic():
        recompute.lock_conversions(account.pk, exclusive=False)
        created = _store_page_views(account.pk, page_views)
        recompute.credit_page_views(account.pk, created)
    return PageViewsReceived(len(page_views), len(created), len(page_views) - len(created))


def chats_ingest(*, account: Account, items: Any) -> ChatsReceived:
    """Store a batch of Zendesk Chat chat objects (conversions.inputs.parse_chats), each
    replacing a stored chat of the same id with its touches and the page views of its webpath,
    and bring their visitors' conversions up to date. Of two chats with one id in a
    batch, the later wins. Raises ValidationError for an invalid batch."""
    received = parse_chats(items)
    chats = list({chat.chat_id: chat for chat in received}.values())
    with transaction.atomic():
        recompute.lock_conversions(account.pk, exclusive=True)
        stored = {
            chat_id: (visitor_id, data)
            for chat_id, visitor_id, data in Chat.objects.filter(
                account_id=account.pk, chat_id__in=[chat.chat_id for chat in chats]
            ).values_list("chat_id", "visitor_id", "data")
        }
        changed = [chat for chat in chats if stored.get(chat.chat_id, (None, None))[1] != chat.data]
        replaced = [stored[chat.chat_id] for chat in changed if chat.chat_id in stored]
        _store_chats(account.pk, changed)
        _replace_webpaths(account.pk, changed, stored)
        recompute.recompute_visitors(
            account.pk,
            {visitor for visitor, _ in replaced} | {chat.visitor_id for chat in changed},
        )
    created = sum(chat.chat_id not in stored for chat in chats)
    return ChatsReceived(len(received), created, len(changed) - created)


def _store_page_views(account_id: int, page_views: list[PageViewIn]) -> list[Visit]:
    """Insert the page views whose ids are new; return those, as attribution reads them."""
    # One order in every writer, so that batches that share page views cannot deadlock.
    ordered = sorted(page_views, key=lambda page_view: page_view.page_view_id)
    created: list[Visit] = []
    for chunk in recompute.chunks(ordered):
        rows = [
            [account_id, p.page_view_id, p.visitor_id, p.url, p.timestamp, p.title] for p in chunk
        ]
        new_ids = {
            row[0]
            for row in recompute.insert_rows(
                _PAGE_VIEW_TABLE, _PAGE_VIEW_COLUMNS, rows, "ON CONFLICT DO NOTHING", "page_view_id"
            )
        }
        for p in chunk:
            if p.page_view_id in new_ids:
                # A second page view of one id in the batch is a duplicate of the first.
                new_ids.remove(p.page_view_id)
                created.append(Visit(p.page_view_id, p.visitor_id, p.url, p.timestamp))
    return created


def _replace_webpaths(
    account_id: int, chats: list[ChatIn], stored: dict[str, tuple[str, dict]]
) -> None:
    """The page views of these chats' webpaths, in place of those of their stored versions: a
    chat sent again may have another visitor, or other items."""
    old_ids = [
        webpath_page_view_id(chat.chat_id, index)
        for chat in chats
        if chat.chat_id in stored
        for index in range(len(stored[chat.chat_id][1].get("webpath") or ()))
    ]
    for chunk in recompute.chunks(old_ids):
        PageView.objects.filter(account_id=account_id, page_view_id__in=chunk)._raw_delete(
            connection.alias
        )
    _store_page_views(account_id, [page_view for chat in chats for page_view in chat.webpath])


def _store_chats(account_id: int, chats: list[ChatIn]) -> None:
    """Write the chats as sent and replace their touches."""
    if not chats:
        return
    now = timezone.now()
    Chat.objects.bulk_create(
        [
            Chat(
                account_id=account_id,
                chat_id=chat.chat_id,
                visitor_id=chat.visitor_id,
                timestamp=chat.timestamp,
                data=chat.data,
                received_at=now,
                updated_at=now,
            )
            for chat in chats
        ],
        update_conflicts=True,
        unique_fields=["account", "chat_id"],
        update_fields=["visitor_id", "timestamp", "data", "updated_at"],
    )
    stored = Touch.objects.filter(
        account_id=account_id, chat_id__in=[chat.chat_id for chat in chats]
    )
    removed = list(stored)
    stored._raw_delete(connection.alias)
    added = [touch for chat in chats for touch in chat.touches]
    Touch.objects.bulk_create(Touch(account_id=account_id, **touch._asdict()) for touch in added)
    totals.touches_changed(account_id, removed=removed, added=added)
