"""The demo account's data: the goals, agents, chats and page views of a small outdoor shop.

`make run` fills the demo account with it once (manage.py demodata), so that a newcomer sees
conversions on the goals page from the start. Goals go in through goals.rules and chats and page
views through conversions.ingest, in batches as a client sends them, so the demo obeys the rules
that production data does. Visitors browse, buy, ask for help, chat with the Sales or Support
agents (or find nobody there: missed chats, offline messages) and some convert afterwards;
every moment is within the last DEMO_DAYS days, and none is in the future.
"""

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from accounts.models import Account, User
from conversions.ingest import chats_ingest, page_views_ingest
from conversions.inputs import MAX_CHATS, MAX_PAGE_VIEWS
from conversions.recompute import chunks
from goals import rules
from goals.models import AttributionModel, Goal

SITE = "https://www.demo.example"
DEMO_DAYS = 60
DEFAULT_VISITORS = 7000
# The demo's Zendesk Chat account number: it prefixes visitor and chat ids, as Zendesk's do.
ZENDESK_ACCOUNT = 10428
# The hours (UTC) when agents answer; a visitor who asks outside them leaves an offline message.
STAFFED_HOURS = range(7, 22)
# How visits spread over the day (UTC): an online shop's afternoon and evening peaks.
HOUR_WEIGHTS = [1, 1, 1, 1, 1, 2, 3, 5, 7, 9, 10, 10, 10, 10, 9, 9, 9, 9, 10, 11, 10, 7, 4, 2]


@dataclass(frozen=True)
class Department:
    """A Zendesk Chat department: the team a chat is routed to."""

    department_id: int
    name: str


@dataclass(frozen=True)
class Agent:
    """A Zendesk Chat agent, with their Zendesk id and the department they work in."""

    agent_id: int
    name: str
    department: Department


SALES = Department(21601, "Sales")
SUPPORT = Department(21602, "Support")
AGENTS = tuple(
    Agent(360045812301 + index * 17, name, department)
    for index, (name, department) in enumerate(
        [
            ("Maya Fischer", SALES),
            ("Daniel Okafor", SALES),
            ("Sofia Marín", SALES),
            ("Liam O'Brien", SALES),
            ("Aiko Tanaka", SALES),
            ("Jonas Berg", SALES),
            ("Priya Raman", SUPPORT),
            ("Lucas Moreau", SUPPORT),
            ("Hannah Weiss", SUPPORT),
            ("Omar Haddad", SUPPORT),
            ("Elena Rossi", SUPPORT),
            ("Sam Carter", SUPPORT),
        ]
    )
)

ORDER_PAGE = "/checkout/complete"
WELCOME_PAGE = "/account/welcome"
RETURN_PAGE = "/returns/started"
DEMO_GOALS: list[dict[str, Any]] = [
    {
        "name": "Order placed",
        "description": "Visitors who complete a checkout after a chat",
        "attribution_model": AttributionModel.LAST_TOUCH,
        "attribution_period": 7,
        "conditions": [{"type": "url", "operator": "contains", "value": ORDER_PAGE}],
    },
    {
        "name": "Account created",
        "description": "Visitors who sign up for an account",
        "attribution_model": AttributionModel.FIRST_TOUCH,
        "attribution_period": 30,
        "conditions": [{"type": "url", "operator": "equals", "value": SITE + WELCOME_PAGE}],
    },
    {
        "name": "Return started",
        "description": "Visitors who start a return themselves, after Support explained how",
        "attribution_model": AttributionModel.LAST_TOUCH,
        "attribution_period": 14,
        "conditions": [{"type": "url", "operator": "contains", "value": RETURN_PAGE}],
    },
]

PRODUCTS = [
    ("trail-runner-2", "Trail Runner 2", "footwear"),
    ("summit-rain-jacket", "Summit Rain Jacket", "jackets"),
    ("basecamp-tent-3p", "Basecamp Tent 3P", "camping"),
    ("alpine-down-vest", "Alpine Down Vest", "jackets"),
    ("ridge-daypack-24l", "Ridge Daypack 24L", "packs"),
    ("merino-hiking-socks", "Merino Hiking Socks", "footwear"),
    ("carbon-trek-poles", "Carbon Trek Poles", "camping"),
    ("glacier-sleeping-bag", "Glacier Sleeping Bag", "camping"),
]
HELP_ARTICLES = [
    ("/help/shipping", "Shipping and delivery"),
    ("/help/returns", "Returns and exchanges"),
    ("/help/sizing", "Size guide"),
    ("/orders/track", "Track your order"),
]
HOME = ("/", "Demo Outdoor: gear for every trail")
REFERRERS = ["", "https://www.google.com/", "https://www.instagram.com/", "https://duckduckgo.com/"]
CUSTOMER_NAMES = [
    "Anna Schmidt",
    "Ben Carter",
    "Chloé Dubois",
    "Diego Alvarez",
    "Emma Johansson",
    "Farah Khan",
    "Grace Lee",
    "Henrik Nielsen",
    "Isabel Costa",
    "Jamal Wright",
    "Kenji Sato",
    "Lena Novak",
]
SALES_QUESTIONS = [
    "Hi! Does the {product} run true to size?",
    "Is the {product} waterproof?",
    "Do you ship the {product} to Canada?",
    "When will the {product} be back in my size?",
    "Is there a discount if I buy two?",
]
SUPPORT_QUESTIONS = [
    "My order hasn't arrived yet, can you check?",
    "How do I return a pair of shoes that don't fit?",
    "I was charged twice for one order.",
    "Can I still change the delivery address?",
    "The zip on my jacket broke after a week.",
]
AGENT_ANSWERS = [
    "Let me check that for you.",
    "Yes, it ships within two working days.",
    "I've sent the details to your email as well.",
    "You can do that from the link I just sent.",
    "Good news: that's covered, no cost to you.",
]
VISITOR_REPLIES = ["Great, thanks!", "Perfect.", "OK, and how long does that take?", "Thank you!"]
OFFLINE_MESSAGES = [
    "Please call me back about my order.",
    "Do you have the {product} in blue?",
    "I'd like to return an item, what do I do?",
]


@dataclass(frozen=True)
class DemoFilled:
    """What demo_fill sent: goals created, chats and page views stored (webpaths left out)."""

    goals_created: int
    chats: int
    page_views: int


def demo_fill(
    *, account: Account, actor: User, rng: random.Random, visitors: int = DEFAULT_VISITORS
) -> DemoFilled:
    """Fill the account with a shop's `visitors` visitors over the last DEMO_DAYS days: the
    three DEMO_GOALS (created by `actor` through goals.rules, only if the account has no goal)
    and the visitors' chats and page views, sent through conversions.ingest in batches.

    About three visitors in ten chat, and a visitor views three or four pages. The same
    `rng` state gives the same data, relative to the moment of the call. Raises what goals.rules
    and conversions.ingest raise (PermissionDenied if `actor` may not manage the account's goals).
    """
    goals_created = 0
    if not Goal.objects.of_account(account).exists():
        for index, goal in enumerate(DEMO_GOALS):
            # Within the account's limit of active goals: the others are created off.
            enabled = index < account.active_goal_limit
            rules.goal_create(account=account, actor=actor, enabled=enabled, **goal)
            goals_created += 1
    shop = _Shop(rng, timezone.now().replace(microsecond=0))
    for _ in range(visitors):
        shop.visitor()
    chats = _send(chats_ingest, account, shop.chats, MAX_CHATS)
    page_views = _send(page_views_ingest, account, shop.page_views, MAX_PAGE_VIEWS)
    return DemoFilled(goals_created, chats, page_views)


def _send(ingest: Callable[..., Any], account: Account, items: list[dict], size: int) -> int:
    """Send the items in time order and batches of `size`, as a client streams them; the
    number stored."""
    items.sort(key=lambda item: item["timestamp"])  # one format: text order is time order
    return sum(ingest(account=account, items=batch).created for batch in chunks(items, size))


def _iso(moment: datetime) -> str:
    """Zendesk Chat's spelling of a moment: ISO 8601 in UTC, to the second."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class _Page:
    url: str
    title: str
    at: datetime


class _Shop:
    """Visitors of the demo shop, one at a time: what they view, and the chats they have."""

    def __init__(self, rng: random.Random, now: datetime) -> None:
        self.rng = rng
        self.now = now
        self.page_views: list[dict] = []
        self.chats: list[dict] = []
        self.visitor_id = ""

    def token(self, length: int) -> str:
        alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
        return "".join(self.rng.choices(alphabet, k=length))

    def arrival(self) -> datetime:
        """A moment of the last DEMO_DAYS days, at a busy hour more often than a quiet one."""
        rng = self.rng
        day = self.now - timedelta(days=rng.randrange(DEMO_DAYS - 1))
        hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
        moment = day.replace(hour=hour, minute=rng.randrange(60), second=rng.randrange(60))
        return moment - timedelta(days=1) if moment > self.now - timedelta(hours=1) else moment

    def visitor(self) -> None:
        rng = self.rng
        self.visitor_id = f"{ZENDESK_ACCOUNT}.{self.token(14)}"
        visitor = {"id": self.visitor_id, "name": "", "email": ""}
        if rng.random() < 0.3:
            name = rng.choice(CUSTOMER_NAMES)
            visitor["name"] = name
            visitor["email"] = name.split()[0].lower() + f"{rng.randrange(100)}@mail.example"
        else:
            visitor["name"] = f"Visitor {rng.randrange(10**7, 10**8)}"
        intent = rng.choices(["browse", "buy", "help"], weights=[45, 35, 20])[0]
        product = rng.choice(PRODUCTS)
        pages = self.session(intent, product, self.arrival())
        chat_chance = {"browse": 0.1, "buy": 0.4, "help": 0.6}[intent]
        served, last = False, pages[-1].at
        if rng.random() < chat_chance:
            department = SUPPORT if intent == "help" else SALES
            served, last = self.chat(visitor, department, product, pages)
        self.after(intent, served, last)

    def session(self, intent: str, product: tuple[str, str, str], start: datetime) -> list[_Page]:
        rng = self.rng
        slug, name, collection = product
        product_page = (f"/products/{slug}", name)
        if intent == "help":
            paths = [rng.choice([HOME, ("/help", "Help centre")]), rng.choice(HELP_ARTICLES)]
        else:
            landing = rng.choice(
                [HOME, (f"/collections/{collection}", collection.title()), product_page]
            )
            paths = [landing] if landing == product_page else [landing, product_page]
            if intent == "buy":
                other = rng.choice(PRODUCTS)
                paths += [(f"/products/{other[0]}", other[1])] * rng.randrange(2)
                paths.append(("/cart", "Your cart"))
        return self.walk(paths, start)

    def walk(self, paths: Sequence[tuple[str, str]], start: datetime) -> list[_Page]:
        """The pages viewed one after another from `start`, stored as page views; those that
        would be in the future are not viewed yet."""
        pages, at = [], start
        for path, title in paths:
            if at > self.now:
                break
            pages.append(_Page(SITE + path, title, at))
            self.page_views.append(
                {
                    "id": f"pv-{self.token(16)}",
                    "visitor_id": self.visitor_id,
                    "url": SITE + path,
                    "timestamp": _iso(at),
                    "title": title,
                }
            )
            at += timedelta(seconds=self.rng.randint(15, 180))
        return pages

    def chat(
        self, visitor: dict, department: Department, product: tuple, pages: list[_Page]
    ) -> tuple[bool, datetime]:
        """The visitor opens the chat on the last page viewed (the first, when the visit is
        cut short by now): an agent of the department (or two, after a transfer) answers,
        nobody does (missed), or, out of hours, the visitor leaves an offline message. Whether
        an agent answered, and when the chat ended."""
        rng = self.rng
        start = pages[-1].at + timedelta(seconds=rng.randint(5, 60))
        chat = {
            "id": f"{start:%y%m}.{ZENDESK_ACCOUNT}.{self.token(13)}",
            "visitor": {**visitor, "phone": "", "notes": ""},
            "timestamp": _iso(start),
            "department_id": department.department_id,
            "department_name": department.name,
            "started_by": "visitor",
            "unread": False,
            "tags": [department.name.lower()],
            "zendesk_ticket_id": None,
            "webpath": [
                {
                    "from": pages[index - 1].url if index else rng.choice(REFERRERS),
                    "to": page.url,
                    "title": page.title,
                    "timestamp": _iso(page.at),
                }
                for index, page in enumerate(pages)
            ],
        }
        if start.hour not in STAFFED_HOURS:
            message = rng.choice(OFFLINE_MESSAGES).format(product=product[1])
            self.chats.append({**chat, "type": "offline_msg", "message": message, "unread": True})
            return False, start
        question = rng.choice(SALES_QUESTIONS if department == SALES else SUPPORT_QUESTIONS).format(
            product=product[1]
        )
        history = [
            self.said("chat.memberjoin", "visitor", visitor["name"], start),
            self.said("chat.msg", "visitor", visitor["name"], start, question),
        ]
        missed = rng.random() < 0.1
        agents: list[Agent] = []
        at = start
        if missed:
            at += timedelta(seconds=rng.randint(60, 240))
        else:
            team = [agent for agent in AGENTS if agent.department == department]
            agents.append(rng.choice(team))
            if rng.random() < 0.12:
                # Transferred: to the other department, or to a colleague who knows more.
                agents.append(rng.choice([a for a in AGENTS if a not in agents]))
            for agent in agents:
                nick = f"agent:{agent.agent_id}"
                at += timedelta(seconds=rng.randint(10, 90))
                history.append(self.said("chat.memberjoin", nick, agent, at))
                at += timedelta(seconds=rng.randint(3, 20))
                greeting = f"Hi, I'm {agent.name.split()[0]}. {rng.choice(AGENT_ANSWERS)}"
                history.append(self.said("chat.msg", nick, agent, at, greeting))
                for _ in range(rng.randrange(3)):
                    at += timedelta(seconds=rng.randint(20, 120))
                    reply = rng.choice(VISITOR_REPLIES)
                    history.append(self.said("chat.msg", "visitor", visitor["name"], at, reply))
                    at += timedelta(seconds=rng.randint(10, 90))
                    answer = rng.choice(AGENT_ANSWERS)
                    history.append(self.said("chat.msg", nick, agent, at, answer))
        at += timedelta(seconds=rng.randint(10, 60))
        history.append(self.said("chat.memberleave", "visitor", visitor["name"], at))
        lines = [item["nick"] for item in history if item["type"] == "chat.msg"]
        agent_lines = sum(nick != "visitor" for nick in lines)
        chat.update(
            {
                "type": "chat",
                "missed": missed,
                "agent_ids": [str(agent.agent_id) for agent in agents],
                "agent_names": [agent.name for agent in agents],
                "history": history,
                "duration": int((at - start).total_seconds()),
                "update_timestamp": _iso(at),
                "count": {
                    "total": len(lines),
                    "agent": agent_lines,
                    "visitor": len(lines) - agent_lines,
                },
                "rating": None if missed else rng.choice([None, None, "good", "good", "bad"]),
                "comment": None,
            }
        )
        self.chats.append(chat)
        return not missed, at

    def said(
        self, kind: str, nick: str, who: Agent | str, at: datetime, message: str = ""
    ) -> dict[str, Any]:
        """A history item of a chat: someone joined, wrote or left."""
        name = who.name if isinstance(who, Agent) else who
        item = {"type": kind, "nick": nick, "name": name, "timestamp": _iso(at)}
        return {**item, "msg": message} if kind == "chat.msg" else item

    def after(self, intent: str, served: bool, last: datetime) -> None:
        """What the visitor does next: buy, sign up or start a return (more often after an
        agent answered), in the same visit or days later, and perhaps come back to browse."""
        rng = self.rng
        lift = 1.6 if served else 1.0
        plans = {
            "buy": [(0.3 * lift, self.order), (0.12 * lift, self.sign_up)],
            "browse": [(0.04 * lift, self.order), (0.08 * lift, self.sign_up)],
            "help": [(0.25 * lift, self.start_return), (0.06 * lift, self.order)],
        }[intent]
        for chance, plan in plans:
            if rng.random() < chance:
                same_visit = rng.random() < 0.65
                gap = timedelta(minutes=rng.randint(1, 20)) if same_visit else self.days_later()
                plan(last + gap)
        if rng.random() < 0.3:
            slug, name, _ = rng.choice(PRODUCTS)
            self.walk([HOME, (f"/products/{slug}", name)], last + self.days_later())

    def days_later(self) -> timedelta:
        return timedelta(days=self.rng.randint(1, 20), hours=self.rng.randint(0, 10))

    def order(self, start: datetime) -> None:
        number = self.rng.randrange(100000, 999999)
        paths = [("/cart", "Your cart"), ("/checkout", "Checkout")]
        self.walk([*paths, (f"{ORDER_PAGE}?order={number}", "Thank you for your order")], start)

    def sign_up(self, start: datetime) -> None:
        self.walk([("/account/new", "Create an account"), (WELCOME_PAGE, "Welcome!")], start)

    def start_return(self, start: datetime) -> None:
        number = self.rng.randrange(1000, 9999)
        started = (f"{RETURN_PAGE}?return=R-{number}", "Return started")
        self.walk([("/returns/new", "Start a return"), started], start)
