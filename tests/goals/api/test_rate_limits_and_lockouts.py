"""The API's rate limit, and sign-ins locked after too many failures, through every door.

Cast (tests/conftest.py): Alice administers Acme, where Arthur is an agent; Bob administers
Bluebird. Counters live in the shared cache (a key prefix of its own for each test) and, for
lockouts, in django-axes's table. The stopped `clock` and the `small_rate` of RATE requests a
minute are fixtures of tests/goals/api/conftest.py.
"""

from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client

from accounts import services
from accounts.models import User
from goals.api.throttling import ApiRateThrottle
from goals.models import Goal
from tests.helpers.api import PASSWORD
from tests.helpers.pages import page_text
from tests.helpers.rates import (
    RATE,
    WRONG_PASSWORD,
    assert_locked_out,
    assert_too_many_requests,
    fail_basic,
    use_up,
)
from tests.helpers.tokens import bearer_api, token_of

LOCKED_PAGE_TITLE = "Signing in is locked for now"


# --- The rate limit -------------------------------------------------------------------------


def test_default_rate_is_two_hundred_requests_a_minute():
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["api"] == "200/min"
    assert ApiRateThrottle().get_rate() == "200/min"


def test_request_past_the_rate_is_429_with_retry_after(small_rate, alice_api):
    assert use_up(alice_api) == [200] * RATE

    assert_too_many_requests(alice_api.get("/api/v2/goals"))


def test_every_kind_of_request_counts_against_the_rate(small_rate, alice_api, acme, make_goal):
    goal = make_goal(acme, name="Checkout")

    answers = [
        alice_api.get(f"/api/v2/goals/{goal.pk}").status_code,
        alice_api.post("/api/v2/goals", {"name": "Cart", "enabled": 0}).status_code,
        alice_api.get("/api/v2/goals/999999").status_code,
    ]
    refused = alice_api.put(f"/api/v2/goals/{goal.pk}", {"name": "Refused"})

    assert answers == [200, 201, 404]
    assert_too_many_requests(refused)
    goal.refresh_from_db()
    assert goal.name == "Checkout"


def test_write_past_the_rate_changes_nothing(small_rate, alice_api, acme):
    use_up(alice_api)

    response = alice_api.post("/api/v2/goals", {"name": "One too many"})

    assert_too_many_requests(response)
    assert not Goal.objects.exists()


def test_both_bases_of_the_api_share_one_count(small_rate, alice_api):
    use_up(alice_api, RATE - 1)
    assert alice_api.get("/api/v2/chat/goals").status_code == 200

    assert_too_many_requests(alice_api.get("/api/v2/chat/goals"))
    assert_too_many_requests(alice_api.get("/api/v2/goals"))


def test_another_user_is_not_held_back_by_alices_rate(small_rate, alice_api, api_as, bob):
    use_up(alice_api)
    assert_too_many_requests(alice_api.get("/api/v2/goals"))

    assert use_up(api_as(bob)) == [200] * RATE


def test_an_api_client_is_counted_apart_from_its_owners_password_requests(
    small_rate, alice, alice_api, openapi_schema
):
    client = services.api_client_create(owner=alice, name="Shop sync")
    bearer = bearer_api(openapi_schema, token_of(client))
    use_up(alice_api)
    assert_too_many_requests(alice_api.get("/api/v2/goals"))

    assert use_up(bearer) == [200] * RATE
    assert_too_many_requests(bearer.get("/api/v2/goals"))


def test_all_tokens_of_one_client_share_its_count(small_rate, alice, openapi_schema):
    client = services.api_client_create(owner=alice, name="Shop sync")
    first = bearer_api(openapi_schema, token_of(client))
    second = bearer_api(openapi_schema, token_of(client))

    assert use_up(first) == [200] * RATE

    assert_too_many_requests(second.get("/api/v2/goals"))


def test_two_clients_of_one_owner_are_counted_apart(small_rate, alice, openapi_schema):
    shop = bearer_api(
        openapi_schema, token_of(services.api_client_create(owner=alice, name="Shop"))
    )
    reports = bearer_api(
        openapi_schema, token_of(services.api_client_create(owner=alice, name="Reports"))
    )

    use_up(shop)
    assert_too_many_requests(shop.get("/api/v2/goals"))

    assert use_up(reports) == [200] * RATE


def test_the_count_is_kept_in_the_shared_cache(small_rate, alice_api, alice, clock):
    use_up(alice_api)

    minute = int(clock.now // 60)
    assert cache.get(f"throttle_api_user-{alice.pk}_{minute}") == RATE


def test_after_waiting_as_told_the_caller_has_a_full_rate_again(small_rate, alice_api, clock):
    use_up(alice_api)
    refused = alice_api.get("/api/v2/goals")
    assert_too_many_requests(refused)

    clock.now += int(refused["Retry-After"])

    assert use_up(alice_api) == [200] * RATE
    assert_too_many_requests(alice_api.get("/api/v2/goals"))


# --- Failed sign-ins through HTTP Basic ------------------------------------------------------


def test_wrong_passwords_below_the_limit_are_each_401(api_as, alice):
    answers = fail_basic(api_as, alice, settings.AXES_FAILURE_LIMIT - 1)

    assert answers == [401] * (settings.AXES_FAILURE_LIMIT - 1)
    assert api_as(alice).get("/api/v2/goals").status_code == 200


def test_after_too_many_wrong_passwords_even_the_right_one_is_locked_out(api_as, alice, acme):
    fail_basic(api_as, alice, settings.AXES_FAILURE_LIMIT)

    response = api_as(alice).get("/api/v2/goals")

    assert_locked_out(response)


def test_locked_out_write_changes_nothing(api_as, alice, acme):
    fail_basic(api_as, alice, settings.AXES_FAILURE_LIMIT)

    response = api_as(alice).post("/api/v2/goals", {"name": "While locked"})

    assert_locked_out(response)
    assert not Goal.objects.exists()


def test_the_limiting_failure_and_the_ones_after_it_are_told_locked_out(api_as, alice):
    answers = fail_basic(api_as, alice, settings.AXES_FAILURE_LIMIT - 1)
    wrong = api_as(alice)
    wrong.authenticate(alice.email, WRONG_PASSWORD)

    assert answers == [401] * (settings.AXES_FAILURE_LIMIT - 1)
    assert_locked_out(wrong.get("/api/v2/goals"))
    assert_locked_out(wrong.get("/api/v2/goals"))


def test_other_users_are_not_locked_out_by_alices_failures(api_as, alice, bob, arthur):
    fail_basic(api_as, alice, settings.AXES_FAILURE_LIMIT)

    assert api_as(bob).get("/api/v2/goals").status_code == 200
    # Arthur is an agent: he is refused as one, not as a locked-out user.
    assert api_as(arthur).get("/api/v2/goals").status_code == 403


def test_alices_lockout_does_not_stop_her_api_clients(api_as, alice, openapi_schema):
    bearer = bearer_api(
        openapi_schema, token_of(services.api_client_create(owner=alice, name="Shop"))
    )
    fail_basic(api_as, alice, settings.AXES_FAILURE_LIMIT)

    assert bearer.get("/api/v2/goals").status_code == 200


def test_the_unlock_command_lets_alice_in_again(api_as, alice):
    fail_basic(api_as, alice, settings.AXES_FAILURE_LIMIT)
    assert_locked_out(api_as(alice).get("/api/v2/goals"))

    call_command("axes_reset_username", alice.email)

    assert api_as(alice).get("/api/v2/goals").status_code == 200


# --- Failed sign-ins on the dashboard and the Django admin -----------------------------------


def sign_in(client: Client, email: str, password: str, path: str = "/accounts/login/") -> Any:
    return client.post(path, {"username": email, "password": password})


def fail_sign_in(email: str, times: int, path: str = "/accounts/login/") -> list[int]:
    return [sign_in(Client(), email, WRONG_PASSWORD, path).status_code for _ in range(times)]


def test_dashboard_sign_in_locks_out_after_too_many_wrong_passwords(alice):
    answers = fail_sign_in(alice.email, settings.AXES_FAILURE_LIMIT - 1)
    assert answers == [200] * (settings.AXES_FAILURE_LIMIT - 1)  # the form again, with an error
    fail_sign_in(alice.email, 1)

    browser = Client()
    response = sign_in(browser, alice.email, PASSWORD)

    assert response.status_code == 429
    assert LOCKED_PAGE_TITLE in page_text(response)
    assert "this login is locked for 15 minutes" in page_text(response)
    assert "_auth_user_id" not in browser.session
    assert browser.get("/goals/").status_code == 302


def test_a_dashboard_sign_in_before_the_limit_starts_the_count_again(alice):
    fail_sign_in(alice.email, settings.AXES_FAILURE_LIMIT - 1)
    assert sign_in(Client(), alice.email, PASSWORD).status_code == 302

    answers = fail_sign_in(alice.email, settings.AXES_FAILURE_LIMIT - 1)

    assert answers == [200] * (settings.AXES_FAILURE_LIMIT - 1)
    assert sign_in(Client(), alice.email, PASSWORD).status_code == 302


def test_dashboard_lockout_leaves_other_users_free_to_sign_in(alice, bob):
    fail_sign_in(alice.email, settings.AXES_FAILURE_LIMIT)

    response = sign_in(Client(), bob.email, PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == "/goals/"


def test_dashboard_lockout_is_lifted_by_the_unlock_command(alice):
    fail_sign_in(alice.email, settings.AXES_FAILURE_LIMIT)
    assert sign_in(Client(), alice.email, PASSWORD).status_code == 429

    call_command("axes_reset_username", alice.email)

    response = sign_in(Client(), alice.email, PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/goals/"


def test_failures_on_the_dashboard_lock_the_api_too(alice, api_as):
    fail_sign_in(alice.email, settings.AXES_FAILURE_LIMIT)

    assert_locked_out(api_as(alice).get("/api/v2/goals"))


def test_failures_on_the_api_lock_the_dashboard_too(alice, api_as):
    fail_basic(api_as, alice, settings.AXES_FAILURE_LIMIT)

    response = sign_in(Client(), alice.email, PASSWORD)

    assert response.status_code == 429
    assert LOCKED_PAGE_TITLE in page_text(response)


def test_lockout_cannot_be_dodged_by_writing_the_email_in_another_case(alice):
    fail_sign_in(alice.email, settings.AXES_FAILURE_LIMIT)

    # Sign-in takes the email in any case, so the lockout must hold for every spelling of it.
    response = sign_in(Client(), "Alice@Acme.Example", PASSWORD)

    assert response.status_code == 429
    assert LOCKED_PAGE_TITLE in page_text(response)


def test_failures_in_mixed_case_count_towards_the_same_lockout(alice):
    spellings = ["alice@acme.example", "Alice@acme.example", "ALICE@acme.example"]
    for spelling in spellings + spellings[:2]:
        sign_in(Client(), spelling, WRONG_PASSWORD)

    assert sign_in(Client(), alice.email, PASSWORD).status_code == 429


@pytest.fixture
def operator(db: None) -> User:
    return User.objects.create_superuser("olivia@operators.example", PASSWORD)


def test_admin_sign_in_locks_out_after_too_many_wrong_passwords(operator):
    fail_sign_in(operator.email, settings.AXES_FAILURE_LIMIT, path="/admin/login/")

    browser = Client()
    response = sign_in(browser, operator.email, PASSWORD, path="/admin/login/")

    assert response.status_code == 429
    assert LOCKED_PAGE_TITLE in page_text(response)
    assert browser.get("/admin/").status_code == 302


def test_admin_lockout_is_lifted_by_the_unlock_command(operator):
    fail_sign_in(operator.email, settings.AXES_FAILURE_LIMIT, path="/admin/login/")

    call_command("axes_reset_username", operator.email)

    browser = Client()
    response = sign_in(browser, operator.email, PASSWORD, path="/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert browser.get("/admin/").status_code == 200
