"""API clients and their OAuth 2 bearer tokens: the client-credentials grant, scopes, revocation.

Cast (tests/conftest.py): Alice administers Acme, where Arthur is an agent; Bob administers
Bluebird. Alice's API client acts as Alice, within Acme, as long as she may.
"""

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from django.contrib.auth.hashers import check_password
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application
from zenpy import Zenpy
from zenpy.lib.api_objects.chat_objects import Goal as ZenpyGoal
from zenpy.lib.exception import APIException

from accounts import services
from accounts.models import User
from goals.models import Goal
from tests.helpers.api import Api
from tests.helpers.tokens import (
    INVALID_TOKEN,
    NOT_AN_ADMINISTRATOR,
    TOKEN_URL,
    basic,
    bearer_api,
    request_token,
    stored_token,
    token_of,
)

SCOPE_REFUSED = (
    'This token\'s scope does not allow it: reading needs "read", changing needs "write".'
)
TIMEOUT = 30

CART = {"type": "url", "operator": "contains", "value": "cart"}
CHECKOUT = {"type": "url", "operator": "equals", "value": "https://shop.example/checkout"}


@pytest.fixture
def bearer_as(openapi_schema: dict, db: None) -> Callable[[str], Api]:
    return lambda token: bearer_api(openapi_schema, token)


@pytest.fixture
def writer(bearer_as: Callable[[str], Api], shop_sync: services.NewApiClient) -> Api:
    """Alice's client with a token of scope "read write"."""
    return bearer_as(token_of(shop_sync, "read write"))


@pytest.fixture
def reader(bearer_as: Callable[[str], Api], shop_sync: services.NewApiClient) -> Api:
    """Alice's client with a token of scope "read" only."""
    return bearer_as(token_of(shop_sync, "read"))


def goal_names(account: Any) -> list[str]:
    return list(Goal.objects.filter(account=account).order_by("id").values_list("name", flat=True))


# --- The token endpoint ---------------------------------------------------------------------


def test_client_credentials_grant_issues_a_bearer_token_with_the_scopes_asked_for(shop_sync):
    response = request_token(shop_sync.application.client_id, shop_sync.secret, "read write")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert set(body["scope"].split()) == {"read", "write"}
    assert body["expires_in"] == 3600
    assert stored_token(body["access_token"]).application == shop_sync.application


def test_token_is_stored_only_as_a_checksum(shop_sync):
    token = token_of(shop_sync)

    stored = stored_token(token)
    assert stored.token == ""
    assert not AccessToken.objects.filter(token=token).exists()


def test_token_endpoint_answers_with_or_without_a_trailing_slash(shop_sync):
    client_id, secret = shop_sync.application.client_id, shop_sync.secret
    response = Client().post(
        f"{TOKEN_URL}/",
        {"grant_type": "client_credentials"},
        headers={"Authorization": basic(client_id, secret)},
    )

    assert response.status_code == 200, response.content
    assert response.json()["token_type"] == "Bearer"


def test_token_asked_for_without_a_scope_gets_read_and_write(shop_sync):
    response = request_token(shop_sync.application.client_id, shop_sync.secret, scope=None)

    assert response.status_code == 200, response.content
    assert set(response.json()["scope"].split()) == {"read", "write"}


def test_token_asked_for_with_scope_read_gets_read_alone(shop_sync):
    response = request_token(shop_sync.application.client_id, shop_sync.secret, "read")

    assert response.json()["scope"] == "read"


def test_token_is_refused_for_a_wrong_secret(shop_sync):
    response = request_token(shop_sync.application.client_id, "not-the-secret")

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert not AccessToken.objects.exists()


def test_token_is_refused_for_an_unknown_client_id(shop_sync):
    response = request_token("no-such-client", shop_sync.secret)

    assert response.status_code == 401
    assert not AccessToken.objects.exists()


def test_token_is_refused_for_a_scope_that_does_not_exist(shop_sync):
    response = request_token(shop_sync.application.client_id, shop_sync.secret, "admin")

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"
    assert not AccessToken.objects.exists()


def test_token_is_refused_for_a_revoked_client(alice, shop_sync):
    services.api_client_revoke(owner=alice, client_id=shop_sync.application.client_id)

    response = request_token(shop_sync.application.client_id, shop_sync.secret)

    assert response.status_code == 401
    assert not AccessToken.objects.exists()


# --- Making clients -------------------------------------------------------------------------


def test_client_secret_is_stored_only_as_a_hash(shop_sync):
    stored = Application.objects.get(pk=shop_sync.application.pk)

    assert stored.client_secret != shop_sync.secret
    assert shop_sync.secret not in stored.client_secret
    assert check_password(shop_sync.secret, stored.client_secret)
    assert not check_password("not-the-secret", stored.client_secret)


def test_new_client_belongs_to_its_owner_and_uses_the_client_credentials_grant(alice, shop_sync):
    stored = Application.objects.get(pk=shop_sync.application.pk)

    assert stored.user == alice
    assert stored.name == "Shop sync"
    assert stored.authorization_grant_type == Application.GRANT_CLIENT_CREDENTIALS
    assert stored.client_type == Application.CLIENT_CONFIDENTIAL


def test_every_client_gets_its_own_id_and_secret(alice, shop_sync):
    other = services.api_client_create(owner=alice, name="Reports")

    assert other.application.client_id != shop_sync.application.client_id
    assert other.secret != shop_sync.secret


def test_agent_may_not_create_an_api_client(arthur):
    with pytest.raises(PermissionDenied):
        services.api_client_create(owner=arthur, name="Agent's script")

    assert not Application.objects.exists()


# --- A read-and-write token acts as Alice, within Acme --------------------------------------


def test_bearer_token_lists_the_owners_goals_and_no_other_accounts(writer, acme, bob, make_goal):
    checkout = make_goal(acme, name="Checkout", conditions=[CHECKOUT])
    cart = make_goal(acme, name="Cart", enabled=False, conditions=[CART])
    make_goal(bob.account, name="Bluebird's own")

    response = writer.get("/api/v2/goals")

    assert response.status_code == 200
    assert [goal["id"] for goal in response.json()] == [checkout.pk, cart.pk]
    assert [goal["name"] for goal in response.json()] == ["Checkout", "Cart"]


def test_bearer_token_shows_one_of_the_owners_goals(writer, acme, make_goal):
    goal = make_goal(acme, name="Checkout", conditions=[CHECKOUT, CART])

    response = writer.get(f"/api/v2/goals/{goal.pk}")

    assert response.status_code == 200
    assert response.json()["settings"]["conditions"] == [CHECKOUT, CART]


def test_bearer_token_creates_a_goal_in_the_owners_account(writer, acme):
    response = writer.post(
        "/api/v2/goals", {"name": "Checkout", "settings": {"conditions": [CHECKOUT]}}
    )

    assert response.status_code == 201, response.content
    goal = Goal.objects.get(pk=response.json()["id"])
    assert goal.account == acme
    assert goal.name == "Checkout"
    assert list(goal.conditions.values_list("value", flat=True)) == [CHECKOUT["value"]]


def test_bearer_token_updates_a_goal_of_the_owner(writer, acme, make_goal):
    goal = make_goal(acme, name="Checkout", conditions=[CHECKOUT])

    response = writer.put(f"/api/v2/goals/{goal.pk}", {"name": "Basket"})
    patched = writer.patch(f"/api/v2/goals/{goal.pk}", {"enabled": 0})

    assert response.status_code == 200, response.content
    assert patched.status_code == 200, patched.content
    goal.refresh_from_db()
    assert goal.name == "Basket"
    assert goal.enabled is False


def test_bearer_token_deletes_a_goal_of_the_owner(writer, acme, make_goal):
    doomed = make_goal(acme, name="Checkout")
    kept = make_goal(acme, name="Cart")

    response = writer.delete(f"/api/v2/goals/{doomed.pk}")

    assert response.status_code == 204
    assert response.content == b""
    assert goal_names(acme) == [kept.name]


def test_bearer_token_works_under_the_newer_base_of_the_api(writer, acme, make_goal):
    goal = make_goal(acme, name="Checkout")

    response = writer.get("/api/v2/chat/goals")

    assert response.status_code == 200
    assert [listed["id"] for listed in response.json()] == [goal.pk]


def test_bearer_token_gets_404_for_another_accounts_goal_and_changes_nothing(
    writer, bob, make_goal
):
    theirs = make_goal(bob.account, name="Bluebird's own")

    answers = [
        writer.get(f"/api/v2/goals/{theirs.pk}"),
        writer.put(f"/api/v2/goals/{theirs.pk}", {"name": "Taken"}),
        writer.patch(f"/api/v2/goals/{theirs.pk}", {"enabled": 0}),
        writer.delete(f"/api/v2/goals/{theirs.pk}"),
    ]

    assert [response.status_code for response in answers] == [404, 404, 404, 404]
    assert all(response.json()["error"] == "Not found" for response in answers)
    theirs.refresh_from_db()
    assert (theirs.name, theirs.enabled) == ("Bluebird's own", True)


def test_bearer_token_obeys_the_active_goal_limit(writer, acme, make_goal):
    for n in range(5):
        make_goal(acme, name=f"Goal {n}")

    response = writer.post("/api/v2/goals", {"name": "Sixth"})

    assert response.status_code == 400
    assert response.json()["error"] == "Goals limit exceeded"
    assert Goal.objects.filter(account=acme).count() == 5


# --- Scopes ---------------------------------------------------------------------------------


def test_read_token_lists_and_shows_goals(reader, acme, make_goal):
    goal = make_goal(acme, name="Checkout")

    listed = reader.get("/api/v2/goals")
    shown = reader.get(f"/api/v2/goals/{goal.pk}")

    assert listed.status_code == 200
    assert [item["id"] for item in listed.json()] == [goal.pk]
    assert shown.status_code == 200
    assert shown.json()["name"] == "Checkout"


def test_read_token_is_refused_every_write_with_the_scope_message(reader, acme, make_goal):
    goal = make_goal(acme, name="Checkout", conditions=[CHECKOUT])

    answers = [
        reader.post("/api/v2/goals", {"name": "New"}),
        reader.put(f"/api/v2/goals/{goal.pk}", {"name": "Renamed"}),
        reader.patch(f"/api/v2/goals/{goal.pk}", {"enabled": 0}),
        reader.delete(f"/api/v2/goals/{goal.pk}"),
    ]

    assert [response.status_code for response in answers] == [403, 403, 403, 403]
    assert all(
        response.json() == {"error": "Forbidden", "description": SCOPE_REFUSED}
        for response in answers
    ), [response.json() for response in answers]
    assert goal_names(acme) == ["Checkout"]
    goal.refresh_from_db()
    assert goal.enabled is True


def test_write_only_token_may_not_read(bearer_as, shop_sync, acme, make_goal):
    make_goal(acme, name="Checkout")
    api = bearer_as(token_of(shop_sync, "write"))

    response = api.get("/api/v2/goals")

    assert response.status_code == 403
    assert response.json()["description"] == SCOPE_REFUSED


def test_scopes_do_not_limit_the_owner_signed_in_with_her_password(alice_api, reader):
    response = alice_api.post("/api/v2/goals", {"name": "By password"})

    assert response.status_code == 201


# --- Tokens that are not (or no longer) good ------------------------------------------------


def test_unknown_token_is_401_and_says_why(bearer_as, acme, alice, make_goal):
    make_goal(acme, name="Checkout")

    response = bearer_as("no-such-token-0123456789").get("/api/v2/goals")

    assert response.status_code == 401
    assert response.json() == {"error": "Unauthorized", "description": INVALID_TOKEN}
    assert "WWW-Authenticate" in response.headers


def test_expired_token_is_401(writer, shop_sync):
    AccessToken.objects.filter(application=shop_sync.application).update(
        expires=timezone.now() - timedelta(seconds=1)
    )

    response = writer.get("/api/v2/goals")

    assert response.status_code == 401
    assert response.json()["description"] == INVALID_TOKEN


def test_revoking_the_client_makes_its_token_fail_at_once(writer, alice, acme, shop_sync):
    assert writer.get("/api/v2/goals").status_code == 200

    services.api_client_revoke(owner=alice, client_id=shop_sync.application.client_id)

    response = writer.post("/api/v2/goals", {"name": "After revocation"})
    assert response.status_code == 401
    assert response.json()["description"] == INVALID_TOKEN
    assert writer.get("/api/v2/goals").status_code == 401
    assert not Goal.objects.filter(account=acme).exists()
    assert not AccessToken.objects.exists()


def test_revoking_one_client_leaves_the_owners_other_clients_working(
    writer, bearer_as, alice, shop_sync
):
    reports = services.api_client_create(owner=alice, name="Reports")
    other = bearer_as(token_of(reports))

    services.api_client_revoke(owner=alice, client_id=shop_sync.application.client_id)

    assert writer.get("/api/v2/goals").status_code == 401
    assert other.get("/api/v2/goals").status_code == 200


def test_owner_may_not_revoke_another_administrators_client(writer, bob, shop_sync):
    with pytest.raises(Application.DoesNotExist):
        services.api_client_revoke(owner=bob, client_id=shop_sync.application.client_id)

    assert writer.get("/api/v2/goals").status_code == 200


def test_deactivating_the_owner_makes_the_token_fail_at_once(writer, alice):
    assert writer.get("/api/v2/goals").status_code == 200

    alice.is_active = False
    alice.save()

    response = writer.get("/api/v2/goals")
    assert response.status_code == 401
    assert response.json()["error"] == "Unauthorized"
    assert writer.post("/api/v2/goals", {"name": "Ghost"}).status_code == 401
    assert not Goal.objects.exists()


def test_demoting_the_owner_to_agent_makes_the_token_forbidden_at_once(writer, alice):
    assert writer.get("/api/v2/goals").status_code == 200

    alice.role = User.Role.AGENT
    alice.save()

    response = writer.get("/api/v2/goals")
    assert response.status_code == 403
    assert response.json()["description"] == NOT_AN_ADMINISTRATOR
    assert writer.post("/api/v2/goals", {"name": "Demoted"}).status_code == 403
    assert not Goal.objects.exists()


def test_token_issued_after_the_owner_was_deactivated_opens_nothing(alice, shop_sync, bearer_as):
    alice.is_active = False
    alice.save()

    response = bearer_as(token_of(shop_sync)).get("/api/v2/goals")

    assert response.status_code == 401


def test_token_in_the_query_string_is_not_accepted(shop_sync, api, acme, alice, make_goal):
    make_goal(acme, name="Checkout")
    token = token_of(shop_sync)

    response = api.get(f"/api/v2/goals?access_token={token}")

    # Query strings end up in proxies' logs: a token travels only in the Authorization header.
    assert response.status_code == 401


# --- zenpy with a bearer token, over HTTP ---------------------------------------------------


@pytest.fixture
def live_token(live_server, alice: User) -> str:
    new_client = services.api_client_create(owner=alice, name="zenpy")
    response = requests.post(
        f"{live_server.url}{TOKEN_URL}",
        data={"grant_type": "client_credentials", "scope": "read write"},
        auth=(new_client.application.client_id, new_client.secret),
        timeout=TIMEOUT,
    )
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


@pytest.fixture
def zenpy_by_token(
    live_server, live_token: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Zenpy]:
    monkeypatch.setenv("ZENPY_FORCE_SCHEME", "http")
    monkeypatch.setenv("ZENPY_FORCE_NETLOC", urlsplit(live_server.url).netloc)
    client = Zenpy(subdomain="acme", oauth_token=live_token, timeout=TIMEOUT)
    yield client
    client.chats.goals.session.close()


@pytest.mark.django_db(transaction=True)
def test_zenpy_with_a_bearer_token_lists_creates_updates_and_deletes_goals(
    zenpy_by_token, acme, bob, make_goal
):
    existing = make_goal(acme, name="Pricing")
    make_goal(bob.account, name="Bluebird's own")

    assert [goal.id for goal in zenpy_by_token.chats.goals()] == [existing.pk]

    created = zenpy_by_token.chats.goals.create(
        ZenpyGoal(name="Checkout", enabled=1, settings={"conditions": [CHECKOUT]})
    )
    assert Goal.objects.get(pk=created.id).account == acme

    fetched = zenpy_by_token.chats.goals(id=created.id)
    fetched.name = "Checkout or cart"
    fetched.settings = {"conditions": [CART, CHECKOUT]}
    zenpy_by_token.chats.goals.update(fetched)
    stored = Goal.objects.get(pk=created.id)
    assert stored.name == "Checkout or cart"
    assert list(stored.conditions.order_by("position").values_list("value", flat=True)) == [
        CART["value"],
        CHECKOUT["value"],
    ]

    response = zenpy_by_token.chats.goals.delete(zenpy_by_token.chats.goals(id=created.id))
    assert response.status_code == 204
    assert goal_names(acme) == ["Pricing"]
    assert [goal.id for goal in zenpy_by_token.chats.goals()] == [existing.pk]


@pytest.mark.django_db(transaction=True)
def test_zenpy_with_a_revoked_clients_token_gets_401(zenpy_by_token, alice):
    application = Application.objects.get(user=alice)
    services.api_client_revoke(owner=alice, client_id=application.client_id)

    with pytest.raises(APIException) as raised:
        zenpy_by_token.chats.goals()

    assert raised.value.response.status_code == 401
    assert raised.value.response.json()["description"] == INVALID_TOKEN
