"""The incremental export holds back the conversions of the last seconds, which writers still in
their transactions may yet add to: a client that follows its cursor never skips one."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Account
from conversions import totals
from conversions.models import Conversion
from conversions.selectors import conversions_updated_since

pytestmark = pytest.mark.django_db


def conversion(account: Account, chat_id: str, seconds_ago: int) -> Conversion:
    stamp = timezone.now().replace(microsecond=0) - timedelta(seconds=seconds_ago)
    stored = Conversion.objects.create(
        account=account,
        goal_id=1,
        chat_id=chat_id,
        conversion_id=f"{len(chat_id):016x}",
        goal_name="Pricing page",
        visitor_id="v1",
        page_view_id="p1",
        url="https://shop.example/pricing",
        timestamp=stamp,
        agent_id=7,
        chat_timestamp=stamp,
        update_timestamp=stamp,
    )
    # Stored as no writer would store it: the daily totals are counted again to match.
    totals.rebuild(account.pk)
    return stored


def test_conversions_updated_within_the_delay_are_held_back(settings, acme):
    settings.CONVERSIONS_EXPORT_DELAY = 30
    conversion(acme, "old", seconds_ago=31)
    conversion(acme, "fresh-one", seconds_ago=5)

    page = conversions_updated_since(acme, start_time=0, start_id=None, limit=1000)

    assert [row["chat_id"] for row in page.rows] == ["old"]
    assert page.next_query == ""


def test_held_back_conversions_are_exported_once_the_delay_has_passed(settings, acme):
    settings.CONVERSIONS_EXPORT_DELAY = 30
    conversion(acme, "fresh-one", seconds_ago=5)
    first = conversions_updated_since(acme, start_time=0, start_id=None, limit=1000)
    settings.CONVERSIONS_EXPORT_DELAY = 4  # as if 26 seconds had passed

    later = conversions_updated_since(acme, start_time=first.end_time, start_id=None, limit=1000)

    assert first.rows == []
    assert [row["chat_id"] for row in later.rows] == ["fresh-one"]
