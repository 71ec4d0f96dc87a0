"""Whether a visited URL fulfils a goal: the one place that says how conditions match."""

from collections.abc import Iterable
from typing import Protocol

from goals.models import Operator


class ConditionLike(Protocol):
    operator: str
    value: str


def condition_matches(condition: ConditionLike, url: str) -> bool:
    """equals: the URL is exactly the value; contains: the value occurs anywhere in the URL."""
    if condition.operator == Operator.EQUALS:
        return url == condition.value
    return condition.value in url


def goal_is_fulfilled(conditions: Iterable[ConditionLike], url: str) -> bool:
    """Any one condition met fulfils the goal."""
    return any(condition_matches(condition, url) for condition in conditions)
