"""Every example of the reference document (shared/spec/goals-api-reference.txt), as a test."""

import pytest

GOAL_1 = {
    "attribution_model": "first_touch",
    "attribution_period": 30,
    "description": "A sample goal",
    "enabled": 1,
    "name": "Goal 1",
    "settings": {
        "conditions": [
            {"operator": "equals", "type": "url", "value": "http://cart.com/"},
            {"operator": "contains", "type": "url", "value": "cart"},
        ]
    },
}

# The reference's list example leaves "enabled" out of Goal 2; every goal we show carries it.
GOAL_2 = {
    "attribution_model": "last_touch",
    "attribution_period": 15,
    "description": "A sample goal",
    "enabled": 1,
    "name": "Goal 2",
    "settings": {
        "conditions": [
            {"operator": "equals", "type": "url", "value": "http://zopim.com/"},
            {"operator": "contains", "type": "url", "value": "zopim"},
        ]
    },
}

# The body of the reference's "Create Goal" curl example.
GOAL_3 = {
    "name": "Goal 3",
    "description": "A new goal",
    "enabled": 1,
    "attribution_model": "first_touch",
    "attribution_period": 15,
    "settings": {
        "conditions": [{"operator": "equals", "type": "url", "value": "http://mysite.com/"}]
    },
}


@pytest.fixture(params=["/api/v2/goals", "/api/v2/chat/goals"])
def base(request: pytest.FixtureRequest) -> str:
    return request.param


def test_creating_the_example_goal_answers_201_with_the_example_representation(alice_api, base):
    response = alice_api.post(base, GOAL_1)

    assert response.status_code == 201
    assert response.json() == {**GOAL_1, "id": response.json()["id"]}


def test_create_curl_example_stores_every_field_it_sends(alice_api, base):
    created = alice_api.post(base, GOAL_3).json()

    assert created == {**GOAL_3, "id": created["id"]}
    assert alice_api.get(f"{base}/{created['id']}").json() == created


def test_list_example_shows_the_account_goals_in_id_order(alice_api, base):
    first = alice_api.post(base, GOAL_1).json()
    second = alice_api.post(base, GOAL_2).json()

    response = alice_api.get(base)

    assert response.status_code == 200
    assert response.json() == [{**GOAL_1, "id": first["id"]}, {**GOAL_2, "id": second["id"]}]


def test_show_example_answers_the_goal(alice_api, base):
    goal_id = alice_api.post(base, GOAL_1).json()["id"]

    response = alice_api.get(f"{base}/{goal_id}")

    assert response.status_code == 200
    assert response.json() == {**GOAL_1, "id": goal_id}


def test_update_example_changes_the_name_and_keeps_everything_else(alice_api, base):
    goal_id = alice_api.post(base, GOAL_3).json()["id"]

    response = alice_api.put(f"{base}/{goal_id}", {"name": "Good goal"})

    # The reference's answer shows "A mew goal", a typo for the description Goal 3 was made with.
    assert response.status_code == 200
    assert response.json() == {
        "attribution_model": "first_touch",
        "attribution_period": 15,
        "description": "A new goal",
        "enabled": 1,
        "id": goal_id,
        "name": "Good goal",
        "settings": {
            "conditions": [{"operator": "equals", "type": "url", "value": "http://mysite.com/"}]
        },
    }


def test_delete_example_answers_204_with_no_body_and_the_goal_is_gone(alice_api, base):
    goal_id = alice_api.post(base, GOAL_3).json()["id"]

    response = alice_api.delete(f"{base}/{goal_id}")

    assert response.status_code == 204
    assert response.content == b""
    assert alice_api.get(f"{base}/{goal_id}").status_code == 404
    assert alice_api.get(base).json() == []
