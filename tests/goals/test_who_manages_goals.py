"""One rule says who manages an account's goals (goals.rules.may_manage_goals), and every door asks
it: the API, the dashboard, the API clients page and the Django admin.

Operators (staff without an account) work in the Django admin; the API and the pages tell them so.
"""

import pytest
from django.test import Client

from accounts.models import User
from goals.models import Goal
from tests.helpers.api import PASSWORD, Api
from tests.helpers.pages import main_text

OPERATOR_SENTENCE = "Operators manage every account's goals in the Django admin (/admin/)"


@pytest.fixture
def operator(db: None) -> User:
    return User.objects.create_user("ops@goals.example", PASSWORD, is_staff=True)


@pytest.fixture
def operator_client(operator: User) -> Client:
    client = Client()
    client.force_login(operator)
    return client


def test_an_operator_is_told_by_the_api_to_use_the_django_admin(openapi_schema, operator):
    response = Api(openapi_schema, operator).get("/api/v2/goals")

    assert response.status_code == 403
    assert response.json()["error"] == "Forbidden"
    assert OPERATOR_SENTENCE in response.json()["description"]


def test_an_agent_is_told_by_the_api_that_administrators_manage_goals(api_as, arthur):
    response = api_as(arthur).get("/api/v2/goals")

    assert response.status_code == 403
    assert response.json()["description"] == (
        "Only administrators of the account may manage its goals."
    )


@pytest.mark.parametrize("path", ["/goals/", "/goals/new/", "/api-clients/"])
def test_an_operator_on_the_dashboard_is_sent_to_the_django_admin(operator_client, path):
    response = operator_client.get(path)

    assert response.status_code == 403
    assert "Operators work in the Django admin" in main_text(response)
    assert 'href="/admin/"' in response.content.decode()
    assert "ask one of them" not in main_text(response)


def test_an_agent_on_the_dashboard_is_told_to_ask_an_administrator(arthur):
    client = Client()
    client.force_login(arthur)

    response = client.get("/goals/")

    assert response.status_code == 403
    assert "ask one of them" in main_text(response)


def test_an_operator_manages_any_accounts_goals_in_the_django_admin(
    operator_client, acme, alice, make_goal
):
    goal = make_goal(acme, name="Pricing page")
    assert 'href="/admin/goals/goal/"' in operator_client.get("/admin/").content.decode()
    change_page = operator_client.get(f"/admin/goals/goal/{goal.pk}/change/").content.decode()
    assert 'name="conditions-TOTAL_FORMS"' in change_page

    response = operator_client.post(f"/admin/goals/goal/{goal.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Goal.objects.filter(pk=goal.pk).exists()


def test_a_demoted_administrator_is_refused_by_every_door_at_once(api_as, alice, acme, make_goal):
    goal = make_goal(acme, name="Pricing page")
    api = api_as(alice)
    pages = Client()
    pages.force_login(alice)
    assert api.get("/api/v2/goals").status_code == 200
    assert pages.get("/goals/").status_code == 200

    alice.role = User.Role.AGENT
    alice.save()

    assert api.get("/api/v2/goals").status_code == 403
    assert pages.get("/goals/").status_code == 403
    assert pages.post(f"/goals/{goal.pk}/delete/").status_code == 403
    assert Goal.objects.filter(pk=goal.pk).exists()


@pytest.fixture
def staff_agent(acme) -> User:
    """An agent of Acme whom an operator also made an operator."""
    return User.objects.create_user(
        "sam@acme.example", PASSWORD, account=acme, role=User.Role.AGENT, is_staff=True
    )


def test_an_agent_who_is_an_operator_too_is_told_by_the_api_to_use_the_django_admin(
    openapi_schema, staff_agent, acme, make_goal, alice
):
    goal = make_goal(acme, name="Pricing page")
    api = Api(openapi_schema, staff_agent)

    listed = api.get("/api/v2/goals")
    deleted = api.delete(f"/api/v2/goals/{goal.pk}")

    assert (listed.status_code, deleted.status_code) == (403, 403)
    assert OPERATOR_SENTENCE in listed.json()["description"]
    assert Goal.objects.filter(pk=goal.pk).exists()


@pytest.mark.parametrize("path", ["/goals/", "/api-clients/"])
def test_an_agent_who_is_an_operator_too_is_sent_from_the_dashboard_to_the_django_admin(
    staff_agent, path
):
    client = Client()
    client.force_login(staff_agent)

    response = client.get(path)

    assert response.status_code == 403
    assert "Operators work in the Django admin" in main_text(response)
