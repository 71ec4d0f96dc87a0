"""`make bench-conversions`: the speed and scale of conversion tracking (issue 12), on PostgreSQL.

    python -m bench.conversions

In a database of its own (bench.conversions_database), recreated and dropped, with a private
Redis, it seeds an account with BENCH_CONV_PAGE_VIEWS page views (1,000,000) of
BENCH_CONV_VISITORS visitors (50,000) and BENCH_CONV_CHATS chats (100,000), and five goals, then
measures side by side:

- attribution from scratch (conversions.recompute) against a straightforward Python loop, then
  the job that a change of one goal's period asks for (issue 15: under 10 s);
- BENCH_CONV_HTTP_ROWS page views (100,000) sent over HTTP to gunicorn's 2 workers, 1,000 a
  request, against a plain COPY of the same rows, and BENCH_CONV_NAIVE_ROWS (2,000) through a
  naive Django loop;
- a batch of visitors who never chatted against a plain insert of it, and the conversions API's
  pages at the stored totals of BENCH_CONV_API_TOTALS ("10000,1000000");
- the peak memory of `manage.py import_access_log` on a generated log of BENCH_CONV_LOG_BYTES
  (1,000,000,000), deleted afterwards.

BENCH_CONV_PARTS ("attribution,ingest,cost,api,import") runs only the parts named. Progress goes
to standard error, the report to standard output; the exit status is 1 when a target is missed.
"""

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

import requests

from bench import conversions_database, conversions_report, database, processes, report
from bench.conversions_data import Population, new_page_views
from bench.conversions_import import Imported, measure_import, write_log
from bench.conversions_report import Ingest, Measured
from bench.disturbance import watch
from bench.run import bench_environment, exit_on_signal, positive_setting, progress

PARTS = ("attribution", "ingest", "cost", "api", "import")
BATCH = 1000
# Client threads sending batches: two for each worker, so that a worker never waits for one.
HTTP_CLIENTS = 2 * processes.WORKERS
SETTLE_SECONDS = 0.5
IMPORT_COMMAND = processes.PROJECT / "conversions/management/commands/import_access_log.py"


def main() -> int:
    sizes = {
        "visitors": positive_setting("BENCH_CONV_VISITORS", 50_000),
        "page_views": positive_setting("BENCH_CONV_PAGE_VIEWS", 1_000_000),
        "chats": positive_setting("BENCH_CONV_CHATS", 100_000),
        "http_rows": positive_setting("BENCH_CONV_HTTP_ROWS", 100_000),
        "naive_rows": positive_setting("BENCH_CONV_NAIVE_ROWS", 2_000),
        "log_bytes": positive_setting("BENCH_CONV_LOG_BYTES", 1_000_000_000),
    }
    try:
        totals = sorted(int(total) for total in setting("BENCH_CONV_API_TOTALS", "10000,1000000"))
    except ValueError:
        totals = []
    if len(totals) < 2 or totals[0] < 1:
        raise SystemExit(
            "BENCH_CONV_API_TOTALS: two numbers of conversions at least, such as 10000,1000000."
        )
    parts = setting("BENCH_CONV_PARTS", ",".join(PARTS))
    if unknown := set(parts) - set(PARTS):
        raise SystemExit(f"BENCH_CONV_PARTS: no part named {', '.join(sorted(unknown))}.")
    signal.signal(signal.SIGTERM, exit_on_signal)
    started = time.monotonic()
    processes.ensure_postgresql()
    processes.ensure_program("redis-server")
    with ExitStack() as stack:
        measured = run_bench(stack, sizes, totals, parts)
    print()
    print(conversions_report.tables(measured))
    checks = conversions_report.checks(measured)
    print("\nTargets:")
    print("\n".join(map(str, checks)))
    print(f"\nThe conversions bench took {(time.monotonic() - started) / 60:.1f} minutes.")
    return 0 if all(check.passed for check in checks) else 1


def run_bench(
    stack: ExitStack, sizes: dict[str, int], totals: list[int], parts: list[str]
) -> Measured:
    """Start what the bench needs (stopped, and the database dropped, when the stack closes)
    and run the parts named."""
    workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="goals-bench-conv-")))
    redis_port = stack.enter_context(processes.redis_server())
    print(
        report.machine_line(
            postgresql=database.server_version(),
            redis=processes.redis_version(redis_port),
        ),
        flush=True,
    )
    environment = {
        **bench_environment(redis_port),
        "DATABASE_URL": conversions_database.URL,
    }
    progress(f"Creating the database {conversions_database.NAME} and seeding it…")
    conversions_database.recreate()
    stack.callback(conversions_database.drop)
    processes.manage(environment, "migrate", "--noinput")
    accounts = step("seed", environment, {"totals": totals})
    population = Population(sizes["visitors"], sizes["page_views"], sizes["chats"])
    measured = Measured(sizes=sizes)
    bench = accounts["bench"]
    if {"attribution", "ingest", "cost"} & set(parts):
        started = time.perf_counter()
        counts = conversions_database.seed_population(bench["account_id"], population)
        progress(f"Seeded {counts} by COPY in {time.perf_counter() - started:.0f} s.")
    if "attribution" in parts:
        progress("Attribution from scratch, then the straightforward loop…")
        with watched("attribution from scratch", measured):
            measured.attribution = step("attribution", environment, bench)
    if "ingest" in parts:
        measured.ingest = ingest(environment, workdir, bench, population, sizes, measured)
    if "cost" in parts:
        progress("A batch of visitors who never chatted against a plain insert…")
        given = {"account_id": bench["account_id"], "population": asdict(population)}
        with watched("the cost of a batch", measured):
            measured.cost = step("batch_cost", environment, {**given, "batch": BATCH})
    if "api" in parts:
        for account, total in zip(accounts["api"], totals, strict=True):
            progress(f"Seeding {total:,} conversions for the API…")
            conversions_database.seed_conversions(
                account["account_id"], account["goal_ids"][0], total
            )
        progress("The conversions API's pages…")
        with watched("the API's pages", measured):
            measured.api = step("api_pages", environment, {"accounts": accounts["api"]})
    if "import" in parts:
        if IMPORT_COMMAND.exists():
            measured.imported = import_memory(environment, workdir, accounts, sizes, measured)
        else:
            measured.import_missing = True
    return measured


def ingest(
    environment: dict[str, str],
    workdir: Path,
    bench: dict[str, Any],
    population: Population,
    sizes: dict[str, int],
    measured: Measured,
) -> Ingest:
    """Page views over HTTP, then the same rows by COPY, then the naive loop's."""
    items = new_page_views(population, sizes["http_rows"], prefix="http")
    with ExitStack() as server:
        base_url = server.enter_context(processes.gunicorn(environment, workdir / "gunicorn.log"))
        send = http_sender(base_url, bench["authorization"])
        # Untimed: the workers load what they load once, and keep their connections.
        warm_up = new_page_views(population, BATCH * HTTP_CLIENTS, prefix="warm-up")
        send(batches(warm_up))
        progress(f"Sending {len(items):,} page views over HTTP…")
        with watched("HTTP ingest", measured):
            http_seconds = send(batches(items))
    rows = [
        (
            bench["account_id"],
            f"copy-{item['id']}",
            item["visitor_id"],
            item["url"],
            datetime.fromisoformat(item["timestamp"]),
            item["title"],
        )
        for item in items
    ]
    progress("COPYing the same rows…")
    with watched("COPY", measured):
        copy_seconds = conversions_database.timed_copy(rows)
    naive_items = new_page_views(population, sizes["naive_rows"], prefix="naive")
    progress(f"The naive loop over {len(naive_items):,} page views…")
    with watched("the naive loop", measured):
        naive = step(
            "naive_ingest",
            environment,
            {"account_id": bench["account_id"], "page_views": naive_items},
        )
    return Ingest(
        http_rows=len(items),
        http_seconds=http_seconds,
        copy_seconds=copy_seconds,
        naive_rows=naive["rows"],
        naive_seconds=naive["seconds"],
    )


def batches(items: list[dict[str, Any]]) -> list[tuple[bytes, int]]:
    """The request bodies of BATCH page views each, encoded beforehand, and their sizes."""
    return [
        (json.dumps(items[start : start + BATCH]).encode(), len(items[start : start + BATCH]))
        for start in range(0, len(items), BATCH)
    ]


def http_sender(base_url: str, authorization: str) -> Callable[[list[tuple[bytes, int]]], float]:
    """A function that POSTs the bodies from HTTP_CLIENTS threads and returns the seconds they
    all took; an answer that is not 200 with every page view created stops the bench."""
    sessions = threading.local()
    headers = {"Authorization": authorization, "Content-Type": "application/json"}

    def post(body: tuple[bytes, int]) -> None:
        if not hasattr(sessions, "session"):
            sessions.session = requests.Session()
        data, count = body
        response = sessions.session.post(
            f"{base_url}/api/v2/page_views", data=data, headers=headers, timeout=120
        )
        if response.status_code != 200 or response.json().get("created") != count:
            raise SystemExit(
                f"POST /api/v2/page_views answered {response.status_code}: {response.text[:2000]}"
            )

    def send(bodies: list[tuple[bytes, int]]) -> float:
        started = time.perf_counter()
        with ThreadPoolExecutor(HTTP_CLIENTS) as pool:
            list(pool.map(post, bodies))
        return time.perf_counter() - started

    return send


def import_memory(
    environment: dict[str, str],
    workdir: Path,
    accounts: dict[str, Any],
    sizes: dict[str, int],
    measured: Measured,
) -> Imported:
    log = workdir / "access.log"
    progress(f"Writing an access log of {sizes['log_bytes'] / 1e9:.2f} GB…")
    lines = write_log(log, sizes["log_bytes"])
    progress(f"Importing its {lines:,} lines…")
    try:
        with watched("the import", measured):
            return measure_import(
                environment, log, lines, accounts["import"]["name"], workdir / "import.out"
            )
    finally:
        log.unlink()


@contextmanager
def watched(measurement: str, measured: Measured) -> Iterator[None]:
    """bench.disturbance.watch, over the block and a pause after it: a PostgreSQL backend that
    served the block and is still exiting has no command line left to tell it is the bench's,
    and would count, whole, among the other programs."""
    with watch(measurement, measured.disturbances):
        yield
        time.sleep(SETTLE_SECONDS)


def step(name: str, environment: dict[str, str], given: Any) -> Any:
    """What a step of bench.conversions_step returns; `given` goes as JSON on its stdin."""
    completed = subprocess.run(
        [sys.executable, "-m", "bench.conversions_step", name],
        input=json.dumps(given),
        capture_output=True,
        text=True,
        env=environment,
        cwd=processes.PROJECT,
        check=False,
    )
    if completed.returncode != 0:
        raise SystemExit(f"bench.conversions_step {name} failed:\n{completed.stderr[-5000:]}")
    return json.loads(completed.stdout)


def setting(name: str, default: str) -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit("Interrupted; the bench's servers are stopped and its database dropped.")
