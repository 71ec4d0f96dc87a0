"""What the bench measures: the data it seeds, the endpoints it loads and their yardsticks.

Plain data only, free of Django, so that the runner (outside Django) and the steps inside it
(bench.seed, bench.measure) share one description.
"""

from dataclasses import asdict, dataclass, field
from typing import Any

# The curve: accounts of this many goals, each goal with the most conditions a goal may have.
CURVE_GOALS = (1, 5, 50, 200, 1000)
CURVE_CONDITIONS = 20

PLAIN_LIST = "baseline: plain list (JsonResponse, no auth)"
PLAIN_SHOW = "baseline: plain show"
CONSTANT_BYTES = "baseline: constant bytes"
PLAIN_POST = "baseline: plain write POST"
PLAIN_PUT = "baseline: plain write PUT"

# The targets of the goals API, against the plain-Django yardsticks.
READ_MIN_RATIO = 1.5
# p99 at most this many times the constant-bytes view's p99 of the same run, which is the
# machine's own scheduling tail.
READ_MAX_P99_OF_FLOOR = 2.0
WRITE_MIN_RATIO = 0.8

WRITE_CONDITIONS = [
    {"type": "url", "operator": "contains", "value": "/pricing"},
    {"type": "url", "operator": "equals", "value": "https://shop.example/checkout"},
]
POST_BODY = {
    "name": "Posted by the bench",
    "enabled": 1,
    "attribution_model": "last_touch",
    "attribution_period": 7,
    "settings": {"conditions": WRITE_CONDITIONS},
}
PUT_BODY = {**POST_BODY, "name": "Put by the bench", "attribution_period": 14}


@dataclass(frozen=True)
class CurveAccount:
    goals: int
    account_id: int
    email: str  # the account's administrator
    authorization: str  # HTTP Basic as that administrator


@dataclass(frozen=True)
class Seed:
    """What bench.seed made, with the credentials to use it; travels as JSON between processes."""

    bench_account_id: int
    bench_goal_ids: list[int]
    bench_basic: str  # Authorization header values, as the Bench account's administrator
    bench_bearer: str
    bench_cookie: str  # the Cookie header of the administrator's dashboard session
    writes_account_id: int
    writes_basic: str
    put_target_ids: list[int]  # the goals that PUTs change; POSTed goals are deleted between runs
    curve: list[CurveAccount]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Seed":
        return cls(**{**data, "curve": [CurveAccount(**account) for account in data["curve"]]})

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class CurvePoint:
    """The API list and the dashboard page at one account size, timed inside Django."""

    goals: int
    list_cold_ms: float
    list_warm_ms: float
    list_cold_queries: int
    list_warm_queries: int
    dashboard_ms: float
    dashboard_queries: int


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    paths: tuple[str, ...]  # with several, each request picks one at random
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None
    baseline: str | None = None  # the endpoint whose requests/s this one's is compared with
    same_json_as: str | None = None  # the endpoint whose JSON this one must answer too
    creates_goals: bool = False  # the writes account is reset before each run of it
    min_ratio: float | None = None  # targets, checked after the run
    max_p99_of_floor: float | None = None


def plain_goals_path(account_id: int) -> str:
    return f"/bench/plain/{account_id}/goals"


def plain_goal_path(account_id: int, goal_id: int) -> str:
    return f"/bench/plain/{account_id}/goals/{goal_id}"


def constant_goals_path(account_id: int) -> str:
    return f"/bench/constant/{account_id}/goals"


def endpoints(seed: Seed) -> list[Endpoint]:
    """Every endpoint the bench loads, in the order of the odd rounds."""
    return [*api_reads(seed), *read_baselines(seed), *writes(seed), dashboard(seed)]


def api_reads(seed: Seed) -> list[Endpoint]:
    list_path, show_path = "/api/v2/goals", f"/api/v2/goals/{seed.bench_goal_ids[0]}"
    basic, bearer = seed.bench_basic, seed.bench_bearer
    return [
        api_read("GET /api/v2/goals (Basic)", list_path, basic, PLAIN_LIST),
        api_read("GET /api/v2/goals (Bearer)", list_path, bearer, PLAIN_LIST),
        api_read("GET /api/v2/goals/{id} (Basic)", show_path, basic, PLAIN_SHOW),
        api_read("GET /api/v2/goals/{id} (Bearer)", show_path, bearer, PLAIN_SHOW),
    ]


def api_read(name: str, path: str, authorization: str, baseline: str) -> Endpoint:
    return Endpoint(
        name,
        "GET",
        (path,),
        200,
        {"Authorization": authorization},
        baseline=baseline,
        same_json_as=baseline,
        min_ratio=READ_MIN_RATIO,
        max_p99_of_floor=READ_MAX_P99_OF_FLOOR,
    )


def read_baselines(seed: Seed) -> list[Endpoint]:
    account_id, goal_id = seed.bench_account_id, seed.bench_goal_ids[0]
    return [
        Endpoint(PLAIN_LIST, "GET", (plain_goals_path(account_id),), 200),
        Endpoint(PLAIN_SHOW, "GET", (plain_goal_path(account_id, goal_id),), 200),
        Endpoint(
            CONSTANT_BYTES,
            "GET",
            (constant_goals_path(account_id),),
            200,
            baseline=PLAIN_LIST,
            same_json_as=PLAIN_LIST,
        ),
    ]


def writes(seed: Seed) -> list[Endpoint]:
    account_id, targets = seed.writes_account_id, seed.put_target_ids
    writer = {"Authorization": seed.writes_basic}
    return [
        Endpoint(
            "POST /api/v2/goals (Basic)",
            "POST",
            ("/api/v2/goals",),
            201,
            writer,
            POST_BODY,
            baseline=PLAIN_POST,
            creates_goals=True,
            min_ratio=WRITE_MIN_RATIO,
        ),
        Endpoint(
            "PUT /api/v2/goals/{id} (Basic)",
            "PUT",
            tuple(f"/api/v2/goals/{goal_id}" for goal_id in targets),
            200,
            writer,
            PUT_BODY,
            baseline=PLAIN_PUT,
            min_ratio=WRITE_MIN_RATIO,
        ),
        Endpoint(
            PLAIN_POST,
            "POST",
            (plain_goals_path(account_id),),
            201,
            body=POST_BODY,
            creates_goals=True,
        ),
        Endpoint(
            PLAIN_PUT,
            "PUT",
            tuple(plain_goal_path(account_id, goal_id) for goal_id in targets),
            200,
            body=PUT_BODY,
        ),
    ]


def dashboard(seed: Seed) -> Endpoint:
    return Endpoint(
        "GET /goals/ (dashboard page)",
        "GET",
        ("/goals/",),
        200,
        {"Cookie": seed.bench_cookie},
        baseline=PLAIN_LIST,
    )
