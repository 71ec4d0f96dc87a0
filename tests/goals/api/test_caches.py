"""The API's shared caches, as a user would notice them: an account's goals, rendered once per
goals_version (which every write counts in its own transaction); Basic sign-ins, whose password
hash is skipped for a while but whose user's row is read every time; a token's last use; the
rate counters. The cache only spares work: while Redis is out of reach the database answers.

The second app server is pytest-django's live server. Cast (tests/conftest.py): Alice administers
Acme, where Arthur is an agent; Bob administers Bluebird.
"""

import json
import re
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
import requests
from django.conf import settings
from django.contrib.auth.hashers import MD5PasswordHasher
from django.db import connection, transaction
from django.db.models import F
from django.db.models.signals import post_save
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from oauth2_provider.models import AccessToken
from rest_framework.renderers import JSONRenderer

from accounts import services
from accounts.models import Account, User
from accounts.selectors import user_with_account
from goals import rules
from goals.api.cache import goals_json
from goals.api.serializers import GoalSerializer
from goals.models import Goal
from tests.helpers.api import PASSWORD, Api, assert_matches_schema
from tests.helpers.pages import goal_form, row, signed_in
from tests.helpers.rates import (
    WRONG_PASSWORD,
    assert_locked_out,
    assert_too_many_requests,
    use_up,
)
from tests.helpers.tokens import NOT_AN_ADMINISTRATOR, bearer_api, stored_token, token_of

GOALS = "/api/v2/goals"
NEW_PASSWORD = "a-brand-new-passphrase-7"
# Alice's email with a dotless i: Python's lower() keeps it, PostgreSQL's upper() makes it an I.
OTHER_SPELLING = "al\u0131ce@acme.example"
# A request or a wait has an end: a server stuck on a lock fails the test instead of hanging it.
TIMEOUT = 30

CART = {"type": "url", "operator": "contains", "value": "cart"}
CHECKOUT = {"type": "url", "operator": "equals", "value": "https://shop.example/checkout"}
TWENTY_CONDITIONS = [
    {"type": "url", "operator": "contains", "value": f"/step-{n}"} for n in range(20)
]

# Text a hand-made JSON encoder gets wrong: beyond ASCII and the BMP, quotes and backslashes,
# control characters, the two line separators JavaScript strings cannot hold, and markup.
AWKWARD = (
    "Ünïcödé 中文 🎉 \"double\" 'single' back\\slash \x01 tab\t new\nline "
    "\u2028 \u2029 </script><!-- & \x7f \u200b"
)

# The same, as a path of an equals URL may hold it: no spaces, line breaks or control characters.
AWKWARD_PATH = "".join(c for c in AWKWARD if c.isprintable() and not c.isspace())

# Tables as they appear in the SQL of a query; with the database cache, each cache operation is
# a query too, so queries are counted by the table they read or write.
USER_TABLE = re.compile(r'"accounts_user"')
GOAL_TABLES = re.compile(r'"goals_(goal|condition)"')
TOKEN_UPDATE = re.compile(r'^\s*UPDATE\s+"oauth2_provider_accesstoken"', re.IGNORECASE)


def detail(goal_id: int) -> str:
    return f"{GOALS}/{goal_id}"


def contract_json(goals: Any, *, many: bool = True) -> bytes:
    """What DRF renders from the schema's serializer: the bytes the cache must hand out."""
    return JSONRenderer().render(GoalSerializer(goals, many=many).data)


def stored_goals(account: Account) -> list[dict[str, Any]]:
    """The account's goals as the database holds them now, in the API's shape."""
    return json.loads(contract_json(Goal.objects.of_account(account)))


def assert_reads_as_stored(api: Any, account: Account) -> list[dict[str, Any]]:
    """The list and every goal, read through api, are what the database holds.

    Reading them also leaves them in the cache, so that a later write must make them stale.
    """
    expected = stored_goals(account)
    assert api.get(GOALS).json() == expected
    for goal in expected:
        assert api.get(detail(goal["id"])).json() == goal
    return expected


def make_cold(account: Account) -> None:
    """Count a write of the account's goals, as the rules do: no copy in the cache is current."""
    Account.objects.filter(pk=account.pk).update(goals_version=F("goals_version") + 1)


def queries_on(captured: CaptureQueriesContext, table: re.Pattern) -> list[str]:
    return [query["sql"] for query in captured.captured_queries if table.search(query["sql"])]


def from_address(api: Api, address: str) -> Api:
    """The client, sending its requests from the given address."""
    api.client = Client(raise_request_exception=False, REMOTE_ADDR=address)
    return api


class LiveApi:
    """The API through the live server, signed in with HTTP Basic: a second app server."""

    def __init__(self, url: str, schema: dict, user: User, password: str = PASSWORD) -> None:
        self.url = url
        self.schema = schema
        self.session = requests.Session()
        self.session.auth = (user.email, password)

    def request(self, method: str, path: str, body: Any = None) -> requests.Response:
        response = self.session.request(method, self.url + path, json=body, timeout=TIMEOUT)
        assert_matches_schema(self.schema, method, path, response.status_code, response.content)
        return response

    def get(self, path: str) -> requests.Response:
        return self.request("GET", path)

    def post(self, path: str, body: Any = None) -> requests.Response:
        return self.request("POST", path, body)

    def put(self, path: str, body: Any = None) -> requests.Response:
        return self.request("PUT", path, body)

    def delete(self, path: str) -> requests.Response:
        return self.request("DELETE", path)


@pytest.fixture
def live_api(live_server: Any, openapi_schema: dict, alice: User) -> Iterator[LiveApi]:
    api = LiveApi(live_server.url, openapi_schema, alice)
    yield api
    api.session.close()


@pytest.fixture
def password_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every password checked against a stored hash: the slow part of a sign-in."""
    checks: list[str] = []
    verify = MD5PasswordHasher.verify

    def counted(hasher: MD5PasswordHasher, password: str, encoded: str) -> bool:
        checks.append(password)
        return verify(hasher, password, encoded)

    monkeypatch.setattr(MD5PasswordHasher, "verify", counted)
    return checks


# --- A write is seen by the next read, through any app server -------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "writes_through_live_server",
    [False, True],
    ids=["in-process-writes-live-server-reads", "live-server-writes-in-process-reads"],
)
def test_a_write_through_one_app_server_is_seen_by_the_next_read_through_another(
    writes_through_live_server, live_api, alice_api, acme
):
    writer, reader = (live_api, alice_api) if writes_through_live_server else (alice_api, live_api)
    assert reader.get(GOALS).json() == []

    created = writer.post(GOALS, {"name": "Checkout", "settings": {"conditions": [CHECKOUT]}})
    assert created.status_code == 201, created.content
    goal_id = created.json()["id"]
    assert reader.get(GOALS).json() == [created.json()]
    assert reader.get(detail(goal_id)).json() == created.json()

    changes = {"name": "Basket", "enabled": 0, "settings": {"conditions": [CART, CHECKOUT]}}
    updated = writer.put(detail(goal_id), changes)
    assert updated.json()["name"] == "Basket", updated.content
    assert reader.get(GOALS).json() == [updated.json()]
    assert reader.get(detail(goal_id)).json() == updated.json()

    assert writer.delete(detail(goal_id)).status_code == 204
    assert reader.get(GOALS).json() == []
    assert reader.get(detail(goal_id)).status_code == 404
    assert stored_goals(acme) == []


@pytest.mark.django_db(transaction=True)
def test_writes_through_the_dashboard_pages_are_seen_by_the_apis_next_read(live_api, alice, acme):
    browser = signed_in(alice)
    assert_reads_as_stored(live_api, acme)

    created = browser.post("/goals/new/", goal_form([row("contains", "cart")], name="Cart"))
    assert created.status_code == 302
    goal = Goal.objects.get(account=acme)
    assert [listed["name"] for listed in assert_reads_as_stored(live_api, acme)] == ["Cart"]

    edited = browser.post(
        f"/goals/{goal.pk}/edit/", goal_form([row("contains", "basket")], name="Basket")
    )
    assert edited.status_code == 302
    [shown] = assert_reads_as_stored(live_api, acme)
    assert (shown["name"], shown["settings"]["conditions"][0]["value"]) == ("Basket", "basket")

    assert browser.post(f"/goals/{goal.pk}/toggle/", {"enabled": "0"}).status_code == 302
    assert [listed["enabled"] for listed in assert_reads_as_stored(live_api, acme)] == [0]

    assert browser.post(f"/goals/{goal.pk}/delete/").status_code == 302
    assert assert_reads_as_stored(live_api, acme) == []
    assert live_api.get(detail(goal.pk)).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_writes_through_the_rules_are_seen_by_the_apis_next_read(live_api, alice, acme):
    assert_reads_as_stored(live_api, acme)

    goal = rules.goal_create(account=acme, actor=alice, name="Checkout", conditions=[CHECKOUT])
    assert [listed["name"] for listed in assert_reads_as_stored(live_api, acme)] == ["Checkout"]

    rules.goal_update(goal=goal, actor=alice, name="Basket", conditions=[CART])
    [shown] = assert_reads_as_stored(live_api, acme)
    assert (shown["name"], shown["settings"]["conditions"]) == ("Basket", [CART])

    rules.goal_set_enabled(goal=goal, actor=alice, enabled=False)
    assert [listed["enabled"] for listed in assert_reads_as_stored(live_api, acme)] == [0]

    rules.goal_delete(goal=goal, actor=alice)
    assert assert_reads_as_stored(live_api, acme) == []
    assert live_api.get(detail(goal.pk)).status_code == 404


@pytest.fixture
def operator_browser(db: None) -> Client:
    operator = User.objects.create_superuser("olga@operators.example", PASSWORD)
    return signed_in(operator, raise_request_exception=False)


def test_a_goal_deleted_in_the_django_admin_is_gone_from_the_apis_next_read(
    operator_browser, alice_api, acme, make_goal
):
    doomed = make_goal(acme, name="Doomed")
    assert_reads_as_stored(alice_api, acme)

    deleted = operator_browser.post(f"/admin/goals/goal/{doomed.pk}/delete/", {"post": "yes"})

    assert deleted.status_code == 302
    assert stored_goals(acme) == []
    assert alice_api.get(GOALS).json() == []
    assert alice_api.get(detail(doomed.pk)).status_code == 404


def test_goals_deleted_by_the_django_admins_bulk_action_are_gone_from_the_apis_next_read(
    operator_browser, alice_api, acme, make_goal
):
    doomed = [make_goal(acme, name=f"Doomed {n}", enabled=False) for n in range(2)]
    assert_reads_as_stored(alice_api, acme)

    selected = [str(goal.pk) for goal in doomed]
    action = {"action": "delete_selected", "_selected_action": selected, "post": "yes"}
    deleted = operator_browser.post("/admin/goals/goal/", action)

    assert deleted.status_code == 302
    assert stored_goals(acme) == []
    assert alice_api.get(GOALS).json() == []


def test_a_goal_disabled_by_the_django_admins_action_is_shown_disabled_on_the_apis_next_read(
    operator_browser, alice_api, acme, make_goal
):
    goal = make_goal(acme, name="Switched off")
    assert [listed["enabled"] for listed in assert_reads_as_stored(alice_api, acme)] == [1]

    action = {"action": "disable_selected", "_selected_action": [str(goal.pk)]}
    disabled = operator_browser.post("/admin/goals/goal/", action)

    assert disabled.status_code == 302
    assert alice_api.get(GOALS).json() == stored_goals(acme)
    assert alice_api.get(detail(goal.pk)).json()["enabled"] == 0


def test_another_accounts_goals_never_come_from_the_cache(alice_api, api_as, acme, bob, make_goal):
    bobs = make_goal(bob.account, name="Bluebird's own")
    bob_api = api_as(bob)
    assert [goal["id"] for goal in bob_api.get(GOALS).json()] == [bobs.pk]

    created = alice_api.post(GOALS, {"name": "Acme's own"}).json()
    # Acme's list and goal are in the cache now, under Acme.
    assert [goal["id"] for goal in alice_api.get(GOALS).json()] == [created["id"]]
    assert alice_api.get(detail(created["id"])).status_code == 200

    assert [goal["id"] for goal in bob_api.get(GOALS).json()] == [bobs.pk]
    assert bob_api.get(detail(created["id"])).status_code == 404
    assert alice_api.get(detail(bobs.pk)).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_a_read_after_a_write_in_another_transaction_shows_the_write(
    alice_api, alice, acme, make_goal
):
    goal = make_goal(acme, name="Before")
    assert_reads_as_stored(alice_api, acme)

    with transaction.atomic():
        rules.goal_update(goal=goal, actor=alice, name="After", conditions=[CART])

    [shown] = assert_reads_as_stored(alice_api, acme)
    assert (shown["name"], shown["settings"]["conditions"]) == ("After", [CART])


@pytest.mark.django_db(transaction=True)
def test_the_goals_read_the_moment_a_write_commits_are_the_written_ones(
    alice_api, alice, acme, make_goal
):
    goal = make_goal(acme, name="Before")
    assert_reads_as_stored(alice_api, acme)
    read_at_commit: list[list[str]] = []

    def read_once_committed(**kwargs: Any) -> None:
        # Runs the moment the write's transaction commits, before the rules return.
        transaction.on_commit(
            lambda: read_at_commit.append([g["name"] for g in alice_api.get(GOALS).json()])
        )

    post_save.connect(read_once_committed, sender=Goal, dispatch_uid="read-once-committed")
    try:
        rules.goal_update(goal=goal, actor=alice, name="After")
    finally:
        post_save.disconnect(sender=Goal, dispatch_uid="read-once-committed")

    assert read_at_commit == [["After"]]


# --- A list read while a write was open is never served after its commit --------------------


def read_as_another_server(user_id: int) -> tuple[int, bytes]:
    """What another app server does for GET /api/v2/goals, on a database connection of its own:
    read the user's row with the account's goals version, then the goals."""
    try:
        account = user_with_account(user_id).account
        return account.goals_version, goals_json(account)
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_a_list_another_server_read_while_a_write_was_open_is_not_served_after_its_commit(
    monkeypatch, alice_api, alice, acme, make_goal
):
    goal = make_goal(acme, name="Before")
    before = alice_api.get(GOALS).content
    # Cold again, so that the other server makes the list from the rows it can see.
    make_cold(acme)
    this_thread = threading.current_thread()
    rendered, committed = threading.Event(), threading.Event()
    render = JSONRenderer.render

    def render_then_wait_for_the_commit(renderer: JSONRenderer, *args: Any, **kwargs: Any) -> bytes:
        # The other server is slow: it renders the list before the write commits, and stores it
        # after.
        content = render(renderer, *args, **kwargs)
        if threading.current_thread() is not this_thread:
            rendered.set()
            committed.wait(TIMEOUT)
        return content

    monkeypatch.setattr(JSONRenderer, "render", render_then_wait_for_the_commit)

    with ThreadPoolExecutor(max_workers=1) as other_server:
        try:
            with transaction.atomic():
                rules.goal_update(goal=goal, actor=alice, name="After")
                read = other_server.submit(read_as_another_server, alice.pk)
                assert rendered.wait(TIMEOUT), "the other server never rendered the list"
        finally:
            committed.set()

    version_read, content = read.result(timeout=TIMEOUT)
    assert content == before, "the other server should have read the rows before the commit"
    # The old list is in the shared cache, under the version the other server read...
    with CaptureQueriesContext(connection) as captured:
        assert goals_json(Account(pk=acme.pk, goals_version=version_read)) == before
    assert queries_on(captured, GOAL_TABLES) == []
    # ... which no read asks for once the write has committed.
    assert [listed["name"] for listed in alice_api.get(GOALS).json()] == ["After"]
    assert alice_api.get(detail(goal.pk)).json()["name"] == "After"


# --- HTTP Basic: a remembered sign-in obeys every change at once ----------------------------


def test_a_changed_password_refuses_the_remembered_old_one_on_the_next_request(alice_api, alice):
    assert alice_api.get(GOALS).status_code == 200
    assert alice_api.get(GOALS).status_code == 200  # remembered from now on

    alice.set_password(NEW_PASSWORD)
    alice.save()

    assert alice_api.get(GOALS).status_code == 401
    alice_api.authenticate(alice.email, NEW_PASSWORD)
    assert alice_api.get(GOALS).status_code == 200


def test_a_password_changed_on_the_dashboard_page_refuses_the_old_one_on_the_next_request(
    alice_api, alice
):
    assert alice_api.get(GOALS).status_code == 200

    changed = signed_in(alice).post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert (changed.status_code, changed["Location"]) == (302, "/accounts/password/done/")
    assert alice_api.get(GOALS).status_code == 401
    alice_api.authenticate(alice.email, NEW_PASSWORD)
    assert alice_api.get(GOALS).status_code == 200


def test_a_remembered_sign_in_lets_no_other_password_in(password_checks, api_as, alice):
    assert api_as(alice).get(GOALS).status_code == 200
    guesser = api_as(alice)
    guesser.authenticate(alice.email, WRONG_PASSWORD)

    assert guesser.get(GOALS).status_code == 401
    assert password_checks == [PASSWORD, WRONG_PASSWORD]


def test_deactivating_a_user_refuses_the_remembered_sign_in_on_the_next_request(alice_api, alice):
    assert alice_api.get(GOALS).status_code == 200

    alice.is_active = False
    alice.save()

    assert alice_api.get(GOALS).status_code == 401


def test_demoting_an_administrator_is_obeyed_on_the_next_request(alice_api, alice):
    assert alice_api.get(GOALS).status_code == 200

    alice.role = User.Role.AGENT
    alice.save()

    response = alice_api.get(GOALS)
    assert response.status_code == 403
    assert response.json()["description"] == NOT_AN_ADMINISTRATOR


def test_promoting_an_agent_is_obeyed_on_the_next_request(api_as, arthur):
    arthur_api = api_as(arthur)
    assert arthur_api.get(GOALS).status_code == 403

    arthur.role = User.Role.ADMINISTRATOR
    arthur.save()

    assert arthur_api.get(GOALS).status_code == 200


def test_deleting_a_user_refuses_the_remembered_sign_in_on_the_next_request(alice_api, alice):
    assert alice_api.get(GOALS).status_code == 200

    alice.delete()

    assert alice_api.get(GOALS).status_code == 401


def test_a_sign_in_remembered_under_an_old_email_is_refused_once_the_email_changes(api_as, alice):
    old_email = api_as(alice)
    assert old_email.get(GOALS).status_code == 200

    alice.email = "alice@acme-renamed.example"
    alice.save()

    assert old_email.get(GOALS).status_code == 401
    assert api_as(alice).get(GOALS).status_code == 200


@pytest.mark.parametrize(
    "spelling", [" alice@acme.example", "alice@acme.example ", "ALICE@acme.example"]
)
def test_a_login_spelt_otherwise_gets_the_same_answer_with_and_without_a_remembered_sign_in(
    api_as, alice, spelling
):
    # What the full check answers, the cache must not change.
    first_try = api_as(alice)
    first_try.authenticate(spelling, PASSWORD)
    cold = first_try.get(GOALS).status_code
    assert api_as(alice).get(GOALS).status_code == 200  # Alice's sign-in is remembered now

    warm = api_as(alice)
    warm.authenticate(spelling, PASSWORD)

    assert warm.get(GOALS).status_code == cold


def test_a_sign_in_remembered_under_another_spelling_of_the_email_is_forgotten_with_the_password(
    api_as, alice
):
    # Whatever spelling of the email the database takes for Alice's (PostgreSQL compares upper
    # cases, and a dotless i's is an I), a sign-in with it must end with her password.
    spelled = api_as(alice)
    spelled.authenticate(OTHER_SPELLING, PASSWORD)
    signs_in = User.objects.filter(email__iexact=OTHER_SPELLING).exists()
    assert spelled.get(GOALS).status_code == (200 if signs_in else 401)

    alice.set_password(NEW_PASSWORD)
    alice.save()

    assert spelled.get(GOALS).status_code == 401


def test_a_user_moved_to_another_account_reads_that_accounts_goals_on_the_next_request(
    alice_api, alice, acme, bob, make_goal
):
    make_goal(acme, name="Acme's own")
    make_goal(bob.account, name="Bluebird's own")
    assert [goal["name"] for goal in alice_api.get(GOALS).json()] == ["Acme's own"]

    alice.account = bob.account
    alice.save()

    assert [goal["name"] for goal in alice_api.get(GOALS).json()] == ["Bluebird's own"]


def test_a_sign_in_remembered_from_one_address_is_checked_again_from_another(
    password_checks, api_as, alice
):
    here = from_address(api_as(alice), "10.0.0.1")
    there = from_address(api_as(alice), "10.0.0.2")

    assert [here.get(GOALS).status_code for _ in range(2)] == [200, 200]
    assert len(password_checks) == 1
    assert [there.get(GOALS).status_code for _ in range(2)] == [200, 200]
    assert len(password_checks) == 2


def test_a_lockout_from_an_address_refuses_the_sign_in_remembered_there(api_as, alice):
    here = from_address(api_as(alice), "10.0.0.1")
    there = from_address(api_as(alice), "10.0.0.2")
    assert (here.get(GOALS).status_code, there.get(GOALS).status_code) == (200, 200)
    guesser = from_address(api_as(alice), "10.0.0.1")
    guesser.authenticate(alice.email, WRONG_PASSWORD)

    failures = [guesser.get(GOALS).status_code for _ in range(settings.AXES_FAILURE_LIMIT)]

    assert failures == [401] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
    assert_locked_out(here.get(GOALS))
    # The lockout is of the login from that address: elsewhere the right password still opens.
    assert there.get(GOALS).status_code == 200


# --- Remembering spares the password hash, not the user's row -------------------------------


def test_a_remembered_sign_in_skips_the_password_hash_and_reads_the_users_row_once(
    password_checks, alice_api
):
    with CaptureQueriesContext(connection) as first:
        assert alice_api.get(GOALS).status_code == 200
    with CaptureQueriesContext(connection) as second:
        assert alice_api.get(GOALS).status_code == 200

    assert password_checks == [PASSWORD], "the second request checked the password again"
    assert queries_on(first, USER_TABLE), "the first request must have read the user"
    assert len(queries_on(second, USER_TABLE)) == 1, queries_on(second, USER_TABLE)


# --- Bearer tokens: every change counts on the next request ---------------------------------


@pytest.fixture
def token(shop_sync: services.NewApiClient) -> str:
    return token_of(shop_sync, "read write")


@pytest.fixture
def used(openapi_schema: dict, token: str) -> Api:
    """A client whose token has been used once already."""
    api = bearer_api(openapi_schema, token)
    assert api.get(GOALS).status_code == 200
    return api


def assert_token_refused(response: Any) -> None:
    assert response.status_code == 401, response.content
    assert response.json()["error"] == "Unauthorized"


def test_revoking_the_api_client_refuses_its_token_on_the_next_request(used, alice, shop_sync):
    services.api_client_revoke(owner=alice, client_id=shop_sync.application.client_id)

    assert_token_refused(used.get(GOALS))


def test_deleting_a_token_refuses_it_on_the_next_request(used, token):
    stored_token(token).delete()

    assert_token_refused(used.get(GOALS))


def test_a_token_saved_as_expired_is_refused_on_the_next_request(used, token):
    stored = stored_token(token)
    stored.expires = timezone.now() - timedelta(seconds=1)
    stored.save()

    assert_token_refused(used.get(GOALS))


def test_a_token_is_refused_once_its_time_is_up(monkeypatch, used, token):
    later = stored_token(token).expires + timedelta(seconds=1)
    monkeypatch.setattr(timezone, "now", lambda: later)

    assert_token_refused(used.get(GOALS))


def test_deactivating_the_owner_refuses_the_token_on_the_next_request(used, alice):
    alice.is_active = False
    alice.save()

    assert_token_refused(used.get(GOALS))


def test_demoting_the_owner_forbids_the_token_on_the_next_request(used, alice):
    alice.role = User.Role.AGENT
    alice.save()

    forbidden = used.get(GOALS)
    assert forbidden.status_code == 403
    assert forbidden.json()["description"] == NOT_AN_ADMINISTRATOR


def test_a_client_given_to_another_owner_acts_as_them_on_the_next_request(
    used, shop_sync, acme, bob, make_goal
):
    make_goal(acme, name="Acme's own")
    make_goal(bob.account, name="Bluebird's own")
    assert [goal["name"] for goal in used.get(GOALS).json()] == ["Acme's own"]

    shop_sync.application.user = bob
    shop_sync.application.save()

    assert [goal["name"] for goal in used.get(GOALS).json()] == ["Bluebird's own"]


def test_narrowing_a_tokens_scope_refuses_writes_on_the_next_request(used, token, acme):
    stored = stored_token(token)
    stored.scope = "read"
    stored.save()

    refused = used.post(GOALS, {"name": "After narrowing"})
    assert refused.status_code == 403, refused.content
    assert used.get(GOALS).status_code == 200
    assert stored_goals(acme) == []


def test_a_tokens_last_use_is_written_once_for_two_requests_in_a_row(openapi_schema, token):
    api = bearer_api(openapi_schema, token)
    issued = stored_token(token).updated

    with CaptureQueriesContext(connection) as captured:
        assert [api.get(GOALS).status_code for _ in range(2)] == [200, 200]

    assert len(queries_on(captured, TOKEN_UPDATE)) == 1, queries_on(captured, TOKEN_UPDATE)
    assert stored_token(token).updated > issued, "the token's last use was not written"


# --- The cached bytes are the contract's ----------------------------------------------------


def awkward_goal(account: Account, make_goal: Callable[..., Goal]) -> Goal:
    return make_goal(
        account,
        name=AWKWARD,
        description=AWKWARD,
        conditions=[
            {"type": "url", "operator": "contains", "value": AWKWARD},
            {"type": "url", "operator": "equals", "value": f"https://shop.example/{AWKWARD_PATH}"},
        ],
    )


def assert_bytes_are_the_contracts(api: Api, account: Account) -> None:
    goals = Goal.objects.of_account(account)
    listed = api.get(GOALS)
    assert (listed.status_code, listed["Content-Type"]) == (200, "application/json")
    assert listed.content == contract_json(goals)
    for goal in goals:
        assert api.get(detail(goal.pk)).content == contract_json(goal, many=False)


def test_cached_goals_are_byte_for_byte_what_the_serializer_renders_cold_and_warm(
    alice_api, acme, make_goal
):
    awkward_goal(acme, make_goal)
    make_goal(acme, name="Plain", enabled=False, attribution_model="last_touch")

    make_cold(acme)
    assert_bytes_are_the_contracts(alice_api, acme)  # cold: made from the rows
    assert_bytes_are_the_contracts(alice_api, acme)  # warm: from the cache


def test_a_created_goal_is_answered_in_the_serializers_bytes(alice_api, acme):
    body = {"name": AWKWARD, "description": AWKWARD, "settings": {"conditions": [CART]}}

    created = alice_api.post(GOALS, body)

    assert created.status_code == 201, created.content
    assert created.content == contract_json(Goal.objects.get(account=acme), many=False)


def test_an_updated_goal_is_answered_in_the_serializers_bytes(alice_api, acme, make_goal):
    goal = make_goal(acme, name="Plain")
    assert_bytes_are_the_contracts(alice_api, acme)

    updated = alice_api.put(detail(goal.pk), {"name": AWKWARD, "settings": {"conditions": [CART]}})

    assert updated.status_code == 200, updated.content
    assert updated.content == contract_json(Goal.objects.get(pk=goal.pk), many=False)
    assert_bytes_are_the_contracts(alice_api, acme)


# --- Queries do not grow with the data, and a warm read makes none on the goals ------------


def goal_queries_of(api: Api, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert api.get(path).status_code == 200
    return len(queries_on(captured, GOAL_TABLES))


def test_a_cold_list_costs_as_many_goal_queries_for_thirty_goals_as_for_one_and_warm_none(
    alice_api, acme, make_goal
):
    make_goal(acme, name="Goal 0", conditions=TWENTY_CONDITIONS)
    make_cold(acme)
    cold_for_one = goal_queries_of(alice_api, GOALS)
    for n in range(1, 30):
        make_goal(acme, name=f"Goal {n}", enabled=False, conditions=TWENTY_CONDITIONS)
    make_cold(acme)

    cold_for_thirty = goal_queries_of(alice_api, GOALS)
    warm = goal_queries_of(alice_api, GOALS)

    listed = alice_api.get(GOALS).json()
    assert [len(goal["settings"]["conditions"]) for goal in listed] == [20] * 30
    assert cold_for_one > 0, "a cold list must read the goals"
    assert cold_for_thirty == cold_for_one
    assert warm == 0


def test_a_warm_read_of_one_goal_makes_no_query_on_the_goals(alice_api, acme, make_goal):
    goal = make_goal(acme, name="Checkout", conditions=[CHECKOUT])

    cold = goal_queries_of(alice_api, detail(goal.pk))
    warm = goal_queries_of(alice_api, detail(goal.pk))

    assert (cold > 0, warm) == (True, 0)


# --- While Redis is out of reach, the database answers --------------------------------------


def test_the_api_answers_and_saves_every_write_while_redis_is_out_of_reach(
    redis_out_of_reach, alice_api, acme, make_goal
):
    doomed = make_goal(acme, name="Doomed", enabled=False)

    listed = alice_api.get(GOALS)
    created = alice_api.post(GOALS, {"name": "Checkout", "settings": {"conditions": [CHECKOUT]}})
    goal_id = created.json()["id"]
    updated = alice_api.put(detail(goal_id), {"name": "Basket", "settings": {"conditions": [CART]}})
    shown = alice_api.get(detail(goal_id))
    deleted = alice_api.delete(detail(doomed.pk))

    statuses = [r.status_code for r in (listed, created, updated, shown, deleted)]
    assert statuses == [200, 201, 200, 200, 204]
    assert stored_goals(acme) == [updated.json()] == [shown.json()]
    assert (updated.json()["name"], updated.json()["settings"]["conditions"]) == ("Basket", [CART])
    assert alice_api.get(GOALS).json() == stored_goals(acme)


def test_goals_read_while_redis_is_out_of_reach_are_the_current_ones(
    redis_out_of_reach, alice_api, alice, acme, make_goal
):
    goal = make_goal(acme, name="Before")
    assert_reads_as_stored(alice_api, acme)

    rules.goal_update(goal=goal, actor=alice, name="After", conditions=[CART])
    [shown] = assert_reads_as_stored(alice_api, acme)
    assert shown["name"] == "After"

    rules.goal_delete(goal=goal, actor=alice)
    assert assert_reads_as_stored(alice_api, acme) == []
    assert alice_api.get(detail(goal.pk)).status_code == 404


def test_goals_written_while_redis_was_out_of_reach_are_read_once_it_is_back(
    request, settings, alice_api, acme, make_goal
):
    goal = make_goal(acme, name="Before")
    assert_reads_as_stored(alice_api, acme)  # the copies Redis holds from before
    reachable = settings.CACHES

    request.getfixturevalue("redis_out_of_reach")
    assert alice_api.put(detail(goal.pk), {"name": "While away"}).status_code == 200
    assert alice_api.post(GOALS, {"name": "Made while away"}).status_code == 201
    settings.CACHES = reachable

    names = [listed["name"] for listed in assert_reads_as_stored(alice_api, acme)]
    assert names == ["While away", "Made while away"]


def test_basic_sign_in_works_while_redis_is_out_of_reach_checking_the_password_each_time(
    redis_out_of_reach, password_checks, alice_api, alice
):
    assert [alice_api.get(GOALS).status_code for _ in range(3)] == [200] * 3
    assert password_checks == [PASSWORD] * 3

    alice.set_password(NEW_PASSWORD)
    alice.save()

    assert alice_api.get(GOALS).status_code == 401
    alice_api.authenticate(alice.email, NEW_PASSWORD)
    assert alice_api.get(GOALS).status_code == 200


def test_a_token_is_issued_and_works_while_redis_is_out_of_reach(
    redis_out_of_reach, openapi_schema, shop_sync, acme
):
    api = bearer_api(openapi_schema, token_of(shop_sync, "read write"))

    created = api.post(GOALS, {"name": "By token"})

    assert created.status_code == 201, created.content
    assert api.get(GOALS).json() == stored_goals(acme) == [created.json()]


def test_a_tokens_last_use_is_written_while_redis_is_out_of_reach(
    redis_out_of_reach, openapi_schema, token
):
    api = bearer_api(openapi_schema, token)
    AccessToken.objects.filter(token_checksum=stored_token(token).token_checksum).update(
        updated=timezone.now() - timedelta(days=3)
    )

    assert api.get(GOALS).status_code == 200

    assert timezone.now() - stored_token(token).updated < timedelta(minutes=1)


def test_requests_past_the_rate_are_answered_while_redis_is_out_of_reach(
    redis_out_of_reach, small_rate, alice_api
):
    assert use_up(alice_api, small_rate + 2) == [200] * (small_rate + 2)


# --- One rate counter for every client and app server ---------------------------------------


def test_two_clients_of_one_user_count_towards_one_rate(small_rate, api_as, alice):
    first, second = api_as(alice), api_as(alice)

    assert use_up(first, small_rate - 1) == [200] * (small_rate - 1)
    assert second.get(GOALS).status_code == 200

    assert_too_many_requests(first.get(GOALS))
    assert_too_many_requests(second.get(GOALS))


@pytest.mark.django_db(transaction=True)
def test_two_app_servers_count_towards_one_rate(small_rate, alice_api, live_api):
    assert use_up(alice_api, small_rate - 1) == [200] * (small_rate - 1)
    assert live_api.get(GOALS).status_code == 200

    assert_too_many_requests(alice_api.get(GOALS))
    refused = live_api.get(GOALS)
    assert refused.status_code == 429
    assert refused.json()["error"] == "Too many requests"
