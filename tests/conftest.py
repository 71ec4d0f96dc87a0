"""The fixed cast of the tests, and the fixtures that several test modules share.

Cast: Alice administers the account Acme, where Arthur is an agent; Bob administers Bluebird.
Test modules import helpers from tests/helpers/ (the API client that checks every answer against
the schema is tests/helpers/api.py), never from this file or from one another.
"""

import contextlib
import json
import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from django.conf import settings as django_settings
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer

from accounts import services
from accounts.models import Account, User
from goals import rules
from goals.models import Goal
from goals_admin import celery_app
from goals_admin.settings import redis_cache
from tests.helpers.api import Api, make_user
from tests.helpers.jobs import QUEUE as JOBS_QUEUE
from tests.helpers.pages import CART_CONDITIONS, signed_in
from tests.helpers.tracking import TEST_REDIS_URL


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # CI must run every test on PostgreSQL, so a skip there is a failure, never a quiet gap. On
    # SQLite, the few tests that need another connection to hold a row lock are skipped.
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    on_postgresql = django_settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    if os.environ.get("CI") and on_postgresql and skipped and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        reporter.ensure_newline()
        reporter.write_line(f"CI runs every test, but {len(skipped)} were skipped.", red=True)


def pytest_configure(config: pytest.Config) -> None:
    # Connections are kept between requests in production; here the threads that tests start
    # (live servers', simultaneous clients') would keep theirs open past the test database.
    django_settings.DATABASES["default"]["CONN_MAX_AGE"] = 0
    # Jobs that tests do not run eagerly go through the tests' Redis, on this process's own
    # queue, to the workers that tests start (tests/helpers/jobs.py). Set before any is sent:
    # Celery keeps its first connection's address.
    celery_app.conf.broker_url = TEST_REDIS_URL or "memory://"
    celery_app.conf.task_default_queue = JOBS_QUEUE


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # The production hasher costs a fifth of a second a request; tests make thousands.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _cache_of_its_own(settings: Any) -> None:
    # Rate-limit counters live in the shared cache, which outlives each test's database: a key
    # prefix for each test keeps one test's counters out of the next.
    settings.CACHES = {
        alias: {**config, "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}
        for alias, config in settings.CACHES.items()
    }


@pytest.fixture(autouse=True)
def _jobs_run_eagerly() -> Iterator[None]:
    # With REDIS_URL set, jobs would wait in Redis for a worker; tests run them in the change
    # that asks, as the embedded default does, unless they start a worker of their own
    # (tests/helpers/jobs.py).
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = eager


@pytest.fixture(autouse=True)
def _page_view_stream_of_its_own(settings: Any) -> Iterator[None]:
    # With Redis, the collect endpoint queues page views in a stream, which outlives each test's
    # database: a stream for each test keeps one test's page views out of the next.
    settings.TRACKING_STREAM = f"test-{uuid.uuid4().hex}:page-views"
    yield
    if settings.REDIS_URL:
        with contextlib.suppress(redis.RedisError):
            redis.Redis.from_url(settings.REDIS_URL).delete(settings.TRACKING_STREAM)


@pytest.fixture(autouse=True)
def _conversions_exported_at_once(settings: Any) -> None:
    # The export holds back the last seconds' conversions in production; tests read what they
    # wrote at once. tests/conversions/test_export_delay.py checks the delay itself.
    settings.CONVERSIONS_EXPORT_DELAY = 0


@pytest.fixture
def acme(db: None) -> Account:
    return Account.objects.create(name="Acme")


@pytest.fixture
def bluebird(db: None) -> Account:
    return Account.objects.create(name="Bluebird")


@pytest.fixture
def alice(acme: Account) -> User:
    return make_user("alice@acme.example", acme, User.Role.ADMINISTRATOR)


@pytest.fixture
def arthur(acme: Account) -> User:
    return make_user("arthur@acme.example", acme, User.Role.AGENT)


@pytest.fixture
def bob(bluebird: Account) -> User:
    return make_user("bob@bluebird.example", bluebird, User.Role.ADMINISTRATOR)


@pytest.fixture
def redis_out_of_reach(settings: Any) -> None:
    """The production cache settings, pointed at a Redis that nobody serves: the discard port,
    where every connection is refused, as when Redis is stopped."""
    settings.CACHES = {"default": redis_cache("redis://127.0.0.1:9/0")}


@pytest.fixture
def make_goal() -> Callable[..., Goal]:
    """Create a goal through the rules, as its account's first administrator."""

    def make(account: Account, **fields: Any) -> Goal:
        actor = account.users.filter(role=User.Role.ADMINISTRATOR).first()
        fields.setdefault("name", "Pricing page")
        return rules.goal_create(account=account, actor=actor, **fields)

    return make


@pytest.fixture(scope="session")
def openapi_schema() -> dict:
    generator = SchemaGenerator()
    return json.loads(OpenApiJsonRenderer().render(generator.get_schema(public=True)))


@pytest.fixture
def api(openapi_schema: dict, db: None) -> Api:
    """An anonymous client."""
    return Api(openapi_schema)


@pytest.fixture
def api_as(openapi_schema: dict, db: None) -> Callable[[User], Api]:
    return lambda user: Api(openapi_schema, user)


@pytest.fixture
def alice_api(api_as: Callable[[User], Api], alice: User) -> Api:
    return api_as(alice)


@pytest.fixture
def alice_client(alice: User) -> Client:
    """A browser of the dashboard, signed in as Alice."""
    return signed_in(alice)


@pytest.fixture
def cart_goal(acme: Account, alice: User, make_goal: Callable[..., Goal]) -> Goal:
    return make_goal(
        acme,
        name="Cart",
        description="Visitors who reach the cart",
        conditions=CART_CONDITIONS,
    )


@pytest.fixture
def shop_sync(alice: User) -> services.NewApiClient:
    """Alice's API client, as the dashboard page makes it."""
    return services.api_client_create(owner=alice, name="Shop sync")
