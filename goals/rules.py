"""The goal rules: every door (the API, the pages, the Django admin) writes goals through here.

The functions are keyword-only and transactional. They raise Django's ValidationError keyed by
field (a condition's fields as "conditions[<index>].<field>", counted from 0), GoalLimitExceeded
when a write would pass the account's active-goal limit, and PermissionDenied for an actor who may
not manage the account's goals. Each write is one transaction, which also counts the write in the
account's goals_version: the API's cached copies of the goals carry that version
(goals.api.cache).
"""

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F

from accounts.models import Account, User
from goals.matching import url_host
from goals.models import (
    ATTRIBUTION_PERIOD_MAX,
    ATTRIBUTION_PERIOD_MIN,
    CONDITION_VALUE_MAX_LENGTH,
    DEFAULT_ATTRIBUTION_PERIOD,
    DESCRIPTION_MAX_LENGTH,
    EQUALS_PREFIXES,
    NAME_MAX_LENGTH,
    AttributionModel,
    Condition,
    ConditionType,
    Goal,
    Operator,
)
from goals.selectors import active_goal_count
from goals.signals import goal_written

MAX_CONDITIONS = 20

# Marks a field that an update leaves as it is (None cannot: it is a value a client may send).
UNCHANGED: Any = type("Unchanged", (), {"__repr__": lambda self: "UNCHANGED"})()

ConditionData = Mapping[str, Any]
CONDITION_ERROR_KEY = re.compile(r"conditions\[(?P<index>[0-9]+)\]\.(?P<field>\w+)")


class GoalLimitExceeded(Exception):
    """The write would leave the account with more enabled goals than it may have."""

    def __init__(self, limit: int, active: int) -> None:
        self.limit = limit
        if limit == 0:  # an operator's choice: there is nothing to disable
            super().__init__(
                "The account may have no active goals: keep this goal disabled, or ask an "
                "operator to raise the account's limit."
            )
            return
        goals = "goal" if active == 1 else "goals"
        # An operator may have lowered the limit below the goals already enabled.
        most = "the most it may have" if active == limit else f"more than the {limit} it may have"
        super().__init__(
            f"The account already has {active} active {goals}, {most}: "
            "disable or delete one of them first, or keep this goal disabled."
        )


def condition_error_field(key: str) -> tuple[int, str] | None:
    """The condition and field that an error key names: "conditions[2].value" is (2, "value");
    None for a key about the goal, or about its conditions as a whole."""
    match = CONDITION_ERROR_KEY.fullmatch(key)
    return (int(match["index"]), match["field"]) if match else None


def may_manage_goals(user: User, account: Account | None, *, in_django_admin: bool = False) -> bool:
    """Whether the user may read and change the account's goals (account None: no account).

    Every door asks this. Through the API and the dashboard, an account's administrators manage
    its goals; in the Django admin (in_django_admin), operators (staff) manage every account's.
    An operator is no administrator on the API and the dashboard, whatever their role.
    """
    if account is None or not user.is_authenticated or not user.is_active:
        return False
    if in_django_admin:
        return user.is_staff
    return user.role == User.Role.ADMINISTRATOR and user.account_id == account.pk


def goal_create(
    *,
    account: Account,
    actor: User,
    name: str | None = None,
    description: str = "",
    enabled: bool = True,
    attribution_model: str = AttributionModel.FIRST_TOUCH,
    attribution_period: int = DEFAULT_ATTRIBUTION_PERIOD,
    conditions: Sequence[ConditionData] = (),
) -> Goal:
    """Create a goal; an enabled one only while the account has room for another active goal."""
    _ensure_may_manage(actor, account)
    fields = {
        "name": name,
        "description": description,
        "enabled": enabled,
        "attribution_model": attribution_model,
        "attribution_period": attribution_period,
    }
    cleaned_conditions = _validated(fields, conditions)
    with _goals_write(account.pk):
        if enabled:
            _ensure_room_for_active_goal(_lock_account(account.pk))
        goal = Goal(account=account, **fields)
        goal.conditions_in_order = _new_conditions(goal, cleaned_conditions)
        _save(goal, actor)
        Condition.objects.bulk_create(goal.conditions_in_order)
        goal_written.send(Goal, goal=goal, changed={*fields, "conditions", "created"})
    return goal


def goal_update(
    *,
    goal: Goal,
    actor: User,
    name: str = UNCHANGED,
    description: str = UNCHANGED,
    enabled: bool = UNCHANGED,
    attribution_model: str = UNCHANGED,
    attribution_period: int = UNCHANGED,
    conditions: Sequence[ConditionData] = UNCHANGED,
) -> Goal:
    """Change the given fields of a goal; given conditions replace the whole list, in order."""
    _ensure_may_manage(actor, goal.account)
    fields = {
        field: value
        for field, value in {
            "name": name,
            "description": description,
            "enabled": enabled,
            "attribution_model": attribution_model,
            "attribution_period": attribution_period,
        }.items()
        if value is not UNCHANGED
    }
    cleaned_conditions = _validated(fields, conditions)
    with _goals_write(goal.account_id):
        # Locks are taken account first, then goal, in every write, so writers cannot deadlock.
        enabling = enabled is not UNCHANGED and bool(enabled)
        account = _lock_account(goal.account_id) if enabling else None
        # Read within the goal's account: a goal never moves to another.
        # FOR NO KEY UPDATE, as _lock_account: the batches that note visitors for the goal's job
        # (conversions.recompute.note_visitors) check that it exists while they hold the
        # conversions lock that this write may wait for.
        locked = Goal.objects.select_for_update(no_key=True).get(
            pk=goal.pk, account_id=goal.account_id
        )
        if account is not None and not locked.enabled:
            _ensure_room_for_active_goal(account)
        changed = {field for field, value in fields.items() if getattr(locked, field) != value}
        if cleaned_conditions is not UNCHANGED:
            conditions = _new_conditions(locked, cleaned_conditions)
            before = _terms(locked.conditions_in_order)
            if _terms(conditions) != before:
                # Any one condition met fulfils a goal (goals.matching): their order and their
                # repeats change the goal as written, not which visits fulfil it.
                same_visits = set(_terms(conditions)) == set(before)
                changed.add("condition_order" if same_visits else "conditions")
                locked.conditions.all().delete()
                locked.conditions_in_order = Condition.objects.bulk_create(conditions)
        if changed:
            for field, value in fields.items():
                setattr(locked, field, value)
            _save(locked, actor)
        goal_written.send(Goal, goal=locked, changed=changed)
    return locked


def goal_check(
    *,
    account: Account | None = None,
    goal: Goal | None = None,
    conditions: Sequence[ConditionData] = UNCHANGED,
    **fields: Any,
) -> None:
    """Raise what saving these values would raise (goal None: a new goal), saving nothing.

    The limit is checked when a true enabled is given, against the account, which it then needs.
    For forms that show every error before
    anything is written; the writes check again under the account's lock, so this early answer
    cannot let a goal past the limit.
    """
    _validated(fields, conditions)
    if fields.get("enabled") and (goal is None or not goal.enabled):
        _ensure_room_for_active_goal(account)


def goal_set_enabled(*, goal: Goal, actor: User, enabled: bool) -> Goal:
    """Enable or disable a goal, within the account's active-goal limit."""
    return goal_update(goal=goal, actor=actor, enabled=enabled)


def goal_delete(*, goal: Goal, actor: User) -> None:
    """Delete a goal and its conditions."""
    _ensure_may_manage(actor, goal.account)
    with _goals_write(goal.account_id):
        goal_written.send(Goal, goal=goal, changed={"deleted"})
        # Its history keeps the conditions it had, which the deletion takes first.
        goal.conditions_in_order = list(goal.conditions.all())
        goal._history_user = actor
        goal.delete()


@contextmanager
def _goals_write(account_id: int) -> Iterator[None]:
    """A transaction that writes the account's goals and counts the write in goals_version.

    The count commits with the write or not at all, so a copy cached under the old version is
    never read again once the write is visible. It also locks the account's row first, so every
    write takes its locks account first, then goal, and writers cannot deadlock.
    """
    with transaction.atomic():
        Account.objects.filter(pk=account_id).update(goals_version=F("goals_version") + 1)
        yield


def _ensure_may_manage(actor: User, account: Account) -> None:
    # The rules serve every door, so they let in whoever some door lets in.
    if not (
        may_manage_goals(actor, account) or may_manage_goals(actor, account, in_django_admin=True)
    ):
        raise PermissionDenied("Only administrators of the account may manage its goals.")


def _lock_account(account_id: int) -> Account:
    # FOR NO KEY UPDATE: it holds off the other goal writes (as their update of goals_version
    # does) but not the inserts that refer to the account, such as a page-view batch's, which
    # may hold the conversions lock that this write's job waits for.
    return Account.objects.select_for_update(no_key=True).get(pk=account_id)


def _ensure_room_for_active_goal(account: Account) -> None:
    # Writers pass the account locked: its row lock serializes every write that could add an
    # active goal, so two of them cannot both count the same free place (on SQLite, BEGIN
    # IMMEDIATE does the same).
    active = active_goal_count(account)
    if active >= account.active_goal_limit:
        raise GoalLimitExceeded(account.active_goal_limit, active)


def _new_conditions(goal: Goal, conditions: Sequence[dict[str, str]]) -> list[Condition]:
    return [
        Condition(goal=goal, position=position, **condition)
        for position, condition in enumerate(conditions)
    ]


def _terms(conditions: Sequence[Condition]) -> list[tuple[str, str, str]]:
    return [(c.type, c.operator, c.value) for c in conditions]


def _save(goal: Goal, actor: User) -> None:
    # Saved once a write, its conditions in place: django-simple-history records the goal as
    # this write leaves it, by this actor (goals.history adds the door), in this transaction.
    goal._history_user = actor
    goal.save()


def _validated(fields: dict[str, Any], conditions: Any) -> Any:
    """Check the goal's fields and conditions; return the conditions as they will be stored."""
    errors: dict[str, list[str]] = {}
    if "name" in fields:
        if fields["name"] is None:
            errors["name"] = ["This field is required."]
        else:
            _check_text(errors, "name", fields["name"], NAME_MAX_LENGTH, required=True)
    if "description" in fields:
        _check_text(errors, "description", fields["description"], DESCRIPTION_MAX_LENGTH)
    if "attribution_model" in fields:
        _check_choice(errors, "attribution_model", fields["attribution_model"], AttributionModel)
    if "attribution_period" in fields:
        period = fields["attribution_period"]
        if not ATTRIBUTION_PERIOD_MIN <= period <= ATTRIBUTION_PERIOD_MAX:
            errors["attribution_period"] = [
                f"Ensure this value is between {ATTRIBUTION_PERIOD_MIN} and "
                f"{ATTRIBUTION_PERIOD_MAX} days (it is {period})."
            ]
    cleaned_conditions = (
        conditions if conditions is UNCHANGED else _validated_conditions(errors, conditions)
    )
    if errors:
        raise ValidationError(errors)
    return cleaned_conditions


def _validated_conditions(
    errors: dict[str, list[str]], conditions: Sequence[ConditionData]
) -> list[dict[str, str]]:
    if len(conditions) > MAX_CONDITIONS:
        errors["conditions"] = [
            f"A goal may have at most {MAX_CONDITIONS} conditions (it has {len(conditions)})."
        ]
    cleaned = []
    for index, condition in enumerate(conditions):
        key = f"conditions[{index}]"
        condition_type = condition.get("type", ConditionType.URL)
        operator = condition.get("operator")
        value = condition.get("value")
        if isinstance(value, str):
            value = condition_value_as_stored(value)
        _check_choice(errors, f"{key}.type", condition_type, ConditionType)
        if operator is None:
            errors[f"{key}.operator"] = ["This field is required."]
        else:
            _check_choice(errors, f"{key}.operator", operator, Operator)
        if value is None:
            errors[f"{key}.value"] = ["This field is required."]
        elif (
            _check_text(errors, f"{key}.value", value, CONDITION_VALUE_MAX_LENGTH, required=True)
            and operator == Operator.EQUALS
        ):
            _check_equals_url(errors, f"{key}.value", value)
        cleaned.append({"type": condition_type, "operator": operator, "value": value})
    return cleaned


# Spaces, tabs and line breaks, and the invisible characters that editors and web pages put
# around copied text (zero-width spaces and joiners, the word joiner, the byte order mark).
_AROUND_A_PASTED_VALUE = re.compile(
    r"^[\s\u200b-\u200d\u2060\ufeff]+|[\s\u200b-\u200d\u2060\ufeff]+$"
)
# What no URL that a browser reports contains: it sends a space as %20.
_NOT_IN_A_URL = re.compile(r"[\s\x00-\x1f\x7f\u200b-\u200d\u2060\ufeff]")


def condition_value_as_stored(value: str) -> str:
    """A condition's value as the rules judge and store it: without the spaces, tabs, line
    breaks and invisible characters around it, which a pasted URL brings along and no URL a
    browser reports has."""
    return _AROUND_A_PASTED_VALUE.sub("", value)


def url_problem(url: str, subject: str = "The URL") -> str | None:
    """What keeps `url` from being a URL that a browser reports, in one sentence; None when it
    is one: an absolute http(s) URL with a host (RFC 3986, sections 3 and 3.2.2), without
    spaces, control or invisible characters. An equals condition's value must be one, or it
    could never equal a visited URL; so must every page view's URL (conversions.inputs)."""
    if not url.lower().startswith(EQUALS_PREFIXES):
        return f'{subject} has to start with "http://" or "https://".'
    if not url_host(url).strip():
        scheme = url.split(":", 1)[0].lower()
        return (
            f'The URL has no host: write one after "{scheme}://", '
            f'as in "{scheme}://shop.example/pricing".'
        )
    if _NOT_IN_A_URL.search(url):
        return (
            "A URL cannot contain spaces, line breaks or invisible characters: a browser sends "
            'a space as "%20".'
        )
    return None


def _check_equals_url(errors: dict[str, list[str]], field: str, url: str) -> None:
    problem = url_problem(url, "A URL that must be equal")
    if problem is not None:
        errors[field] = [problem]


def _check_text(
    errors: dict[str, list[str]], field: str, text: str, max_length: int, *, required: bool = False
) -> bool:
    """Record what is wrong with a text field; return whether it is valid."""
    problems = []
    if required and not text.strip():
        problems.append("This field may not be blank.")
    if "\x00" in text:
        # PostgreSQL cannot store NUL in text columns.
        problems.append("Null characters are not allowed.")
    if not _is_encodable(text):
        problems.append("The text contains an unpaired surrogate, which is not valid Unicode.")
    if len(text) > max_length:
        problems.append(
            f"Ensure this value has at most {max_length} characters (it has {len(text)})."
        )
    if problems:
        errors[field] = problems
    return not problems


def _check_choice(errors: dict[str, list[str]], field: str, value: str, choices: Any) -> None:
    if value not in choices.values:
        allowed = " or ".join(f'"{choice}"' for choice in choices.values)
        shown = value if _is_encodable(value) else value.encode("utf-8", "replace").decode()
        errors[field] = [f'"{shown[:50]}" is not a valid choice. Choose {allowed}.']


def _is_encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
