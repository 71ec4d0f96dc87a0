"""The active-goal limit through the API: five enabled goals an account, by default."""

import pytest

from goals.models import Goal

LIMIT_ERROR = {
    "error": "Goals limit exceeded",
    "description": "The account already has 5 active goals, the most it may have: "
    "disable or delete one of them first, or keep this goal disabled.",
}


@pytest.fixture
def five_active(acme, alice, make_goal):
    return [make_goal(acme, name=f"Goal {n}") for n in range(5)]


def test_sixth_active_goal_is_refused_and_nothing_is_stored(alice_api, five_active):
    response = alice_api.post("/api/v2/goals", {"name": "Sixth", "enabled": 1})

    assert response.status_code == 400
    assert response.json() == LIMIT_ERROR
    assert Goal.objects.count() == 5


def test_goal_created_without_enabled_counts_as_active(alice_api, five_active):
    response = alice_api.post("/api/v2/goals", {"name": "Sixth"})

    assert response.json()["error"] == "Goals limit exceeded"


def test_sixth_goal_may_be_created_disabled(alice_api, five_active):
    response = alice_api.post("/api/v2/goals", {"name": "Sixth", "enabled": 0})

    assert response.status_code == 201
    assert response.json()["enabled"] == 0


@pytest.mark.parametrize("method", ["put", "patch"])
@pytest.mark.parametrize("enabled", [1, True])
def test_enabling_a_sixth_goal_is_refused_and_changes_nothing(
    alice_api, acme, make_goal, five_active, method, enabled
):
    spare = make_goal(acme, name="Spare", enabled=False)

    response = getattr(alice_api, method)(
        f"/api/v2/goals/{spare.pk}", {"enabled": enabled, "name": "Renamed"}
    )

    assert response.status_code == 400
    assert response.json() == LIMIT_ERROR
    spare.refresh_from_db()
    assert (spare.name, spare.enabled) == ("Spare", False)


def test_active_goal_at_the_limit_may_still_be_edited(alice_api, five_active):
    response = alice_api.put(f"/api/v2/goals/{five_active[0].pk}", {"enabled": 1, "name": "Edited"})

    assert response.status_code == 200
    assert response.json()["name"] == "Edited"


def test_disabling_one_goal_makes_room_for_another(alice_api, acme, make_goal, five_active):
    spare = make_goal(acme, name="Spare", enabled=False)

    alice_api.patch(f"/api/v2/goals/{five_active[0].pk}", {"enabled": 0})
    response = alice_api.patch(f"/api/v2/goals/{spare.pk}", {"enabled": 1})

    assert response.status_code == 200
    assert Goal.objects.filter(enabled=True).count() == 5


def test_deleting_one_goal_makes_room_for_another(alice_api, five_active):
    alice_api.delete(f"/api/v2/goals/{five_active[0].pk}")

    assert alice_api.post("/api/v2/goals", {"name": "Sixth"}).status_code == 201


def test_disabled_goals_do_not_count(alice_api, acme, make_goal):
    for n in range(10):
        make_goal(acme, name=f"Idle {n}", enabled=False)

    responses = [alice_api.post("/api/v2/goals", {"name": f"Live {n}"}) for n in range(5)]

    assert [response.status_code for response in responses] == [201] * 5


def test_limit_is_counted_per_account(api_as, bob, five_active):
    response = api_as(bob).post("/api/v2/goals", {"name": "Bluebird's first"})

    assert response.status_code == 201


def test_account_with_a_higher_limit_may_have_more_active_goals(alice_api, acme, five_active):
    acme.active_goal_limit = 6
    acme.save()

    assert alice_api.post("/api/v2/goals", {"name": "Sixth"}).status_code == 201
    response = alice_api.post("/api/v2/goals", {"name": "Seventh"})
    assert response.json()["description"].startswith("The account already has 6 active goals")


def test_invalid_input_is_reported_before_the_limit(alice_api, five_active):
    response = alice_api.post("/api/v2/goals", {"name": ""})

    assert response.json()["error"] == "Invalid input"


def test_a_limit_lowered_below_the_active_goals_says_how_many_are_active(
    alice_api, acme, five_active
):
    acme.active_goal_limit = 3
    acme.save()

    response = alice_api.post("/api/v2/goals", {"name": "Sixth"})

    assert response.status_code == 400
    assert response.json()["description"].startswith(
        "The account already has 5 active goals, more than the 3 it may have"
    )


def test_an_account_whose_limit_is_none_is_told_so_not_to_disable_a_goal(alice_api, acme):
    acme.active_goal_limit = 0
    acme.save()

    response = alice_api.post("/api/v2/goals", {"name": "First", "settings": {"conditions": []}})

    assert response.status_code == 400
    assert response.json()["description"] == (
        "The account may have no active goals: keep this goal disabled, or ask an operator to "
        "raise the account's limit."
    )
