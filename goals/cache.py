"""The goals as the API shows them, serialized once and kept as bytes in the shared cache.

The bytes are those DRF would render from goals.api.serializers.GoalSerializer (the schema's
description of a goal), made here from plain rows: two queries however many goals and conditions,
no field machinery. Every write of goals (goals.rules) calls goals_changed as its transaction
starts, which tells the cache again once it commits, so no read that starts after the write sees
the goals from before it.
"""

from collections import defaultdict
from typing import Any

import orjson

from goals.models import Condition, Goal
from goals_admin.shared_cache import ReadAhead
from goals_admin.versioned_cache import VersionedCache

# A value outlives its version only if a server stopped between a write's commit and the
# version change that follows it; this bounds how long.
account_goals = VersionedCache("api-goals", seconds=600)

GOAL_FIELDS = ("id", "name", "description", "enabled", "attribution_model", "attribution_period")
CONDITION_FIELDS = ("type", "operator", "value")
LIST = "list"


def goals_changed(account_id: int) -> None:
    account_goals.changed(account_id)


def goals_json(account_id: int, read_ahead: ReadAhead | None = None) -> bytes:
    """The account's goals in id order, as the API's JSON list."""

    def make() -> bytes:
        return to_json(goal_dicts(account_id=account_id))

    return account_goals.get(account_id, LIST, make, read_ahead)


def goal_json(account_id: int, goal_id: int, read_ahead: ReadAhead | None = None) -> bytes | None:
    """One of the account's goals as the API's JSON; None when the account has no such goal."""

    def make() -> bytes | None:
        found = goal_dicts(account_id=account_id, id=goal_id)
        return to_json(found[0]) if found else None

    return account_goals.get(account_id, goal_id, make, read_ahead)


def cache_keys(account_id: int, goal_id: int | None = None) -> tuple[str, ...]:
    """The shared cache's keys that goals_json (goal_id None) or goal_json reads."""
    return account_goals.keys(account_id, LIST if goal_id is None else goal_id)


def goal_dicts(**goal_filter: Any) -> list[dict[str, Any]]:
    goals = Goal.objects.filter(**goal_filter).order_by("id").values(*GOAL_FIELDS)
    conditions = defaultdict(list)
    of_those_goals = {f"goal__{field}": value for field, value in goal_filter.items()}
    rows = (
        Condition.objects.filter(**of_those_goals)
        .order_by("goal_id", "position")
        .values_list("goal_id", *CONDITION_FIELDS)
    )
    for goal_id, *values in rows:
        conditions[goal_id].append(dict(zip(CONDITION_FIELDS, values, strict=True)))
    return [shaped(goal, conditions[goal["id"]]) for goal in goals]


def written_goal_json(goal: Goal) -> bytes:
    """A goal that goals.rules just wrote, as the API's JSON: its fields as they were saved, and
    its conditions as the rules stored them (else as read)."""
    conditions = [
        {field: getattr(condition, field) for field in CONDITION_FIELDS}
        for condition in goal.conditions.all()
    ]
    return to_json(shaped({field: getattr(goal, field) for field in GOAL_FIELDS}, conditions))


def shaped(goal: dict[str, Any], conditions: Any) -> dict[str, Any]:
    """A goal's fields and conditions in the shape of goals.api.serializers.GoalSerializer."""
    goal["enabled"] = int(goal["enabled"])
    goal["settings"] = {"conditions": list(conditions)}
    return goal


def to_json(data: Any) -> bytes:
    # DRF's JSON renderer escapes the two line separators that JavaScript strings cannot hold.
    return (
        orjson.dumps(data)
        .replace("\u2028".encode(), b"\\u2028")
        .replace("\u2029".encode(), b"\\u2029")
    )
