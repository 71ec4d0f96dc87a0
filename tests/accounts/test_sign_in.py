"""Signing in to the dashboard, signing out, and changing one's password: /accounts/login/,
/accounts/logout/ and /accounts/password/, as a browser without JavaScript.

Cast (tests/conftest.py): Alice administers Acme, where Arthur is an agent; Bob administers
Bluebird. Lockouts after too many wrong passwords: tests/goals/api/test_rate_limits_and_lockouts.py.
"""

from django.test import Client

from tests.helpers.api import PASSWORD
from tests.helpers.pages import (
    FORBIDDEN_TITLE,
    alerts,
    error_beside,
    main_text,
    messages_text,
    parse,
    submitted_values,
)

NEW_PASSWORD = "a-brand-new-passphrase-7"
# The most a request's body may hold (tests/test_serving.py checks the setting).
LIMIT = 256 * 1024


# --- Signing in -----------------------------------------------------------------------------


def test_sign_in_with_a_wrong_password_shows_an_error_and_signs_nobody_in(client, alice):
    response = client.post(
        "/accounts/login/", {"username": alice.email, "password": "not-the-password"}
    )

    assert response.status_code == 200
    assert (
        "Please enter a correct email address and password. "
        "Note that both fields may be case-sensitive." in alerts(parse(response))[0]
    )
    assert submitted_values(response, "main")["username"] == alice.email
    assert client.get("/goals/").status_code == 302


def test_signing_in_and_reading_the_goals_work_while_redis_is_out_of_reach(
    client, alice, cart_goal, redis_out_of_reach
):
    response = client.post(
        "/accounts/login/", {"username": alice.email, "password": PASSWORD}, follow=True
    )

    assert response.status_code == 200
    assert cart_goal.name in response.content.decode()


def test_sign_in_with_the_right_password_lands_on_the_goals_page(client, alice, cart_goal):
    response = client.post(
        "/accounts/login/", {"username": alice.email, "password": PASSWORD}, follow=True
    )

    assert response.redirect_chain == [("/goals/", 302)]
    assert response.status_code == 200
    assert "Cart" in main_text(response)


def test_sign_in_takes_the_administrator_to_the_page_asked_for(client, alice, cart_goal):
    asked_for = client.get(f"/goals/{cart_goal.pk}/delete/")
    assert asked_for.status_code == 302
    form = submitted_values(client.get(asked_for["Location"]), "main")

    response = client.post(
        "/accounts/login/", {**form, "username": alice.email, "password": PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == f"/goals/{cart_goal.pk}/delete/"


def test_sign_in_never_sends_the_administrator_to_another_host(client, alice):
    response = client.post(
        "/accounts/login/",
        {"username": alice.email, "password": PASSWORD, "next": "https://evil.example/goals/"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/goals/"


def test_sign_in_takes_the_email_in_any_case(client, alice):
    response = client.post(
        "/accounts/login/", {"username": "Alice@ACME.example", "password": PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == "/goals/"


def test_agent_who_signs_in_is_told_only_administrators_manage_goals(client, arthur, cart_goal):
    response = client.post(
        "/accounts/login/", {"username": arthur.email, "password": PASSWORD}, follow=True
    )

    assert response.status_code == 403
    assert parse(response).find_all("h1")[0].text == FORBIDDEN_TITLE
    assert "arthur@acme.example, agent of Acme" in main_text(response)
    assert "Cart" not in response.content.decode()


def test_sign_in_form_refuses_a_body_over_the_limit_with_413(client, alice):
    response = client.post(
        "/accounts/login/", {"username": alice.email, "password": "x" * (LIMIT + 1)}
    )

    assert response.status_code == 413
    assert "_auth_user_id" not in client.session


# --- Signing out ----------------------------------------------------------------------------


def test_sign_out_is_a_post_that_ends_the_session(alice_client):
    response = alice_client.post("/accounts/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert alice_client.get("/goals/").status_code == 302


def test_signing_out_lands_on_the_sign_in_page_that_says_it_worked(alice_client):
    response = alice_client.post("/accounts/logout/", follow=True)

    assert response.redirect_chain == [("/accounts/login/", 302)]
    assert messages_text(response) == "You have signed out."
    assert parse(response).by_id("main").find_all("h1")[0].text == "Sign in"
    # Said once: the next visit to the sign-in page is a plain one.
    assert messages_text(alice_client.get("/accounts/login/")) == ""


def test_sign_out_by_a_mere_link_is_refused_and_keeps_the_session(alice_client):
    response = alice_client.get("/accounts/logout/")

    assert response.status_code == 405
    assert alice_client.get("/goals/").status_code == 200


def test_every_page_offers_sign_out_as_a_form(alice_client):
    root = parse(alice_client.get("/goals/"))

    sign_out = [f for f in root.find_all("form") if f.attrs.get("action") == "/accounts/logout/"]
    assert len(sign_out) == 1
    assert sign_out[0].attrs["method"] == "post"
    assert sign_out[0].find_all("button")[0].text == "Sign out"


# --- Changing the password ------------------------------------------------------------------


def test_changed_password_works_for_signing_in_and_for_the_api(alice_client, alice, api):
    response = alice_client.post(
        "/accounts/password/",
        {
            "old_password": PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
        follow=True,
    )

    assert response.redirect_chain == [("/accounts/password/done/", 302)]
    assert "Password changed" in main_text(response)
    assert alice_client.get("/goals/").status_code == 200, "the session survives the change"

    old = Client().post("/accounts/login/", {"username": alice.email, "password": PASSWORD})
    assert old.status_code == 200
    new = Client().post("/accounts/login/", {"username": alice.email, "password": NEW_PASSWORD})
    assert (new.status_code, new["Location"]) == (302, "/goals/")

    api.authenticate(alice.email, PASSWORD)
    assert api.get("/api/v2/goals").status_code == 401
    api.authenticate(alice.email, NEW_PASSWORD)
    assert api.get("/api/v2/goals").status_code == 200


def test_password_change_while_redis_is_out_of_reach_is_saved(
    alice_client, alice, redis_out_of_reach
):
    response = alice_client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)


def test_password_change_with_a_wrong_old_password_changes_nothing(alice_client, alice):
    response = alice_client.post(
        "/accounts/password/",
        {
            "old_password": "not-the-password",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )

    assert response.status_code == 200
    assert "Your old password was entered incorrectly. Please enter it again." in error_beside(
        response, "id_old_password"
    )
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_password_change_needs_a_signed_in_user(client):
    response = client.get("/accounts/password/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/accounts/password/"
