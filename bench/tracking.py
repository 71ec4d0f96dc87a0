"""`make bench-tracking`: the tracking snippet's collect endpoint and ingest worker under load
(issue 13, "Speed"), side by side in one run.

    python -m bench.tracking

As in production: a private Redis, whose stream the endpoint appends each page view to; the
PostgreSQL database goals_bench, recreated; gunicorn as `make serve` runs it, DEBUG off, behind one
proxy (PROXY_COUNT=1); and `manage.py ingest_worker` running throughout. wrk's 64 connections
send page views of their own from 50,000 client addresses (bench/tracking.lua), so that the rate
limit counts them as it counts browsers.

1. The collect endpoint against the constant-bytes view and the plain collect view (bench.views,
   the endpoint's round trips to Redis without its checks): a warm-up, then BENCH_ROUNDS rounds
   (3) of BENCH_SECONDS seconds (5) each, the order alternating. Targets: at least 0.5 times the
   constant-bytes view's requests a second, and a p99 at most 3 times its p99; the ratio to the
   plain view is told, with no target.
2. A burst of BENCH_TRACKING_BURST page views (200,000) from an empty stream, once the worker has
   stored the first part's. Target: all of them in the database within twice the time the
   endpoint took to answer them, both counted from the burst's start.

Before the load, inside Django (this process): what a request of each costs, in queries and Redis
commands, and whether the rate limit tells forwarded addresses apart. Progress goes to standard
error, the report to standard output; the exit status is 1 when a target is missed.
"""

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import IO

import django
from django.conf import settings

from bench import database, processes, report, tracking_report, wrk
from bench.conversions_data import SITE
from bench.disturbance import Disturbance, watch
from bench.run import (
    WARM_UP_SECONDS,
    bench_environment,
    check_answers,
    exit_on_signal,
    load,
    positive_setting,
    prepare_database,
    progress,
)
from bench.scenario import CONSTANT_BYTES, Endpoint, constant_goals_path
from bench.tracking_load import (
    BROWSER_AGENT,
    COLLECT,
    CONNECTIONS,
    PLAIN_COLLECT,
    PROXY,
    Stream,
    run_burst,
    run_wrk,
)
from bench.tracking_report import Measured

# The targets against the constant-bytes view.
MIN_RATIO = 0.5
MAX_P99_OF_FLOOR = 3.0
COST_REPETITIONS = 100
LIFTED_RATE = "1000000000/min"
CATCH_UP_SECONDS = 300


def main() -> int:
    started = time.monotonic()
    signal.signal(signal.SIGTERM, exit_on_signal)  # as bench.run: a plain kill stops the servers
    rounds, seconds, burst_size = (
        positive_setting(name, default)
        for name, default in (
            ("BENCH_ROUNDS", 3),
            ("BENCH_SECONDS", 5),
            ("BENCH_TRACKING_BURST", 200_000),
        )
    )
    for program in ("wrk", "redis-server"):
        processes.ensure_program(program)
    processes.ensure_postgresql()
    with ExitStack() as stack:
        measured = run_bench(stack, rounds, seconds, burst_size)
    print_report(measured, rounds, seconds)
    checks = tracking_report.checks(measured)
    print("\nTargets:")
    print("\n".join(map(str, checks)))
    print(f"\nThe tracking bench took {(time.monotonic() - started) / 60:.1f} minutes.")
    return 0 if all(check.passed for check in checks) else 1


def run_bench(stack: ExitStack, rounds: int, seconds: int, burst_size: int) -> Measured:
    """Start what the bench needs (stopped when the stack closes), seed and measure."""
    workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="goals-bench-tracking-")))
    redis_port = stack.enter_context(processes.redis_server())
    postgresql, redis_version = database.server_version(), processes.redis_version(redis_port)
    print(report.machine_line(postgresql=postgresql, redis=redis_version), flush=True)
    environment = {**bench_environment(redis_port), "PROXY_COUNT": "1"}
    progress("Creating the database, seeding it and timing requests inside Django…")
    prepare_database(environment)
    django_here(environment, stack.enter_context((workdir / "inside.log").open("w")))
    from bench import tracking_inside as inside  # its models load once Django is set up

    account_id, site_key = inside.seed(SITE)
    loaded = endpoints(account_id, site_key)
    collect = loaded[0]  # its yardsticks follow it
    costs = [inside.cost(endpoint, COST_REPETITIONS) for endpoint in loaded]
    addresses_told_apart = inside.rate_tells_addresses_apart(collect, PROXY)
    if not addresses_told_apart:
        progress("The rate limit counts every client as one: lifted for the load.")
        environment["TRACKING_RATE_LIMIT"] = LIFTED_RATE
    stream = Stream(redis_port, settings.TRACKING_STREAM)
    worker = stack.enter_context(ingest_worker(environment, workdir / "ingest_worker.log"))
    base_url = stack.enter_context(processes.gunicorn(environment, workdir / "gunicorn.log"))
    check_answers(base_url, loaded)
    disturbances: list[Disturbance] = []
    # bench.run's load, with wrk as this bench runs it. None of the endpoints writes goals: the
    # goals bench's seed, which it would reset them with, is not needed.
    warm_ups, runs = load(base_url, loaded, None, workdir, rounds, seconds, disturbances, run_wrk)
    progress("Waiting for the ingest worker to store what the load sent…")
    processes.wait_until(
        lambda: stream.length() == 0, "the ingest worker's catching up", worker, CATCH_UP_SECONDS
    )
    progress(f"A burst of {burst_size:,} page views…")
    with watch("the burst", disturbances):
        burst = run_burst(base_url + collect.paths[0], burst_size, stream, account_id, worker)
    queries = {cost.name: round(cost.queries) for cost in costs}
    return Measured(
        rows=report.rows(loaded, runs, warm_ups, queries),
        costs=costs,
        burst=burst,
        connections=CONNECTIONS,
        addresses_told_apart=addresses_told_apart,
        # gunicorn's arbiter kills a worker stuck in one request for its timeout (30 s).
        worker_timeouts=(workdir / "gunicorn.log").read_text().count("WORKER TIMEOUT"),
        disturbances=disturbances,
    )


def django_here(environment: dict[str, str], log: IO[str]) -> None:
    """Set Django up in this process on the bench's settings, logging to `log` as the app
    servers log to theirs: standard output carries the report."""
    os.environ.update(environment)
    # Logging takes its stream when Django is set up.
    with contextlib.redirect_stdout(log):
        django.setup()


def endpoints(account_id: int, site_key: str) -> list[Endpoint]:
    """The collect endpoint as a page of the site calls it, then its yardsticks: the plain
    collect view, sent the same, and the constant-bytes view."""
    page_view = {
        "id": "checked-1",
        "visitor_id": "visitor-checked",
        "url": f"{SITE}/products/1",
        "title": "Product 1",
    }
    headers = {"Origin": SITE, "User-Agent": BROWSER_AGENT}
    return [
        Endpoint(
            COLLECT,
            "POST",
            (f"/api/collect/{site_key}",),
            204,
            headers=headers,
            body=page_view,
            baseline=CONSTANT_BYTES,
            min_ratio=MIN_RATIO,
            max_p99_of_floor=MAX_P99_OF_FLOOR,
        ),
        Endpoint(
            PLAIN_COLLECT,
            "POST",
            (f"/bench/plain/collect/{site_key}",),
            204,
            headers=headers,
            body=page_view,
            baseline=CONSTANT_BYTES,
        ),
        Endpoint(CONSTANT_BYTES, "GET", (constant_goals_path(account_id),), 200),
    ]


@contextlib.contextmanager
def ingest_worker(environment: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    """`manage.py ingest_worker`, as production runs it beside the app servers."""
    command = [sys.executable, "manage.py", "ingest_worker", "--consumer", "bench"]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, env=environment, cwd=processes.PROJECT, stdout=output, stderr=output
        )
    try:
        yield process
    except (Exception, SystemExit):
        sys.stderr.write(f"The end of the worker's log:\n{log.read_text(errors='replace')[-5000:]}")
        raise
    finally:
        processes.stop(process)


def print_report(measured: Measured, rounds: int, seconds: int) -> None:
    print(
        f"\nwrk -t{wrk.THREADS} -c{measured.connections}: a {WARM_UP_SECONDS} s warm-up, then "
        f"medians over BENCH_ROUNDS={rounds} runs of BENCH_SECONDS={seconds} s, side by side; "
        "each page view of its own, from 50,000 client addresses; queries of a request "
        "counted inside Django. The ratio is over the baseline's req/s, which the target reads; "
        "the ratio to the plain collect view (the endpoint's round trips to Redis, none of its "
        "checks) is for information.\n"
    )
    print(tracking_report.load_table(measured.rows, PLAIN_COLLECT))
    print(
        "\nA request inside Django (this process, the test client, means over "
        f"{COST_REPETITIONS} requests; the rest holds the check of the kept database connection "
        "that a request's first query makes):\n"
    )
    print(tracking_report.cost_table(measured.costs))
    print(
        "\nThe burst, with the ingest worker running (its default batch size), from an empty "
        "stream; times from the burst's start:\n"
    )
    print(tracking_report.burst_table(measured.burst))
    print("\nThe CPUs during the burst, from its start until it was stored:\n")
    print(tracking_report.cpu_table(measured.burst))


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit("Interrupted; the bench's servers are stopped.")
