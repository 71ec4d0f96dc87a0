"""The rules of attribution: which touches a chat makes, and which touch each conversion credits.

The one home of ../DESIGN.md, "Conversions" (Touches, Attribution, Conversions). Pure: it takes
and returns plain values, reads no database, and is the same function whatever order the data
arrived in. conversions.recompute feeds it from the database and stores what it gives.
"""

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import NamedTuple, Protocol

from goals.matching import ConditionLike, GoalMatcher, visited_spellings
from goals.models import AttributionModel, Goal

CHAT = "chat"
AGENT_MESSAGE = "chat.msg"
# The URLs whose goals met an Attribution keeps, the most recently read.
MET_URLS = 1 << 16


class Touch(NamedTuple):
    """An agent's part in a chat: `time` is when they first wrote in it (UTC). A named tuple,
    as Visit and Credit: a job builds hundreds of thousands, and a tuple is built several times
    as fast as a dataclass."""

    chat_id: str
    agent_id: int
    visitor_id: str
    time: datetime
    agent_name: str = ""
    department_id: int | None = None
    department_name: str = ""

    @property
    def order(self) -> tuple[datetime, str, str]:
        """Touches at equal times are ordered by chat id, then agent id, as strings."""
        return (self.time, self.chat_id, str(self.agent_id))


class Visit(NamedTuple):
    """A page view as attribution reads it: `timestamp` is UTC."""

    page_view_id: str
    visitor_id: str
    url: str
    timestamp: datetime


@dataclass(frozen=True, slots=True)
class GoalTerms:
    """What attribution reads of a goal: its model, its period and its conditions."""

    goal_id: int
    name: str
    attribution_model: str
    attribution_period: timedelta
    conditions: tuple[ConditionLike, ...]

    @classmethod
    def of(cls, goal: Goal) -> "GoalTerms":
        return cls(
            goal.pk,
            goal.name,
            goal.attribution_model,
            timedelta(days=goal.attribution_period),
            tuple(goal.conditions_in_order),
        )


class Credit(NamedTuple):
    """A conversion: the goal, the page view that met it first for the chat, the touch credited."""

    goal: GoalTerms
    page_view: Visit
    touch: Touch

    @property
    def key(self) -> tuple[int, str]:
        """At most one conversion a (goal id, chat id)."""
        return (self.goal.goal_id, self.touch.chat_id)


class AgentMessage(Protocol):
    agent_id: int
    name: str
    timestamp: datetime


class ChatLike(Protocol):
    """The fields of a Zendesk Chat chat object that touches are read from (conversions.inputs
    parses them)."""

    chat_id: str
    visitor_id: str
    type: str
    missed: bool
    timestamp: datetime
    agent_ids: Sequence[int]
    agent_names: Sequence[str]
    department_id: int | None
    department_name: str
    has_history: bool
    agent_messages: Sequence[AgentMessage]


def chat_touches(chat: ChatLike) -> list[Touch]:
    """The chat's touches: none for a missed chat or an offline message; otherwise one per agent
    who wrote in it, at their first message (a `chat.msg` history item whose nick is
    `agent:<id>`); a chat without history items has one per id of `agent_ids`, at the chat's
    timestamp. An agent's name is the one their first message carries, else the one
    `agent_names` gives beside their id.
    """
    if chat.missed or chat.type != CHAT:
        return []
    names = dict(zip(chat.agent_ids, chat.agent_names, strict=False))
    first: dict[int, AgentMessage] = {}
    if chat.has_history:
        for message in sorted(chat.agent_messages, key=lambda message: message.timestamp):
            first.setdefault(message.agent_id, message)
        times = {agent: (message.timestamp, message.name) for agent, message in first.items()}
    else:
        times = {agent: (chat.timestamp, "") for agent in chat.agent_ids}
    return [
        Touch(
            chat_id=chat.chat_id,
            agent_id=agent,
            visitor_id=chat.visitor_id,
            time=time,
            agent_name=name or names.get(agent, ""),
            department_id=chat.department_id,
            department_name=chat.department_name,
        )
        for agent, (time, name) in times.items()
    ]


def credits(
    goals: Iterable[GoalTerms], touches: Iterable[Touch], page_views: Iterable[Visit]
) -> dict[tuple[int, str], Credit]:
    """The conversions that these page views make of these touches, by (goal id, chat id).

    For each goal and each page view whose URL fulfils it (goals.matching), the eligible touches
    are the visitor's with page view time - attribution period <= touch time <= page view time;
    the page view credits the earliest of them (first_touch) or the latest (last_touch). A
    (goal, chat) pair converts once, at the earliest page view (by timestamp, then id) that
    credits the chat. Page views of visitors without touches cost one dictionary lookup.
    """
    return Attribution(goals).credits(touches, page_views)


def windows(touches: Iterable[Touch], period: timedelta) -> list[tuple[str, datetime, datetime]]:
    """When a page view of each visitor could credit one of these touches for a goal whose
    attribution period is at most `period`: from each touch's time T to T + period (the
    eligible touches of a page view at t are those with t - period <= T <= t), overlapping
    spans merged; as (visitor id, start, end), both ends included, by visitor and start."""
    spans = sorted((touch.visitor_id, touch.time, touch.time + period) for touch in touches)
    merged: list[tuple[str, datetime, datetime]] = []
    for visitor_id, start, end in spans:
        if merged and merged[-1][0] == visitor_id and start <= merged[-1][2]:
            if end > merged[-1][2]:
                merged[-1] = (visitor_id, merged[-1][1], end)
        else:
            merged.append((visitor_id, start, end))
    return merged


class Attribution:
    """credits() for a set of goals, over one batch of data after another: which goals a URL
    fulfils is worked out once per URL, however many batches share it."""

    def __init__(self, goals: Iterable[GoalTerms]) -> None:
        self.goals = list(goals)
        self._matchers = [(goal, GoalMatcher(goal.conditions)) for goal in self.goals]
        # Bounded: where every URL differs (query strings), a job's would grow with its data.
        self._met = lru_cache(maxsize=MET_URLS)(self._goals_met)

    @property
    def longest_period(self) -> timedelta:
        """The longest attribution period of the goals (none: zero): no page view later than
        that after a touch credits it."""
        return max((goal.attribution_period for goal in self.goals), default=timedelta(0))

    def credits(
        self, touches: Iterable[Touch], page_views: Iterable[Visit]
    ) -> dict[tuple[int, str], Credit]:
        """As the module's credits(), for this object's goals."""
        timelines = _timelines(touches)
        best: dict[tuple[int, str], Credit] = {}
        for page_view in page_views:
            timeline = timelines.get(page_view.visitor_id)
            if timeline is None:
                continue
            ordered, times = timeline
            for goal in self._met(page_view.url):
                start = bisect_left(times, page_view.timestamp - goal.attribution_period)
                end = bisect_right(times, page_view.timestamp)
                if start == end:
                    continue
                first_touch = goal.attribution_model == AttributionModel.FIRST_TOUCH
                touch = ordered[start] if first_touch else ordered[end - 1]
                key = (goal.goal_id, touch.chat_id)
                earlier = best.get(key)
                if earlier is None or _page_view_order(page_view) < _page_view_order(
                    earlier.page_view
                ):
                    best[key] = Credit(goal, page_view, touch)
        return best

    def _goals_met(self, url: str) -> list[GoalTerms]:
        spellings = visited_spellings(url)
        return [goal for goal, matcher in self._matchers if matcher.fulfilled(spellings)]


def _timelines(touches: Iterable[Touch]) -> dict[str, tuple[list[Touch], list[datetime]]]:
    """Each visitor's touches in order, with their times beside them for bisection."""
    by_visitor: dict[str, list[Touch]] = defaultdict(list)
    for touch in touches:
        by_visitor[touch.visitor_id].append(touch)
    timelines = {}
    for visitor, visitor_touches in by_visitor.items():
        visitor_touches.sort(key=lambda touch: touch.order)
        timelines[visitor] = (visitor_touches, [touch.time for touch in visitor_touches])
    return timelines


def _page_view_order(page_view: Visit) -> tuple[datetime, str]:
    return (page_view.timestamp, page_view.page_view_id)
