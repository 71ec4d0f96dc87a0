"""The administrators' page of API clients: create one (its secret shown once), list, revoke.

Cast (tests/conftest.py): Alice administers Acme, where Arthur is an agent; Bob administers
Bluebird.
"""

from datetime import timedelta
from typing import Any

from django.utils import timezone
from oauth2_provider.models import AccessToken, Application

from accounts import services
from tests.helpers.pages import main_text, messages_text, parse, signed_in
from tests.helpers.tokens import INVALID_TOKEN, bearer_api, request_token, token_of

PAGE = "/api-clients/"
BLANK = "This field may not be blank."
FORBIDDEN_TITLE = "Only administrators manage goals"


def revoke_url(client_id: str) -> str:
    return f"/api-clients/{client_id}/revoke/"


def table_rows(response: Any) -> list[list[str]]:
    """The clients table's body, as the text of each cell of each row."""
    tables = parse(response).find_all("table")
    if not tables:
        return []
    body = tables[0].find_all("tbody")[0]
    return [[cell.text for cell in row.find_all("td")] for row in body.find_all("tr")]


def csrf_token_of(response: Any) -> str:
    fields = [
        element
        for element in parse(response).find_all("input")
        if element.attrs.get("name") == "csrfmiddlewaretoken"
    ]
    assert fields, "the page has no CSRF token field"
    return fields[0].attrs["value"]


# --- Who may see the page -------------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get(PAGE)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={PAGE}"


def test_anonymous_visitor_cannot_create_or_revoke_a_client(client, shop_sync):
    created = client.post(PAGE, {"name": "Intruder"})
    revoked = client.post(revoke_url(shop_sync.application.client_id))

    assert created.status_code == 302
    assert revoked.status_code == 302
    assert list(Application.objects.values_list("name", flat=True)) == ["Shop sync"]


def test_agent_is_refused_the_page(arthur):
    response = signed_in(arthur).get(PAGE)

    assert response.status_code == 403
    assert FORBIDDEN_TITLE in main_text(response)


def test_agent_cannot_create_or_revoke_a_client(arthur, shop_sync):
    agent = signed_in(arthur)

    created = agent.post(PAGE, {"name": "Agent's script"})
    revoked = agent.post(revoke_url(shop_sync.application.client_id))

    assert created.status_code == 403
    assert revoked.status_code == 403
    assert list(Application.objects.values_list("name", flat=True)) == ["Shop sync"]


def test_administrator_without_clients_is_told_there_are_none(alice_client):
    response = alice_client.get(PAGE)

    assert response.status_code == 200
    assert "You have no API clients yet." in main_text(response)
    assert table_rows(response) == []


def test_page_tells_where_to_get_a_token(alice_client):
    response = alice_client.get(PAGE)

    assert "http://testserver/oauth2/token" in main_text(response)


# --- Creating a client ----------------------------------------------------------------------


def test_administrator_creates_a_client_and_sees_its_id_and_secret(alice_client, alice):
    response = alice_client.post(PAGE, {"name": "Shop sync"}, follow=True)

    assert response.redirect_chain == [(PAGE, 302)]
    application = Application.objects.get()
    assert application.user == alice
    assert application.name == "Shop sync"
    secret = parse(response).by_id("new-client-secret").text
    assert len(secret) >= 32
    assert application.client_id in main_text(response)
    assert "The API client “Shop sync” was created." in messages_text(response)
    # What the page shows is what works at the token endpoint.
    token = request_token(application.client_id, secret)
    assert token.status_code == 200, token.content


def test_creating_a_client_redirects_so_that_a_reload_creates_no_second_one(alice_client):
    created = alice_client.post(PAGE, {"name": "Shop sync"})

    # Post/redirect/get: what the browser then reloads is the page, not the form's POST.
    assert created.status_code == 302
    assert created["Location"] == PAGE
    alice_client.get(PAGE)
    alice_client.get(PAGE)
    assert list(Application.objects.values_list("name", flat=True)) == ["Shop sync"]


def test_secret_is_shown_only_once(alice_client):
    created = alice_client.post(PAGE, {"name": "Shop sync"}, follow=True)
    secret = parse(created).by_id("new-client-secret").text

    reloaded = alice_client.get(PAGE)

    assert reloaded.status_code == 200
    assert secret not in reloaded.content.decode()
    assert "new-client-secret" not in reloaded.content.decode()
    assert Application.objects.get().client_secret != secret
    # Once shown, the secret is kept nowhere, the session included.
    assert secret not in str(dict(alice_client.session.items()))


def test_secret_has_a_copy_button_that_its_script_shows(alice_client):
    response = alice_client.post(PAGE, {"name": "Shop sync"}, follow=True)

    root = parse(response)
    [button] = [b for b in root.find_all("button") if b.attrs.get("data-copy-from")]
    assert button.text == "Copy secret"
    assert root.by_id(button.attrs["data-copy-from"]).text == root.by_id("new-client-secret").text
    # Hidden until the script finds a clipboard to copy to: without it the secret is selected.
    assert "hidden" in button.attrs
    scripts = [s.attrs.get("src") for s in root.find_all("script")]
    assert "/static/js/copy.js" in scripts


def test_new_client_is_listed_as_never_used(alice_client):
    alice_client.post(PAGE, {"name": "Shop sync"})
    application = Application.objects.get()

    response = alice_client.get(PAGE)

    [row] = table_rows(response)
    assert row[0] == "Shop sync"
    assert row[1] == application.client_id
    assert row[3] == "Never"


def test_client_lists_its_last_use_after_a_bearer_request(
    alice_client, shop_sync, openapi_schema, acme
):
    api = bearer_api(openapi_schema, token_of(shop_sync))
    # The token was got a while ago...
    AccessToken.objects.update(updated=timezone.now() - timedelta(days=3))
    assert table_rows(alice_client.get(PAGE))[0][3] == "3 days ago"

    # ... and is used now.
    assert api.get("/api/v2/goals").status_code == 200

    assert table_rows(alice_client.get(PAGE))[0][3] == "0 minutes ago"


def test_clients_are_listed_newest_first(alice_client, alice):
    services.api_client_create(owner=alice, name="Older")
    services.api_client_create(owner=alice, name="Newer")

    response = alice_client.get(PAGE)

    assert [row[0] for row in table_rows(response)] == ["Newer", "Older"]


def test_blank_name_is_refused_and_creates_nothing(alice_client):
    response = alice_client.post(PAGE, {"name": "   "})

    assert response.status_code == 200
    assert BLANK in main_text(response)
    assert not Application.objects.exists()
    assert "new-client-secret" not in response.content.decode()


def test_over_long_name_is_refused_and_creates_nothing(alice_client):
    response = alice_client.post(PAGE, {"name": "x" * 256})

    assert "Ensure this value has at most 255 characters." in main_text(response)
    assert not Application.objects.exists()


def test_hostile_client_name_shows_as_text(alice_client):
    response = alice_client.post(PAGE, {"name": "<script>alert(1)</script>"}, follow=True)

    html = response.content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert table_rows(response)[0][0] == "<script>alert(1)</script>"


# --- Revoking a client ----------------------------------------------------------------------


def test_revoking_removes_the_client_and_says_so(alice_client, shop_sync, alice):
    services.api_client_create(owner=alice, name="Reports")

    response = alice_client.post(revoke_url(shop_sync.application.client_id), follow=True)

    assert response.redirect_chain == [(PAGE, 302)]
    assert "The API client “Shop sync” was revoked: its tokens no longer work." in messages_text(
        response
    )
    assert [row[0] for row in table_rows(response)] == ["Reports"]
    assert list(Application.objects.values_list("name", flat=True)) == ["Reports"]


def test_revoked_clients_token_fails_at_once(alice_client, shop_sync, openapi_schema):
    api = bearer_api(openapi_schema, token_of(shop_sync))
    assert api.get("/api/v2/goals").status_code == 200

    alice_client.post(revoke_url(shop_sync.application.client_id))

    response = api.get("/api/v2/goals")
    assert response.status_code == 401
    assert response.json()["description"] == INVALID_TOKEN
    assert request_token(shop_sync.application.client_id, shop_sync.secret).status_code == 401


def test_revoking_is_a_post(alice_client, shop_sync):
    response = alice_client.get(revoke_url(shop_sync.application.client_id))

    assert response.status_code == 405
    assert Application.objects.filter(pk=shop_sync.application.pk).exists()


def test_revoking_an_unknown_client_is_404(alice_client, shop_sync):
    response = alice_client.post(revoke_url("no-such-client"))

    assert response.status_code == 404
    assert Application.objects.count() == 1


# --- Another account's administrator --------------------------------------------------------


def test_another_accounts_administrator_does_not_see_alices_clients(bob, shop_sync):
    response = signed_in(bob).get(PAGE)

    assert response.status_code == 200
    assert table_rows(response) == []
    assert "Shop sync" not in response.content.decode()
    assert shop_sync.application.client_id not in response.content.decode()


def test_another_accounts_administrator_cannot_revoke_alices_client(bob, shop_sync, openapi_schema):
    api = bearer_api(openapi_schema, token_of(shop_sync))

    response = signed_in(bob).post(revoke_url(shop_sync.application.client_id))

    assert response.status_code == 404
    assert Application.objects.filter(pk=shop_sync.application.pk).exists()
    assert api.get("/api/v2/goals").status_code == 200


def test_another_accounts_administrators_clients_act_in_his_account(bob):
    signed_in(bob).post(PAGE, {"name": "Bluebird sync"})
    application = Application.objects.get()

    assert application.user == bob


# --- Cross-site request forgery -------------------------------------------------------------


def test_creating_a_client_without_the_csrf_token_is_refused(alice):
    browser = signed_in(alice, enforce_csrf_checks=True)

    response = browser.post(PAGE, {"name": "Forged"})

    assert response.status_code == 403
    assert not Application.objects.exists()


def test_revoking_a_client_without_the_csrf_token_is_refused(alice, shop_sync):
    browser = signed_in(alice, enforce_csrf_checks=True)

    response = browser.post(revoke_url(shop_sync.application.client_id))

    assert response.status_code == 403
    assert Application.objects.filter(pk=shop_sync.application.pk).exists()


def test_both_forms_work_with_the_csrf_token_the_page_gives(alice):
    browser = signed_in(alice, enforce_csrf_checks=True)
    page = browser.get(PAGE)

    created = browser.post(
        PAGE, {"name": "Shop sync", "csrfmiddlewaretoken": csrf_token_of(page)}, follow=True
    )
    assert created.redirect_chain == [(PAGE, 302)]
    application = Application.objects.get()

    revoked = browser.post(
        revoke_url(application.client_id), {"csrfmiddlewaretoken": csrf_token_of(created)}
    )
    assert revoked.status_code == 302
    assert not Application.objects.exists()


def test_every_form_on_the_page_carries_a_csrf_token(alice_client, shop_sync):
    response = alice_client.get(PAGE)

    forms = [
        form for form in parse(response).find_all("form") if form.attrs.get("method") == "post"
    ]
    assert len(forms) >= 3  # sign out, create, and one revoke button a client
    for form in forms:
        names = [field.attrs.get("name") for field in form.find_all("input")]
        assert "csrfmiddlewaretoken" in names, form.attrs


def test_secret_never_appears_in_a_url(alice_client):
    response = alice_client.post(PAGE, {"name": "Shop sync"}, follow=True)
    secret = parse(response).by_id("new-client-secret").text
    assert all(secret not in url for url, _status in response.redirect_chain)

    links = [
        element.attrs.get("href") or element.attrs.get("action") or ""
        for element in parse(response).iter()
    ]
    assert not any(secret in link for link in links)
