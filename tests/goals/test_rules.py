"""The goal rules on their own, as every door (API, pages, Django admin) calls them."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from accounts.models import User
from goals import rules
from goals.models import Condition, Goal

CONDITIONS = [
    {"type": "url", "operator": "equals", "value": "https://acme.example/pricing"},
    {"operator": "contains", "value": "checkout"},
]


def test_goal_is_created_with_its_conditions_in_order(acme, alice):
    goal = rules.goal_create(account=acme, actor=alice, name="Pricing", conditions=CONDITIONS)

    assert list(goal.conditions.values_list("position", "type", "operator", "value")) == [
        (0, "url", "equals", "https://acme.example/pricing"),
        (1, "url", "contains", "checkout"),
    ]


def test_update_changes_only_the_fields_given(acme, alice, make_goal):
    goal = make_goal(acme, description="Kept", attribution_period=7, conditions=CONDITIONS)

    rules.goal_update(goal=goal, actor=alice, name="Renamed")

    goal.refresh_from_db()
    assert (goal.name, goal.description, goal.attribution_period) == ("Renamed", "Kept", 7)
    assert goal.conditions.count() == 2


def test_given_conditions_replace_the_whole_list(acme, alice, make_goal):
    goal = make_goal(acme, conditions=CONDITIONS)

    rules.goal_update(goal=goal, actor=alice, conditions=[{"operator": "contains", "value": "x"}])

    assert list(goal.conditions.values_list("position", "value")) == [(0, "x")]


def test_an_empty_list_removes_every_condition(acme, alice, make_goal):
    goal = make_goal(acme, conditions=CONDITIONS)

    rules.goal_update(goal=goal, actor=alice, conditions=[])

    assert not Condition.objects.exists()


def test_invalid_update_changes_nothing(acme, alice, make_goal):
    goal = make_goal(acme, name="Kept", conditions=CONDITIONS)

    with pytest.raises(ValidationError) as error:
        rules.goal_update(
            goal=goal,
            actor=alice,
            name="New name",
            conditions=[{"operator": "equals", "value": "cart"}],
        )

    assert error.value.message_dict == {
        "conditions[0].value": [
            'A URL that must be equal has to start with "http://" or "https://".'
        ]
    }
    goal.refresh_from_db()
    assert goal.name == "Kept"
    assert goal.conditions.count() == 2


def test_every_invalid_field_is_reported_at_once(acme, alice):
    with pytest.raises(ValidationError) as error:
        rules.goal_create(
            account=acme,
            actor=alice,
            name=" ",
            attribution_model="middle_touch",
            attribution_period=0,
            conditions=[{"type": "page", "operator": "contains", "value": "x"}],
        )

    assert set(error.value.message_dict) == {
        "name",
        "attribution_model",
        "attribution_period",
        "conditions[0].type",
    }
    assert not Goal.objects.exists()


def test_sixth_enabled_goal_is_refused(acme, alice, make_goal):
    for n in range(5):
        make_goal(acme, name=f"Goal {n}")

    with pytest.raises(rules.GoalLimitExceeded) as error:
        rules.goal_create(account=acme, actor=alice, name="Sixth")

    assert error.value.limit == 5
    assert Goal.objects.count() == 5


def test_enabling_past_the_limit_is_refused_and_disabling_is_not(acme, alice, make_goal):
    active = [make_goal(acme, name=f"Goal {n}") for n in range(5)]
    spare = make_goal(acme, name="Spare", enabled=False)

    with pytest.raises(rules.GoalLimitExceeded):
        rules.goal_set_enabled(goal=spare, actor=alice, enabled=True)
    rules.goal_set_enabled(goal=active[0], actor=alice, enabled=False)
    rules.goal_set_enabled(goal=spare, actor=alice, enabled=True)

    assert Goal.objects.filter(enabled=True).count() == 5


def test_agent_may_not_write_goals(acme, arthur, make_goal, alice):
    goal = make_goal(acme)

    with pytest.raises(PermissionDenied):
        rules.goal_create(account=acme, actor=arthur, name="Agent's goal")
    with pytest.raises(PermissionDenied):
        rules.goal_update(goal=goal, actor=arthur, name="Agent's name")
    with pytest.raises(PermissionDenied):
        rules.goal_delete(goal=goal, actor=arthur)

    assert list(Goal.objects.values_list("name", flat=True)) == ["Pricing page"]


def test_administrator_of_another_account_may_not_write_its_goals(acme, alice, bob, make_goal):
    goal = make_goal(acme)

    with pytest.raises(PermissionDenied):
        rules.goal_update(goal=goal, actor=bob, name="Taken over")
    with pytest.raises(PermissionDenied):
        rules.goal_create(account=acme, actor=bob, name="Planted")


def test_operator_may_manage_any_account_goals(acme, alice, make_goal):
    operator = User.objects.create_superuser("ops@goals.example", "operator-password-1")
    goal = make_goal(acme)

    rules.goal_update(goal=goal, actor=operator, name="Fixed by operator")

    goal.refresh_from_db()
    assert goal.name == "Fixed by operator"


def test_database_refuses_an_equals_condition_that_is_not_a_url(acme, alice, make_goal):
    goal = make_goal(acme)

    with pytest.raises(IntegrityError), transaction.atomic():
        Condition.objects.create(goal=goal, position=0, operator="equals", value="cart")


def test_database_refuses_an_attribution_period_out_of_range(acme, alice, make_goal):
    goal = make_goal(acme)
    goal.attribution_period = 31

    with pytest.raises(IntegrityError), transaction.atomic():
        goal.save()


def test_database_refuses_two_conditions_at_one_position(acme, alice, make_goal):
    goal = make_goal(acme, conditions=CONDITIONS)

    with pytest.raises(IntegrityError), transaction.atomic():
        Condition.objects.create(goal=goal, position=1, operator="contains", value="again")


def test_a_truthy_enabled_that_is_not_a_bool_still_meets_the_limit(acme, alice, make_goal):
    acme.active_goal_limit = 1
    acme.save()
    make_goal(acme, name="Active")
    spare = make_goal(acme, name="Spare", enabled=False)

    with pytest.raises(rules.GoalLimitExceeded):
        rules.goal_set_enabled(goal=spare, actor=alice, enabled=1)
    with pytest.raises(rules.GoalLimitExceeded):
        rules.goal_check(account=acme, goal=spare, enabled=1)

    assert Goal.objects.filter(enabled=True).count() == 1
