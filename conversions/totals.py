"""The daily totals that the reports read, kept in step with the conversions and touches.

Every write of conversions (conversions.recompute) and of touches (conversions.ingest) hands
this module what it removed and what it added, and the totals change by the difference, in the
same transaction. Writers of conversions take turns per account (recompute.take_turn), so that
what they read as removed is what they remove. `rebuild` computes them anew from the stored
rows, and `differences` says where they disagree with those rows (`manage.py conversion_totals`).
"""

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from itertools import groupby
from typing import Any, NamedTuple, Protocol

from django.db import connection, transaction
from django.db.models import Max

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
    Touch,
)

_TYPES = {"day": "date", "conversions": "int", "chats": "int", "named_at": "timestamptz"}
_TYPES.update({column: "int" for column in DELAY_COLUMNS})
_CONVERSION_KEY = ["account_id", "day", "goal_id", "agent_id", "department_id", "attribution_model"]
_CONVERSION_COUNTS = ["conversions", *DELAY_COLUMNS]
_GOAL_KEY = ["account_id", "goal_id", "day"]
_SERVED_KEY = ["account_id", "day", "department_id"]
_AGENT_KEY = ["account_id", "day", "agent_id", "department_id"]


class Counted(NamedTuple):
    """A conversion as the totals count it: times are aware datetimes. A named tuple: a job
    counts hundreds of thousands."""

    timestamp: datetime
    goal_id: int
    agent_id: int
    department_id: int | None
    attribution_model: str
    chat_timestamp: datetime

    @classmethod
    def of_row(cls, row: dict[str, Any]) -> "Counted":
        """From a dict of a Conversion's fields (at least those of this class)."""
        return cls(*(row[name] for name in cls._fields))


class TouchLike(Protocol):
    chat_id: str
    agent_id: int
    time: datetime
    agent_name: str
    department_id: int | None
    department_name: str


def day_of(moment: datetime) -> date:
    """The UTC date of an aware datetime: the reports' days."""
    return moment.astimezone(UTC).date()


def delay_bucket(delay: timedelta) -> int:
    """The index in DELAY_COLUMNS of the bucket that holds a time to convert."""
    return bisect_right(DELAY_BOUNDS, delay)


def department_key(department_id: int | None) -> int:
    """A department id as the totals key it: NO_DEPARTMENT for none."""
    return NO_DEPARTMENT if department_id is None else department_id


def conversions_changed(
    account_id: int, *, removed: Iterable[Counted], added: Iterable[Counted]
) -> None:
    """Take the removed conversions out of the daily totals and put the added ones in. A
    conversion rewritten with other values is removed as it was and added as it is."""
    changes = ConversionChanges(account_id)
    changes.count(removed=removed, added=added)
    changes.write()


class ConversionChanges:
    """Changes of an account's conversions counted over many writes, then taken into the daily
    totals at once (write): a job that rewrites a goal's conversions a chunk of visitors at a
    time would otherwise rewrite each day's rows once a chunk. Holds a row a key (day, goal,
    agent, department, model), however many conversions it counts."""

    def __init__(self, account_id: int) -> None:
        self.account_id = account_id
        self.deltas: dict[tuple, list[int]] = defaultdict(lambda: [0] * len(_CONVERSION_COUNTS))

    def count(self, *, removed: Iterable[Counted] = (), added: Iterable[Counted] = ()) -> None:
        """Count these conversions as removed and added, as conversions_changed takes them."""
        _merge(self.deltas, _conversion_deltas(self.account_id, removed, added))

    def write(self) -> None:
        """Add what was counted to the daily totals, and count anew from nothing."""
        _add(ConversionTotal, _CONVERSION_KEY, self.deltas)
        _add(GoalDayTotal, _GOAL_KEY, _goal_deltas(self.deltas))
        self.deltas.clear()


def touches_changed(
    account_id: int, *, removed: Iterable[TouchLike], added: Iterable[TouchLike]
) -> None:
    """Take the removed touches out of the served chats' totals and put the added ones in, and
    name agents and departments after their latest touch. A chat's touches are all removed or
    all added together (a chat sent again replaces them all). An agent or department in no
    touch any more keeps its name: its conversions keep it too."""
    added = list(added)
    chats, agents = _served_deltas(account_id, removed, added)
    _add(ServedChatTotal, _SERVED_KEY, chats)
    _add(AgentServedTotal, _AGENT_KEY, agents)
    _name_after(account_id, added)


def _name_after(account_id: int, touches: list[TouchLike]) -> None:
    """Name the touches' agents and departments after the latest of them."""
    _name(account_id, Agent, "agent_id", [(t.agent_id, t.agent_name, t.time) for t in touches])
    departments = [(t.department_id, t.department_name, t.time) for t in touches]
    _name(account_id, Department, "department_id", departments)


def rebuild(account_id: int) -> None:
    """Compute the account's totals and names anew from its stored conversions and touches, in
    one transaction that holds off every other writer of the account's conversions."""
    with transaction.atomic():
        recompute.lock_conversions(account_id, exclusive=True)
        models = (
            ConversionTotal,
            GoalDayTotal,
            ServedChatTotal,
            AgentServedTotal,
            Agent,
            Department,
        )
        for model in models:
            model.objects.filter(account_id=account_id)._raw_delete(connection.alias)
        # Counted whole, then written once a row: rows rewritten for each batch of stored
        # conversions would leave a table many times its size, a page read a row.
        for model, rows in _counted(account_id).items():
            _add(model, _COLUMNS[model][0], rows)
        # Names first from the conversions, which keep those of touches gone since; then the
        # touches' own, later or equal, win.
        for model, key, name in (
            (Agent, "agent_id", "agent_name"),
            (Department, "department_id", "department_name"),
        ):
            named = (
                Conversion.objects.filter(account_id=account_id)
                .values_list(key, name)
                .annotate(at=Max("chat_timestamp"))
                .order_by()
            )
            _name(account_id, model, key, list(named))
        for touches in _stored_touches(account_id):
            _name_after(account_id, touches)


def differences(account_id: int) -> list[str]:
    """Where the account's stored totals differ from counting its stored conversions and
    touches: a line for each row that differs, none when they agree."""
    lines = []
    for model, rows in _counted(account_id).items():
        key, counts = _COLUMNS[model]
        stored = {
            row[: len(key)]: list(row[len(key) :])
            for row in model.objects.filter(account_id=account_id).values_list(*key, *counts)
        }
        for k in sorted(stored.keys() | rows.keys()):
            want = rows.get(k, [0] * len(counts))
            have = stored.get(k, [0] * len(counts))
            if want != have:
                lines.append(f"{model.__name__} {k}: stored {have}, counted {want}")
    return lines


def _conversion_deltas(
    account_id: int, removed: Iterable[Counted], added: Iterable[Counted]
) -> dict[tuple, list[int]]:
    deltas: dict[tuple, list[int]] = defaultdict(lambda: [0] * len(_CONVERSION_COUNTS))
    for sign, conversions in ((-1, removed), (1, added)):
        for c in conversions:
            key = (
                account_id,
                day_of(c.timestamp),
                c.goal_id,
                c.agent_id,
                department_key(c.department_id),
                c.attribution_model,
            )
            counts = deltas[key]
            counts[0] += sign
            counts[1 + delay_bucket(c.timestamp - c.chat_timestamp)] += sign
    return deltas


def _goal_deltas(conversion_deltas: dict[tuple, list[int]]) -> dict[tuple, list[int]]:
    """The deltas of GoalDayTotal that these deltas of ConversionTotal make."""
    deltas: dict[tuple, list[int]] = defaultdict(lambda: [0])
    for (account_id, day, goal_id, *_), counts in conversion_deltas.items():
        deltas[(account_id, goal_id, day)][0] += counts[0]
    return deltas


def _served_deltas(
    account_id: int, removed: Iterable[TouchLike], added: Iterable[TouchLike]
) -> tuple[dict[tuple, list[int]], dict[tuple, list[int]]]:
    """The deltas of the served chats (each chat once, on its first touch's day) and of the
    agents' served chats."""
    chats: dict[tuple, list[int]] = defaultdict(lambda: [0])
    agents: dict[tuple, list[int]] = defaultdict(lambda: [0])
    for sign, touches in ((-1, removed), (1, added)):
        first: dict[str, TouchLike] = {}
        for touch in touches:
            department = department_key(touch.department_id)
            agents[(account_id, day_of(touch.time), touch.agent_id, department)][0] += sign
            if touch.chat_id not in first or touch.time < first[touch.chat_id].time:
                first[touch.chat_id] = touch
        for touch in first.values():
            chats[(account_id, day_of(touch.time), department_key(touch.department_id))][0] += sign
    return chats, agents


def _counted(account_id: int) -> dict[type, dict[tuple, list[int]]]:
    """The account's totals as counting its stored conversions and touches gives them, by
    model: {key values: counts}, in memory (a row a key, however many conversions it counts)."""
    counted: dict[type, dict[tuple, list[int]]] = {
        ConversionTotal: defaultdict(lambda: [0] * len(_CONVERSION_COUNTS)),
        GoalDayTotal: defaultdict(lambda: [0]),
        ServedChatTotal: defaultdict(lambda: [0]),
        AgentServedTotal: defaultdict(lambda: [0]),
    }
    for conversions in _stored_conversions(account_id):
        deltas = _conversion_deltas(account_id, (), conversions)
        _merge(counted[ConversionTotal], deltas)
        _merge(counted[GoalDayTotal], _goal_deltas(deltas))
    for touches in _stored_touches(account_id):
        chats, agents = _served_deltas(account_id, (), touches)
        _merge(counted[ServedChatTotal], chats)
        _merge(counted[AgentServedTotal], agents)
    return counted


def _merge(into: dict[tuple, list[int]], deltas: dict[tuple, list[int]]) -> None:
    for key, counts in deltas.items():
        into[key] = [a + b for a, b in zip(into[key], counts, strict=True)]


_COLUMNS = {
    ConversionTotal: (_CONVERSION_KEY, _CONVERSION_COUNTS),
    GoalDayTotal: (_GOAL_KEY, ["conversions"]),
    ServedChatTotal: (_SERVED_KEY, ["chats"]),
    AgentServedTotal: (_AGENT_KEY, ["chats"]),
}
# Rows read a time when the totals are computed from the stored rows: memory stays flat.
_READ_CHUNK = 10_000


def _add(model: type, key: list[str], deltas: dict[tuple, list[int]]) -> None:
    """Add the deltas {key values: counts} to the model's rows, creating those missing; in key
    order, the same in every writer."""
    counts = _COLUMNS[model][1]
    rows = [[*k, *v] for k, v in sorted(deltas.items()) if any(v)]
    table = connection.ops.quote_name(model._meta.db_table)
    updates = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in counts)
    for chunk in recompute.chunks(rows):
        recompute.insert_rows(
            table,
            [*key, *counts],
            chunk,
            f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}",
            types=_TYPES,
        )


def _name(
    account_id: int, model: type, id_column: str, named: list[tuple[int | None, str, datetime]]
) -> None:
    """Name each id after its latest (time, name) here, unless a later one named it already; an
    id seen only without a name is kept with a blank one (the reports call it by its id)."""
    latest: dict[int, tuple[datetime, str]] = {}
    for id_, name, moment in named:
        if id_ is None:
            continue
        if id_ not in latest or (bool(name), moment, name) > (bool(latest[id_][1]), *latest[id_]):
            latest[id_] = (moment, name)
    rows = [[account_id, id_, name, moment] for id_, (moment, name) in sorted(latest.items())]
    table = connection.ops.quote_name(model._meta.db_table)
    for chunk in recompute.chunks(rows):
        recompute.insert_rows(
            table,
            ["account_id", id_column, "name", "named_at"],
            chunk,
            f"ON CONFLICT (account_id, {id_column}) DO UPDATE SET name = excluded.name,"
            f" named_at = excluded.named_at WHERE excluded.name <> '' AND"
            f" (excluded.named_at >= {table}.named_at OR {table}.name = '')",
            types=_TYPES,
        )


def _stored_conversions(account_id: int) -> Iterator[list[Counted]]:
    rows = (
        Conversion.objects.filter(account_id=account_id)
        .order_by()
        .values(*Counted.__slots__)
        .iterator(chunk_size=_READ_CHUNK)
    )
    batch: list[Counted] = []
    for row in rows:
        batch.append(Counted.of_row(row))
        if len(batch) == _READ_CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def _stored_touches(account_id: int) -> Iterator[list[Touch]]:
    """The account's touches, a few thousand at a time, never splitting a chat's."""
    touches = (
        Touch.objects.filter(account_id=account_id)
        .order_by("chat_id")
        .iterator(chunk_size=_READ_CHUNK)
    )
    batch: list[Touch] = []
    for _, of_chat in groupby(touches, key=lambda touch: touch.chat_id):
        batch.extend(of_chat)
        if len(batch) >= _READ_CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch
