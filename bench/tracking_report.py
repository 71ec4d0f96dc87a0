"""What the tracking bench prints: its tables and its targets (issue 13, "Speed")."""

from dataclasses import dataclass, field

from bench.disturbance import Disturbance
from bench.report import Check, Row, errors_check, markdown_header, quiet_check, target_checks

# The worker keeps up: the burst is stored within this many times the time it took to answer.
STORED_OVER_ACCEPTED = 2.0


@dataclass(frozen=True)
class Cost:
    """What a request costs inside Django, a mean over the repetitions: in all, in queries and in
    Redis commands (round trips); the rest is Django's and the view's own Python."""

    name: str
    ms: float
    queries: float
    query_ms: float
    redis_commands: float
    redis_ms: float

    @property
    def rest_ms(self) -> float:
        return self.ms - self.query_ms - self.redis_ms


@dataclass(frozen=True)
class Burst:
    """The burst of page views: answered by the endpoint, then stored by the ingest worker.
    Times are seconds from the burst's start; stored_seconds is None when the bench gave up."""

    size: int
    accepted: int  # answered 204
    failed: int  # answered anything but 204
    socket_errors: int
    accept_seconds: float
    stored_seconds: float | None
    stream_at_accept: int  # the stream's length when the last page view was answered
    longest_stream: int
    in_database: int  # the burst's page views the database holds at the end
    flushes: int  # the ingest worker's batches
    # CPU seconds that each of the bench's programs took from the burst's start until stored.
    cpu_seconds: dict[str, float] = field(default_factory=dict)

    @property
    def stored_over_accepted(self) -> float | None:
        return None if self.stored_seconds is None else self.stored_seconds / self.accept_seconds


@dataclass
class Measured:
    rows: list[Row]
    costs: list[Cost]
    burst: Burst
    connections: int
    # Whether the rate limit counted each client by its forwarded address; when not, the load
    # ran with the limit lifted, so that its figures are still the endpoint's work.
    addresses_told_apart: bool
    worker_timeouts: int  # the app server workers that gunicorn killed, stuck in a request
    disturbances: list[Disturbance] = field(default_factory=list)


def load_table(rows: list[Row], yardstick: str) -> str:
    """The rows under load; "ratio" is each row's req/s over its baseline's (the target's), and a
    column more tells it over the `yardstick` row's, for information."""
    lines = markdown_header(
        [
            "endpoint",
            "req/s",
            "p50 ms",
            "p99 ms",
            "queries",
            "ratio",
            "target",
            f"ratio to {yardstick.removeprefix('baseline: ')}",
            "non-2xx",
        ]
    )
    by_yardstick = next(row for row in rows if row.endpoint.name == yardstick).requests_per_second
    for row in rows:
        endpoint = row.endpoint
        ratio = "—" if row.ratio is None else f"{row.ratio:.2f}x"
        to_yardstick = (
            "—" if endpoint.name == yardstick else f"{row.requests_per_second / by_yardstick:.2f}x"
        )
        target = (
            f"≥ {endpoint.min_ratio:g}x req/s, p99 ≤ {endpoint.max_p99_of_floor:g}x the baseline's"
            if endpoint.min_ratio is not None and endpoint.max_p99_of_floor is not None
            else "—"
        )
        lines.append(
            f"| {endpoint.name} | {row.requests_per_second:.1f} | {row.p50_ms:.2f} "
            f"| {row.p99_ms:.2f} | {row.queries} | {ratio} | {target} | {to_yardstick} "
            f"| {row.non_2xx} |"
        )
    return "\n".join(lines)


def cost_table(costs: list[Cost]) -> str:
    lines = markdown_header(
        ["endpoint", "ms", "queries", "query ms", "Redis commands", "Redis ms", "the rest ms"]
    )
    lines += [
        f"| {cost.name} | {cost.ms:.3f} | {cost.queries:g} | {cost.query_ms:.3f} "
        f"| {cost.redis_commands:g} | {cost.redis_ms:.3f} | {cost.rest_ms:.3f} |"
        for cost in costs
    ]
    return "\n".join(lines)


def burst_table(burst: Burst) -> str:
    stored = (
        f"{burst.stored_seconds:.1f} s: {burst.accepted / burst.stored_seconds:,.0f} rows/s"
        if burst.stored_seconds is not None
        else f"not all after {burst.accept_seconds:.1f} s and more: {burst.in_database:,} stored"
    )
    ratio = burst.stored_over_accepted
    return "\n".join(
        [
            *markdown_header(["measurement", "figure"]),
            f"| page views sent, each of its own | {burst.size:,} |",
            f"| answered (T_accept) | {burst.accept_seconds:.1f} s: "
            f"{burst.size / burst.accept_seconds:,.0f} a second; {burst.accepted:,} accepted "
            f"(204), {burst.failed:,} not, {burst.socket_errors:,} socket errors |",
            f"| in the database (T_stored) | {stored} |",
            f"| T_stored over T_accept | {'—' if ratio is None else f'{ratio:.2f}x'} "
            f"(target ≤ {STORED_OVER_ACCEPTED:g}x) |",
            f"| the stream when the last was answered | {burst.stream_at_accept:,} entries "
            f"(the longest seen: {burst.longest_stream:,}) |",
            f"| the ingest worker's batches | {burst.flushes:,}: "
            f"{burst.accepted / max(burst.flushes, 1):,.1f} page views each |",
        ]
    )


def cpu_table(burst: Burst) -> str:
    """Where the CPUs went during the burst, program by program."""
    lines = markdown_header(["program", "CPU s", "CPU ms a page view", "share"])
    total = sum(burst.cpu_seconds.values())
    for program, seconds in sorted(burst.cpu_seconds.items(), key=lambda item: -item[1]):
        lines.append(
            f"| {program} | {seconds:.1f} | {seconds * 1000 / burst.accepted:.3f} "
            f"| {seconds / total:.0%} |"
        )
    return "\n".join(lines)


def checks(measured: Measured) -> list[Check]:
    return [
        *target_checks(measured.rows),
        errors_check(measured.rows),
        *burst_checks(measured.burst),
        Check(
            measured.addresses_told_apart,
            "the rate limit counts each client by the address the proxy forwards (PROXY_COUNT=1)"
            if measured.addresses_told_apart
            else "the rate limit counted every client as the proxy's one address with "
            "PROXY_COUNT=1 (X-Forwarded-For unread): the load ran with the limit lifted",
        ),
        Check(
            not measured.worker_timeouts,
            f"no app server worker stuck in a request past gunicorn's timeout: "
            f"{measured.worker_timeouts} killed",
        ),
        quiet_check(measured.disturbances),
    ]


def burst_checks(burst: Burst) -> list[Check]:
    ratio = burst.stored_over_accepted
    return [
        Check(
            ratio is not None and ratio <= STORED_OVER_ACCEPTED,
            f"the burst stored in {'—' if ratio is None else f'{ratio:.2f}x'} the time it took "
            f"to answer it (target ≤ {STORED_OVER_ACCEPTED:g}x)",
        ),
        Check(
            burst.accepted == burst.size and not burst.socket_errors,
            f"the burst's {burst.size:,} page views answered 204: {burst.accepted:,}, "
            f"with {burst.socket_errors} socket errors",
        ),
        Check(
            burst.in_database == burst.accepted,
            f"the database holds the burst's {burst.accepted:,} accepted page views, each "
            f"once: {burst.in_database:,}",
        ),
    ]
