"""Reads of goals that more than one door needs, beside the rules that write them."""

from accounts.models import Account
from goals.models import Goal


def active_goal_count(account: Account) -> int:
    """How many of the account's goals are enabled: what its active-goal limit counts."""
    return Goal.objects.filter(account=account, enabled=True).count()
