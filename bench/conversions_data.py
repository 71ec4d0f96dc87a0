"""The conversions bench's data: a shop's site, its visitors, their page views and chats.

Made up but shaped like a real account's: a site of a few hundred pages visited with a long tail
(a few products and the home page take most visits, goal pages are a few in a hundred), visitors
who come back in sessions over 60 days, a share of them chatting with a dozen agents in two
departments, some chats missed or left as offline messages. Everything is drawn from seeded
generators, one for each visitor and stream, so that any process regenerates the same rows
without keeping them.
"""

import functools
import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

SITE = "https://shop.example"
END = datetime(2026, 11, 30, tzinfo=UTC)
SPAN = timedelta(days=60)
START = END - SPAN
CHATTED_SHARE = 0.4
MISSED_SHARE = 0.08
OFFLINE_SHARE = 0.04
TRANSFERRED_SHARE = 0.15
# Agents (id, name, department id), in two departments.
DEPARTMENTS = {11: "Sales", 12: "Support"}
AGENTS = [(1000 + n, f"Agent {n}", 11 if n <= 6 else 12) for n in range(1, 13)]
ROW = tuple[Any, ...]

# The five goals of the bench's account: contains and equals conditions, both models, periods
# from a day to a month; rules.goal_create takes them as they are.
GOALS: list[dict[str, Any]] = [
    {
        "name": "Purchase",
        "attribution_model": "last_touch",
        "attribution_period": 7,
        "conditions": [{"type": "url", "operator": "contains", "value": "/thanks"}],
    },
    {
        "name": "Signup",
        "attribution_model": "first_touch",
        "attribution_period": 30,
        "conditions": [{"type": "url", "operator": "equals", "value": f"{SITE}/signup/done"}],
    },
    {
        "name": "Pricing read",
        "attribution_model": "last_touch",
        "attribution_period": 1,
        "conditions": [{"type": "url", "operator": "contains", "value": "/pricing"}],
    },
    {
        "name": "Contact",
        "attribution_model": "first_touch",
        "attribution_period": 14,
        "conditions": [
            {"type": "url", "operator": "equals", "value": f"{SITE}/contact/sent"},
            {"type": "url", "operator": "contains", "value": "/support/ticket-sent"},
        ],
    },
    {
        "name": "Premium products",
        "attribution_model": "last_touch",
        "attribution_period": 30,
        "conditions": [{"type": "url", "operator": "contains", "value": "/products/premium-"}],
    },
]


@dataclass(frozen=True)
class Page:
    url: str
    title: str
    weight: float


def site_pages() -> list[Page]:
    """The shop's 366 pages and how often each is visited, relative to the others."""
    pages = [Page(f"{SITE}/", "Home", 8.0)]
    pages += [Page(f"{SITE}/c/category-{n}", f"Category {n}", 0.5) for n in range(1, 21)]
    products = [f"product-{n}" for n in range(1, 221)] + [f"premium-{n}" for n in range(1, 21)]
    random.Random("products").shuffle(products)
    # A long tail: the product of rank r is visited as often as 1/r of the first.
    harmonic = sum(1 / rank for rank in range(1, len(products) + 1))
    pages += [
        Page(f"{SITE}/products/{slug}", slug.replace("-", " ").title(), 40.0 / rank / harmonic)
        for rank, slug in enumerate(products, start=1)
    ]
    pages += [Page(f"{SITE}/blog/post-{n}", f"Post {n}", 0.2) for n in range(1, 41)]
    pages += [Page(f"{SITE}/support/articles/{n}", f"Article {n}", 0.17) for n in range(1, 31)]
    pages += [Page(f"{SITE}/search?q=term-{n}", f"Search {n}", 0.15) for n in range(1, 21)]
    pages += [
        Page(f"{SITE}/pricing", "Pricing", 4.0),
        Page(f"{SITE}/signup", "Sign up", 3.0),
        Page(f"{SITE}/signup/done", "Welcome", 1.0),
        Page(f"{SITE}/cart", "Cart", 5.0),
        Page(f"{SITE}/checkout", "Checkout", 2.5),
        Page(f"{SITE}/checkout/thanks", "Thank you", 1.0),
        Page(f"{SITE}/contact", "Contact", 2.0),
        Page(f"{SITE}/contact/sent", "Message sent", 0.6),
        Page(f"{SITE}/support", "Support", 2.0),
        Page(f"{SITE}/support/ticket-sent", "Ticket sent", 0.4),
        Page(f"{SITE}/about", "About", 1.0),
    ]
    return pages


PAGES = site_pages()
_CUMULATIVE = list(itertools.accumulate(page.weight for page in PAGES))


def random_pages(rng: random.Random, count: int) -> list[Page]:
    return rng.choices(PAGES, cum_weights=_CUMULATIVE, k=count)


@dataclass(frozen=True)
class Population:
    """`visitors` visitors with `page_views` page views and `chats` chats in all, the seed
    deciding who does what. Visitor n's id is "v-<n>"; its rows come from its own generators."""

    visitors: int
    page_views: int
    chats: int
    seed: int = 12

    def __post_init__(self) -> None:
        if not 1 <= self.visitors <= self.page_views:
            raise ValueError("At least one visitor, and a page view for each.")

    @functools.cached_property
    def page_view_counts(self) -> list[int]:
        """Page views of each visitor: one at least, the rest skewed (a few visit a lot)."""
        rng = random.Random(f"{self.seed}:page-view-counts")
        weights = [rng.lognormvariate(0, 1.2) for _ in range(self.visitors)]
        extra, total = self.page_views - self.visitors, sum(weights)
        counts = [1 + int(extra * weight / total) for weight in weights]
        # What rounding down left over goes to visitors drawn at random, one page view each.
        for visitor in rng.sample(range(self.visitors), self.page_views - sum(counts)):
            counts[visitor] += 1
        return counts

    @functools.cached_property
    def chat_counts(self) -> dict[int, int]:
        """Chats of each visitor who chatted, by visitor number: CHATTED_SHARE of them."""
        rng = random.Random(f"{self.seed}:chat-counts")
        chatted = rng.sample(range(self.visitors), max(1, round(self.visitors * CHATTED_SHARE)))
        chatted = chatted[: self.chats] if self.chats else []
        counts = dict.fromkeys(chatted, 1)
        for visitor in rng.choices(chatted, k=self.chats - len(chatted)) if chatted else []:
            counts[visitor] += 1
        return counts

    def sessions(self, visitor: int, page_views: int) -> list[datetime]:
        """When the visitor's visits began: one for every 10 page views, six at most."""
        rng = random.Random(f"{self.seed}:{visitor}:sessions")
        latest = SPAN.total_seconds() - 3600
        count = min(6, 1 + page_views // 10)
        return sorted(START + timedelta(seconds=int(rng.uniform(0, latest))) for _ in range(count))

    def page_view_rows(self, account_id: int) -> Iterator[ROW]:
        """Every page view as a row of conversions_pageview: (account_id, page_view_id,
        visitor_id, url, timestamp, title)."""
        for visitor, count in enumerate(self.page_view_counts):
            sessions = self.sessions(visitor, count)
            rng = random.Random(f"{self.seed}:{visitor}:pages")
            pages = random_pages(rng, count)
            moment = sessions[0]
            for number, page in enumerate(pages):
                session = number * len(sessions) // count
                if number == 0 or session != (number - 1) * len(sessions) // count:
                    moment = sessions[session]
                moment += timedelta(seconds=rng.randint(5, 180))
                yield (
                    account_id,
                    f"pv-{visitor}-{number}",
                    f"v-{visitor}",
                    page.url,
                    moment,
                    page.title,
                )

    def chat_rows(self, account_id: int) -> Iterator[tuple[ROW, list[ROW]]]:
        """Every chat as a row of conversions_chat (account_id, chat_id, visitor_id, timestamp,
        the chat object), with its rows of conversions_touch (account_id, chat_id, agent_id,
        visitor_id, time, agent_name, department_id, department_name)."""
        page_views = self.page_view_counts
        for visitor, count in sorted(self.chat_counts.items()):
            sessions = self.sessions(visitor, page_views[visitor])
            rng = random.Random(f"{self.seed}:{visitor}:chats")
            for number in range(count):
                began = rng.choice(sessions) + timedelta(seconds=rng.randint(10, 900))
                chat, touches = chat_object(rng, f"c-{visitor}-{number}", f"v-{visitor}", began)
                yield (
                    (account_id, chat["id"], chat["visitor"]["id"], began, chat),
                    [(account_id, chat["id"], *touch) for touch in touches],
                )

    def chatted_visitor_ids(self) -> list[str]:
        return [f"v-{visitor}" for visitor in sorted(self.chat_counts)]


def chat_object(
    rng: random.Random, chat_id: str, visitor_id: str, began: datetime
) -> tuple[dict[str, Any], list[ROW]]:
    """A Zendesk Chat chat object, and its touches as (agent_id, visitor_id, time, agent_name,
    department_id, department_name): an agent's touch is their first message."""
    kind = rng.random()
    offline = kind < OFFLINE_SHARE
    missed = not offline and kind < OFFLINE_SHARE + MISSED_SHARE
    history = [message("visitor", "Visitor", began, "Hello, a question about an order.")]
    agents = [] if offline or missed else [rng.choice(AGENTS)]
    if agents and rng.random() < TRANSFERRED_SHARE:
        agents.append(rng.choice([agent for agent in AGENTS if agent != agents[0]]))
    department_id = agents[0][2] if agents else None
    department_name = DEPARTMENTS.get(department_id, "")
    touches = []
    moment = began
    for agent_id, name, _ in agents:
        moment += timedelta(seconds=rng.randint(5, 300))
        history.append(message(f"agent:{agent_id}", name, moment, "Happy to help."))
        # A touch carries the chat's department, whichever the agent's own (DESIGN.md).
        touches.append((agent_id, visitor_id, moment, name, department_id, department_name))
        history.append(message("visitor", "Visitor", moment + timedelta(seconds=30), "Thanks!"))
    chat = {
        "id": chat_id,
        "type": "offline_msg" if offline else "chat",
        "timestamp": iso(began),
        "visitor": {"id": visitor_id, "name": f"Visitor {visitor_id}", "email": ""},
        "missed": missed,
        "agent_ids": [agent[0] for agent in agents],
        "agent_names": [agent[1] for agent in agents],
        "department_id": department_id,
        "department_name": department_name,
        "history": [] if offline else history,
        "webpath": [],
        "message": "Please call me back." if offline else "",
        "tags": [],
    }
    return chat, touches


def message(nick: str, name: str, moment: datetime, text: str) -> dict[str, Any]:
    return {"type": "chat.msg", "nick": nick, "name": name, "timestamp": iso(moment), "msg": text}


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def new_page_views(
    population: Population, count: int, *, prefix: str, visitor_ids: list[str] | None = None
) -> list[dict[str, Any]]:
    """`count` page views as the API takes them, ids "<prefix>-<n>": of the population's
    visitors (a share of whom chatted), or of the given visitor ids, at random moments of the
    span, on pages visited as the site's are."""
    rng = random.Random(f"{population.seed}:{prefix}")
    seconds = int(SPAN.total_seconds())
    visitors = visitor_ids or [f"v-{n}" for n in range(population.visitors)]
    return [
        {
            "id": f"{prefix}-{number}",
            "visitor_id": rng.choice(visitors),
            "url": page.url,
            "timestamp": iso(START + timedelta(seconds=rng.randrange(seconds))),
            "title": page.title,
        }
        for number, page in enumerate(random_pages(rng, count))
    ]
