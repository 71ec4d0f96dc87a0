"""The fixed cast of the tests, and an API client that checks every answer against the schema.

Cast: Alice administers the account Acme, where Arthur is an agent; Bob administers Bluebird.
"""

import base64
import json
import os
import re
import uuid
from collections.abc import Callable
from typing import Any

import jsonschema
import pytest
import redis
from django.conf import settings as django_settings
from django.core.cache import caches
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer

from accounts.models import Account, User
from goals import rules
from goals.models import Goal

PASSWORD = "correct-horse-battery-staple"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # CI must run every test, so a skip there is a failure, never a quiet gap.
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if os.environ.get("CI") and skipped and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        reporter.ensure_newline()
        reporter.write_line(f"CI runs every test, but {len(skipped)} were skipped.", red=True)


def pytest_configure(config: pytest.Config) -> None:
    # Connections are kept between requests in production; here the threads that tests start
    # (live servers', simultaneous clients') would keep theirs open past the test database.
    django_settings.DATABASES["default"]["CONN_MAX_AGE"] = 0


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


@pytest.fixture
def acme(db: None) -> Account:
    return Account.objects.create(name="Acme")


@pytest.fixture
def bluebird(db: None) -> Account:
    return Account.objects.create(name="Bluebird")


def make_user(email: str, account: Account, role: str) -> User:
    return User.objects.create_user(email, PASSWORD, account=account, role=role)


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
def shared_cache_down(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every operation of the shared cache fails as redis-py's do while Redis is down."""

    def refused(*args: Any, **kwargs: Any) -> Any:
        raise redis.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    backend = caches["default"]
    for operation in ("get", "get_many", "set", "add", "delete", "count", "get_many_and_count"):
        monkeypatch.setattr(backend, operation, refused)


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


def schema_path(path: str) -> str:
    """The documented path of a request's path: no trailing slash, the id as {goal_id}."""
    return re.sub(r"/goals/[0-9]+$", "/goals/{goal_id}", path.split("?")[0].rstrip("/"))


def assert_matches_schema(schema: dict, method: str, path: str, status: int, body: bytes) -> None:
    operation = schema["paths"].get(schema_path(path), {}).get(method.lower())
    if operation is None:
        return  # not a documented operation, such as an unknown address
    documented = operation["responses"].get(str(status))
    assert documented, f"{method} {path} answered {status}, which the schema does not document"
    content = documented.get("content")
    if content is None:
        assert body == b"", f"{method} {path} answered {status} with a body it does not document"
        return
    body_schema = {**content["application/json"]["schema"], "components": schema["components"]}
    jsonschema.validate(json.loads(body), body_schema, cls=jsonschema.Draft202012Validator)


class Api:
    """A client of the goals API: JSON in, JSON out, every answer checked against the schema."""

    def __init__(self, schema: dict, user: User | None = None, password: str = PASSWORD) -> None:
        self.schema = schema
        self.client = Client(raise_request_exception=False)
        self.headers = {}
        if user is not None:
            self.authenticate(user.email, password)

    def authenticate(self, email: str, password: str) -> None:
        token = base64.b64encode(f"{email}:{password}".encode()).decode()
        self.headers = {"Authorization": f"Basic {token}"}

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        raw: bytes | str | None = None,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> Any:
        data = raw if raw is not None else ("" if body is None else json.dumps(body))
        response = self.client.generic(
            method,
            path,
            data,
            content_type=content_type,
            headers={**self.headers, **(headers or {})},
        )
        assert_matches_schema(self.schema, method, path, response.status_code, response.content)
        return response

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self.request("POST", path, body, **kwargs)

    def put(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self.request("PUT", path, body, **kwargs)

    def patch(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self.request("PATCH", path, body, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.request("DELETE", path, **kwargs)


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
