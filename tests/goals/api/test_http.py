"""The HTTP surface: both bases, both spellings, and JSON errors for all under /api/."""

import pytest

from goals import rules
from goals.models import Goal

GOAL = {
    "name": "Pricing page",
    "settings": {"conditions": [{"operator": "contains", "value": "pricing"}]},
}


@pytest.mark.parametrize(
    "path", ["/api/v2/goals", "/api/v2/goals/", "/api/v2/chat/goals", "/api/v2/chat/goals/"]
)
def test_every_spelling_of_the_collection_serves_it_without_redirect(alice_api, path):
    created = alice_api.post(path, GOAL)

    assert created.status_code == 201
    assert alice_api.get(path).json() == [created.json()]


@pytest.mark.parametrize(
    "template",
    ["/api/v2/goals/{}", "/api/v2/goals/{}/", "/api/v2/chat/goals/{}", "/api/v2/chat/goals/{}/"],
)
def test_every_spelling_of_a_goal_serves_show_update_and_delete(alice_api, template):
    goal_id = alice_api.post("/api/v2/goals", GOAL).json()["id"]
    path = template.format(goal_id)

    assert alice_api.get(path).json()["name"] == "Pricing page"
    assert alice_api.put(path, {"name": "Plans"}).json()["name"] == "Plans"
    assert alice_api.patch(path, {"enabled": 0}).json()["enabled"] == 0
    assert alice_api.delete(path).status_code == 204
    assert not Goal.objects.exists()


def test_goal_created_on_one_base_is_the_same_goal_on_the_other(alice_api):
    goal_id = alice_api.post("/api/v2/chat/goals", GOAL).json()["id"]

    assert alice_api.get(f"/api/v2/goals/{goal_id}").json()["id"] == goal_id


def test_unknown_goal_id_is_a_json_404(alice_api):
    response = alice_api.get("/api/v2/goals/999999")

    assert response.status_code == 404
    assert response.json() == {
        "error": "Not found",
        "description": "No goal with this id exists in your account.",
    }


@pytest.mark.parametrize(
    "path",
    [
        "/api/v2/goals/abc",
        "/api/v2/goals/99999999999999999999999",
        "/api/v2/nothing-here",
        "/api/v3/goals",
        "/api/",
    ],
)
@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_unknown_api_address_is_a_json_404_not_a_page(alice_api, settings, path, method):
    settings.DEBUG = False

    response = alice_api.request(method, path, {"name": "x"})

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "error": "Not found",
        "description": "There is no API endpoint at this address.",
    }


def test_method_not_allowed_is_json_and_names_the_allowed_methods(alice_api):
    goal_id = alice_api.post("/api/v2/goals", GOAL).json()["id"]

    response = alice_api.post(f"/api/v2/goals/{goal_id}", GOAL)

    assert response.status_code == 405
    assert response.json() == {
        "error": "Method not allowed",
        "description": 'Method "POST" not allowed.',
    }
    assert "PUT" in response["Allow"]


def test_body_that_is_not_json_is_refused_with_415(alice_api):
    response = alice_api.post("/api/v2/goals", raw="name=Pricing", content_type="text/plain")

    assert response.status_code == 415
    assert response.json() == {
        "error": "Unsupported media type",
        "description": 'Unsupported media type "text/plain" in request. '
        'Send JSON with the header "Content-Type: application/json".',
    }
    assert not Goal.objects.exists()


def test_json_with_a_charset_parameter_is_accepted(alice_api):
    response = alice_api.post(
        "/api/v2/goals", raw='{"name": "Plans"}', content_type="application/json; charset=utf-8"
    )

    assert response.status_code == 201


def test_answers_are_json_whatever_the_client_accepts(alice_api):
    response = alice_api.get("/api/v2/goals", headers={"Accept": "application/xml"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"


def test_crash_under_the_api_is_a_json_500_not_a_page(alice_api, monkeypatch, settings):
    settings.DEBUG = False

    def crash(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(rules, "goal_create", crash)

    response = alice_api.post("/api/v2/goals", GOAL)

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "error": "Server error",
        "description": "Something went wrong on our side; it has been logged.",
    }


def test_enabled_is_answered_as_an_integer_never_a_boolean(alice_api):
    enabled = alice_api.post("/api/v2/goals", {**GOAL, "enabled": True})
    disabled = alice_api.post("/api/v2/goals", {**GOAL, "enabled": False})

    assert enabled.content.count(b'"enabled":1') == 1
    assert disabled.content.count(b'"enabled":0') == 1


def test_created_goal_takes_the_documented_defaults(alice_api):
    response = alice_api.post("/api/v2/goals", {"name": "Plans"})

    assert response.json() == {
        "id": response.json()["id"],
        "name": "Plans",
        "description": "",
        "enabled": 1,
        "attribution_model": "first_touch",
        "attribution_period": 30,
        "settings": {"conditions": []},
    }


def test_conditions_keep_the_order_they_were_given(alice_api):
    values = ["zeta", "alpha", "mid", "beta"]
    conditions = [{"type": "url", "operator": "contains", "value": value} for value in values]

    goal = alice_api.post(
        "/api/v2/goals", {"name": "Plans", "settings": {"conditions": conditions}}
    )
    shown = alice_api.get(f"/api/v2/goals/{goal.json()['id']}").json()

    assert [c["value"] for c in shown["settings"]["conditions"]] == values


def test_list_answers_goals_in_id_order(alice_api, acme, make_goal):
    ids = [make_goal(acme, name=name, enabled=False).pk for name in ["c", "a", "b"]]

    assert [goal["id"] for goal in alice_api.get("/api/v2/goals").json()] == sorted(ids)


def test_listing_costs_the_same_queries_for_one_goal_and_for_twenty(
    alice_api, acme, make_goal, django_assert_max_num_queries
):
    conditions = [{"operator": "contains", "value": f"page-{n}"} for n in range(3)]
    make_goal(acme, conditions=conditions)
    alice_api.get("/api/v2/goals")  # Alice's sign-in is remembered from now on
    make_goal(acme, name="A change of the goals", enabled=False)
    with django_assert_max_num_queries(30) as one:
        alice_api.get("/api/v2/goals")
    for n in range(18):
        make_goal(acme, name=f"Goal {n}", enabled=False, conditions=conditions)
    with django_assert_max_num_queries(30) as twenty:
        assert len(alice_api.get("/api/v2/goals").json()) == 20

    assert len(twenty.captured_queries) == len(one.captured_queries)
