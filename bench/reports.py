"""`make bench-reports`: the Conversions page, the goals page's counts and the CSV downloads at a
large account's size (issue 14, "Speed"), side by side in one run, on PostgreSQL.

    python -m bench.reports

In a database of its own (bench.reports_data), recreated and dropped, with a private Redis, it
seeds two accounts of BENCH_REPORTS_CONVERSIONS conversions (1,000,000) over the last 365 days
and BENCH_REPORTS_CHATS served chats (2,000,000) each, the same five goals (both attribution
models) in an account with no conversions, and a small sample account; the rows by set-based SQL,
then the daily totals by conversions.totals.rebuild, checked against the stored rows. Then:

1. Inside Django (this process, the test client, DEBUG off): the Conversions page for 90 days
   (/conversions/?range=90) of the large account, and the goals page (/goals/) of the large
   account and of the account without conversions, BENCH_REPORTS_REQUESTS times each (51, at
   least 30) after a warm-up, interleaved in rotating order; medians. Targets: the Conversions
   page under 150 ms, the goals page within 1.2 times the one without conversions.
2. Through gunicorn's 2 workers as `make serve` runs them: the CSV of the large account's latest
   conversions, BENCH_REPORTS_CSV_ROWS rows ("10000,100000", a range of whole days ending today
   holding at least that many), BENCH_REPORTS_CSV_ROUNDS times each (3), alternately. Time to the
   first byte and to the first row, seen by the client; the serving worker's peak memory growth
   (its peak resident set reset through /proc/<pid>/clear_refs before each download). Targets: the
   larger CSV's first row within 1 s and its end within 5 s; its peak growth at most
   FLAT_MARGIN_MB above the smaller's.

Beside the figures, where the time goes: each page's slowest queries (medians) and the plan of
the slowest, the larger CSV's rows and whole response timed inside Django, and a profile of what
missed a target. Progress goes to standard error, the report to standard output; the exit
status is 1 when a target is missed.
"""

import cProfile
import functools
import http.client
import io
import os
import pstats
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bench import database, processes, report, reports_data
from bench.conversions import setting
from bench.conversions_data import GOALS
from bench.disturbance import Disturbance, watch
from bench.report import Check, markdown_header
from bench.run import bench_environment, exit_on_signal, positive_setting, progress
from bench.tracking import django_here

# The targets.
REPORT_MS = 150
GOALS_OVER_EMPTY = 1.2
CSV_SECONDS = 5.0
# "Starts at once": the first row within a second, Nielsen's limit for a user's flow of thought
# to stay uninterrupted.
FIRST_ROW_SECONDS = 1.0
# Flat memory: the larger CSV's peak growth at most this far above the smaller's. Holding the
# 90,000 rows between them as dicts of 16 fields would take over 100 MB.
FLAT_MARGIN_MB = 8
MIN_REQUESTS = 30
WARM_UPS = 5
REPORT_RANGE = 90
# The small account that totals.differences checks: it counts every row again, in Python.
SAMPLE = reports_data.Sizes(conversions=2_000, chats=4_000)
SLOWEST_QUERIES = 3
# Requests of each page whose queries are captured and timed (medians), after the timed ones.
CAPTURED = 7
PROFILE_LINES = 25

CONVERSIONS_PAGE = f"Conversions page, {REPORT_RANGE} days"
GOALS_PAGE = "goals page"
EMPTY_GOALS_PAGE = "goals page, no conversions"


@dataclass(frozen=True)
class PageTiming:
    """A page's requests: their times in ms, timed one by one; its queries a request, and the
    SQL's ms of a request (the sum of each query's median)."""

    name: str
    path: str
    account: str
    milliseconds: list[float]
    queries: int
    sql_ms: float
    # (ms, (SQL, parameters)) of the slowest queries, medians of the captured requests
    slowest: list[tuple[float, tuple[str, Any]]]

    @property
    def median_ms(self) -> float:
        return statistics.median(self.milliseconds)

    @property
    def p90_ms(self) -> float:
        return statistics.quantiles(self.milliseconds, n=10)[-1]


@dataclass(frozen=True)
class Download:
    """A CSV download seen from the client: its data rows, seconds to the first byte (the
    status line), to the first data row and to the end, its size in MB (10**6 bytes), and the
    serving worker's peak resident memory over its resident memory at the start, in MiB."""

    rows: int
    first_byte_s: float
    first_row_s: float
    seconds: float
    megabytes: float
    peak_growth_mb: float


@dataclass
class Measured:
    """What the bench measured: CSV sizes are keyed by the rows asked for (BENCH_REPORTS_CSV_ROWS),
    csv_ranges give (first day, last day, conversions in them)."""

    sizes: dict[str, int]
    seeded: dict[str, int] = field(default_factory=dict)
    seed_seconds: float = 0.0
    rebuild_seconds: list[float] = field(default_factory=list)
    data_checks: list[Check] = field(default_factory=list)
    pages: list[PageTiming] = field(default_factory=list)
    plans: dict[str, list[str]] = field(default_factory=dict)
    profiles: dict[str, str] = field(default_factory=dict)
    csv_ranges: dict[int, tuple[date, date, int]] = field(default_factory=dict)
    downloads: dict[int, list[Download]] = field(default_factory=dict)
    retained_mb: float = 0.0
    csv_inside: dict[str, Any] = field(default_factory=dict)
    totals_table: tuple[int, int] = (0, 0)  # rows, bytes of conversions_conversiontotal
    disturbances: list[Disturbance] = field(default_factory=list)


def main() -> int:
    """Run the bench and print its report; 0 when every target was met, else 1."""
    sizes = {
        "conversions": positive_setting("BENCH_REPORTS_CONVERSIONS", 1_000_000),
        "chats": positive_setting("BENCH_REPORTS_CHATS", 2_000_000),
        "requests": positive_setting("BENCH_REPORTS_REQUESTS", 51),
        "csv_rounds": positive_setting("BENCH_REPORTS_CSV_ROUNDS", 3),
    }
    if sizes["requests"] < MIN_REQUESTS:
        raise SystemExit(f"BENCH_REPORTS_REQUESTS must be at least {MIN_REQUESTS}.")
    try:
        csv_rows = sorted(int(rows) for rows in setting("BENCH_REPORTS_CSV_ROWS", "10000,100000"))
    except ValueError:
        csv_rows = []
    if len(csv_rows) != 2 or csv_rows[0] < 1 or csv_rows[0] == csv_rows[1]:
        raise SystemExit(
            "BENCH_REPORTS_CSV_ROWS: two different numbers of rows, such as 10000,100000."
        )
    try:
        reports_data.Sizes(sizes["conversions"], sizes["chats"])
    except ValueError as error:
        raise SystemExit(f"BENCH_REPORTS_CONVERSIONS and BENCH_REPORTS_CHATS: {error}") from None
    signal.signal(signal.SIGTERM, exit_on_signal)
    started = time.monotonic()
    processes.ensure_postgresql()
    processes.ensure_program("redis-server")
    with ExitStack() as stack:
        measured = run_bench(stack, sizes, csv_rows)
    print()
    print(tables(measured))
    checks = target_checks(measured)
    print("\nTargets:")
    print("\n".join(map(str, checks)))
    print(f"\nThe reports bench took {(time.monotonic() - started) / 60:.1f} minutes.")
    return 0 if all(check.passed for check in checks) else 1


def run_bench(stack: ExitStack, sizes: dict[str, int], csv_rows: list[int]) -> Measured:
    """Start what the bench needs (stopped, and the database dropped, when the stack closes),
    seed and measure."""
    workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="goals-bench-reports-")))
    redis_port = stack.enter_context(processes.redis_server())
    print(
        report.machine_line(
            postgresql=database.server_version(), redis=processes.redis_version(redis_port)
        ),
        flush=True,
    )
    environment = {**bench_environment(redis_port), "DATABASE_URL": reports_data.URL}
    progress(f"Creating the database {reports_data.NAME}…")
    reports_data.recreate()
    stack.callback(reports_data.drop)
    processes.manage(environment, "migrate", "--noinput")
    # DEBUG off serves the hashed static files that the pages name.
    processes.manage(environment, "collectstatic", "--noinput")
    django_here(environment, stack.enter_context((workdir / "inside.log").open("w")))
    # Django's connection of this process goes before the database is dropped.
    stack.callback(close_connections)
    measured = Measured(sizes=sizes)
    accounts = seed(sizes, measured)
    measured.data_checks = data_checks(accounts)
    progress(f"Timing the pages, {sizes['requests']} requests each…")
    with watch("the pages", measured.disturbances):
        time_pages(accounts, sizes["requests"], measured)
    base_url = stack.enter_context(processes.gunicorn(environment, workdir / "gunicorn.log"))
    progress("Downloading the CSVs through gunicorn…")
    with watch("the CSV downloads", measured.disturbances):
        download_csvs(base_url, accounts["large"], csv_rows, sizes["csv_rounds"], measured)
    progress("The larger CSV inside Django…")
    csv_inside(accounts["large"], csv_rows[-1], measured)
    return measured


def close_connections() -> None:
    """Close this process's database connections (Django's)."""
    from django.db import connections

    connections.close_all()


@dataclass(frozen=True)
class SeededAccount:
    """An account of the bench: its id, its administrator's email and its goals' ids (in the
    order of bench.conversions_data.GOALS)."""

    account_id: int
    email: str
    goal_ids: list[int]


def seed(sizes: dict[str, int], measured: Measured) -> dict[str, SeededAccount]:
    """The accounts and their goals through the product's rules, then their rows by SQL and their
    daily totals by conversions.totals.rebuild; {role: account}."""
    from django.db import connection

    from bench.seed import administrator
    from conversions import totals  # the models load once Django is set up
    from goals import rules

    def account(name: str) -> SeededAccount:
        admin, _ = administrator(name)
        # Before any conversion is written: a new goal's conversions are computed from the page
        # views, which the seed leaves out.
        goals = [rules.goal_create(account=admin.account, actor=admin, **goal) for goal in GOALS]
        return SeededAccount(admin.account_id, admin.email, [goal.pk for goal in goals])

    accounts = {
        "large": account("Bench reports"),
        "beside": account("Bench reports beside"),
        "empty": account("Bench reports without conversions"),
        "sample": account("Bench reports sample"),
    }
    end = datetime.now(UTC)
    large = reports_data.Sizes(sizes["conversions"], sizes["chats"])
    progress(
        f"Seeding {large.conversions:,} conversions and {large.chats:,} served chats in each of "
        "two accounts…"
    )
    started = time.perf_counter()
    measured.seeded = reports_data.seed(
        {accounts[role].account_id: accounts[role].goal_ids for role in ("large", "beside")},
        large,
        end,
    )
    reports_data.seed({accounts["sample"].account_id: accounts["sample"].goal_ids}, SAMPLE, end)
    reports_data.analyze(
        "conversions_conversion", "conversions_chat", "conversions_touch", "accounts_account"
    )
    measured.seed_seconds = time.perf_counter() - started
    progress(f"Seeded in {measured.seed_seconds:.0f} s: {measured.seeded} an account.")
    for role in ("large", "beside", "sample"):
        started = time.perf_counter()
        totals.rebuild(accounts[role].account_id)
        measured.rebuild_seconds.append(time.perf_counter() - started)
        progress(
            f"Rebuilt the {role} account's daily totals in {measured.rebuild_seconds[-1]:.0f} s."
        )
    reports_data.analyze(
        "conversions_conversiontotal",
        "conversions_servedchattotal",
        "conversions_agentservedtotal",
        "conversions_agent",
        "conversions_department",
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), pg_relation_size('conversions_conversiontotal')"
            " FROM conversions_conversiontotal"
        )
        measured.totals_table = cursor.fetchone()
    return accounts


def data_checks(accounts: dict[str, SeededAccount]) -> list[Check]:
    """The daily totals agree with the stored rows: row for row in the sample account
    (totals.differences); in the large account, the Conversions page's 90-day headline against
    counts of the conversions and served chats themselves."""
    from django.db import connection
    from django.utils import timezone

    from accounts.models import Account
    from conversions import reports, totals

    sample = totals.differences(accounts["sample"].account_id)
    large = Account.objects.get(pk=accounts["large"].account_id)
    today = timezone.now().date()
    filters = reports.Filters(start=today - timedelta(days=REPORT_RANGE - 1), end=today)
    start, end = filters.moments
    figures = reports.figures(large, filters)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM conversions_conversion"
            " WHERE account_id = %s AND timestamp >= %s AND timestamp < %s",
            [large.pk, start, end],
        )
        conversions = cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(*) FROM (SELECT chat_id, min(time) AS first FROM conversions_touch"
            " WHERE account_id = %s GROUP BY chat_id) AS chats"
            " WHERE first >= %s AND first < %s",
            [large.pk, start, end],
        )
        served = cursor.fetchone()[0]
    return [
        Check(
            not sample,
            "the sample account's daily totals match its rows (totals.differences): "
            + ("no difference" if not sample else f"{len(sample)} rows differ, {sample[:3]}"),
        ),
        Check(
            (figures.conversions, figures.served_chats) == (conversions, served),
            f"the large account's {REPORT_RANGE}-day headline, {figures.conversions:,} "
            f"conversions and {figures.served_chats:,} served chats, against "
            f"{conversions:,} and {served:,} counted in its rows",
        ),
    ]


def time_pages(accounts: dict[str, SeededAccount], requests: int, measured: Measured) -> None:
    """The three pages, each request timed in this process, the pages in rotating order round
    after round so that each meets the machine in every state alike; then CAPTURED requests of
    each for their queries, the slowest query of each page with conversions explained, and a
    page that missed its target profiled."""
    from django.db import connection
    from django.test import Client

    from accounts.models import User
    from bench.measure import answered

    def signed_in(role: str) -> Client:
        client = Client()
        client.force_login(User.objects.get(email=accounts[role].email))
        return client

    large, empty = signed_in("large"), signed_in("empty")
    pages = [
        (
            CONVERSIONS_PAGE,
            "large",
            functools.partial(large.get, f"/conversions/?range={REPORT_RANGE}"),
        ),
        (GOALS_PAGE, "large", functools.partial(large.get, "/goals/")),
        (EMPTY_GOALS_PAGE, "empty", functools.partial(empty.get, "/goals/")),
    ]
    for _ in range(WARM_UPS):
        for _, _, request in pages:
            answered(request)
    seconds: dict[str, list[float]] = {name: [] for name, _, _ in pages}
    for number in range(requests):
        for name, _, request in pages[number % len(pages) :] + pages[: number % len(pages)]:
            started = time.perf_counter()
            answered(request)
            seconds[name].append(time.perf_counter() - started)
    for name, role, request in pages:
        # Each query's median over the captured requests: one request on a busy machine says
        # little. A query is known by its place in the request, the same each time.
        times: list[list[float]] = []
        statements: list[tuple[str, Any]] = []
        for _ in range(CAPTURED):
            timed = timed_queries(functools.partial(answered, request))
            statements = [(query, parameters) for _, query, parameters in timed]
            times.append([ms for ms, _, _ in timed])
        medians = [statistics.median(column) for column in zip(*times, strict=True)]
        measured.pages.append(
            PageTiming(
                name=name,
                path=request.args[0],
                account=role,
                milliseconds=[s * 1000 for s in seconds[name]],
                queries=len(statements),
                sql_ms=sum(medians),
                slowest=sorted(zip(medians, statements, strict=True), key=lambda item: -item[0])[
                    :SLOWEST_QUERIES
                ],
            )
        )
    by_name = {page.name: page for page in measured.pages}
    for name in (CONVERSIONS_PAGE, GOALS_PAGE):
        with connection.cursor() as cursor:
            query, parameters = by_name[name].slowest[0][1]
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query, parameters)
            measured.plans[name] = [row[0] for row in cursor.fetchall()]
    missed = []
    if by_name[CONVERSIONS_PAGE].median_ms >= REPORT_MS:
        missed.append(CONVERSIONS_PAGE)
    if by_name[GOALS_PAGE].median_ms > GOALS_OVER_EMPTY * by_name[EMPTY_GOALS_PAGE].median_ms:
        missed.append(GOALS_PAGE)
    for name, _, request in pages:
        if name in missed:
            measured.profiles[name] = profile(functools.partial(answered, request))


def timed_queries(work: Callable[[], Any]) -> list[tuple[float, str, Any]]:
    """(milliseconds, SQL, parameters) of each query the work made, in order, timed around the
    database driver's call (Django's captured times are whole milliseconds)."""
    from django.db import connection

    found = []

    def timed(execute: Callable, sql: str, params: Any, many: bool, context: dict) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            found.append(((time.perf_counter() - started) * 1000, sql, params))

    with connection.execute_wrapper(timed):
        work()
    return found


def profile(work: Callable[[], Any]) -> str:
    """The functions that the work spent its own time in (not counting what they called), the
    most first."""
    profiler = cProfile.Profile()
    profiler.enable()
    work()
    profiler.disable()
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    stats.strip_dirs().sort_stats("tottime").print_stats(PROFILE_LINES)
    return text.getvalue()


def csv_inside(account: SeededAccount, rows: int, measured: Measured) -> None:
    """Where the time of the larger CSV goes: its rows alone (the query and the loading of its
    values, as the view reads them), then the whole response inside Django (this process, no
    socket), beside the download through gunicorn; a profile of the response inside Django
    when the download missed its target."""
    from django.test import Client

    from accounts.models import Account, User
    from conversions import reports

    start, end, _ = measured.csv_ranges[rows]
    filters = reports.Filters(start=start, end=end)
    owner = Account.objects.get(pk=account.account_id)
    started = time.perf_counter()
    read = sum(1 for _ in reports.conversion_rows(owner, filters))
    rows_seconds = time.perf_counter() - started
    client = Client()
    client.force_login(User.objects.get(email=account.email))

    def response() -> None:
        answer = client.get(csv_path(start, end))
        for _ in answer.streaming_content:
            pass

    started = time.perf_counter()
    response()
    measured.csv_inside = {
        "rows": read,
        "rows_seconds": rows_seconds,
        "response_seconds": time.perf_counter() - started,
    }
    if statistics.median(d.seconds for d in measured.downloads[rows]) >= CSV_SECONDS:
        measured.profiles[f"CSV of {read:,} rows, inside Django"] = profile(response)


def csv_path(start: date, end: date) -> str:
    """The address of the CSV of the days from `start` to `end`, both included."""
    return f"/conversions/conversions.csv?start={start.isoformat()}&end={end.isoformat()}"


def csv_range(account_id: int, rows: int) -> tuple[date, date, int]:
    """The range of whole days ending today that holds at least `rows` of the account's
    conversions (all of them, if fewer), and how many it holds."""
    from django.db.models import Sum
    from django.utils import timezone

    from conversions.models import Conversion, ConversionTotal

    today = timezone.now().date()
    by_day = dict(
        ConversionTotal.objects.filter(account_id=account_id)
        .values_list("day")
        .annotate(count=Sum("conversions"))
        .order_by()
    )
    first = min(by_day, default=today)
    start, held = today, by_day.get(today, 0)
    while held < rows and start > first:
        start -= timedelta(days=1)
        held += by_day.get(start, 0)
    moment = datetime.combine(start, datetime.min.time(), UTC)
    count = Conversion.objects.filter(
        account_id=account_id,
        timestamp__gte=moment,
        timestamp__lt=datetime.combine(today + timedelta(days=1), datetime.min.time(), UTC),
    ).count()
    return start, today, count


def download_csvs(
    base_url: str, account: SeededAccount, sizes: list[int], rounds: int, measured: Measured
) -> None:
    """Each CSV `rounds` times, the order alternating; first a download on each worker at once,
    untimed, so that what a worker does once is no download's."""
    from accounts.models import User
    from bench.seed import session_cookie

    cookie = session_cookie(User.objects.get(email=account.email))
    host, port = base_url.removeprefix("http://").split(":")
    workers = gunicorn_workers()
    for rows in sizes:
        measured.csv_ranges[rows] = csv_range(account.account_id, rows)
        measured.downloads[rows] = []

    def path(rows: int) -> str:
        start, end, _ = measured.csv_ranges[rows]
        return csv_path(start, end)

    with ThreadPoolExecutor(len(workers)) as pool:
        list(pool.map(lambda _: download(host, int(port), path(sizes[0]), cookie, []), workers))
    settled = sum(resident_kb(pid, "VmRSS") for pid in workers)
    for number in range(rounds):
        for rows in sizes if number % 2 == 0 else sizes[::-1]:
            progress(f"  CSV of {measured.csv_ranges[rows][2]:,} rows, round {number + 1}…")
            measured.downloads[rows].append(download(host, int(port), path(rows), cookie, workers))
    measured.retained_mb = (sum(resident_kb(pid, "VmRSS") for pid in workers) - settled) / 1024


def download(host: str, port: int, path: str, cookie: str, workers: list[int]) -> Download:
    """A CSV read as a browser reads it, in the chunks that arrive; the workers' peak resident
    set reset first, so that the highest growth over the download is the serving worker's."""
    before = {}
    for pid in workers:
        Path(f"/proc/{pid}/clear_refs").write_text("5")  # 5: reset the peak resident set
        before[pid] = resident_kb(pid, "VmRSS")
    connection = http.client.HTTPConnection(host, port, timeout=120)
    try:
        started = time.perf_counter()
        connection.request("GET", path, headers={"Cookie": cookie})
        response = connection.getresponse()
        first_byte = time.perf_counter() - started
        if response.status != 200:
            raise SystemExit(f"GET {path} answered {response.status}: {response.read(2000)!r}")
        lines = size = 0
        first_row = None
        while chunk := response.read1(1 << 16):
            size += len(chunk)
            lines += chunk.count(b"\n")
            # The header line comes before the query runs; the first row, after.
            if first_row is None and lines >= 2:
                first_row = time.perf_counter() - started
        seconds = time.perf_counter() - started
    finally:
        connection.close()
    growth = max((resident_kb(pid, "VmHWM") - before[pid] for pid in workers), default=0)
    return Download(
        rows=lines - 1,
        first_byte_s=first_byte,
        first_row_s=first_row if first_row is not None else seconds,
        seconds=seconds,
        megabytes=size / 1e6,
        peak_growth_mb=growth / 1024,
    )


def gunicorn_workers() -> list[int]:
    """The pids of the workers of the gunicorn that this process started."""
    deadline = time.monotonic() + 30
    while True:
        children: dict[int, list[int]] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                parent = int(stat[stat.rindex(")") + 2 :].split()[1])
                children.setdefault(parent, []).append(int(entry.name))
        masters = [
            pid
            for pid in children.get(os.getpid(), [])
            if b"gunicorn" in Path(f"/proc/{pid}/cmdline").read_bytes()
        ]
        workers = [pid for master in masters for pid in children.get(master, [])]
        if len(workers) >= processes.WORKERS:
            return workers
        if time.monotonic() > deadline:
            raise SystemExit(f"gunicorn has {len(workers)} workers, not {processes.WORKERS}.")
        time.sleep(0.2)


def resident_kb(pid: int, line: str) -> int:
    """A line of /proc/<pid>/status in KiB: VmRSS (resident now) or VmHWM (its peak)."""
    for text in Path(f"/proc/{pid}/status").read_text().splitlines():
        if text.startswith(f"{line}:"):
            return int(text.split()[1])
    raise RuntimeError(f"/proc/{pid}/status has no {line}")


def tables(measured: Measured) -> str:
    """The report before its targets: the data, the pages, the CSVs and where the time goes,
    as Markdown."""
    sizes = measured.sizes
    by_name = {page.name: page for page in measured.pages}
    totals_rows, totals_bytes = measured.totals_table
    lines = [
        f"Seeded by SQL in {measured.seed_seconds:.0f} s, in each of two accounts: "
        f"{measured.seeded['conversions']:,} conversions over 365 days, "
        f"{measured.seeded['chats']:,} served chats, {measured.seeded['touches']:,} touches; "
        "daily totals by conversions.totals.rebuild in "
        + ", ".join(f"{seconds:.0f} s" for seconds in measured.rebuild_seconds)
        + " (the two accounts, then the sample). conversions_conversiontotal then held "
        f"{totals_rows:,} rows in {totals_bytes / 1e6:,.0f} MB (rebuild writes each row once, "
        "in key order; the writes of conversions, in production, rewrite a row for each "
        "conversion of its key).\n",
        "Checks of the data:",
        *map(str, measured.data_checks),
        "",
        f"Pages timed inside Django (this process, the test client, DEBUG off): medians of "
        f"{sizes['requests']} requests each after {WARM_UPS} warm-ups, the three interleaved in "
        f"rotating order. Queries and SQL ms: medians of {CAPTURED} requests captured "
        "afterwards; the rest of a request is Python (the view, the template, the test "
        "client).\n",
        *markdown_header(
            ["page", "account", "median ms", "p90 ms", "queries", "SQL ms", "target", "ratio"]
        ),
    ]
    empty = by_name[EMPTY_GOALS_PAGE].median_ms
    for page in measured.pages:
        if page.name == CONVERSIONS_PAGE:
            target = f"< {REPORT_MS} ms"
            ratio = f"{page.median_ms / REPORT_MS:.2f}x the target"
        elif page.name == GOALS_PAGE:
            target = f"≤ {GOALS_OVER_EMPTY}x no conversions"
            ratio = f"{page.median_ms / empty:.2f}x"
        else:
            target, ratio = "baseline", "1.00x"
        lines.append(
            f"| {page.name} (`{page.path}`) | {page.account} | {page.median_ms:.1f} "
            f"| {page.p90_ms:.1f} | {page.queries} | {page.sql_ms:.2f} | {target} | {ratio} |"
        )
    for page in measured.pages:
        lines.append(f"\nThe slowest queries of the {page.name} ({page.account}), median ms:\n")
        lines += [f"- {ms:.2f} ms: `{shortened(query)}`" for ms, (query, _) in page.slowest]
        if page.name in measured.plans:
            lines.append("\nThe plan of the slowest:\n")
            lines += [f"    {line}" for line in measured.plans[page.name]]
    lines += [
        "",
        f"CSV downloads of the large account through gunicorn ({processes.serving()}),"
        f" read by a client on this machine; medians of {sizes['csv_rounds']} rounds, the peak "
        "growth of the serving worker's resident memory the highest of the rounds.\n",
        *markdown_header(
            [
                "range",
                "rows",
                "first byte ms",
                "first row ms",
                "seconds",
                "rows/s",
                "MB",
                "peak growth MB",
            ]
        ),
    ]
    for rows, downloads in measured.downloads.items():
        start, end, _ = measured.csv_ranges[rows]
        seconds = statistics.median(d.seconds for d in downloads)
        lines.append(
            f"| {start} to {end} | {downloads[0].rows:,} "
            f"| {statistics.median(d.first_byte_s for d in downloads) * 1000:.1f} "
            f"| {statistics.median(d.first_row_s for d in downloads) * 1000:.1f} "
            f"| {seconds:.2f} | {downloads[0].rows / seconds:,.0f} "
            f"| {downloads[0].megabytes:.1f} "
            f"| {max(d.peak_growth_mb for d in downloads):.1f} |"
        )
    lines.append(
        f"\nThe workers' resident memory after every download, over what it was after the "
        f"warm-up: {measured.retained_mb:+.1f} MB."
    )
    inside = measured.csv_inside
    if inside:
        download = statistics.median(d.seconds for d in measured.downloads[max(measured.downloads)])
        lines += [
            f"\nWhere the larger CSV's time goes (single runs): its {inside['rows']:,} rows "
            f"read as the view reads them (the query, psycopg and Django loading the values) "
            f"{inside['rows_seconds']:.2f} s; the whole response inside Django (the rows, "
            f"then formatting and CSV writing, no socket) {inside['response_seconds']:.2f} s; "
            f"through gunicorn {download:.2f} s (the median above): gunicorn and the socket "
            f"{download - inside['response_seconds']:+.2f} s.",
        ]
    for name, text in measured.profiles.items():
        lines += [f"\nProfile of the {name} (target missed), by own time:\n"]
        lines += [f"    {line}" for line in text.strip().splitlines()]
    worst = max(measured.disturbances, key=lambda d: d.others_cpu_percent)
    lines.append(
        f"\nOther programs took up to {worst.others_cpu_percent:.0f}% of the CPUs during a "
        f"measurement ({worst.measurement}): the ratios, measured side by side, are the figures "
        "to read on a busy machine."
    )
    return "\n".join(lines)


def shortened(text: str, length: int = 160) -> str:
    """The text cut to `length` characters."""
    return text if len(text) <= length else text[: length - 3] + "..."


def target_checks(measured: Measured) -> list[Check]:
    """The checks of the data, then the issue's targets, each passed or failed."""
    by_name = {page.name: page for page in measured.pages}
    conversions_page = by_name[CONVERSIONS_PAGE]
    goals, empty = by_name[GOALS_PAGE], by_name[EMPTY_GOALS_PAGE]
    ratio = goals.median_ms / empty.median_ms
    small, large = sorted(measured.downloads)
    small_downloads, large_downloads = measured.downloads[small], measured.downloads[large]
    expected = {rows: measured.csv_ranges[rows][2] for rows in measured.downloads}
    first_row = statistics.median(d.first_row_s for d in large_downloads)
    seconds = statistics.median(d.seconds for d in large_downloads)
    small_growth = max(d.peak_growth_mb for d in small_downloads)
    large_growth = max(d.peak_growth_mb for d in large_downloads)
    large_rows = large_downloads[0].rows
    return [
        *measured.data_checks,
        Check(
            conversions_page.median_ms < REPORT_MS,
            f"{CONVERSIONS_PAGE}: median {conversions_page.median_ms:.1f} ms "
            f"(target < {REPORT_MS} ms, {conversions_page.median_ms / REPORT_MS:.2f}x of it)",
        ),
        Check(
            ratio <= GOALS_OVER_EMPTY,
            f"{GOALS_PAGE}: median {goals.median_ms:.1f} ms, {ratio:.2f}x the "
            f"{empty.median_ms:.1f} ms without conversions (target ≤ {GOALS_OVER_EMPTY}x)",
        ),
        Check(
            all(d.rows == expected[rows] for rows, ds in measured.downloads.items() for d in ds),
            "every CSV held the range's conversions: "
            + ", ".join(f"{expected[rows]:,} rows" for rows in measured.downloads),
        ),
        Check(
            first_row <= FIRST_ROW_SECONDS,
            f"CSV of {large_rows:,} rows: first row after {first_row * 1000:.0f} ms "
            f"(target ≤ {FIRST_ROW_SECONDS * 1000:.0f} ms)",
        ),
        Check(
            seconds < CSV_SECONDS,
            f"CSV of {large_rows:,} rows: complete in {seconds:.2f} s (target < {CSV_SECONDS:g} s,"
            f" {seconds / CSV_SECONDS:.2f}x of it)",
        ),
        Check(
            large_growth <= small_growth + FLAT_MARGIN_MB,
            f"CSV memory flat: peak growth {large_growth:.1f} MB at {large_rows:,} rows against "
            f"{small_growth:.1f} MB at {small_downloads[0].rows:,} "
            f"(target ≤ {FLAT_MARGIN_MB} MB more)",
        ),
    ]


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit("Interrupted; the bench's servers are stopped and its database dropped.")
