"""A repeated API request asks the shared cache once (goals.api.read_ahead), and the guess that
makes this possible never shows in what the caller gets or in anyone's rate count.

Cast (tests/conftest.py): Alice administers Acme, where Arthur is an agent; Bob administers
Bluebird. The cache is Redis when REDIS_URL is set, else Django's database cache table.
"""

import functools
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache, caches

from accounts import services
from accounts.models import User
from tests.conftest import PASSWORD, Api, make_user
from tests.goals.api import test_rate_limits_and_lockouts as rate_limits
from tests.goals.api.test_tokens import bearer_api, stored_token, token_of

clock = rate_limits.clock

GOALS = "/api/v2/goals"
NEW_PASSWORD = "a-brand-new-passphrase-7"
# What a request may ask of the shared cache.
CACHE_OPERATIONS = (
    "get",
    "get_many",
    "set",
    "set_many",
    "add",
    "delete",
    "incr",
    "decr",
    "count",
    "get_many_and_count",
)


@pytest.fixture
def cache_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The operations asked of the shared cache, each as the caller asked it (not the ones the
    backend makes it of)."""
    calls: list[str] = []
    depth = 0
    backend = type(caches["default"])

    def recorded(name: str, operation: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(operation)
        def call(*args: Any, **kwargs: Any) -> Any:
            nonlocal depth
            if depth == 0:
                calls.append(name)
            depth += 1
            try:
                return operation(*args, **kwargs)
            finally:
                depth -= 1

        return call

    for name in CACHE_OPERATIONS:
        monkeypatch.setattr(backend, name, recorded(name, getattr(backend, name)))
    return calls


def count_of(caller: str, clock: rate_limits.Clock) -> int:
    """The caller's count of requests this minute ("user-<id>" or "client-<id>")."""
    return cache.get(f"throttle_api_{caller}_{int(clock.now // 60)}", 0)


@pytest.fixture
def shop_sync(alice: User) -> services.NewApiClient:
    return services.api_client_create(owner=alice, name="Shop sync")


@pytest.fixture
def token_api(openapi_schema: dict, shop_sync: services.NewApiClient) -> Api:
    return bearer_api(openapi_schema, token_of(shop_sync, "read write"))


@pytest.fixture(params=["Basic", "Bearer"])
def any_api(request: pytest.FixtureRequest, alice_api: Api) -> Api:
    return alice_api if request.param == "Basic" else request.getfixturevalue("token_api")


@pytest.mark.parametrize("one_goal", [False, True], ids=["list", "show"])
def test_a_repeated_read_asks_the_shared_cache_once(
    one_goal, any_api, cache_calls, acme, make_goal
):
    path = f"{GOALS}/{make_goal(acme).pk}" if one_goal else GOALS
    assert any_api.get(path).status_code == 200
    cache_calls.clear()

    assert any_api.get(path).status_code == 200

    assert cache_calls == ["get_many_and_count"]


def test_a_repeated_write_asks_once_for_its_sign_in_and_count(alice_api, cache_calls):
    assert alice_api.get(GOALS).status_code == 200
    cache_calls.clear()

    assert alice_api.post(GOALS, {"name": "Pricing page"}).status_code == 201

    # The other operation is the goals' new version, which the next read must see.
    assert cache_calls == ["get_many_and_count", "set"]


def test_each_request_counts_once_towards_the_callers_rate(clock, alice_api, token_api, alice):
    assert [alice_api.get(GOALS).status_code for _ in range(4)] == [200] * 4
    # A token's requests count towards its API client, not towards the user who made it.
    assert [token_api.get(GOALS).status_code for _ in range(2)] == [200] * 2

    assert count_of(f"user-{alice.pk}", clock) == 4
    assert count_of(f"client-{stored_token_client(token_api)}", clock) == 2


def stored_token_client(api: Api) -> int:
    return stored_token(api.headers["Authorization"].split()[1]).application_id


def test_a_refused_old_password_does_not_count_towards_the_users_rate(clock, alice_api, alice):
    assert [alice_api.get(GOALS).status_code for _ in range(2)] == [200, 200]
    alice.set_password(NEW_PASSWORD)
    alice.save()

    assert alice_api.get(GOALS).status_code == 401
    assert count_of(f"user-{alice.pk}", clock) == 2

    alice_api.authenticate(alice.email, NEW_PASSWORD)
    assert alice_api.get(GOALS).status_code == 200
    assert count_of(f"user-{alice.pk}", clock) == 3


def test_a_demoted_administrators_refused_request_does_not_count(clock, alice_api, alice):
    assert alice_api.get(GOALS).status_code == 200
    alice.role = User.Role.AGENT
    alice.save()

    assert alice_api.get(GOALS).status_code == 403
    assert count_of(f"user-{alice.pk}", clock) == 1


def test_a_revoked_token_does_not_count_towards_its_clients_rate(
    clock, token_api, alice, shop_sync
):
    assert token_api.get(GOALS).status_code == 200
    client_id = stored_token_client(token_api)
    services.api_client_revoke(owner=alice, client_id=shop_sync.application.client_id)

    assert token_api.get(GOALS).status_code == 401
    assert count_of(f"client-{client_id}", clock) == 1


def test_credentials_that_now_sign_in_another_user_read_and_count_as_that_user(
    clock, alice_api, alice, bob, make_goal
):
    make_goal(alice.account, name="Acme's own")
    make_goal(bob.account, name="Bluebird's own")
    assert [goal["name"] for goal in alice_api.get(GOALS).json()] == ["Acme's own"]
    first_alice = alice.pk
    alice.delete()
    # The same email and password, now an administrator of Bluebird.
    second_alice = make_user(alice.email, bob.account, User.Role.ADMINISTRATOR)

    assert [goal["name"] for goal in alice_api.get(GOALS).json()] == ["Bluebird's own"]
    assert count_of(f"user-{first_alice}", clock) == 1
    assert count_of(f"user-{second_alice.pk}", clock) == 1
    assert second_alice.check_password(PASSWORD)
