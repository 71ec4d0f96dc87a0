"""Serving on the internet: the health check, the request log, the body limit, browser
protections, pages without inline scripts, and `check --deploy`.

Cast (tests/conftest.py): Alice administers Acme, where Arthur is an agent; Bob administers
Bluebird.
"""

import base64
import http.client
import json
import logging
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import OperationalError, connection
from django.test import Client

from accounts import services
from accounts.models import User
from goals.models import Goal
from tests.helpers import slow_response
from tests.helpers.api import PASSWORD
from tests.helpers.pages import goal_form, parse, signed_in
from tests.helpers.tokens import token_of

REQUEST_LOGGER = "goals_admin.requests"
LIMIT = 256 * 1024
LOG_LINE = re.compile(r"^(?P<method>[A-Z]+) (?P<path>\S+) (?P<status>\d{3}) \d+(\.\d+)?ms$")
DEPLOY_SECRET_KEY = "a-real-secret-from-the-environment-0123456789-abcdefghijklmnop"


def basic(email: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{email}:{password}".encode()).decode()


# --- /healthz -------------------------------------------------------------------------------


def test_health_check_answers_200_when_the_database_answers(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json()["status"] == "ok"


def test_health_check_answers_any_host_name(client, db):
    # A load balancer probes an app server by its address, which is no allowed host name.
    response = client.get("/healthz", headers={"Host": "10.0.3.7:8000"})
    other = client.get("/healthz", headers={"Host": "not-allowed.example"})

    assert "not-allowed.example" not in settings.ALLOWED_HOSTS
    assert response.status_code == 200
    assert other.status_code == 200
    assert other.json()["status"] == "ok"


def test_other_addresses_still_refuse_a_host_name_that_is_not_allowed(client, db):
    response = client.get("/accounts/login/", headers={"Host": "not-allowed.example"})

    assert response.status_code == 400


def test_health_check_needs_no_session_and_sets_no_cookie(client, db):
    response = client.get("/healthz")

    assert not response.cookies
    assert "Set-Cookie" not in response
    assert not Session.objects.exists()


def test_health_check_is_not_redirected_to_https(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True

    response = client.get("/healthz")

    assert response.status_code == 200
    assert client.get("/accounts/login/").status_code == 301


class UnreachableDatabase:
    def cursor(self) -> Any:
        raise OperationalError("connection to server at 127.0.0.1, port 5432 failed")


def test_health_check_answers_503_when_the_database_cannot_be_reached(client, db, monkeypatch):
    monkeypatch.setattr("infra.health.connection", UnreachableDatabase())

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    # The load balancer needs no more; the reason goes to no one outside.
    assert "5432" not in response.content.decode()


def test_health_check_answers_503_when_the_query_fails(client, db, monkeypatch):
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("server closed the connection unexpectedly")

    with monkeypatch.context() as patched:
        patched.setattr(connection, "cursor", fail)
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"


# --- The request log ------------------------------------------------------------------------


def logged_requests(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == REQUEST_LOGGER]


def test_each_request_writes_one_line_with_method_path_status_and_duration(client, alice, caplog):
    caplog.set_level(logging.INFO)

    client.get("/api/v2/goals", headers={"Authorization": basic(alice.email, PASSWORD)})

    [line] = logged_requests(caplog)
    assert LOG_LINE.match(line), line
    assert line.startswith("GET /api/v2/goals 200 ")


def test_every_request_is_logged_whatever_its_answer(client, alice, caplog):
    caplog.set_level(logging.INFO)

    client.get("/api/v2/goals")
    client.get("/api/v2/goals/999999", headers={"Authorization": basic(alice.email, PASSWORD)})
    client.post("/accounts/login/", {"username": alice.email, "password": PASSWORD})

    lines = logged_requests(caplog)
    assert [LOG_LINE.match(line).group("method", "path", "status") for line in lines] == [
        ("GET", "/api/v2/goals", "401"),
        ("GET", "/api/v2/goals/999999", "404"),
        ("POST", "/accounts/login/", "302"),
    ]


def test_health_probes_do_not_fill_the_request_log(client, db, caplog):
    caplog.set_level(logging.INFO)

    client.get("/healthz")

    assert logged_requests(caplog) == []


def test_no_log_line_carries_a_password_a_token_a_secret_or_a_query_string(client, alice, caplog):
    caplog.set_level(logging.INFO)
    wrong = "wrong-but-secret-password-123"
    new_client = services.api_client_create(owner=alice, name="Shop sync")
    token = token_of(new_client)
    secrets = {
        "password": PASSWORD,
        "wrong password": wrong,
        "Basic header": basic(alice.email, PASSWORD).split()[1],
        "wrong Basic header": basic(alice.email, wrong).split()[1],
        "client secret": new_client.secret,
        "client's Basic header": basic(new_client.application.client_id, new_client.secret).split()[
            1
        ],
        "bearer token": token,
        "query string": "needle-in-the-query",
    }

    client.get(
        "/api/v2/goals?password=needle-in-the-query",
        headers={"Authorization": basic(alice.email, PASSWORD)},
    )
    client.get("/api/v2/goals", headers={"Authorization": basic(alice.email, wrong)})
    client.get("/api/v2/goals", headers={"Authorization": f"Bearer {token}"})
    client.get("/api/v2/goals?access_token=needle-in-the-query")
    client.post("/accounts/login/", {"username": alice.email, "password": wrong})
    client.post("/accounts/login/", {"username": alice.email, "password": PASSWORD})
    token_of(new_client)

    written = caplog.text + "\n".join(record.getMessage() for record in caplog.records)
    assert len(logged_requests(caplog)) == 8
    leaked = [name for name, secret in secrets.items() if secret in written]
    assert leaked == [], written


def test_log_shows_the_path_without_its_query_string(client, alice, caplog):
    caplog.set_level(logging.INFO)

    client.get(
        "/api/v2/goals?page=2&token=abc", headers={"Authorization": basic(alice.email, PASSWORD)}
    )

    [line] = logged_requests(caplog)
    assert line.startswith("GET /api/v2/goals 200 ")
    assert "?" not in line


def test_logs_go_to_standard_output_in_the_shipped_configuration():
    script = (
        "import django; django.setup(); from django.test import Client; "
        "Client().get('/accounts/login/')"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "goals_admin.settings", "LOG_LEVEL": "INFO"}
    env.pop("DEBUG", None)

    result = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        check=False,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if REQUEST_LOGGER in line]
    assert len(lines) == 1, result.stdout
    assert re.search(
        r"INFO goals_admin\.requests GET /accounts/login/ 200 \d+(\.\d+)?ms$", lines[0]
    )


# Under `make run` (runserver, DEBUG=1) and `make serve` (gunicorn, DEBUG=0), started for real.
# JSON answers only: they need no collected static files and no migrated database.
SERVERS = ("runserver", "gunicorn")
SERVER_ENVIRONMENT = {
    "runserver": {"DEBUG": "1"},
    "gunicorn": {
        "DEBUG": "0",
        "SECRET_KEY": DEPLOY_SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
    },
}


APPLICATION = "goals_admin.wsgi:application"


def server_command(
    server: str, port: int, application: str = APPLICATION, options: tuple[str, ...] = ()
) -> list[str]:
    """The command that starts the server. gunicorn reads `make serve`'s settings from
    gunicorn.conf.py in the project's directory, then `options`; `application` is gunicorn's."""
    if server == "runserver":
        assert application == APPLICATION, "runserver serves the project's application"
        return [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"]
    bind = f"127.0.0.1:{port}"
    return [sys.executable, "-m", "gunicorn", application, "--bind", bind, "-w1", *options]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@contextmanager
def running(
    server: str, folder: Path, application: str = APPLICATION, options: tuple[str, ...] = ()
) -> Iterator[tuple[str, Path]]:
    """Start the server; answer its address and the file where it prints; stop it after."""
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "REDIS_")) and key not in {"DEBUG", "LOG_LEVEL"}
    }
    env.update(
        SERVER_ENVIRONMENT[server],
        DATABASE_URL=f"sqlite:///{folder / 'db.sqlite3'}",
        PYTHONUNBUFFERED="1",
    )
    output = folder / f"{server}.log"
    with output.open("w") as printed:
        process = subprocess.Popen(
            server_command(server, port, application, options),
            cwd=settings.BASE_DIR,
            env=env,
            stdout=printed,
            stderr=subprocess.STDOUT,
        )
    address = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, output.read_text()
            assert time.monotonic() < deadline, output.read_text()
            try:
                get_status(f"{address}/healthz")
                break
            except OSError:
                time.sleep(0.1)
        yield address, output
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.mark.parametrize("server", SERVERS)
def test_the_server_prints_each_request_once_without_its_query_string(server, tmp_path):
    with running(server, tmp_path) as (address, output):
        assert get_status(f"{address}/api/v2/goals?token=abc") == 401
        assert get_status(f"{address}/api/no-such-thing?token=abc") == 404
    printed = output.read_text()

    about = {
        path: [line for line in printed.splitlines() if path in line]
        for path in ("/api/v2/goals", "/api/no-such-thing")
    }
    assert {path: len(lines) for path, lines in about.items()} == {
        "/api/v2/goals": 1,
        "/api/no-such-thing": 1,
    }, printed
    assert re.search(r"INFO goals_admin\.requests GET /api/v2/goals 401 [\d.]+ms$", printed, re.M)
    assert re.search(r"goals_admin\.requests GET /api/no-such-thing 404 [\d.]+ms$", printed, re.M)
    assert "token=abc" not in printed


def test_a_response_longer_than_gunicorn_s_worker_timeout_arrives_whole(tmp_path):
    # As a CSV download of a long range, or one that the browser reads slowly, goes on: under
    # sync workers gunicorn killed the worker once the response took its timeout (30 s).
    # gthread workers tell gunicorn that they live about once a second.
    timeout = 2
    with running("gunicorn", tmp_path, slow_response.APPLICATION, ("--timeout", str(timeout))) as (
        address,
        output,
    ):
        started = time.monotonic()
        with urllib.request.urlopen(f"{address}/download", timeout=30) as response:
            body = response.read()
        took = time.monotonic() - started
    assert body == b"".join(slow_response.PIECES), output.read_text()
    assert took > 2 * timeout
    assert "WORKER TIMEOUT" not in output.read_text()


def test_the_development_server_keeps_its_other_messages_but_not_its_request_lines(caplog):
    caplog.set_level(logging.INFO)
    server = logging.getLogger("django.server")

    server.info('"%s" %s %s', "GET /goals/?token=abc HTTP/1.1", "200", "512")
    server.error("You're accessing the development server over HTTPS, but it only supports HTTP.")

    assert [record.getMessage() for record in caplog.records if record.name == server.name] == [
        "You're accessing the development server over HTTPS, but it only supports HTTP."
    ]


# --- Bodies over the limit ------------------------------------------------------------------


def test_body_limit_is_256_kib():
    assert settings.REQUEST_BODY_LIMIT == LIMIT


def test_api_refuses_a_body_over_the_limit_with_413_and_stores_nothing(client, alice):
    body = json.dumps({"name": "Huge", "description": "x" * (LIMIT + 1)})

    response = client.post(
        "/api/v2/goals",
        body,
        content_type="application/json",
        headers={"Authorization": basic(alice.email, PASSWORD)},
    )

    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"] == "Request too large"
    assert str(LIMIT) in response.json()["description"]
    assert not Goal.objects.exists()


def test_api_refuses_a_large_body_before_parsing_it(client, alice):
    # Not even JSON: a parser would answer 400; the size is judged first.
    response = client.post(
        "/api/v2/goals",
        "{" * (LIMIT + 1),
        content_type="application/json",
        headers={"Authorization": basic(alice.email, PASSWORD)},
    )

    assert response.status_code == 413
    assert response.json()["error"] == "Request too large"


def test_api_refuses_a_large_body_before_checking_who_sends_it(client, db):
    response = client.put("/api/v2/goals/1", "x" * (LIMIT + 1), content_type="application/json")

    assert response.status_code == 413
    assert response.json()["error"] == "Request too large"


def test_api_refuses_a_large_body_sent_with_a_bearer_token(client, alice, acme, make_goal):
    goal = make_goal(acme, name="Checkout")
    token = token_of(services.api_client_create(owner=alice, name="Shop sync"))

    response = client.patch(
        f"/api/v2/goals/{goal.pk}",
        json.dumps({"name": "y" * (LIMIT + 1)}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )

    assert response.status_code == 413
    goal.refresh_from_db()
    assert goal.name == "Checkout"


def test_a_body_of_exactly_the_limit_is_parsed_as_usual(client, alice):
    filler = "x" * (LIMIT - len(json.dumps({"name": "Big", "description": ""})))
    body = json.dumps({"name": "Big", "description": filler})
    assert len(body) == LIMIT

    response = client.post(
        "/api/v2/goals",
        body,
        content_type="application/json",
        headers={"Authorization": basic(alice.email, PASSWORD)},
    )

    # Parsed, then refused by the rules: the description is longer than 1,024 characters.
    assert response.status_code == 400
    assert "description" in response.json()["details"]


@pytest.mark.parametrize(
    ("encoding", "length"),
    [("chunked", ""), ("chunked", "0"), ("gzip, chunked", ""), ("identity", "")],
)
def test_a_body_with_a_transfer_encoding_is_refused_with_411_and_changes_nothing(
    client, alice, make_goal, encoding, length
):
    # As gunicorn passes a chunked body on: without a length, which Django would read as empty.
    # The development server passes a Content-Length beside it on, which the encoding overrides.
    goal = make_goal(alice.account, name="Pricing")

    response = client.generic(
        "PUT",
        f"/api/v2/goals/{goal.pk}",
        json.dumps({"name": "Renamed"}),
        content_type="application/json",
        headers={"Authorization": basic(alice.email, PASSWORD)},
        CONTENT_LENGTH=length,
        HTTP_TRANSFER_ENCODING=encoding,
    )

    assert response.status_code == 411
    assert response.json()["error"] == "Length required"
    assert "Content-Length" in response.json()["description"]
    goal.refresh_from_db()
    assert goal.name == "Pricing"


def test_a_chunked_body_to_the_token_endpoint_is_refused_in_json_too(client):
    response = client.generic(
        "POST",
        "/oauth2/token/",
        "grant_type=client_credentials",
        content_type="application/x-www-form-urlencoded",
        CONTENT_LENGTH="",
        HTTP_TRANSFER_ENCODING="chunked",
    )

    assert response.status_code == 411
    assert response.json()["error"] == "Length required"


@pytest.mark.parametrize("server", SERVERS)
def test_each_server_refuses_a_chunked_body_with_411(server, tmp_path):
    with running(server, tmp_path) as (address, output):
        host, port = address.removeprefix("http://").split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
        connection.request(
            "PUT",
            "/api/v2/goals/1",
            body=iter([b'{"name": ', b'"Renamed"}']),
            headers={"Content-Type": "application/json"},
            encode_chunked=True,
        )
        response = connection.getresponse()
        answer = response.read()
        connection.close()
    assert response.status == 411, output.read_text()
    assert json.loads(answer)["error"] == "Length required"


def test_the_413_answer_is_documented_for_every_operation_that_takes_a_body(openapi_schema):
    undocumented = [
        f"{method.upper()} {path}"
        for path, operations in openapi_schema["paths"].items()
        for method, operation in operations.items()
        if method in {"post", "put", "patch"} and "413" not in operation["responses"]
    ]

    assert undocumented == []


def test_dashboard_form_refuses_a_body_over_the_limit_with_413(alice):
    form = goal_form(name="Huge", description="x" * (LIMIT + 1))

    response = signed_in(alice).post("/goals/new/", form)

    assert response.status_code == 413
    assert not Goal.objects.exists()


# --- Browser protections --------------------------------------------------------------------


def directives(policy: str) -> dict[str, list[str]]:
    parsed = {}
    for directive in policy.split(";"):
        name, *values = directive.split()
        parsed[name] = values
    return parsed


@pytest.fixture
def protected_answers(client, alice, acme, make_goal) -> dict[str, Any]:
    goal = make_goal(acme, name="Checkout")
    alice_browser = signed_in(alice)
    return {
        "sign-in page": client.get("/accounts/login/"),
        "goals page": alice_browser.get("/goals/"),
        "goal form": alice_browser.get(f"/goals/{goal.pk}/edit/"),
        "API clients page": alice_browser.get("/api-clients/"),
        "API list": client.get(
            "/api/v2/goals", headers={"Authorization": basic(alice.email, PASSWORD)}
        ),
        "API error": client.get("/api/v2/goals"),
        "API docs": client.get("/api/docs/"),
        "missing page": alice_browser.get("/goals/999999/edit/"),
    }


def json_answers(answers: dict[str, Any]) -> dict[str, Any]:
    return {
        name: response
        for name, response in answers.items()
        if response["Content-Type"] == "application/json"
    }


def test_every_page_carries_a_content_security_policy_without_inline_scripts(
    protected_answers,
):
    pages = {
        name: response
        for name, response in protected_answers.items()
        if name not in json_answers(protected_answers)
    }
    assert len(pages) == 6
    for name, response in pages.items():
        assert "Content-Security-Policy" in response, name
        policy = directives(response["Content-Security-Policy"])
        assert policy["script-src"] == ["'self'"], (name, policy)
        assert "'unsafe-eval'" not in response["Content-Security-Policy"], name
        if name != "API docs":  # Swagger UI styles itself inline; its scripts are files
            assert "'unsafe-inline'" not in response["Content-Security-Policy"], name
        assert policy["frame-ancestors"] == ["'none'"], (name, policy)
        assert policy["object-src"] == ["'none'"], (name, policy)


def test_every_json_answer_may_load_nothing_and_be_framed_nowhere(protected_answers):
    answers = json_answers(protected_answers)
    assert set(answers) == {"API list", "API error"}
    for name, response in answers.items():
        policy = directives(response["Content-Security-Policy"])
        assert policy == {"default-src": ["'none'"], "frame-ancestors": ["'none'"]}, name


def test_every_answer_refuses_framing_and_content_sniffing(protected_answers):
    for name, response in protected_answers.items():
        assert response["X-Frame-Options"] == "DENY", name
        assert response["X-Content-Type-Options"] == "nosniff", name
        assert response["Referrer-Policy"] == "same-origin", name


def test_session_and_csrf_cookies_are_http_only(client, alice):
    client.get("/accounts/login/")
    response = client.post("/accounts/login/", {"username": alice.email, "password": PASSWORD})

    assert response.status_code == 302
    assert client.cookies["sessionid"]["httponly"]
    assert client.cookies["csrftoken"]["httponly"]


# --- No inline scripts anywhere in the dashboard --------------------------------------------


def inline_script_problems(html: str) -> list[str]:
    """What a Content-Security-Policy without 'unsafe-inline' would block in a page."""
    problems = []
    for element in parse(html).iter():
        if element.tag == "script" and not element.attrs.get("src"):
            problems.append(f"<script> without src: {element.raw_text()[:80]!r}")
        for name, value in element.attrs.items():
            if name.lower().startswith("on"):
                problems.append(f"<{element.tag} {name}={value!r}>")
            if name in {"href", "src", "action", "formaction"} and (
                value or ""
            ).strip().lower().startswith("javascript:"):
                problems.append(f"<{element.tag} {name}={value!r}>")
    return problems


HTMX = {"HX-Request": "true"}


@pytest.fixture
def dashboard_pages(alice, arthur, acme, make_goal) -> dict[str, Any]:
    """Every page of the dashboard, as its visitors see it, by name."""
    goal = make_goal(
        acme,
        name="Checkout",
        conditions=[{"type": "url", "operator": "contains", "value": "checkout"}],
    )
    make_goal(acme, name="Pricing", enabled=False)
    anonymous = Client()
    administrator = signed_in(alice)
    agent = signed_in(arthur)
    pages = {
        "sign-in": anonymous.get("/accounts/login/"),
        "sign-in with an error": anonymous.post(
            "/accounts/login/", {"username": alice.email, "password": "wrong"}
        ),
        "goals": administrator.get("/goals/"),
        "new goal": administrator.get("/goals/new/"),
        "new goal with errors": administrator.post("/goals/new/", goal_form(name="")),
        "edit goal": administrator.get(f"/goals/{goal.pk}/edit/"),
        "URL tester": administrator.get(
            f"/goals/{goal.pk}/edit/", {"url": "https://shop.example/checkout"}
        ),
        "URL tester by htmx": administrator.get(
            f"/goals/{goal.pk}/edit/", {"url": "https://shop.example/checkout"}, headers=HTMX
        ),
        "switch by htmx": administrator.post(
            f"/goals/{goal.pk}/toggle/", {"enabled": "0"}, headers=HTMX
        ),
        "delete goal": administrator.get(f"/goals/{goal.pk}/delete/"),
        "API clients": administrator.get("/api-clients/"),
        "API client created": administrator.post(
            "/api-clients/", {"name": "Shop sync"}, follow=True
        ),
        "change password": administrator.get("/accounts/password/"),
        "password changed": administrator.get("/accounts/password/done/"),
        "missing goal": administrator.get("/goals/999999/edit/"),
        "agent refused": agent.get("/goals/"),
        "API docs": anonymous.get("/api/docs/"),
    }
    for _ in range(settings.AXES_FAILURE_LIMIT):
        Client().post("/accounts/login/", {"username": arthur.email, "password": "wrong"})
    pages["locked out"] = Client().post(
        "/accounts/login/", {"username": arthur.email, "password": PASSWORD}
    )
    return pages


def test_dashboard_pages_are_real_pages(dashboard_pages):
    statuses = {name: response.status_code for name, response in dashboard_pages.items()}

    assert statuses == {
        **dict.fromkeys(dashboard_pages, 200),
        "missing goal": 404,
        "agent refused": 403,
        "locked out": 429,
    }
    for name, response in dashboard_pages.items():
        assert response["Content-Type"].startswith("text/html"), name


def test_no_dashboard_page_has_an_inline_script_or_event_handler(dashboard_pages):
    problems = {
        name: inline_script_problems(response.content.decode())
        for name, response in dashboard_pages.items()
    }

    assert {name: found for name, found in problems.items() if found} == {}


def test_no_dashboard_page_has_an_inline_style_the_policy_would_block(dashboard_pages):
    # style-src is 'self' alone except on the API docs, which Swagger UI styles inline.
    problems = {
        name: [
            f"<{element.tag} style={element.attrs.get('style')!r}>"
            for element in parse(response).iter()
            if element.tag == "style" or "style" in element.attrs
        ]
        for name, response in dashboard_pages.items()
        if name != "API docs"
    }

    assert {name: found for name, found in problems.items() if found} == {}


def test_every_script_a_page_loads_comes_from_the_site_itself(dashboard_pages):
    # The site's own origin: a path, never another host (no CDN) nor a protocol-relative URL.
    sources = {
        element.attrs["src"]
        for response in dashboard_pages.values()
        for element in parse(response).find_all("script")
        if element.attrs.get("src")
    }

    assert sources
    assert all(source.startswith("/") and not source.startswith("//") for source in sources), (
        sources
    )


@pytest.fixture
def operator(db: None) -> User:
    return User.objects.create_superuser("olivia@operators.example", PASSWORD)


def test_admin_pages_have_no_inline_script_or_event_handler(operator, alice, acme, make_goal):
    goal = make_goal(acme, name="Checkout")
    browser = signed_in(operator)
    paths = [
        "/admin/",
        "/admin/goals/goal/",
        "/admin/goals/goal/add/",
        f"/admin/goals/goal/{goal.pk}/change/",
        f"/admin/goals/goal/{goal.pk}/delete/",
        "/admin/accounts/user/add/",
        f"/admin/accounts/user/{alice.pk}/change/",
        "/admin/oauth2_provider/application/",
    ]
    answers = {path: browser.get(path) for path in paths}
    answers["/admin/login/"] = Client().get("/admin/login/")

    assert {path: response.status_code for path, response in answers.items()} == dict.fromkeys(
        answers, 200
    )
    problems = {
        path: inline_script_problems(response.content.decode())
        for path, response in answers.items()
    }
    assert {path: found for path, found in problems.items() if found} == {}


# --- manage.py check --deploy ---------------------------------------------------------------


def test_check_deploy_reports_no_issues_in_the_documented_production_environment():
    env = {
        key: value
        for key, value in os.environ.items()
        # The browser tests lift Django's async check in this process; production never would.
        if key
        not in {
            "SECRET_KEY",
            "ALLOWED_HOSTS",
            "DEBUG",
            "DJANGO_SETTINGS_MODULE",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
    }
    env.update(DEBUG="0", SECRET_KEY=DEPLOY_SECRET_KEY, ALLOWED_HOSTS="goals.example")
    assert len(DEPLOY_SECRET_KEY) >= 50

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        check=False,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout + result.stderr
