"""What a batch costs grows with the work it brings, not with the data around it: page views of
visitors who never chatted cost their insert and one lookup of touches for the whole batch."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Account
from conversions import ingest

pytestmark = pytest.mark.django_db

START = datetime(2026, 11, 1, tzinfo=UTC)


def page_views(count: int, prefix: str, visitors: int) -> list[dict]:
    return [
        {
            "id": f"{prefix}-{n}",
            "visitor_id": f"{prefix}-visitor-{n % visitors}",
            "url": "https://shop.example/checkout/thanks",
            "timestamp": (START + timedelta(seconds=n)).isoformat(),
        }
        for n in range(count)
    ]


def queries_of(send: Callable[[], object]) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        send()
    return [query["sql"] for query in captured.captured_queries]


@pytest.fixture
def thanks_goal(acme: Account, alice: object, make_goal: Callable) -> None:
    make_goal(acme, conditions=[{"type": "url", "operator": "contains", "value": "/thanks"}])


@pytest.mark.usefixtures("thanks_goal")
def test_page_views_of_visitors_who_never_chatted_cost_their_insert_and_one_lookup(acme):
    small = queries_of(
        lambda: ingest.page_views_ingest(account=acme, items=page_views(10, "a", 10))
    )
    large = queries_of(
        lambda: ingest.page_views_ingest(account=acme, items=page_views(1000, "b", 1000))
    )

    # As many statements for 10 page views as for 1,000: one insert and one lookup of touches
    # (and, on PostgreSQL, the lock), and nothing of goals or conversions.
    assert len(large) == len(small)
    inserts = [sql for sql in large if sql.startswith("INSERT")]
    assert len(inserts) == 1
    assert not any("conversions_conversion" in sql for sql in large)
    assert not any("goals_goal" in sql for sql in large)


@pytest.mark.usefixtures("thanks_goal")
def test_page_views_of_visitors_who_chatted_cost_a_few_statements_for_the_whole_batch(acme):
    chats = [
        {
            "id": f"chat-{n}",
            "visitor": {"id": f"b-visitor-{n}"},
            "timestamp": START.isoformat(),
            "agent_ids": [n + 1],
        }
        for n in range(200)
    ]
    ingest.chats_ingest(account=acme, items=chats)

    queries = queries_of(
        lambda: ingest.page_views_ingest(account=acme, items=page_views(1000, "b", 1000))
    )

    assert len(queries) <= 12
    # What is stored for the batch's chats is read once and written once; each total once.
    assert sum('"conversions_conversion"' in sql for sql in queries) == 2
    assert sum('"conversions_conversiontotal"' in sql for sql in queries) == 1
    assert sum('"conversions_goaldaytotal"' in sql for sql in queries) == 1
