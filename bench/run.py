"""`make bench`: load the goals API, the dashboard and plain-Django yardsticks, then report.

BENCH_ROUNDS rounds (3) of BENCH_SECONDS seconds (5) for each endpoint, after a warm-up pass;
BENCH_ONLY="part of a name,another" loads only the endpoints so named, and their baselines.
Progress goes to standard error, the report (Markdown tables and PASS/FAIL targets) to standard
output; the exit status is 1 when a target fails.
"""

import os
import secrets
import signal
import sys
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import requests

from bench import database, processes, report, wrk
from bench.disturbance import Disturbance, watch
from bench.scenario import CONSTANT_BYTES, CurvePoint, Endpoint, Seed, endpoints
from bench.wrk import WrkRun

WARM_UP_SECONDS = 1


def main() -> int:
    rounds = positive_setting("BENCH_ROUNDS", 3)
    seconds = positive_setting("BENCH_SECONDS", 5)
    # A plain kill, like Ctrl-C, still stops the servers the bench started.
    signal.signal(signal.SIGTERM, exit_on_signal)
    processes.ensure_postgresql()
    processes.ensure_program("wrk")
    processes.ensure_program("redis-server")
    with ExitStack() as servers:
        measured = run_bench(servers, rounds, seconds)
    checks = report.checks(measured.rows, measured.curve, measured.disturbances)
    print_report(measured, checks, rounds, seconds)
    return 0 if all(check.passed for check in checks) else 1


@dataclass(frozen=True)
class Measured:
    rows: list[report.Row]
    curve: list[CurvePoint]
    disturbances: list[Disturbance]  # how busy the others kept the CPUs, measurement by measurement


def run_bench(servers: ExitStack, rounds: int, seconds: int) -> Measured:
    """Start the servers (stopped when the stack closes), seed and measure."""
    workdir = Path(servers.enter_context(tempfile.TemporaryDirectory(prefix="goals-bench-")))
    redis_port = servers.enter_context(processes.redis_server())
    print(
        report.machine_line(
            postgresql=database.server_version(), redis=processes.redis_version(redis_port)
        ),
        flush=True,
    )
    environment = bench_environment(redis_port)
    progress("Creating the database, seeding it and measuring inside Django…")
    prepare_database(environment)
    seed = Seed.from_json(processes.django_step("seed", environment))
    disturbances: list[Disturbance] = []
    with watch("the timing inside Django", disturbances):
        inside = processes.django_step("measure", environment, seed.to_json())
    base_url = servers.enter_context(processes.gunicorn(environment, workdir / "gunicorn.log"))
    loaded = selected(endpoints(seed))
    check_answers(base_url, loaded)
    warm_ups, rounds_runs = load(base_url, loaded, seed, workdir, rounds, seconds, disturbances)
    return Measured(
        rows=report.rows(loaded, rounds_runs, warm_ups, inside["queries"]),
        curve=[CurvePoint(**point) for point in inside["curve"]],
        disturbances=disturbances,
    )


def selected(every: list[Endpoint]) -> list[Endpoint]:
    """The endpoints named in BENCH_ONLY (comma-separated parts of names), their baselines, and
    the constant-bytes view beside a p99 target; all of them without it. For looking closer at
    a few while changing them."""
    parts = [part.strip() for part in os.environ.get("BENCH_ONLY", "").split(",") if part.strip()]
    if not parts:
        return every
    named = {endpoint.name for endpoint in every if any(part in endpoint.name for part in parts)}
    named |= {endpoint.baseline for endpoint in every if endpoint.name in named}
    if any(endpoint.max_p99_of_floor is not None for endpoint in every if endpoint.name in named):
        named.add(CONSTANT_BYTES)  # the p99 targets are read beside its p99
    return [endpoint for endpoint in every if endpoint.name in named]


def print_report(measured: Measured, checks: list[report.Check], rounds: int, seconds: int) -> None:
    print(
        f"\nwrk -t{wrk.THREADS} -c{wrk.CONNECTIONS} on each endpoint: a {WARM_UP_SECONDS} s "
        f"warm-up, then medians over BENCH_ROUNDS={rounds} runs of BENCH_SECONDS={seconds} s; "
        "queries of a repeated request, counted inside Django.\n"
    )
    print(report.load_table(measured.rows))
    print("\nThe API list and the dashboard by account size (goals of 20 conditions), timed")
    print("inside Django; cold: the product told before each request that the goals changed.\n")
    print(report.curve_table(measured.curve))
    print("\nTargets:")
    print("\n".join(map(str, checks)))


def positive_setting(name: str, default: int) -> int:
    try:
        value = int(os.environ.get(name, default))
    except ValueError:
        value = 0
    if value < 1:
        raise SystemExit(f"{name} must be a whole number of at least 1.")
    return value


def exit_on_signal(signal_number: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signal_number)


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def bench_environment(redis_port: int) -> dict[str, str]:
    """Production's settings (DEBUG off) on the bench's database and Redis."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(48),  # 64 characters, new each run, kept nowhere
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        # wrk speaks plain HTTP, as a load balancer that ends TLS does to the app servers.
        "SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": database.URL,
        "REDIS_URL": f"redis://{processes.HOST}:{redis_port}/0",
        "API_RATE_LIMIT": "1000000000/min",  # never a 429 under load
        "CONN_MAX_AGE": "600",
    }


def prepare_database(environment: dict[str, str]) -> None:
    database.recreate()
    processes.manage(environment, "migrate", "--noinput")
    # DEBUG off serves the hashed static files that the dashboard page names.
    processes.manage(environment, "collectstatic", "--noinput")


def check_answers(base_url: str, checked: list[Endpoint]) -> None:
    """Each endpoint answers as expected once before the load, the yardsticks the API's JSON."""
    answers = {}
    for endpoint in checked:
        response = requests.request(
            endpoint.method,
            base_url + endpoint.paths[0],
            headers=endpoint.headers,
            json=endpoint.body,
            allow_redirects=False,
            timeout=60,
        )
        if response.status_code != endpoint.status:
            raise SystemExit(
                f"{endpoint.name} answered {response.status_code}, not {endpoint.status}:\n"
                f"{response.text[:2000]}"
            )
        answers[endpoint.name] = response
    for endpoint in checked:
        same = endpoint.same_json_as
        if same and answers[endpoint.name].json() != answers[same].json():
            raise SystemExit(f"{endpoint.name} and {same} do not answer the same JSON.")


def load(
    base_url: str,
    loaded: list[Endpoint],
    seed: Seed,
    workdir: Path,
    rounds: int,
    seconds: int,
    disturbances: list[Disturbance],
    run_wrk: Callable[[str, Endpoint, Path, float], WrkRun] = wrk.run,
) -> tuple[dict[str, WrkRun], dict[str, list[WrkRun]]]:
    """The warm-up run and the rounds' runs of every endpoint, each by `run_wrk` (bench.wrk's
    own unless a bench loads its endpoints otherwise)."""
    scripts = {
        endpoint.name: wrk.write_script(workdir / f"endpoint-{index}.lua", endpoint)
        for index, endpoint in enumerate(loaded)
    }

    def run(endpoint: Endpoint, duration: int, stage: str, noted: list[Disturbance]) -> WrkRun:
        if endpoint.creates_goals:
            database.delete_goals_except(seed.writes_account_id, seed.put_target_ids)
        with watch(f"{stage}: {endpoint.name}", noted):
            result = run_wrk(base_url, endpoint, scripts[endpoint.name], duration)
        others = noted[-1].others_cpu_percent
        progress(
            f"{stage}: {endpoint.name}: {result.requests_per_second:.1f} req/s "
            f"(other programs: {others:.0f}% of the CPUs)"
        )
        return result

    # The warm-ups are no measurement: how quiet the machine was then does not matter.
    warm_ups = {endpoint.name: run(endpoint, WARM_UP_SECONDS, "warm-up", []) for endpoint in loaded}
    measured: dict[str, list[WrkRun]] = {endpoint.name: [] for endpoint in loaded}
    for number in range(1, rounds + 1):
        # Odd rounds in the table's order, even ones reversed: drift hits every endpoint alike.
        order = loaded if number % 2 else loaded[::-1]
        for endpoint in order:
            stage = f"round {number}/{rounds}"
            measured[endpoint.name].append(run(endpoint, seconds, stage, disturbances))
    return warm_ups, measured


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit("Interrupted; the bench's servers are stopped.")
