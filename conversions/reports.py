"""The reports' queries: which goals convert, and which agents and departments are credited.

Figures come from the daily totals (conversions.totals), a few thousand rows for a range of
90 days; only the list of conversions and its download read the conversions themselves, a page
or a stream at a time. Days are UTC dates and a range takes in both its first and last day.
"""

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate
from typing import Any

from django.db import connection, transaction
from django.db.models import Q, QuerySet, Sum

from accounts.models import Account
from conversions import recompute
from conversions.models import (
    DELAY_BOUNDS,
    DELAY_COLUMNS,
    NO_DEPARTMENT,
    Agent,
    AgentServedTotal,
    Conversion,
    ConversionTotal,
    Department,
    GoalDayTotal,
    ServedChatTotal,
)
from goals.models import AttributionModel, Goal

# Past this many days, the chart counts conversions by week (from Monday) instead of by day.
DAILY_UP_TO = 90


@dataclass(frozen=True)
class Filters:
    """What a report covers: the UTC days from `start` to `end`, both included, and at most one
    goal, one agent and one department (NO_DEPARTMENT: chats without one)."""

    start: date
    end: date
    goal_id: int | None = None
    agent_id: int | None = None
    department_id: int | None = None

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> "Filters":
        """The period of the same length just before this one, with the same filters."""
        return replace(
            self, start=self.start - timedelta(days=self.days), end=self.start - timedelta(days=1)
        )

    @property
    def moments(self) -> tuple[datetime, datetime]:
        """The range as UTC times: from the first day's start to the next day after the last."""
        return (
            datetime.combine(self.start, time(), UTC),
            datetime.combine(self.end + timedelta(days=1), time(), UTC),
        )


@dataclass(frozen=True)
class Figures:
    """The headline of a range: its conversions, its served chats, and how many conversions
    fell in each bucket of the time from the credited touch to the conversion (DELAY_BOUNDS)."""

    conversions: int
    served_chats: int
    delays: tuple[int, ...]

    @property
    def rate(self) -> float | None:
        """Conversions per served chat; None without served chats."""
        return self.conversions / self.served_chats if self.served_chats else None

    @property
    def median_delay(self) -> tuple[timedelta, timedelta | None] | None:
        """The bounds (from, up to; None: no upper bound) of the bucket of DELAY_BOUNDS that holds
        the median time to convert (for an even count, the lower of the two middle ones); None
        without conversions."""
        middle = (sum(self.delays) + 1) // 2
        if not middle:
            return None
        bucket = bisect_left(list(accumulate(self.delays)), middle)
        lower = DELAY_BOUNDS[bucket - 1] if bucket else timedelta(0)
        return lower, DELAY_BOUNDS[bucket] if bucket < len(DELAY_BOUNDS) else None


@dataclass
class Row:
    """A line of the agents' or departments' table: `first_touch_share` and `last_touch_share`
    are the line's part (0 to 1) of the range's conversions by that model, None when the range
    has none."""

    key: int
    name: str
    conversions: int = 0
    served_chats: int = 0
    by_model: dict[str, int] = field(default_factory=dict)
    first_touch_share: float | None = None
    last_touch_share: float | None = None

    @property
    def rate(self) -> float | None:
        return self.conversions / self.served_chats if self.served_chats else None


def figures(account: Account, filters: Filters) -> Figures:
    """The headline of the range: one query of the conversions' totals, one of the chats'."""
    sums = _conversion_totals(account, filters).aggregate(
        conversions=Sum("conversions"), **{c: Sum(c) for c in DELAY_COLUMNS}
    )
    served = _served_totals(account, filters).aggregate(chats=Sum("chats"))["chats"] or 0
    return Figures(sums["conversions"] or 0, served, tuple(sums[c] or 0 for c in DELAY_COLUMNS))


def series(account: Account, filters: Filters) -> tuple[list[date], dict[int, list[int]]]:
    """The range's conversions a day (a week, from Monday, past DAILY_UP_TO days) for each goal
    that has any: ([first day of each point within the range], {goal_id: [conversions at each
    point]}). A range that starts mid-week starts with the rest of that week."""
    weekly = filters.days > DAILY_UP_TO

    def point(day: date) -> date:
        return max(day - timedelta(days=day.weekday()), filters.start) if weekly else day

    points = sorted({point(filters.start + timedelta(days=n)) for n in range(filters.days)})
    index = {day: n for n, day in enumerate(points)}
    counts: dict[int, list[int]] = defaultdict(lambda: [0] * len(points))
    # Without an agent or a department, a goal's day is one row of GoalDayTotal.
    by_goal = filters.agent_id is None and filters.department_id is None
    rows = (
        (_goal_totals(account, filters) if by_goal else _conversion_totals(account, filters))
        .values_list("goal_id", "day")
        .annotate(conversions=Sum("conversions"))
        .order_by()
    )
    for goal_id, day, conversions in rows:
        counts[goal_id][index[point(day)]] += conversions
    return points, {goal_id: line for goal_id, line in counts.items() if any(line)}


def goal_trends(
    account: Account, goal_ids: list[int], *, days: int, today: date
) -> dict[int, list[int]]:
    """The conversions a day of these goals over the `days` days that end with `today`:
    {goal_id: [conversions of each day, oldest first]}, for every goal asked."""
    filters = Filters(start=today - timedelta(days=days - 1), end=today)
    lines = {goal_id: [0] * days for goal_id in goal_ids}
    rows = (
        GoalDayTotal.objects.filter(
            account=account, goal_id__in=goal_ids, day__range=(filters.start, filters.end)
        )
        .values_list("goal_id", "day", "conversions")
        .order_by()
    )
    for goal_id, day, conversions in rows:
        lines[goal_id][(day - filters.start).days] += conversions
    return lines


def agent_rows(account: Account, filters: Filters) -> list[Row]:
    """A row for each agent credited with a conversion or who served a chat in the range, by
    agent id."""
    conversions = _conversion_totals(account, filters).values_list("agent_id", "attribution_model")
    served = _agent_served(account, filters).values_list("agent_id")
    names = dict(Agent.objects.filter(account=account).values_list("agent_id", "name"))
    return _rows(conversions, served, lambda agent_id: names.get(agent_id) or f"Agent {agent_id}")


def department_rows(account: Account, filters: Filters) -> list[Row]:
    """A row for each department (NO_DEPARTMENT: chats without one) with conversions or served
    chats in the range, by department id."""
    conversions = _conversion_totals(account, filters).values_list(
        "department_id", "attribution_model"
    )
    if filters.agent_id is None:
        served = _served_totals(account, filters).values_list("department_id")
    else:
        served = _agent_served(account, filters).values_list("department_id")
    names = dict(Department.objects.filter(account=account).values_list("department_id", "name"))
    return _rows(conversions, served, lambda key: department_name(key, names))


def department_name(department_id: int, names: dict[int, str]) -> str:
    """What the reports call a department: its name, else its id; NO_DEPARTMENT: none."""
    if department_id == NO_DEPARTMENT:
        return "No department"
    return names.get(department_id) or f"Department {department_id}"


def goal_names(account: Account, goal_ids: set[int]) -> dict[int, str]:
    """The names of these goals: a goal's own, or the one its conversions keep once it is
    deleted."""
    names = dict(Goal.objects.filter(account=account, pk__in=goal_ids).values_list("pk", "name"))
    for goal_id in goal_ids - names.keys():
        kept = Conversion.objects.filter(account=account, goal_id=goal_id).values_list(
            "goal_name", flat=True
        )
        names[goal_id] = kept.first() or f"Goal {goal_id}"
    return names


def choices(account: Account) -> dict[str, list[tuple[int, str]]]:
    """What the filters offer: the account's goals (deleted ones with conversions too), agents
    and departments, by name: {"goals"|"agents"|"departments": [(id, name)]}."""
    # A deleted goal is offered while it has conversions.
    goal_ids = set(
        GoalDayTotal.objects.filter(account=account, conversions__gt=0)
        .values_list("goal_id", flat=True)
        .distinct()
    )
    goal_ids |= set(Goal.objects.filter(account=account).values_list("pk", flat=True))
    departments = {d.department_id: str(d) for d in Department.objects.filter(account=account)}
    return {
        "goals": _by_name(goal_names(account, goal_ids)),
        "agents": _by_name({a.agent_id: str(a) for a in Agent.objects.filter(account=account)}),
        "departments": _by_name(departments),
    }


def conversion_page(
    account: Account,
    filters: Filters,
    *,
    after: tuple[datetime, str] | None = None,
    before: tuple[datetime, str] | None = None,
    size: int,
) -> tuple[list[dict[str, Any]], bool]:
    """A page of the range's conversions, newest first: those older than `after` or, given
    `before`, the newest `size` newer than it, as dicts of Conversion's fields; and whether there
    are more beyond the page (older after `after`, newer before `before`). The cursors are
    (timestamp, conversion_id) pairs of a page's last or first row."""
    conversions = _conversions(account, filters)
    if after is not None:
        conversions = _beyond(conversions, after, newer=False)
    elif before is not None:
        conversions = _beyond(conversions, before, newer=True)
    else:
        conversions = conversions.order_by("-timestamp", "-conversion_id")
    rows = list(conversions.values()[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if before is not None:
        rows.reverse()
    return rows, more


def conversion_rows(
    account: Account, filters: Filters, *, size: int = 2000
) -> Iterator[dict[str, Any]]:
    """Every conversion of the range, oldest first, as dicts of Conversion's fields, as they
    stood at the first read, fetched `size` at a time from one cursor: memory stays flat, and a
    large range starts at once. The cursor reads in a snapshot (`snapshot`), so a conversion
    that moves in time while a download is read slowly is neither read twice nor missed, and no
    writer waits for it. On PostgreSQL the cursor is a server-side one, in the snapshot's
    transaction, so the first rows come before the query has run to its end."""
    rows = _conversions(account, filters).order_by("timestamp", "conversion_id").values()
    with snapshot():
        if connection.vendor != "postgresql":
            yield from rows.iterator(chunk_size=size)
            return
        # Django's cursor would read the three timestamps of a row in Python, the most of a
        # large download's time: the same query, on psycopg's cursor, reads them in C.
        sql, params = rows.query.sql_with_params()
        with connection.connection.cursor(name="conversion_rows") as cursor:
            recompute.read_timestamps_in_c(cursor)
            cursor.itersize = size
            cursor.execute(sql, params)
            names = [column.name for column in cursor.description]
            for row in cursor:
                yield dict(zip(names, row, strict=True))


@contextmanager
def snapshot() -> Iterator[None]:
    """Reads that all see the database as it stood at the first of them, however long they take
    and whatever commits meanwhile, holding off no writer: a read-only REPEATABLE READ transaction
    on PostgreSQL; on SQLite a deferred transaction, which in WAL mode (settings) lets writers
    commit beside it. Within a transaction already open, the reads are that transaction's."""
    if connection.in_atomic_block:
        yield
    elif connection.vendor == "sqlite":
        # Django's atomic() would BEGIN IMMEDIATE (settings), taking the write lock for as long
        # as the reads last.
        with connection.cursor() as cursor:
            cursor.execute("BEGIN DEFERRED")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("COMMIT")
    else:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield


def _beyond(
    conversions: QuerySet[Conversion], cursor: tuple[datetime, str], *, newer: bool
) -> QuerySet[Conversion]:
    """The conversions after `cursor` in time order (oldest first) when `newer`, else before it
    (newest first). The plain bound on the timestamp lets the database start its index range
    at the cursor, which it cannot read off the "or"."""
    moment, conversion_id = cursor
    if newer:
        return conversions.filter(
            Q(timestamp__gt=moment) | Q(timestamp=moment, conversion_id__gt=conversion_id),
            timestamp__gte=moment,
        ).order_by("timestamp", "conversion_id")
    return conversions.filter(
        Q(timestamp__lt=moment) | Q(timestamp=moment, conversion_id__lt=conversion_id),
        timestamp__lte=moment,
    ).order_by("-timestamp", "-conversion_id")


def _conversions(account: Account, filters: Filters) -> QuerySet[Conversion]:
    start, end = filters.moments
    conversions = Conversion.objects.filter(
        account=account, timestamp__gte=start, timestamp__lt=end
    )
    if filters.goal_id is not None:
        conversions = conversions.filter(goal_id=filters.goal_id)
    if filters.agent_id is not None:
        conversions = conversions.filter(agent_id=filters.agent_id)
    if filters.department_id == NO_DEPARTMENT:
        conversions = conversions.filter(department_id__isnull=True)
    elif filters.department_id is not None:
        conversions = conversions.filter(department_id=filters.department_id)
    return conversions


def _conversion_totals(account: Account, filters: Filters) -> QuerySet[ConversionTotal]:
    totals = ConversionTotal.objects.filter(
        account=account, day__range=(filters.start, filters.end)
    )
    for name in ("goal_id", "agent_id", "department_id"):
        if getattr(filters, name) is not None:
            totals = totals.filter(**{name: getattr(filters, name)})
    return totals


def _goal_totals(account: Account, filters: Filters) -> QuerySet[GoalDayTotal]:
    totals = GoalDayTotal.objects.filter(account=account, day__range=(filters.start, filters.end))
    if filters.goal_id is not None:
        totals = totals.filter(goal_id=filters.goal_id)
    return totals


def _served_totals(account: Account, filters: Filters) -> QuerySet:
    """The served chats of the range: each chat once, or an agent's when one is asked for. A
    goal does not narrow them: any served chat may convert on any goal."""
    if filters.agent_id is not None:
        return _agent_served(account, filters)
    served = ServedChatTotal.objects.filter(
        account=account, day__range=(filters.start, filters.end)
    )
    if filters.department_id is not None:
        served = served.filter(department_id=filters.department_id)
    return served


def _agent_served(account: Account, filters: Filters) -> QuerySet[AgentServedTotal]:
    served = AgentServedTotal.objects.filter(
        account=account, day__range=(filters.start, filters.end)
    )
    for name in ("agent_id", "department_id"):
        if getattr(filters, name) is not None:
            served = served.filter(**{name: getattr(filters, name)})
    return served


def _rows(conversions: QuerySet, served: QuerySet, name_of: Any) -> list[Row]:
    """Rows keyed by the first column of both querysets: conversions summed by model, served
    chats summed; each row's shares of the conversions of each model."""
    rows: dict[int, Row] = {}

    def row(key: int) -> Row:
        if key not in rows:
            rows[key] = Row(key, name_of(key))
        return rows[key]

    for key, model, count in conversions.annotate(count=Sum("conversions")).order_by():
        if count:
            row(key).conversions += count
            row(key).by_model[model] = row(key).by_model.get(model, 0) + count
    for key, count in served.annotate(count=Sum("chats")).order_by():
        if count:
            row(key).served_chats += count
    for model, share in (
        (AttributionModel.FIRST_TOUCH, "first_touch_share"),
        (AttributionModel.LAST_TOUCH, "last_touch_share"),
    ):
        total = sum(r.by_model.get(model, 0) for r in rows.values())
        for r in rows.values():
            setattr(r, share, r.by_model.get(model, 0) / total if total else None)
    return sorted(rows.values(), key=lambda r: r.key)


def _by_name(names: dict[int, str]) -> list[tuple[int, str]]:
    return sorted(names.items(), key=lambda item: (item[1].casefold(), item[0]))
