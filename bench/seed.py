"""Fill the bench database through the product's own services and rules (bench.django_step seed).

Bench: an administrator and 5 enabled goals of 2 conditions, read through every door; an API
client's bearer token and a dashboard session. Bench writes: an administrator, room for 32,000
enabled goals and 16 goals that the PUTs change. The curve: accounts of 1 to 1,000 goals of 20
conditions; after the first goal, the rest are written in bulk (disabled, as the account's limit
wants) and the product's goal cache is told.
"""

import base64
import secrets
from typing import Any

from django.conf import settings
from django.db.models import F
from django.test import Client
from django.utils.text import slugify

from accounts import services
from accounts.models import Account, User
from bench.scenario import CURVE_CONDITIONS, CURVE_GOALS, CurveAccount, Seed
from goals import rules
from goals.models import Condition, Goal

BENCH_GOALS = 5


def goals_changed(account_id: int) -> None:
    """Count a write of the account's goals made behind the rules' back (bulk seeding), so the
    API's cached copies of them are not read again."""
    Account.objects.filter(pk=account_id).update(goals_version=F("goals_version") + 1)


PUT_TARGETS = 16
WRITES_GOAL_LIMIT = 32000


def run() -> dict[str, Any]:
    bench_admin, bench_password = administrator("Bench")
    bench_goals = [
        rules.goal_create(
            account=bench_admin.account,
            actor=bench_admin,
            name=f"Bench goal {number}",
            attribution_model="last_touch",
            attribution_period=7,
            conditions=conditions(2, f"goal-{number}"),
        )
        for number in range(1, BENCH_GOALS + 1)
    ]
    writer, writer_password = administrator("Bench writes")
    Account.objects.filter(pk=writer.account_id).update(active_goal_limit=WRITES_GOAL_LIMIT)
    put_targets = [
        rules.goal_create(
            account=writer.account,
            actor=writer,
            name=f"Put target {number}",
            conditions=conditions(2, f"target-{number}"),
        )
        for number in range(1, PUT_TARGETS + 1)
    ]
    return Seed(
        bench_account_id=bench_admin.account_id,
        bench_goal_ids=[goal.pk for goal in bench_goals],
        bench_basic=basic_authorization(bench_admin.email, bench_password),
        bench_bearer=f"Bearer {bearer_token(bench_admin)}",
        bench_cookie=session_cookie(bench_admin),
        writes_account_id=writer.account_id,
        writes_basic=basic_authorization(writer.email, writer_password),
        put_target_ids=[goal.pk for goal in put_targets],
        curve=[curve_account(goals) for goals in CURVE_GOALS],
    ).to_json()


def administrator(account_name: str) -> tuple[User, str]:
    """A new account's administrator, and the password, made for this run."""
    password = secrets.token_urlsafe(18)
    user = services.user_create(
        email=f"admin@{slugify(account_name)}.bench.example",
        password=password,
        account_name=account_name,
        role=User.Role.ADMINISTRATOR,
    )
    return user, password


def conditions(count: int, page: str) -> list[dict[str, str]]:
    """Alternately a URL containing a path and a URL equal to an address."""
    return [
        {"type": "url", "operator": "contains", "value": f"/{page}/{number}"}
        if number % 2 == 0
        else {"type": "url", "operator": "equals", "value": f"https://shop.example/{page}/{number}"}
        for number in range(count)
    ]


def basic_authorization(login: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode()


def bearer_token(owner: User) -> str:
    """A read and write token of a new API client of the owner, asked for as a program would."""
    new_client = services.api_client_create(owner=owner, name="bench")
    response = Client().post(
        "/oauth2/token",
        {"grant_type": "client_credentials", "scope": "read write"},
        headers={
            "Authorization": basic_authorization(
                new_client.application.client_id, new_client.secret
            )
        },
    )
    if response.status_code != 200:
        raise RuntimeError(f"No bearer token: {response.status_code} {response.content!r}")
    return response.json()["access_token"]


def session_cookie(user: User) -> str:
    # Sessions are stored in the database, so the app servers accept this one too.
    client = Client()
    client.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}"


def curve_account(goals: int) -> CurveAccount:
    admin, password = administrator(f"Bench curve {goals}")
    account = admin.account
    each_goals_conditions = conditions(CURVE_CONDITIONS, "curve")
    rules.goal_create(
        account=account, actor=admin, name="Curve goal 1", conditions=each_goals_conditions
    )
    more_goals = Goal.objects.bulk_create(
        Goal(account=account, name=f"Curve goal {number}", enabled=False)
        for number in range(2, goals + 1)
    )
    Condition.objects.bulk_create(
        (
            Condition(goal=goal, position=position, **condition)
            for goal in more_goals
            for position, condition in enumerate(each_goals_conditions)
        ),
        batch_size=2000,
    )
    goals_changed(account.pk)
    return CurveAccount(
        goals=goals,
        account_id=account.pk,
        email=admin.email,
        authorization=basic_authorization(admin.email, password),
    )
