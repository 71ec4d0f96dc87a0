"""An account's goals carried to another: exported as JSON in the API's own shape, the list that
GET /api/v2/goals answers, and imported from such a file through goals.rules, by the dashboard
and by `manage.py export_goals` / `import_goals`.

An import is all or nothing: a file with anything wrong in it changes nothing, and says every
problem it has. Each goal is read as the API reads a goal it is sent (its `id` is left out: the
goals are new in the account they arrive in) and created by the rules, within the account's
active-goal limit: a goal that would pass it arrives disabled, and the answer names it.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from rest_framework import exceptions

from accounts.models import Account, User
from conversions.imports import GZIP_MAGIC
from goals import rules
from goals.api.cache import goals_json
from goals.api.errors import error_details
from goals.api.serializers import GoalInputSerializer
from goals.models import Goal
from infra.words import quoted_names

# More goals than any account keeps; a file past it is a mistake, or an attack on the server.
MAX_IMPORTED_GOALS = 1000
# The problems an answer lists; the count of the others follows.
PROBLEMS_SHOWN = 20


class ImportRefused(Exception):
    """A file that cannot be imported: its problems, keyed by where they are ("file", or
    "[2].settings.conditions[0].value" for the third goal's first condition's value)."""

    def __init__(self, problems: dict[str, list[str]]) -> None:
        super().__init__(f"The file was not imported: {len(problems)} problems.")
        self.problems = problems

    def lines(self) -> list[str]:
        """The problems as sentences, at most PROBLEMS_SHOWN and a count of the rest."""
        lines = [
            f"{_where(key)}: {' '.join(messages)}" if key.startswith("[") else " ".join(messages)
            for key, messages in list(self.problems.items())[:PROBLEMS_SHOWN]
        ]
        if len(self.problems) > PROBLEMS_SHOWN:
            lines.append(f"And {len(self.problems) - PROBLEMS_SHOWN} more problems.")
        return lines


@dataclass(frozen=True)
class Imported:
    """The goals an import created, in the file's order; those of them that asked to be
    enabled but arrived disabled, the account's active-goal limit being reached; and those
    named as a goal the account had already (a file imported twice, say) or as one before them
    in the file."""

    goals: Sequence[Goal]
    disabled: Sequence[Goal]
    names_taken: Sequence[Goal] = ()

    def summary(self) -> str:
        """A few sentences that say what the import did."""
        said = f"Imported {len(self.goals)} goal{'s' if len(self.goals) != 1 else ''}."
        if self.disabled:
            limit = self.disabled[0].account.active_goal_limit
            said += (
                f" Arrived disabled, as the account's limit of {limit} enabled goals was "
                f"reached: {quoted_names([goal.name for goal in self.disabled])}."
            )
        if self.names_taken:
            # Each name once, though three goals of the file had it.
            names = list(dict.fromkeys(goal.name for goal in self.names_taken))
            these, them = (
                ("These names were", "them") if len(names) > 1 else ("This name was", "it")
            )
            said += (
                f" {these} taken already (by a goal the account had, or one before in the file), "
                f"and the goals that share {them} are all kept: {quoted_names(names)}."
            )
        return said


def goals_export(account: Account) -> bytes:
    """The account's goals in id order, as the API's JSON list (UTF-8 bytes)."""
    return goals_json(account)


def goals_import(*, account: Account, actor: User, content: bytes) -> Imported:
    """Create in `account`, as `actor`, the goals of an exported file (`content`: UTF-8 JSON,
    a list of goals in the API's shape), in one transaction. Raises ImportRefused, having
    changed nothing, for a file that is not such a list or any goal the API would refuse;
    PermissionDenied when `actor` may not manage the account's goals."""
    items = _items(content)
    problems: dict[str, list[str]] = {}
    created: list[Goal] = []
    disabled: list[Goal] = []
    with transaction.atomic():
        names = set(Goal.objects.of_account(account).values_list("name", flat=True))
        names_taken: list[Goal] = []
        for index, item in enumerate(items):
            try:
                goal, turned_off = _goal_imported(account, actor, item)
            except (ValidationError, exceptions.ValidationError) as error:
                for key, messages in error_details(error).items():
                    problems[f"[{index}].{key}" if key else f"[{index}]"] = messages
                continue
            created.append(goal)
            if goal.name in names:
                names_taken.append(goal)
            names.add(goal.name)
            if turned_off:
                disabled.append(goal)
        if problems:
            raise ImportRefused(problems)
    return Imported(created, disabled, names_taken)


def _goal_imported(account: Account, actor: User, item: Any) -> tuple[Goal, bool]:
    """The goal created from one item of the file, and whether it arrived disabled."""
    if not isinstance(item, dict):
        raise exceptions.ValidationError(["A goal is a JSON object, as the API shows one."])
    parsed = GoalInputSerializer(data=item, partial=True)
    parsed.is_valid(raise_exception=True)
    fields = dict(parsed.validated_data)
    try:
        return rules.goal_create(account=account, actor=actor, **fields), False
    except rules.GoalLimitExceeded:
        fields["enabled"] = False
        return rules.goal_create(account=account, actor=actor, **fields), True


def _items(content: bytes) -> list[Any]:
    if not content:
        raise _refused("The file is empty.")
    if content.startswith(GZIP_MAGIC):
        raise _refused("The file is gzip, not JSON: unpack it first.")
    try:
        data = json.loads(content.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise _refused("The file is not text in UTF-8.") from None
    except json.JSONDecodeError as error:
        where = f"line {error.lineno}, column {error.colno}"
        raise _refused(f"The file is not JSON: {error.msg} ({where}).") from None
    except RecursionError:
        raise _refused("The file is nested too deeply to be a list of goals.") from None
    if not isinstance(data, list):
        raise _refused(
            "The file holds no list of goals: export one with “Export goals” or "
            "manage.py export_goals, or save what GET /api/v2/goals answers."
        )
    if not data:
        raise _refused("The file holds no goals.")
    if len(data) > MAX_IMPORTED_GOALS:
        raise _refused(
            f"The file holds {len(data):,} goals; at most {MAX_IMPORTED_GOALS:,} are imported "
            "at once."
        )
    return data


def _refused(message: str) -> ImportRefused:
    return ImportRefused({"file": [message]})


def _where(key: str) -> str:
    """A goal's problem's place in words: "Goal 3, settings.conditions[0].value" for the key
    "[2].settings.conditions[0].value"."""
    index, _, field = key[1:].partition("]")
    place = f"Goal {int(index) + 1}"
    return f"{place}, {field.removeprefix('.')}" if field else place
