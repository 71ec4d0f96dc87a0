"""Keeps the stored conversions what conversions.attribution gives for the data stored now.

Three ways in, all set-based (a query a batch of visitors, never one an event):
- credit_page_views: new page views can only add conversions or make one earlier, since a page
  view's credit depends on nothing but itself, its visitor's touches and the goal;
- recompute_visitors: new or changed chats change their visitors' touches, so those visitors'
  conversions are computed anew and the difference is written;
- Recomputation (recompute_goals): a goal whose terms changed, or that was enabled again, is
  computed anew over every visitor who has touches (a job of the task queue: conversions.jobs).

Writers of one account exclude one another where it matters (lock_conversions): page-view
batches share the lock, while chats, goals being stopped and goals' jobs at their start and
last step hold it alone, so that no batch computes with touches or goal terms that another is
changing; page-view batches that credit conversions then take turns at writing them
(take_turn), so that each reads the stored conversions it replaces, and the daily totals
(conversions.totals) change by exactly the difference. A job computes its goal between its
start and its last step without the lock, for the batches leave a goal that waits for its job
alone, and note the visitors they change for it (note_visitors, catch_up). On SQLite, writers
serialize anyway (BEGIN IMMEDIATE).
"""

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import zip_longest
from typing import Any

import psycopg
from django.db import connection
from django.db.models import Exists, Max, Model, OuterRef
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from conversions import totals
from conversions.attribution import (
    Attribution,
    Credit,
    GoalTerms,
    Touch,
    Visit,
    credits,
    windows,
)
from conversions.models import ChangedVisitor, Conversion, PageView, RecomputeJob
from conversions.models import Touch as TouchRow
from goals.models import Goal

# Rows a statement: within SQLite's 32,766 parameters with every table's columns.
CHUNK = 1000
# The class of PostgreSQL advisory locks that guard an account's conversions ("conv"), and that
# of the turns that page-view batches take at writing them ("turn").
LOCK_CLASS = 0x636F6E76
TURN_CLASS = 0x7475726E
# Told how many visitors of how many are done (recompute_goals).
ProgressReport = Callable[[int, int], None]
_CONVERSION_TABLE = connection.ops.quote_name(Conversion._meta.db_table)
_TOUCH_TABLE = connection.ops.quote_name(TouchRow._meta.db_table)
# What a conversion says, besides its key: a stored row is rewritten only when this differs.
_VALUES = [
    "goal_name",
    "visitor_id",
    "page_view_id",
    "url",
    "timestamp",
    "agent_id",
    "agent_name",
    "department_id",
    "department_name",
    "chat_timestamp",
    "attribution_model",
]
_COLUMNS = ["account_id", "goal_id", "chat_id", "conversion_id", *_VALUES, "update_timestamp"]
# Where in _VALUES the daily totals read a conversion (_counted).
_COUNTED_AT = [
    _VALUES.index(name)
    for name in ("timestamp", "agent_id", "department_id", "attribution_model", "chat_timestamp")
]
# The columns of _VALUES that hold times.
_TIMES = {"timestamp", "chat_timestamp"}
# Where a Recomputation keeps the conversions it computes until it ends: a temporary table.
_STAGED = "conversions_computed"
# psycopg's own reader of PostgreSQL's timestamps, in C, in place of Django's (_rows).
_TIMESTAMPTZ_LOADER = psycopg.adapters.get_loader(
    psycopg.adapters.types["timestamptz"].oid, psycopg.pq.Format.TEXT
)
# PostgreSQL's type of each column that insert_rows writes, for its arrays (unnest); text if not.
_ARRAY_TYPES = {
    "account_id": "bigint",
    "goal_id": "bigint",
    "agent_id": "bigint",
    "department_id": "bigint",
    "timestamp": "timestamptz",
    "chat_timestamp": "timestamptz",
    "update_timestamp": "timestamptz",
}


def lock_conversions(account_id: int, *, exclusive: bool) -> None:
    """Take the account's conversions lock until the transaction ends: shared for page-view
    batches, which only add; exclusive for what changes touches or goal terms."""
    if connection.vendor != "postgresql":
        return  # SQLite: one writer at a time already
    function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s::int4, %s::int4)", [LOCK_CLASS, account_id])


def take_turn(account_id: int) -> None:
    """Wait for the other page-view batches of the account to finish writing conversions, until
    the transaction ends. A batch takes its turn after its page views are stored, and then
    writes only conversions and totals, which only turn holders write: no turn waits on
    another batch that waits for the turn."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s::int4, %s::int4)", [TURN_CLASS, account_id])


def conversion_id(goal_id: int, chat_id: str) -> str:
    """The stable id of the conversion of a (goal, chat) pair: 16 hexadecimal digits."""
    return hashlib.blake2b(f"{goal_id}\x00{chat_id}".encode(), digest_size=8).hexdigest()


@dataclass(frozen=True)
class EnabledGoals:
    """The account's enabled goals: the terms of those that get new conversions (`credited`),
    and the ids of those whose terms changed and whose job (conversions.jobs) has not yet
    computed them anew (`waiting`). A waiting goal's conversions stay as its old terms gave
    them, never a mix of old and new, until its job computes them all; the batches that arrive
    meanwhile note their visitors for it (note_visitors)."""

    credited: list[GoalTerms]
    waiting: list[int]


def enabled_goals(account_id: int) -> EnabledGoals:
    """The account's enabled goals, credited or waiting for their job."""
    waiting = RecomputeJob.objects.waiting().filter(goal_id=OuterRef("pk"), whole=True)
    goals = list(
        Goal.objects.filter(account_id=account_id, enabled=True)
        .annotate(waiting=Exists(waiting))
        .prefetch_related("conditions")
    )
    return EnabledGoals(
        [GoalTerms.of(goal) for goal in goals if not goal.waiting],
        [goal.pk for goal in goals if goal.waiting],
    )


def note_visitors(goal_ids: Sequence[int], visitor_ids: Iterable[str]) -> None:
    """Note these visitors, whose touches or page views changed, for the jobs of these goals
    (ChangedVisitor): in one order in every batch, so that two cannot deadlock."""
    ChangedVisitor.objects.bulk_create(
        ChangedVisitor(goal_id=goal_id, visitor_id=visitor_id)
        for goal_id in sorted(goal_ids)
        for visitor_id in sorted(set(visitor_ids))
    )


def last_noted(goal_id: int) -> int:
    """The id of the goal's latest ChangedVisitor, 0 if none: what a job's computation reads
    covers those up to it, when taken under the account's exclusive lock."""
    noted = ChangedVisitor.objects.filter(goal_id=goal_id).aggregate(last=Max("id"))["last"]
    return noted or 0


def recompute_noted(account_id: int, goal: GoalTerms, after: int) -> int:
    """Compute the goal's conversions anew, in place, for the visitors noted for it since note
    `after` (last_noted) and not computed since, and delete those notes; how many visitors."""
    changes = totals.ConversionChanges(account_id)
    computed = _recompute_noted(account_id, [goal], after, changes)
    changes.write()
    return computed


def catch_up(account_id: int, goal_id: int, goal: GoalTerms | None, after: int) -> None:
    """The last step of the goal's job, under the account's exclusive lock: compute the goal's
    conversions anew (by its terms, `goal`, if the job computed them) for the visitors noted
    since `after` and not computed since (recompute_noted), and delete the goal's notes."""
    if goal is not None:
        recompute_noted(account_id, goal, after)
    ChangedVisitor.objects.filter(goal_id=goal_id)._raw_delete(connection.alias)


def credit_page_views(account_id: int, page_views: Sequence[Visit]) -> None:
    """Add the conversions that these newly stored page views make, or make earlier ones.

    Page views of visitors without touches cost one indexed query for the whole batch.
    """
    touches = _touches(account_id, {page_view.visitor_id for page_view in page_views})
    if not touches:
        return
    goals = enabled_goals(account_id)
    if goals.waiting:
        note_visitors(goals.waiting, {touch.visitor_id for touch in touches})
    found = credits(goals.credited, touches, page_views)
    if not found:
        return
    take_turn(account_id)
    stored = {
        key: values
        for key, values in _stored(account_id, None, chat_ids={key[1] for key in found}).items()
        if key in found
    }
    # Page view ids compare by code point, as Python compares strings.
    at = _VALUES.index("timestamp"), _VALUES.index("page_view_id")
    earlier = [
        credit
        for key, credit in found.items()
        if key not in stored
        or (credit.page_view.timestamp, credit.page_view.page_view_id)
        < (stored[key][at[0]], stored[key][at[1]])
    ]
    changes = totals.ConversionChanges(account_id)
    _write(account_id, earlier, stored, changes)
    changes.write()


def rename_goal(account_id: int, goal_id: int, name: str) -> None:
    """Make the goal's conversions carry its name, stamping those renamed (the incremental
    export sends them again)."""
    Conversion.objects.filter(account_id=account_id, goal_id=goal_id).exclude(
        goal_name=name
    ).update(goal_name=name, update_timestamp=_update_timestamp())


def _update_timestamp() -> datetime:
    """A conversion's update_timestamp if written now: whole seconds, which the incremental
    export's cursor (start_time, start_id) counts in."""
    return timezone.now().replace(microsecond=0)


def recompute_visitors(account_id: int, visitor_ids: Iterable[str]) -> None:
    """Compute the conversions of these visitors anew for the enabled goals, and store the
    difference (a conversion no longer credited is deleted)."""
    visitor_ids = sorted(set(visitor_ids))
    goals = enabled_goals(account_id)
    if goals.waiting:
        note_visitors(goals.waiting, visitor_ids)
    changes = totals.ConversionChanges(account_id)
    _recompute(account_id, goals.credited, visitor_ids, changes)
    changes.write()


class Recomputation:
    """Goals' conversions computed anew over every visitor of an account, within the current
    transaction: a job's (conversions.jobs). Computed with every_visitor, then again for the
    visitors that batches noted meanwhile with noted, as often as need be, and put in place
    with put_in_place.

    Until put_in_place, what it computes waits in a table of the transaction's own (_STAGED),
    and then takes its place stamped with that moment, shortly before the job commits: the
    incremental export holds back only the conversions of the last CONVERSIONS_EXPORT_DELAY
    seconds (conversions.selectors), and a conversion stamped as it was computed would become
    visible, when the job commits, behind the cursor of a client that read on meanwhile."""

    def __init__(self, account_id: int, goals: Sequence[GoalTerms]) -> None:
        self.account_id = account_id
        self.goals = list(goals)
        self.changes = totals.ConversionChanges(account_id)
        with connection.cursor() as cursor:
            # Its columns' types are the conversions' (copy_rows writes them so).
            cursor.execute(
                f"CREATE TEMP TABLE {_STAGED} AS SELECT * FROM {_CONVERSION_TABLE} WHERE 1 = 0"
            )

    def every_visitor(self, progress: ProgressReport | None = None) -> None:
        """Compute the goals' conversions for every visitor who has touches, a chunk of
        visitors at a time (memory stays flat). `progress(done, total)` is called before the
        first chunk and after each, in visitors; what it raises stops the work, the
        transaction's to roll back."""
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT DISTINCT visitor_id FROM {_TOUCH_TABLE}"
                " WHERE account_id = %s ORDER BY visitor_id",
                [self.account_id],
            )
            visitors = [row[0] for row in cursor.fetchall()]
        _recompute(self.account_id, self.goals, visitors, self.changes, progress, _STAGED)
        with connection.cursor() as cursor:
            # A chat sent again with another visitor meanwhile may have been computed under
            # both, in two chunks: one of the two is dropped, and both visitors, noted by the
            # chats' batch, are computed again (noted, catch_up).
            row_id = "ctid" if connection.vendor == "postgresql" else "rowid"
            cursor.execute(
                f"DELETE FROM {_STAGED} WHERE {row_id} NOT IN (SELECT max({row_id})"
                f" FROM {_STAGED} GROUP BY goal_id, chat_id)"
                f" RETURNING goal_id, {', '.join(_VALUES)}"
            )
            dropped = [_counted(row[0], _staged(row[1:])) for row in cursor.fetchall()]
            self.changes.count(removed=dropped)

    def noted(self, after: int) -> int:
        """Compute the goals' conversions again for the visitors noted for them since note
        `after` (last_noted), and delete those notes; how many visitors. Batches go on noting
        the visitors they change meanwhile, for a later call or the job's last step
        (catch_up)."""
        return _recompute_noted(
            self.account_id, self.goals, after, self.changes, _STAGED, (_CONVERSION_TABLE, _STAGED)
        )

    def put_in_place(self) -> None:
        """Put what was computed in place of the goals' conversions, stamped now, drop those
        of visitors without touches, and change the daily totals by the difference."""
        goal_ids = [goal.goal_id for goal in self.goals]
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {_CONVERSION_TABLE} WHERE account_id = %s"
                f" AND goal_id IN ({', '.join(['%s'] * len(goal_ids))}) AND visitor_id NOT IN"
                f" (SELECT visitor_id FROM {_TOUCH_TABLE} WHERE account_id = %s)"
                f" RETURNING goal_id, {', '.join(_VALUES)}",
                [self.account_id, *goal_ids, self.account_id],
            )
            removed = [_counted(row[0], _aware(row[1:])) for row in cursor.fetchall()]
            self.changes.count(removed=removed)
            cursor.execute(
                f"INSERT INTO {_CONVERSION_TABLE} ({', '.join(_COLUMNS)})"
                f" SELECT {', '.join(_COLUMNS[:-1])}, %s FROM {_STAGED} ORDER BY goal_id, chat_id",
                [connection.ops.adapt_datetimefield_value(_update_timestamp())],
            )
            cursor.execute(f"DROP TABLE {_STAGED}")
        self.changes.write()


def recompute_goals(
    account_id: int, goals: Sequence[GoalTerms], *, progress: ProgressReport | None = None
) -> None:
    """Compute these goals' conversions anew over every visitor of the account, and put them
    in place (Recomputation: every_visitor, put_in_place), in the current transaction."""
    if not goals:
        return
    computed = Recomputation(account_id, goals)
    computed.every_visitor(progress)
    computed.put_in_place()


def _recompute_noted(
    account_id: int,
    goals: Sequence[GoalTerms],
    after: int,
    changes: "totals.ConversionChanges",
    into: str = _CONVERSION_TABLE,
    stored_in: Sequence[str] = (_CONVERSION_TABLE,),
) -> int:
    noted = list(
        ChangedVisitor.objects.filter(
            goal_id__in=[goal.goal_id for goal in goals], id__gt=after
        ).values_list("id", "visitor_id")
    )
    visitors = sorted({visitor_id for _, visitor_id in noted})
    _recompute(account_id, goals, visitors, changes, into=into, stored_in=stored_in)
    for chunk in chunks([note_id for note_id, _ in noted]):
        ChangedVisitor.objects.filter(id__in=chunk)._raw_delete(connection.alias)
    return len(visitors)


def _recompute(
    account_id: int,
    goals: Sequence[GoalTerms],
    visitors: Sequence[str],
    changes: "totals.ConversionChanges",
    progress: ProgressReport | None = None,
    into: str = _CONVERSION_TABLE,
    stored_in: Sequence[str] = (_CONVERSION_TABLE,),
) -> None:
    goal_ids = [goal.goal_id for goal in goals]
    attribution = Attribution(goals)
    done = 0
    for chunk in chunks(visitors):
        if progress is not None:
            progress(done, len(visitors))
        done += len(chunk)
        touches = _touches(account_id, chunk)
        page_views = _page_views(account_id, touches, attribution.longest_period)
        found = attribution.credits(touches, page_views)
        # A chat sent again with another visitor leaves its conversions under the visitor it
        # had until they are computed anew, here, where its new visitor is: found by the chat.
        chat_ids = {touch.chat_id for touch in touches}
        stored = {
            key: values
            for table in stored_in
            for key, values in _stored(
                account_id, goal_ids, visitor_ids=chunk, chat_ids=chat_ids, table=table
            ).items()
        }
        _write(
            account_id,
            [credit for key, credit in found.items() if _values(credit) != stored.get(key)],
            stored,
            changes,
            gone=stored.keys() - found.keys(),
            into=into,
            stored_in=stored_in,
        )
    if progress is not None:
        progress(len(visitors), len(visitors))


def _touches(account_id: int, visitor_ids: Iterable[str]) -> list[Touch]:
    sql = (
        "SELECT chat_id, agent_id, visitor_id, time, agent_name, department_id, department_name"
        f" FROM {_TOUCH_TABLE} WHERE account_id = %s AND visitor_id"
    )
    return [
        Touch._make(row)
        for chunk in chunks(sorted(visitor_ids))
        for row in _rows_matching(sql, [account_id], chunk)
    ]


def _page_views(account_id: int, touches: list[Touch], period: timedelta) -> list[Visit]:
    """The page views that these touches could be credited by, for goals whose attribution
    period is at most `period`: those in their visitors' windows (attribution.windows), each
    read by its own range of the index of page views by visitor and time."""
    found = []
    table = connection.ops.quote_name(PageView._meta.db_table)
    joined = (
        f" JOIN {table} p ON p.account_id = %s AND p.visitor_id = w.visitor_id"
        " AND p.timestamp >= w.start AND p.timestamp <= w.stop"
    )
    for chunk in chunks(windows(touches, period)):
        if connection.vendor == "postgresql":
            spans = "unnest(%s::text[], %s::timestamptz[], %s::timestamptz[]) AS w"
            params = [list(column) for column in zip(*chunk, strict=True)]
        else:
            spans = f"(VALUES {', '.join(['(%s, %s, %s)'] * len(chunk))}) AS w"
            params = [value for window in chunk for value in window]
        found += _rows(
            f"WITH w (visitor_id, start, stop) AS (SELECT * FROM {spans})"
            f" SELECT p.page_view_id, p.visitor_id, p.url, p.timestamp FROM w{joined}",
            [*params, account_id],
        )
    return list(map(Visit._make, found))


def _stored(
    account_id: int,
    goal_ids: list[int] | None,
    *,
    visitor_ids: Iterable[str] = (),
    chat_ids: Iterable[str] = (),
    table: str = _CONVERSION_TABLE,
) -> dict[tuple[int, str], tuple]:
    """The stored conversions of these goals (of every goal: None) of these visitors or
    credited to these chats, by (goal id, chat id): their values in _VALUES' order. In the
    conversions' table, or in `table`, a Recomputation's."""
    if goal_ids == []:
        return {}
    goals = "" if goal_ids is None else f" AND goal_id IN ({', '.join(['%s'] * len(goal_ids))})"
    found = {}
    by_visitor, by_chat = chunks(sorted(set(visitor_ids))), chunks(sorted(set(chat_ids)))
    for visitors, chats in zip_longest(by_visitor, by_chat, fillvalue=()):
        visitor_is, visitor_params = _one_of(visitors)
        chat_is, chat_params = _one_of(chats)
        sql = (
            f"SELECT goal_id, chat_id, {', '.join(_VALUES)} FROM {table}"
            f" WHERE account_id = %s{goals} AND (visitor_id{visitor_is} OR chat_id{chat_is})"
        )
        for row in _rows(sql, [account_id, *(goal_ids or ()), *visitor_params, *chat_params]):
            found[row[0], row[1]] = row[2:] if table == _CONVERSION_TABLE else _staged(row[2:])
    return found


def _rows_matching(sql: str, params: list[Any], ids: Sequence[str]) -> list[tuple]:
    """The rows of `sql`, which ends with the column that must be one of `ids` (at most
    CHUNK), as _rows reads them."""
    one_of, more = _one_of(ids)
    return _rows(sql + one_of, [*params, *more])


def _rows(sql: str, params: list[Any]) -> list[tuple]:
    """The rows of `sql`, their datetimes aware. On PostgreSQL its parameters go in binary, as
    the server reads them (a thousand timestamps cost a tenth of their text form, which
    psycopg writes out in Python), and timestamps are read in C."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Django's cursors write parameters into the statement; this one sends them apart.
            binding = psycopg.Cursor(cursor.cursor.connection)
            read_timestamps_in_c(binding)
            # Its errors become Django's, as those of Django's own cursors (jobs retry them).
            with connection.wrap_database_errors, _logged(cursor, sql, params):
                binding.execute(sql.replace("%s", "%b"), params)
                return binding.fetchall()
        # SQLite keeps times as text in UTC, without their zone: compared and read as such.
        cursor.execute(sql, [_sqlite_value(value) for value in params])
        return [_aware(row) for row in cursor.fetchall()]


def _one_of(ids: Sequence[str]) -> tuple[str, list[Any]]:
    """What follows a column in SQL to say that it is one of `ids` (at most CHUNK; none: no
    row), and its parameters. On PostgreSQL the ids go as one array, as psycopg parses a query
    of a thousand placeholders anew at each call."""
    if connection.vendor == "postgresql":
        return " = ANY(%s)", [list(ids)]
    return f" IN ({', '.join(['%s'] * len(ids))})", list(ids)


def read_timestamps_in_c(cursor: psycopg.Cursor) -> None:
    """Have a psycopg cursor read PostgreSQL's timestamps with psycopg's own loader, in C, in
    place of Django's, in Python, which takes about three times as long. Both give aware
    datetimes in UTC, the connection's time zone."""
    cursor.adapters.register_loader("timestamptz", _TIMESTAMPTZ_LOADER)


def _aware(row: Sequence[Any]) -> tuple:
    """A row as read by a cursor, with SQLite's naive UTC datetimes made aware."""
    return tuple(
        v.replace(tzinfo=UTC) if isinstance(v, datetime) and v.tzinfo is None else v for v in row
    )


def _staged(values: Sequence[Any]) -> tuple:
    """A conversion's values (in _VALUES' order) as read from recompute_goals' temporary table,
    whose times SQLite, without the declared types that CREATE TABLE AS drops, gives as text."""
    return _aware(
        [
            parse_datetime(value) if isinstance(value, str) and name in _TIMES else value
            for name, value in zip(_VALUES, values, strict=True)
        ]
    )


def _counted(goal_id: int, values: Sequence[Any]) -> "totals.Counted":
    """A stored conversion's values (in _VALUES' order) as the daily totals count it."""
    timestamp, agent_id, department_id, model, chat_timestamp = (values[i] for i in _COUNTED_AT)
    return totals.Counted(timestamp, goal_id, agent_id, department_id, model, chat_timestamp)


def _values(credit: Credit) -> tuple:
    touch = credit.touch
    return (
        credit.goal.name,
        credit.page_view.visitor_id,
        credit.page_view.page_view_id,
        credit.page_view.url,
        credit.page_view.timestamp,
        touch.agent_id,
        touch.agent_name,
        touch.department_id,
        touch.department_name,
        touch.time,
        credit.goal.attribution_model,
    )


def _write(
    account_id: int,
    found: Sequence[Credit],
    stored: dict[tuple[int, str], tuple],
    changes: "totals.ConversionChanges",
    gone: Iterable[tuple[int, str]] = (),
    into: str = _CONVERSION_TABLE,
    stored_in: Sequence[str] = (_CONVERSION_TABLE,),
) -> None:
    """Store these conversions (in the table `into`, a Recomputation's if not the conversions')
    in place of the stored ones of their (goal, chat) pairs, whose values `stored` holds, read
    under this writer's lock (in the tables `stored_in`); delete the stored ones of the pairs
    `gone`; and count both in `changes`, for the daily totals."""
    removed = sorted({*(c.key for c in found if c.key in stored), *gone})
    by_goal = defaultdict(list)
    for goal_id, chat_id in removed:
        by_goal[goal_id].append(chat_id)
    with connection.cursor() as cursor:
        for table in stored_in:
            for goal_id, chat_ids in by_goal.items():
                for chunk in chunks(chat_ids):
                    one_of, params = _one_of(chunk)
                    cursor.execute(
                        f"DELETE FROM {table} WHERE account_id = %s AND goal_id = %s"
                        f" AND chat_id{one_of}",
                        [account_id, goal_id, *params],
                    )
    now = _update_timestamp()
    rows = [
        [account_id, c.goal.goal_id, c.touch.chat_id, conversion_id(*c.key), *_values(c), now]
        for c in found
    ]
    # In the primary key's order: fewer of the index's pages touched.
    copy_rows(Conversion, _COLUMNS, sorted(rows, key=lambda row: (row[1], row[2])), into)
    changes.count(
        removed=[_counted(key[0], stored[key]) for key in removed],
        added=[_counted(c.goal.goal_id, _values(c)) for c in found],
    )


def copy_rows(
    model: type[Model], columns: list[str], rows: Sequence[Sequence[Any]], table: str = ""
) -> None:
    """Add the rows (values in `columns`' order) to the model's table (or to `table`, quoted,
    whose columns have the model's types), none of whose keys it has yet. On PostgreSQL by a
    binary COPY, in the columns' own types: about thirty times as fast as the arrays of
    insert_rows, which psycopg writes out in Python."""
    table = table or connection.ops.quote_name(model._meta.db_table)
    if connection.vendor != "postgresql":
        for chunk in chunks(rows):
            insert_rows(table, columns, chunk, "")
        return
    fields = {field.column: field for field in model._meta.concrete_fields}
    # "varchar(255)" is a varchar to psycopg; the server checks the length.
    types = [fields[column].db_type(connection).split("(")[0] for column in columns]
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)"
    with (
        connection.cursor() as cursor,
        connection.wrap_database_errors,
        _logged(cursor, statement),
        cursor.cursor.copy(statement) as copy,
    ):
        copy.set_types(types)
        for row in rows:
            copy.write_row(row)


def _logged(cursor: Any, sql: str, params: Sequence[Any] | None = None) -> Any:
    """A context in which to run `sql` around Django's execute, on one of its cursors: logged
    as Django logs its statements, when it does (DEBUG, tests)."""
    return cursor.debug_sql(sql, params) if connection.queries_logged else nullcontext()


def insert_rows(
    table: str,
    columns: list[str],
    rows: Sequence[list],
    tail: str,
    returning: str = "",
    types: dict[str, str] | None = None,
) -> list[tuple]:
    """One INSERT of `rows` (at most CHUNK) into `table` (quoted), followed by `tail` (an ON
    CONFLICT clause); the rows that RETURNING `returning` gives, if asked. On PostgreSQL, a
    column is one array (unnest) of its type in `types`, else in _ARRAY_TYPES, else text:
    psycopg would parse a query of thousands of placeholders anew at each call."""
    if not rows:
        return []
    if connection.vendor == "postgresql":
        types = {**_ARRAY_TYPES, **(types or {})}
        arrays = ", ".join(f"%s::{types.get(column, 'text')}[]" for column in columns)
        sql = f"INSERT INTO {table} ({', '.join(columns)}) SELECT * FROM unnest({arrays}) {tail}"
        params: list[Any] = [list(column) for column in zip(*rows, strict=True)]
    else:
        params = [_sqlite_value(value) for row in rows for value in row]
        one_row = "(" + ", ".join(["%s"] * len(columns)) + ")"
        sql = (
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
            f"{', '.join([one_row] * len(rows))} {tail}"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql + (f" RETURNING {returning}" if returning else ""), params)
        return cursor.fetchall() if returning else []


def _sqlite_value(value: Any) -> Any:
    """A parameter as Django's SQLite backend stores it: times as text in UTC, dates as text."""
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, date):
        return connection.ops.adapt_datefield_value(value)
    return value


def chunks(items: Sequence, size: int = CHUNK) -> Iterator[Sequence]:
    """The items a slice of `size` (CHUNK: what one statement takes) at a time, in order."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
