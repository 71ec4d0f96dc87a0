"""A goal's history: who changed it, when, through which door, and its values after each change.

django-simple-history writes a HistoricalGoal row for each save and deletion of a goal, in the
transaction that makes it (goals.rules saves a goal once a write, conditions already in place), so
a change rolled back leaves no row and no committed change lacks one. This module fills the row's
door, API client, user's email and conditions (goals.models.GoalChange) from the request that
simple-history's middleware keeps, and tells the changes in words, newest first.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any, overload

from django.dispatch import receiver
from django.http import HttpRequest
from django.urls import reverse
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record

from accounts.models import Account
from goals.models import AttributionModel, Door, Goal, GoalChange, Operator


@dataclass(frozen=True)
class Change:
    """A change of a goal in words: the goal's id and its name after the change, when (UTC), by
    whom (an email, or "" when not known), through which door (its words, e.g. "the API"), the
    API client that acted for them ("" for none), what changed (a sentence a line), and whether
    it deleted the goal."""

    goal_id: int
    name: str
    when: datetime
    who: str
    door: str
    api_client: str
    what: list[str]
    deleted: bool = False


def door_of(request: HttpRequest | None) -> tuple[str, str]:
    """The door a request came through (a Door value) and the name of the API client whose
    token it carried ("" for none); no request (a command, a shell): Door.COMMAND."""
    if request is None:
        return Door.COMMAND, ""
    if request.path.startswith(reverse("admin:index")):
        return Door.DJANGO_ADMIN, ""
    if request.path.startswith("/api/"):
        application = getattr(getattr(request, "auth", None), "application", None)
        return Door.API, application.name if application is not None else ""
    return Door.DASHBOARD, ""


@receiver(pre_create_historical_record, dispatch_uid="goal-change-context")
def describe_change(instance: Any, history_instance: Any, **kwargs: Any) -> None:
    if not isinstance(history_instance, GoalChange):
        return
    history_instance.door, history_instance.api_client = door_of(
        getattr(HistoricalRecords.context, "request", None)
    )
    user = history_instance.history_user
    history_instance.actor_email = user.email if user is not None else ""
    history_instance.conditions = conditions_of(instance)


def conditions_of(goal: Goal) -> list[dict[str, str]]:
    """The goal's conditions in order, as the API writes them: [{type, operator, value}]."""
    return [
        {"type": c.type, "operator": c.operator, "value": c.value} for c in goal.conditions_in_order
    ]


class GoalHistory(Sequence[Change]):
    """The changes of the account's goal `goal_id` (a deleted one's too), newest first, read as
    they are asked for, so that a page of them costs the same for a goal of 10 changes or of
    10,000: len() counts them in one query, and a slice reads its rows, and the row of the change
    before its oldest, in another. Empty for a goal of another account or none."""

    def __init__(self, account: Account, goal_id: int) -> None:
        self._rows = Goal.history.filter(account_id=account.pk, id=goal_id).order_by(
            "-history_date", "-history_id"
        )

    @cached_property
    def _count(self) -> int:
        return self._rows.count()

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[Change]:
        return iter(self[:])

    @overload
    def __getitem__(self, index: int) -> Change: ...

    @overload
    def __getitem__(self, index: slice) -> list[Change]: ...

    def __getitem__(self, index: int | slice) -> Change | list[Change]:
        positions = range(len(self))[index]  # raises IndexError as a list would
        if isinstance(positions, int):
            return self._changes(positions, positions + 1)[0]
        if positions.step == 1:
            return self._changes(positions.start, positions.stop)
        return [self[position] for position in positions]

    def _changes(self, start: int, stop: int) -> list[Change]:
        if start >= stop:
            return []
        # One row more than asked: the change before the oldest, to tell what that one did.
        rows = list(self._rows[start : stop + 1])
        befores = [*rows[1:], None]
        return [_change(before, after) for after, before in zip(rows, befores, strict=True)][
            : stop - start
        ]


def deleted_goals(account: Account) -> list[Change]:
    """The deletions of the account's goals, newest first: one a deleted goal."""
    rows = Goal.history.filter(account_id=account.pk, history_type="-").order_by(
        "-history_date", "-history_id"
    )
    return [_change(None, row) for row in rows]


def _change(before: Any, after: Any) -> Change:
    return Change(
        goal_id=after.id,
        name=after.name,
        when=after.history_date,
        who=after.actor_email,
        door=Door(after.door).label,
        api_client=after.api_client,
        what=what_changed(before, after),
        deleted=after.history_type == "-",
    )


def what_changed(before: Any, after: Any) -> list[str]:
    """What a change did, a sentence a line: `after` is its HistoricalGoal row, `before` the row
    of the change before it (None for none)."""
    if after.history_type == "+":
        return [f"Created “{after.name}”: {_summary(after)}."]
    if after.history_type == "-":
        return [f"Deleted “{after.name}”."]
    if before is None:
        # The goal is older than its history: what this change changed is not known.
        return [f"Changed; its settings since: {_summary(after)}."]
    what = []
    if before.name != after.name:
        what.append(f"Name changed from “{before.name}” to “{after.name}”.")
    if before.description != after.description:
        what.append(
            f"Description changed from {_quoted(before.description)} "
            f"to {_quoted(after.description)}."
        )
    if before.enabled != after.enabled:
        what.append("Enabled." if after.enabled else "Disabled.")
    if before.attribution_model != after.attribution_model:
        what.append(
            f"Attribution changed from {_model(before.attribution_model)} "
            f"to {_model(after.attribution_model)}."
        )
    if before.attribution_period != after.attribution_period:
        what.append(
            f"Period changed from {before.attribution_period} to {_days(after.attribution_period)}."
        )
    if before.conditions != after.conditions:
        what.append(
            f"Conditions changed from {_conditions(before.conditions)} "
            f"to {_conditions(after.conditions)}."
        )
    return what or ["Saved without a change."]


def _summary(row: Any) -> str:
    state = "enabled" if row.enabled else "disabled"
    return (
        f"{state}, {_model(row.attribution_model)} over {_days(row.attribution_period)}, "
        f"{_conditions(row.conditions)}"
    )


def _model(value: str) -> str:
    return AttributionModel(value).label.lower()


def _days(count: int) -> str:
    return f"{count} day" if count == 1 else f"{count} days"


def _quoted(text: str) -> str:
    return f"“{text}”" if text else "none"


def _conditions(conditions: list[dict[str, str]]) -> str:
    if not conditions:
        return "no conditions"
    return "; ".join(f"URL {Operator(c['operator']).label} {c['value']}" for c in conditions)
