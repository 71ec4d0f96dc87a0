"""Property tests of conversions: hypothesis holds the engine to a plain reading of the design.

The reference here is written from DESIGN.md, "Conversions" alone (Touches, Attribution,
Conversions, Always current): nested loops over every goal, page view and touch, sharing nothing
with conversions.attribution but goals.matching, which the design names as the judge of whether
a URL fulfils a goal. Small random worlds (a few visitors, chats, page views and goals, on a grid
of times that lands exactly on, just inside and just outside the attribution periods' bounds)
are sent in random orders and batches, with goals changed between them; after every step the
stored conversions must be what the reference gives.
"""

import copy
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, note, settings, target
from hypothesis import event as statistic
from hypothesis import strategies as st

from accounts.models import Account, User
from conversions import ingest
from conversions.inputs import webpath_page_view_id
from conversions.models import Conversion
from goals import rules
from goals.matching import goal_is_fulfilled
from goals.models import Goal

# Each example rolls back what it stored, so the cast's fixtures serve every example; the
# example database would write a .hypothesis folder into the checkout, so each run explores
# afresh and a failure prints the draws that reproduce it.
PROPERTY_SETTINGS = settings(
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

FIRST_TOUCH = "first_touch"
LAST_TOUCH = "last_touch"

# Times on a grid of days: a day's start, a microsecond after it, midday, and its last
# microsecond, so that a page view and a touch are often exactly a whole number of days apart,
# or one microsecond off it, against periods of 1 to 3 days.
START = datetime(2026, 11, 1, tzinfo=UTC)
DAYS = 5
OFFSETS = (
    timedelta(0),
    timedelta(microseconds=1),
    timedelta(hours=12, seconds=1, microseconds=500_000),
    timedelta(days=1) - timedelta(microseconds=1),
)
VISITORS = ("v1", "v2", "v3")
# A visitor who never chats: their page views can credit nobody.
STRANGER = "v4"
# Ids whose order as strings is not their order as numbers ("c10" < "c2", "100" < "7").
CHAT_IDS = ("c1", "c10", "c2", "c9")
AGENTS = (7, 12, 100)
DEPARTMENTS = ((None, None), (3, "Sales"), (40, "Support"))
URLS = (
    "https://shop.example/thanks",
    "https://shop.example/thanks?order=9",
    "https://shop.example/Thanks",
    "https://shop.example/pricing",
    "https://shop.example/",
)
GOAL_NAMES = ("Thanks", "Pricing", "Anything", "Renamed")

# The shapes of chat that the design tells apart.
WITH_HISTORY = "with history"
WITHOUT_HISTORY = "without history"
MISSED = "missed"
OFFLINE = "offline message"

CHATS = "chats"
PAGE_VIEWS = "page views"
GOAL = "goal"


class UrlCondition(NamedTuple):
    """A goal's condition as goals.matching reads it."""

    operator: str
    value: str


CONDITIONS = (
    UrlCondition("contains", "/thanks"),
    UrlCondition("contains", "pricing"),
    UrlCondition("contains", "shop.example"),
    UrlCondition("equals", "https://shop.example/thanks"),
    UrlCondition("equals", "https://shop.example/pricing"),
)


@dataclass
class GoalTerms:
    """A goal as the test sets it: the reference reads these, never the stored goal."""

    name: str
    model: str
    period: int
    conditions: tuple[UrlCondition, ...]
    enabled: bool = True


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


def iso(when: datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")


def agent_name(agent_id: int) -> str:
    # One name an agent everywhere: which of a chat's spellings a touch takes is not the design's.
    return f"Agent {agent_id}"


# --- The reference: DESIGN.md, "Conversions", read as plainly as it is written ----------------


class View(NamedTuple):
    page_view_id: str
    visitor_id: str
    url: str
    timestamp: datetime


class DesignTouch(NamedTuple):
    chat_id: str
    agent_id: int
    visitor_id: str
    time: datetime
    agent_name: str
    department_id: int | None
    department_name: str


@dataclass
class Held:
    """What an account holds after what it was sent: the last version of each chat (a chat sent
    again replaces the earlier one, its webpath included), and each page view sent as first sent
    (a page view whose id is held already is a duplicate)."""

    chats: dict[str, dict] = field(default_factory=dict)
    sent_page_views: dict[str, View] = field(default_factory=dict)

    def receive_page_views(self, items: list[dict]) -> None:
        for item in items:
            view = View(item["id"], item["visitor_id"], item["url"], moment(item["timestamp"]))
            self.sent_page_views.setdefault(item["id"], view)

    def receive_chats(self, items: list[dict]) -> None:
        for chat in items:
            self.chats[chat["id"]] = chat

    @property
    def page_views(self) -> dict[str, View]:
        """The page views sent, and those of the webpaths of the chats as last sent."""
        return {
            **self.sent_page_views,
            **{
                # The design derives the ids from the chat's id and the item's index, without
                # spelling them; a page view's id breaks ties, so the engine's.
                webpath_page_view_id(chat["id"], index): View(
                    webpath_page_view_id(chat["id"], index),
                    chat["visitor"]["id"],
                    item["to"],
                    moment(item["timestamp"]),
                )
                for chat in self.chats.values()
                for index, item in enumerate(chat.get("webpath") or [])
            },
        }


def design_touches(chat: dict) -> list[DesignTouch]:
    """Touches: none for a missed chat or an offline message; one per agent who wrote a chat.msg
    in the history, at their first; without history items, one per agent id at the chat's time."""
    if chat.get("missed") or chat.get("type", "chat") != "chat":
        return []
    department_id = chat.get("department_id")
    department_id = None if department_id is None else int(department_id)
    department_name = chat.get("department_name") or ""
    visitor = chat["visitor"]["id"]
    history = chat.get("history") or []
    touches = []
    if history:
        writers = {
            int(item["nick"].removeprefix("agent:"))
            for item in history
            if item["type"] == "chat.msg" and item["nick"].startswith("agent:")
        }
        for agent in writers:
            first = min(
                (
                    item
                    for item in history
                    if item["type"] == "chat.msg" and item["nick"] == f"agent:{agent}"
                ),
                key=lambda item: moment(item["timestamp"]),
            )
            touches.append(
                DesignTouch(
                    chat["id"],
                    agent,
                    visitor,
                    moment(first["timestamp"]),
                    first["name"],
                    department_id,
                    department_name,
                )
            )
    else:
        names = chat.get("agent_names") or []
        for index, agent in enumerate(chat.get("agent_ids") or []):
            touches.append(
                DesignTouch(
                    chat["id"],
                    int(agent),
                    visitor,
                    moment(chat["timestamp"]),
                    names[index] if index < len(names) else "",
                    department_id,
                    department_name,
                )
            )
    return touches


def design_conversions(goals: dict[int, GoalTerms], held: Held) -> dict[tuple[int, str], tuple]:
    """Attribution and Conversions: the conversions of these goals, by (goal id, chat id), each
    as the tuple that stored_conversions reads."""
    touches = [touch for chat in held.chats.values() for touch in design_touches(chat)]
    found: dict[tuple[int, str], tuple[View, DesignTouch]] = {}
    for goal_id, goal in goals.items():
        for view in held.page_views.values():
            if not goal_is_fulfilled(goal.conditions, view.url):
                continue
            eligible = [
                touch
                for touch in touches
                if touch.visitor_id == view.visitor_id
                and view.timestamp - timedelta(days=goal.period) <= touch.time <= view.timestamp
            ]
            if not eligible:
                continue
            eligible.sort(key=lambda touch: (touch.time, touch.chat_id, str(touch.agent_id)))
            credited = eligible[0] if goal.model == FIRST_TOUCH else eligible[-1]
            key = (goal_id, credited.chat_id)
            earlier = found.get(key)
            if earlier is None or (view.timestamp, view.page_view_id) < (
                earlier[0].timestamp,
                earlier[0].page_view_id,
            ):
                found[key] = (view, credited)
    return {
        (goal_id, chat_id): (
            goal_id,
            chat_id,
            goals[goal_id].name,
            view.visitor_id,
            view.page_view_id,
            view.url,
            view.timestamp,
            touch.agent_id,
            touch.agent_name,
            touch.department_id,
            touch.department_name,
            touch.time,
        )
        for (goal_id, chat_id), (view, touch) in found.items()
    }


STORED_FIELDS = (
    "goal_id",
    "chat_id",
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
)


# --- Random worlds -------------------------------------------------------------------------

moments = st.builds(
    lambda day, offset: START + timedelta(days=day) + offset,
    st.integers(0, DAYS - 1),
    st.sampled_from(OFFSETS),
)


@st.composite
def histories(draw: st.DrawFn, agents: list[int], visitor: str) -> list[dict]:
    """A chat's history in time order, as Zendesk sends it: some agents join without writing,
    some write more than once, at times that may equal one another's."""
    items = []
    for agent in agents:
        if draw(st.booleans()):
            items.append(
                {
                    "type": "chat.memberjoin",
                    "nick": f"agent:{agent}",
                    "name": agent_name(agent),
                    "timestamp": draw(moments),
                }
            )
        for when in draw(st.lists(moments, max_size=2)):
            items.append(
                {
                    "type": "chat.msg",
                    "nick": f"agent:{agent}",
                    "name": agent_name(agent),
                    "msg": "How can I help?",
                    "timestamp": when,
                }
            )
    for when in draw(st.lists(moments, max_size=2)):
        items.append(
            {
                "type": "chat.msg",
                "nick": "visitor",
                "name": f"Visitor {visitor}",
                "msg": "Hello",
                "timestamp": when,
            }
        )
    items.sort(key=lambda item: item["timestamp"])
    return [{**item, "timestamp": iso(item["timestamp"])} for item in items]


webpath_items = st.builds(
    lambda origin, to, when: {"from": origin, "to": to, "title": "Shop", "timestamp": iso(when)},
    st.sampled_from(URLS),
    st.sampled_from(URLS),
    moments,
)


@st.composite
def chat_objects(draw: st.DrawFn, chat_id: str) -> dict:
    """A Zendesk Chat chat object of one of the shapes the design tells apart."""
    visitor = draw(st.sampled_from(VISITORS))
    # Half of them have history: the shape of most chats, and the one with most to get wrong.
    shape = draw(st.sampled_from((WITH_HISTORY, WITH_HISTORY, WITHOUT_HISTORY, MISSED, OFFLINE)))
    agents = draw(st.lists(st.sampled_from(AGENTS), unique=True, max_size=3))
    department_id, department_name = draw(st.sampled_from(DEPARTMENTS))
    # Zendesk's incremental export sends agent ids as strings of digits.
    ids_as_text = draw(st.booleans())
    chat = {
        "id": chat_id,
        "type": "offline_msg" if shape == OFFLINE else "chat",
        "timestamp": iso(draw(moments)),
        "visitor": {"id": visitor, "name": f"Visitor {visitor}"},
        "missed": shape == MISSED,
        "agent_ids": [str(agent) if ids_as_text else agent for agent in agents],
        "agent_names": [agent_name(agent) for agent in agents],
        "department_id": department_id,
        "department_name": department_name,
        "webpath": draw(st.lists(webpath_items, max_size=2)),
    }
    if shape != WITHOUT_HISTORY:
        chat["history"] = draw(histories(agents, visitor))
    elif draw(st.booleans()):
        chat["history"] = []
    return chat


@st.composite
def chat_sendings(draw: st.DrawFn, chat_id: str) -> tuple[dict, ...]:
    """The versions of one chat in the order they are sent: once, the same twice, or a changed
    version after the first (other agents, or another visitor)."""
    first = draw(chat_objects(chat_id))
    how = draw(st.sampled_from(("once", "twice", "changed")))
    if how == "once":
        return (first,)
    if how == "twice":
        return (first, first)
    return (first, draw(chat_objects(chat_id)))


page_view_bodies = st.builds(
    lambda visitor, url, when: {"visitor_id": visitor, "url": url, "timestamp": iso(when)},
    st.sampled_from((*VISITORS, STRANGER)),
    st.sampled_from(URLS),
    moments,
)

goal_terms = st.builds(
    GoalTerms,
    name=st.sampled_from(GOAL_NAMES),
    model=st.sampled_from((FIRST_TOUCH, LAST_TOUCH)),
    period=st.integers(1, 3),
    conditions=st.lists(st.sampled_from(CONDITIONS), unique=True, min_size=1, max_size=2).map(
        tuple
    ),
    enabled=st.sampled_from((True, True, True, False)),
)


@dataclass(frozen=True)
class World:
    """What is sent: each chat's versions in sending order, each page view as many times as it
    is sent, and the goals' terms when created."""

    chats: list[tuple[dict, ...]]
    page_views: list[dict]
    goals: list[GoalTerms]


@st.composite
def worlds(draw: st.DrawFn) -> World:
    chat_ids = draw(st.lists(st.sampled_from(CHAT_IDS), unique=True, min_size=1, max_size=4))
    chats = [draw(chat_sendings(chat_id)) for chat_id in chat_ids]
    bodies = draw(st.lists(page_view_bodies, min_size=1, max_size=8))
    page_views = [{"id": f"pv-{index}", **body} for index, body in enumerate(bodies)]
    sent_twice = draw(st.lists(st.sampled_from(page_views), unique_by=lambda item: item["id"]))
    goals = draw(st.lists(goal_terms, min_size=1, max_size=3))
    return World(chats, page_views + sent_twice, goals)


# --- Driving the engine beside the reference -------------------------------------------------


@dataclass(frozen=True)
class Event:
    """One thing that arrives: a page view, a version of a chat (by its index in the world) or
    the creation of a goal (by its index), for one account."""

    account: str
    kind: str
    item: Any


def world_events(world: World, account: str, *, goals: bool) -> list[Event]:
    events = [Event(account, PAGE_VIEWS, item) for item in world.page_views]
    events += [
        Event(account, CHATS, index) for index, versions in enumerate(world.chats) for _ in versions
    ]
    if goals:
        events += [Event(account, GOAL, index) for index in range(len(world.goals))]
    return events


def arrival(data: st.DataObject, world: World, events: list[Event]) -> list[Event]:
    """The events in a random order, the n-th sending of a chat to an account carrying the
    chat's n-th version, and consecutive items of one kind for one account joined into batches
    at random (a batch's items are a list)."""
    order = data.draw(st.permutations(events), label="arrival order")
    joined = data.draw(
        st.lists(st.booleans(), min_size=len(order), max_size=len(order)), label="joined"
    )
    sent: Counter[tuple[str, int]] = Counter()
    steps: list[Event] = []
    for event, join in zip(order, joined, strict=True):
        item = event.item
        if event.kind == CHATS:
            item = world.chats[event.item][sent[event.account, event.item]]
            sent[event.account, event.item] += 1
        last = steps[-1] if steps else None
        if (
            join
            and event.kind != GOAL
            and last is not None
            and (last.account, last.kind) == (event.account, event.kind)
        ):
            last.item.append(item)
        else:
            steps.append(replace(event, item=item if event.kind == GOAL else [item]))
    note(f"steps: {steps}")
    return steps


class Party:
    """One account as the test drives it: what it sends to the engine, and what the reference
    expects of it."""

    def __init__(self, account: Account, actor: User) -> None:
        self.account = account
        self.actor = actor
        self.held = Held()
        self.goals: dict[int, GoalTerms] = {}
        self.goal_ids: dict[int, int] = {}
        # The conversions of goals disabled or deleted, as they were at that moment.
        self.kept: dict[int, dict[tuple[int, str], tuple]] = {}
        self.conversion_ids: dict[tuple[int, str], str] = {}

    def take(self, step: Event, world: World) -> None:
        if step.kind == PAGE_VIEWS:
            ingest.page_views_ingest(account=self.account, items=copy.deepcopy(step.item))
            self.held.receive_page_views(step.item)
        elif step.kind == CHATS:
            ingest.chats_ingest(account=self.account, items=copy.deepcopy(step.item))
            self.held.receive_chats(step.item)
        else:
            self.create_goal(step.item, world.goals[step.item])

    def create_goal(self, index: int, terms: GoalTerms) -> None:
        goal = rules.goal_create(
            account=self.account,
            actor=self.actor,
            name=terms.name,
            enabled=terms.enabled,
            attribution_model=terms.model,
            attribution_period=terms.period,
            conditions=shown(terms.conditions),
        )
        self.goal_ids[index] = goal.pk
        self.goals[goal.pk] = replace(terms)
        if not terms.enabled:
            self.kept[goal.pk] = {}

    def expected(self) -> dict[tuple[int, str], tuple]:
        enabled = {goal_id: terms for goal_id, terms in self.goals.items() if terms.enabled}
        conversions = design_conversions(enabled, self.held)
        for kept in self.kept.values():
            conversions.update(kept)
        return conversions

    def expected_of(self, goal_id: int) -> dict[tuple[int, str], tuple]:
        return {key: row for key, row in self.expected().items() if key[0] == goal_id}

    def assert_current(self) -> int:
        """Assert that the stored conversions are the reference's; return how many there are."""
        rows = Conversion.objects.filter(account=self.account).values_list(
            "conversion_id", *STORED_FIELDS
        )
        stored = {}
        for conversion_id, *row in rows:
            key = (row[0], row[1])
            stored[key] = tuple(row)
            # A conversion's id is the (goal, chat) pair's, through every recomputation.
            assert self.conversion_ids.setdefault(key, conversion_id) == conversion_id
        assert stored == self.expected()
        return len(stored)


def steer(conversions: int) -> None:
    # Worlds with conversions check more than worlds without: hypothesis searches toward them,
    # and its statistics (--hypothesis-show-statistics) tell how many examples had any.
    target(conversions, label="conversions")
    statistic("some conversions" if conversions else "no conversions")


def shown(conditions: tuple[UrlCondition, ...]) -> list[dict[str, str]]:
    return [{"type": "url", "operator": c.operator, "value": c.value} for c in conditions]


# --- The properties ------------------------------------------------------------------------


@pytest.mark.django_db
@settings(PROPERTY_SETTINGS, max_examples=120)
@given(world=worlds(), data=st.data())
def test_conversions_are_the_designs_whatever_the_order_and_batches_of_arrival(
    acme: Account, alice: User, world: World, data: st.DataObject
) -> None:
    with transaction.atomic():
        party = Party(acme, alice)
        conversions = 0
        for step in arrival(data, world, world_events(world, "acme", goals=True)):
            party.take(step, world)
            conversions = party.assert_current()
        steer(conversions)
        transaction.set_rollback(True)


goal_changes = st.one_of(
    st.tuples(st.just("model"), st.integers(0, 2)),
    st.tuples(st.just("period"), st.integers(0, 2), st.integers(1, 3)),
    st.tuples(
        st.just("conditions"),
        st.integers(0, 2),
        st.lists(st.sampled_from(CONDITIONS), unique=True, min_size=1, max_size=2).map(tuple),
    ),
    st.tuples(st.just("disable"), st.integers(0, 2)),
    st.tuples(st.just("enable"), st.integers(0, 2)),
    st.tuples(st.just("rename"), st.integers(0, 2), st.sampled_from(GOAL_NAMES)),
    st.tuples(st.just("delete"), st.integers(0, 2)),
    st.tuples(st.just("send"), st.integers(1, 3)),
)


def change_goal(party: Party, change: tuple) -> None:
    """Make one change of goal_changes to a goal (its index taken modulo the goals), through
    goals.rules, and tell the reference; a change to a deleted goal, or a renaming of a disabled
    one (the design does not say whether its kept conversions take the new name), is skipped."""
    what, index, *values = change
    goal_id = party.goal_ids[index % len(party.goal_ids)]
    terms = party.goals.get(goal_id)
    if terms is None or (what == "rename" and not terms.enabled):
        return
    goal = Goal.objects.get(pk=goal_id)
    if what == "delete":
        if terms.enabled:
            party.kept[goal_id] = party.expected_of(goal_id)
        rules.goal_delete(goal=goal, actor=party.actor)
        del party.goals[goal_id]
    elif what == "disable":
        if terms.enabled:
            party.kept[goal_id] = party.expected_of(goal_id)
        rules.goal_set_enabled(goal=goal, actor=party.actor, enabled=False)
        terms.enabled = False
    elif what == "enable":
        rules.goal_set_enabled(goal=goal, actor=party.actor, enabled=True)
        party.kept.pop(goal_id, None)
        terms.enabled = True
    elif what == "model":
        terms.model = LAST_TOUCH if terms.model == FIRST_TOUCH else FIRST_TOUCH
        rules.goal_update(goal=goal, actor=party.actor, attribution_model=terms.model)
    elif what == "period":
        terms.period = values[0]
        rules.goal_update(goal=goal, actor=party.actor, attribution_period=terms.period)
    elif what == "conditions":
        terms.conditions = values[0]
        rules.goal_update(goal=goal, actor=party.actor, conditions=shown(terms.conditions))
    else:
        terms.name = values[0]
        rules.goal_update(goal=goal, actor=party.actor, name=terms.name)


@pytest.mark.django_db
@settings(PROPERTY_SETTINGS, max_examples=80)
@given(world=worlds(), changes=st.lists(goal_changes, min_size=1, max_size=10), data=st.data())
def test_goal_changes_recompute_enabled_goals_and_leave_disabled_and_deleted_ones_as_they_were(
    acme: Account, alice: User, world: World, changes: list[tuple], data: st.DataObject
) -> None:
    with transaction.atomic():
        party = Party(acme, alice)
        for index, terms in enumerate(world.goals):
            party.create_goal(index, terms)
        steps = arrival(data, world, world_events(world, "acme", goals=False))
        sent_first = data.draw(st.integers(0, len(steps)), label="steps sent before any change")
        for step in steps[:sent_first]:
            party.take(step, world)
        party.assert_current()
        later = steps[sent_first:]
        for change in changes:
            if change[0] == "send":
                for step in later[: change[1]]:
                    party.take(step, world)
                later = later[change[1] :]
            else:
                change_goal(party, change)
            party.assert_current()
        for step in later:
            party.take(step, world)
        steer(party.assert_current())
        transaction.set_rollback(True)


@pytest.mark.django_db
@settings(PROPERTY_SETTINGS, max_examples=40)
@given(world=worlds(), data=st.data())
def test_each_account_gets_the_conversions_of_its_own_data_only(
    acme: Account, alice: User, bluebird: Account, bob: User, world: World, data: st.DataObject
) -> None:
    # Each chat and page view goes to Acme, to Bluebird or to both, so that one account's page
    # views meet chats of the same ids and visitors that only the other holds.
    destinations = st.sampled_from((("acme",), ("bluebird",), ("acme", "bluebird")))
    events = []
    for event in world_events(world, "acme", goals=False):
        events += [replace(event, account=account) for account in data.draw(destinations)]
    events += [
        Event(account, GOAL, index)
        for account in ("acme", "bluebird")
        for index in range(len(world.goals))
    ]
    with transaction.atomic():
        parties = {"acme": Party(acme, alice), "bluebird": Party(bluebird, bob)}
        conversions = 0
        for step in arrival(data, world, events):
            parties[step.account].take(step, world)
            conversions = sum(party.assert_current() for party in parties.values())
        steer(conversions)
        transaction.set_rollback(True)
