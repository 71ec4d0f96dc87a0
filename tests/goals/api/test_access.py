"""Who may use the API, through every endpoint: anonymous, wrong password, agent, other account."""

import pytest
from django.test import Client

from goals.models import Goal

NEW_GOAL = {
    "name": "Checkout",
    "settings": {"conditions": [{"operator": "contains", "value": "/checkout"}]},
}

# Every endpoint, with a body where it takes one; "{id}" stands for a goal of Acme.
ENDPOINTS = [
    ("GET", "/api/v2/goals", None),
    ("POST", "/api/v2/goals", NEW_GOAL),
    ("GET", "/api/v2/goals/{id}", None),
    ("PUT", "/api/v2/goals/{id}", {"name": "Renamed"}),
    ("PATCH", "/api/v2/goals/{id}", {"name": "Renamed"}),
    ("DELETE", "/api/v2/goals/{id}", None),
    ("GET", "/api/v2/chat/goals", None),
    ("POST", "/api/v2/chat/goals", NEW_GOAL),
    ("GET", "/api/v2/chat/goals/{id}", None),
    ("PUT", "/api/v2/chat/goals/{id}", {"name": "Renamed"}),
    ("PATCH", "/api/v2/chat/goals/{id}", {"name": "Renamed"}),
    ("DELETE", "/api/v2/chat/goals/{id}", None),
]


@pytest.fixture
def acme_goal(acme, alice, make_goal):
    return make_goal(acme, name="Pricing page")


def call(client, method, path, body, goal):
    return client.request(method, path.format(id=goal.pk), body)


def assert_acme_goals_untouched(goal):
    assert list(Goal.objects.values_list("name", flat=True)) == ["Pricing page"]
    assert Goal.objects.get().pk == goal.pk


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_anonymous_request_is_asked_for_basic_credentials(api, acme_goal, method, path, body):
    response = call(api, method, path, body, acme_goal)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert response.json() == {
        "error": "Unauthorized",
        "description": "Authentication credentials were not provided.",
    }
    assert_acme_goals_untouched(acme_goal)


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_wrong_password_is_refused_with_401(api, alice, acme_goal, method, path, body):
    api.authenticate(alice.email, "not-the-password")

    response = call(api, method, path, body, acme_goal)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert response.json()["description"] == "Invalid username/password."
    assert_acme_goals_untouched(acme_goal)


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_agent_is_forbidden_every_endpoint(api_as, arthur, acme_goal, method, path, body):
    response = call(api_as(arthur), method, path, body, acme_goal)

    assert response.status_code == 403
    assert response.json() == {
        "error": "Forbidden",
        "description": "Only administrators of the account may manage its goals.",
    }
    assert_acme_goals_untouched(acme_goal)


@pytest.mark.parametrize(
    ("method", "path", "body"), [endpoint for endpoint in ENDPOINTS if "{id}" in endpoint[1]]
)
def test_another_account_goal_is_not_found_for_its_administrator(
    api_as, bob, acme_goal, method, path, body
):
    response = call(api_as(bob), method, path, body, acme_goal)

    assert response.status_code == 404
    assert response.json() == {
        "error": "Not found",
        "description": "No goal with this id exists in your account.",
    }
    assert_acme_goals_untouched(acme_goal)


def test_administrator_lists_only_the_goals_of_their_own_account(api_as, alice, bob, acme_goal):
    bluebird_goal = api_as(bob).post("/api/v2/goals", NEW_GOAL).json()

    assert [goal["id"] for goal in api_as(alice).get("/api/v2/goals").json()] == [acme_goal.pk]
    assert [goal["id"] for goal in api_as(bob).get("/api/v2/goals").json()] == [bluebird_goal["id"]]


def test_goal_created_by_an_administrator_belongs_to_their_account(api_as, bob, bluebird):
    response = api_as(bob).post("/api/v2/goals", NEW_GOAL)

    assert Goal.objects.get(pk=response.json()["id"]).account == bluebird


def test_email_login_ignores_letter_case(api, alice):
    api.authenticate("Alice@ACME.example", "correct-horse-battery-staple")

    assert api.get("/api/v2/goals").status_code == 200


def test_deactivated_administrator_is_refused(api_as, alice):
    client = api_as(alice)
    alice.is_active = False
    alice.save()

    assert client.get("/api/v2/goals").status_code == 401


def test_signed_in_session_of_an_administrator_may_use_the_api(client, alice, acme_goal):
    client.force_login(alice)

    response = client.get("/api/v2/goals")

    assert response.status_code == 200
    assert [goal["id"] for goal in response.json()] == [acme_goal.pk]


def test_session_write_without_csrf_token_is_refused(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)

    response = client.post("/api/v2/goals", NEW_GOAL, content_type="application/json")

    assert response.status_code == 403
    assert response.json()["error"] == "Forbidden"
    assert "CSRF" in response.json()["description"]
    assert not Goal.objects.exists()


@pytest.mark.parametrize(
    "login", ["ali\x00ce@acme.example", "a" * 300 + "@acme.example"], ids=["nul", "too-long"]
)
def test_a_basic_login_that_no_user_can_have_is_refused_with_401(api, alice, login):
    api.authenticate(login, "correct-horse-battery-staple")

    response = api.get("/api/v2/goals")

    assert response.status_code == 401
    assert response.json()["error"] == "Unauthorized"
