"""wrk against the collect endpoint for the tracking bench (bench.tracking): its runs beside its
yardsticks, and the burst, timed until the ingest worker has stored it all. The page views, the
endpoint's and the plain collect view's, are bench/tracking.lua's, each of its own.
"""

import itertools
import signal
import subprocess
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import IO

import redis

from bench import database, processes, wrk
from bench.conversions_data import SITE
from bench.disturbance import CLOCK_TICKS_PER_SECOND, Snapshot, bench_processes, snapshot
from bench.run import progress
from bench.scenario import Endpoint
from bench.tracking_report import Burst
from bench.wrk import WrkRun

COLLECT = "POST /api/collect/{site_key}"
PLAIN_COLLECT = "baseline: plain collect"
CONNECTIONS = 64
SCRIPT = Path(__file__).with_name("tracking.lua")
BROWSER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
# The proxy in front of the app servers (PROXY_COUNT=1), as X-Forwarded-For names it.
PROXY = "172.16.0.1"
BURST_PREFIX = "burst"
# The bench gives up on a burst not answered in this time, or not stored in this many times
# the time it took to answer (and half a minute more): enough to tell a miss by how much.
BURST_LIMIT_SECONDS = 900
STORED_GIVE_UP_OVER_ACCEPTED = 4
POLL_SECONDS = 0.05
PROGRESS_SECONDS = 15
LOAD_RUNS = itertools.count(1)  # the ids' prefixes of the load's runs


class Stream:
    """The Redis stream that the collect endpoint appends to."""

    def __init__(self, port: int, name: str) -> None:
        self.client = redis.Redis(host=processes.HOST, port=port)
        self.name = name

    def length(self) -> int:
        return self.client.xlen(self.name)

    def flushes(self) -> int:
        """The ingest worker's batches so far: it acknowledges each with one XACK."""
        return self.client.info("commandstats").get("cmdstat_xack", {}).get("calls", 0)


# The bench's programs by what their command lines hold, the first that matches.
PROGRAMS = (
    (b"gunicorn", "the app servers (gunicorn)"),
    (b"ingest_worker", "the ingest worker"),
    (database.NAME.encode(), "PostgreSQL"),
    (b"redis-server", "Redis"),
    (b"wrk", "wrk"),
)


def cpu_seconds(before: Snapshot, after: Snapshot) -> dict[str, float]:
    """The CPU seconds that the bench's programs took between the snapshots, program by
    program; the bench's own polling is "the bench"."""
    seconds: dict[str, float] = defaultdict(float)
    for pid in bench_processes(after):
        process, earlier = after[pid], before.get(pid)
        same = earlier is not None and earlier.started == process.started
        ticks = process.cpu_ticks - (earlier.cpu_ticks if same else 0)
        seconds[program_of(pid)] += ticks / CLOCK_TICKS_PER_SECOND
    return dict(seconds)


def program_of(pid: int) -> str:
    """The name in PROGRAMS of a running process of the bench."""
    try:
        command = (Path("/proc") / str(pid) / "cmdline").read_bytes()
    except OSError:
        command = b""  # it ended meanwhile
    return next((name for part, name in PROGRAMS if part in command), "the bench")


def wrk_command(url: str, seconds: int, *script_arguments: str) -> list[str]:
    """wrk at CONNECTIONS connections; with arguments, sending bench/tracking.lua's page views."""
    options = [f"-t{wrk.THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", wrk.TIMEOUT]
    if not script_arguments:
        return ["wrk", *options, "--latency", url]
    return ["wrk", *options, "--latency", "-s", str(SCRIPT), url, "--", *script_arguments]


def page_views(prefix: str, count: int) -> list[str]:
    """bench/tracking.lua's arguments: page views with ids of that prefix, `count` in all or as
    many as the time allows (0), from a browser on the site, through the proxy."""
    return [prefix, str(count), str(wrk.THREADS), SITE, BROWSER_AGENT, PROXY]


def run_wrk(base_url: str, endpoint: Endpoint, script: Path, seconds: float) -> WrkRun:
    """bench.wrk.run's stand-in while bench.run.load loads the endpoints: CONNECTIONS
    connections, and the page views that the POSTs send made by bench/tracking.lua, each of its
    own (bench.wrk's `script` sends the same request every time: it is left unused)."""
    arguments = page_views(f"load-{next(LOAD_RUNS)}", 0) if endpoint.method == "POST" else []
    command = wrk_command(base_url + endpoint.paths[0], int(seconds), *arguments)
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"wrk failed on {endpoint.name}: {completed.stderr}")
    return wrk.parsed(completed.stdout)


class Answers:
    """What wrk writes, line by line, each with the time it came: read in a thread of its own
    while the bench polls the database."""

    def __init__(self, output: IO[str]) -> None:
        self.lines: list[tuple[float, str]] = []
        self.reader = threading.Thread(target=self._read, args=(output,), daemon=True)
        self.reader.start()

    def _read(self, output: IO[str]) -> None:
        for line in output:
            self.lines.append((time.perf_counter(), line))

    def threads_answered(self) -> list[tuple[float, int, int]]:
        """(when, accepted, failed) of each wrk thread that has had its share answered."""
        answered = []
        for when, line in list(self.lines):
            if line.startswith("answered "):
                _, _, accepted, failed = line.split()
                answered.append((when, int(accepted), int(failed)))
        return answered

    def text(self) -> str:
        self.reader.join()
        return "".join(line for _, line in self.lines)


def run_burst(
    url: str, size: int, stream: Stream, account_id: int, worker: subprocess.Popen
) -> Burst:
    """Send `size` page views and poll until the database holds them all."""
    from bench import tracking_inside as inside

    if stream.length():
        raise SystemExit("The stream is not empty before the burst.")
    received_before = inside.page_views_received(account_id)
    flushes_before, cpu_before = stream.flushes(), snapshot()
    started = time.perf_counter()
    process = subprocess.Popen(
        wrk_command(url, BURST_LIMIT_SECONDS, *page_views(BURST_PREFIX, size)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    answers = Answers(process.stdout)
    expected = size  # until wrk tells how many were accepted
    accepted_at: float | None = None
    stored_at: float | None = None
    stream_at_accept = longest_stream = 0
    told = started
    try:
        while stored_at is None or accepted_at is None:
            now = time.perf_counter()
            length = stream.length()
            longest_stream = max(longest_stream, length)
            answered = answers.threads_answered()
            if accepted_at is None and len(answered) == wrk.THREADS:
                accepted_at = max(when for when, _, _ in answered)
                expected = sum(accepted for _, accepted, _ in answered)
                stream_at_accept = length
            stored = inside.page_views_received(account_id) - received_before
            if stored_at is None and stored >= expected:
                stored_at = now
            if now - told > PROGRESS_SECONDS:
                told = now
                progress(f"{now - started:.0f} s: {stored:,} stored, {length:,} in the stream")
            if gave_up(started, now, accepted_at, process, worker):
                break
            time.sleep(POLL_SECONDS)
        # Before wrk ends: a program is told by its command line, which goes with it.
        cpu = cpu_seconds(cpu_before, snapshot())
    finally:
        # wrk sleeps out its duration even when every thread has stopped; Ctrl-C ends it.
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        process.wait()
    run = wrk.parsed(answers.text())
    answered = answers.threads_answered()
    return Burst(
        size=size,
        accepted=sum(accepted for _, accepted, _ in answered),
        failed=sum(failed for _, _, failed in answered),
        socket_errors=run.socket_errors,
        accept_seconds=(accepted_at or time.perf_counter()) - started,
        stored_seconds=None if stored_at is None else stored_at - started,
        stream_at_accept=stream_at_accept,
        longest_stream=longest_stream,
        in_database=inside.page_views_stored(account_id, f"{BURST_PREFIX}-"),
        flushes=stream.flushes() - flushes_before,
        cpu_seconds=cpu,
    )


def gave_up(
    started: float,
    now: float,
    accepted_at: float | None,
    wrk_process: subprocess.Popen,
    worker: subprocess.Popen,
) -> bool:
    """Whether to stop waiting for the burst: answered (or stored) for too long, or a program
    the burst needs ended."""
    if worker.poll() is not None:
        raise SystemExit(f"The ingest worker stopped (exit status {worker.returncode}).")
    if accepted_at is None:
        if wrk_process.poll() is not None:
            raise SystemExit(
                f"wrk stopped before the burst was answered: {wrk_process.stderr.read()}"
            )
        return now - started > BURST_LIMIT_SECONDS
    return now - started > STORED_GIVE_UP_OVER_ACCEPTED * (accepted_at - started) + 30
