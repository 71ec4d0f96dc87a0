"""The goals as the API shows them, rendered once per version of the account's goals and kept in
the shared cache.

A key names the account's goals_version, which every write of goals counts within its own
transaction (goals.rules): a copy made before a write is under an older key, which no read asks
for once the write has committed, so nothing ever needs deleting. The cache only spares work:
while it misses, or is out of reach, the goals are rendered from the database.
"""

from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from rest_framework.renderers import JSONRenderer

from accounts.models import Account
from goals.api.serializers import GoalSerializer
from goals.models import Goal

# Copies of old versions are never read again; this is how long they take up room.
KEPT_SECONDS = 3600


def goals_json(account: Account) -> bytes:
    """The account's goals in id order, as the API's JSON list."""
    return _cached(
        account, "list", lambda: GoalSerializer(Goal.objects.of_account(account), many=True).data
    )


def goal_json(account: Account, goal_id: int) -> bytes | None:
    """One of the account's goals as the API's JSON; None when the account has no such goal."""

    def render() -> Any:
        goal = Goal.objects.of_account(account).filter(pk=goal_id).first()
        return None if goal is None else GoalSerializer(goal).data

    return _cached(account, goal_id, render)


def _cached(account: Account, part: Any, render: Callable[[], Any]) -> Any:
    key = f"goals:{account.pk}:{account.goals_version}:{part}"
    content = cache.get(key)
    if content is None:
        data = render()
        if data is None:
            return None
        content = JSONRenderer().render(data)
        cache.set(key, content, KEPT_SECONDS)
    return content
