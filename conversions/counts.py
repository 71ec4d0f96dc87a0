"""How many conversions goals have had: the figures the dashboard shows beside each goal."""

from collections.abc import Iterable
from datetime import datetime

from django.db.models import Count

from accounts.models import Account
from conversions.models import Conversion


def conversion_counts(
    account: Account, since: datetime, *, goal_ids: Iterable[int] | None = None
) -> dict[int, int]:
    """The account's conversions at or after `since` (by the conversion's timestamp, that of
    the page view that met the goal), counted by goal id: {goal_id: count}. A goal without one
    is absent. `goal_ids` limits the count to those goals (a page of them), which keeps it to a
    range of the (account, goal_id, timestamp) index for each goal; None counts every goal,
    deleted ones included.

    One grouped query.
    """
    conversions = Conversion.objects.filter(account=account, timestamp__gte=since)
    if goal_ids is not None:
        conversions = conversions.filter(goal_id__in=list(goal_ids))
    rows = conversions.values("goal_id").annotate(count=Count("*")).order_by()
    return {row["goal_id"]: row["count"] for row in rows}
