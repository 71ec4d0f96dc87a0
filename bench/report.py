"""What the bench prints: the machine, the load table, the curve table and the targets."""

import os
import platform
import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import django

from bench.disturbance import Disturbance
from bench.processes import serving
from bench.scenario import CONSTANT_BYTES, CurvePoint, Endpoint
from bench.wrk import WrkRun

# The curve's sizes whose query counts must be equal: the API and the page may not query per goal.
SAME_QUERIES_AT = (1, 5, 1000)
# Past this share of the CPUs taken by other programs, a measurement is not a quiet machine's.
QUIET_LIMIT_PERCENT = 5


@dataclass(frozen=True)
class Row:
    """One endpoint under load: medians over the rounds; errors over every run, warm-up too."""

    endpoint: Endpoint
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    queries: int
    ratio: float | None  # requests/s over the baseline's
    non_2xx: int
    socket_errors: int


@dataclass(frozen=True)
class Check:
    passed: bool
    text: str

    def __str__(self) -> str:
        return f"{'PASS' if self.passed else 'FAIL'}  {self.text}"


def machine_line(*, postgresql: str, redis: str) -> str:
    return (
        f"Machine: {cpu_model()}, {os.cpu_count()} CPUs, {memory_gib():.1f} GiB; "
        f"Python {platform.python_version()}, Django {django.get_version()}, "
        f"PostgreSQL {postgresql}, Redis {redis}; gunicorn, {serving()}"
    )


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def memory_gib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024**2  # given in KiB
    return 0.0


def rows(
    endpoints: list[Endpoint],
    rounds: dict[str, list[WrkRun]],
    warm_ups: dict[str, WrkRun],
    queries: dict[str, int],
) -> list[Row]:
    throughput = {
        name: statistics.median(run.requests_per_second for run in runs)
        for name, runs in rounds.items()
    }
    table = []
    for endpoint in endpoints:
        measured = rounds[endpoint.name]
        every_run = [warm_ups[endpoint.name], *measured]
        ratio = (
            throughput[endpoint.name] / throughput[endpoint.baseline] if endpoint.baseline else None
        )
        table.append(
            Row(
                endpoint=endpoint,
                requests_per_second=throughput[endpoint.name],
                p50_ms=statistics.median(run.p50_ms for run in measured),
                p99_ms=statistics.median(run.p99_ms for run in measured),
                queries=queries[endpoint.name],
                ratio=ratio,
                non_2xx=sum(run.non_2xx for run in every_run),
                socket_errors=sum(run.socket_errors for run in every_run),
            )
        )
    return table


def load_table(table_rows: list[Row]) -> str:
    lines = markdown_header(
        ["endpoint", "req/s", "p50 ms", "p99 ms", "queries", "ratio", "non-2xx"]
    )
    for row in table_rows:
        ratio = "—" if row.ratio is None else f"{row.ratio:.2f}x"
        lines.append(
            f"| {row.endpoint.name} | {row.requests_per_second:.1f} | {row.p50_ms:.2f} "
            f"| {row.p99_ms:.2f} | {row.queries} | {ratio} | {row.non_2xx} |"
        )
    troubled = [row for row in table_rows if row.socket_errors]
    if troubled:
        lines.append("")
        lines.append("wrk's socket errors (connect, read, write and timeout), every run:")
        lines += [f"- {row.endpoint.name}: {row.socket_errors}" for row in troubled]
    return "\n".join(lines)


def curve_table(points: list[CurvePoint]) -> str:
    lines = markdown_header(
        [
            "goals",
            "list cold ms",
            "per goal µs",
            "list warm ms",
            "queries cold/warm",
            "dashboard ms",
            "dashboard queries",
        ]
    )
    for point in points:
        per_goal_us = point.list_cold_ms * 1000 / point.goals
        lines.append(
            f"| {point.goals} | {point.list_cold_ms:.2f} | {per_goal_us:.1f} "
            f"| {point.list_warm_ms:.2f} | {point.list_cold_queries}/{point.list_warm_queries} "
            f"| {point.dashboard_ms:.2f} | {point.dashboard_queries} |"
        )
    return "\n".join(lines)


def markdown_header(columns: list[str]) -> list[str]:
    # The first column is text; the figures are aligned right.
    alignments = ["---", *["---:"] * (len(columns) - 1)]
    return [f"| {' | '.join(columns)} |", f"| {' | '.join(alignments)} |"]


def checks(
    table_rows: list[Row], points: list[CurvePoint], disturbances: list[Disturbance]
) -> list[Check]:
    return [
        *target_checks(table_rows),
        same_queries_check("API list queries (cold)", points, lambda p: p.list_cold_queries),
        same_queries_check("API list queries (warm)", points, lambda p: p.list_warm_queries),
        same_queries_check("dashboard queries", points, lambda p: p.dashboard_queries),
        errors_check(table_rows),
        quiet_check(disturbances),
    ]


def target_checks(table_rows: list[Row]) -> Iterable[Check]:
    # A view that only returns bytes shows how much of a p99 is the machine's own.
    floor = next((row for row in table_rows if row.endpoint.name == CONSTANT_BYTES), None)
    for row in table_rows:
        endpoint = row.endpoint
        if endpoint.min_ratio is not None and row.ratio is not None:
            yield Check(
                row.ratio >= endpoint.min_ratio,
                f"{endpoint.name}: {row.ratio:.2f}x the req/s of {endpoint.baseline} "
                f"(target ≥ {endpoint.min_ratio}x)",
            )
        if endpoint.max_p99_of_floor is not None and floor is not None:
            most = endpoint.max_p99_of_floor * floor.p99_ms
            yield Check(
                row.p99_ms <= most,
                f"{endpoint.name}: p99 {row.p99_ms:.2f} ms (target ≤ {most:.2f} ms, "
                f"{endpoint.max_p99_of_floor:g}x the constant bytes' {floor.p99_ms:.2f} ms)",
            )


def same_queries_check(
    what: str, points: list[CurvePoint], count: Callable[[CurvePoint], int]
) -> Check:
    by_goals = {point.goals: count(point) for point in points}
    counts = [by_goals[goals] for goals in SAME_QUERIES_AT]
    sizes = ", ".join(map(str, SAME_QUERIES_AT[:-1])) + f" and {SAME_QUERIES_AT[-1]}"
    figures = ", ".join(map(str, counts))
    return Check(len(set(counts)) == 1, f"{what} equal at {sizes} goals: {figures}")


def errors_check(table_rows: list[Row]) -> Check:
    failing = [
        f"{row.endpoint.name} ({row.non_2xx} non-2xx, {row.socket_errors} socket errors)"
        for row in table_rows
        if row.non_2xx or row.socket_errors
    ]
    if failing:
        return Check(False, "answers that were not 2xx or failed: " + "; ".join(failing))
    return Check(True, "every answer under load was 2xx, with no socket errors")


def quiet_check(disturbances: list[Disturbance]) -> Check:
    worst = max(disturbances, key=lambda disturbance: disturbance.others_cpu_percent)
    past = sum(d.others_cpu_percent > QUIET_LIMIT_PERCENT for d in disturbances)
    return Check(
        past == 0,
        f"quiet machine: other programs took at most {worst.others_cpu_percent:.0f}% of the CPUs "
        f"during a measurement, limit {QUIET_LIMIT_PERCENT}% ({past} of {len(disturbances)} "
        f"measurements past it; the worst: {worst.measurement})",
    )
