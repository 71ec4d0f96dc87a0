"""The Conversions page (issue 14) through Django's test client, as a browser without JavaScript
sees it: who may open it, its filters in the URL, its figures against the chats and page views
the test sent, its sortable tables, the list of conversions behind them and the CSV downloads.

Cast (tests/conftest.py): Alice administers Acme, where Arthur is an agent; Bob administers
Bluebird; Olga is an operator. Chats and page views arrive through conversions.ingest, as from
the API, and the service's clock is stopped at NOW, so that "the last 7 days" are known days.
The expected figures are worked out here from the stories told, never read from the reports.
"""

import csv
import io
import json
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test import Client
from django.utils import timezone

from accounts.models import Account, User
from conversions import ingest, inputs, reports
from conversions.models import NO_DEPARTMENT, Conversion
from goals.models import Goal
from tests.helpers.api import PASSWORD
from tests.helpers.pages import FORBIDDEN_TITLE, Element, error_beside, main_text, parse, signed_in

NOW = datetime(2026, 3, 18, 15, 0, tzinfo=UTC)
TODAY = NOW.date()
REPORT = "/conversions/"
LIST = "/conversions/list/"
CONVERSIONS_CSV = "/conversions/conversions.csv"
AGENTS_CSV = "/conversions/agents.csv"
PAGES = [REPORT, LIST, CONVERSIONS_CSV, AGENTS_CSV]

# Zendesk Chat agents and departments: (id, name).
SAM = (1001, "Sam")
KIM = (1002, "Kim")
LEE = (1003, "Lee")
SALES = (7, "Sales")
SUPPORT = (8, "Support")

# Acme's goals, by a key of the test: the page that meets each, and its attribution model.
GOAL_TERMS = {
    "paid": ("Paid", "https://shop.example/checkout/thanks", "last_touch"),
    "signed_up": ("Signed up", "https://shop.example/signup/done", "first_touch"),
}

CONVERSIONS_HEADER = [
    "id",
    "time",
    "goal_id",
    "goal",
    "agent_id",
    "agent",
    "department_id",
    "department",
    "attribution_model",
    "visitor_id",
    "chat_id",
    "chat_time",
    "url",
]
AGENTS_HEADER = [
    "agent_id",
    "agent",
    "conversions",
    "served_chats",
    "conversion_rate",
    "first_touch_share",
    "last_touch_share",
]


# --- Stories: a chat, its agents, and the goal pages its visitor reached after it -----------


@dataclass(frozen=True)
class Story:
    """A chat `days_ago` days before TODAY: the visitor writes at 11:59 UTC, each agent of
    `agents` answers from 12:00, a second after the one before, and the visitor reaches the
    page of each goal of `reached` (keys of GOAL_TERMS) `after` the first answer."""

    chat_id: str
    days_ago: int
    agents: tuple[tuple[int, str], ...]
    department: tuple[int, str] | None = SALES
    reached: tuple[str, ...] = ()
    after: timedelta = timedelta(minutes=20)
    missed: bool = False
    visitor: str = ""

    @property
    def visitor_id(self) -> str:
        return self.visitor or f"visitor-{self.chat_id}"

    @property
    def day(self) -> date:
        return TODAY - timedelta(days=self.days_ago)

    def answered(self, agent: tuple[int, str]) -> datetime:
        """When this agent first wrote in the chat (UTC)."""
        noon = datetime.combine(self.day, time(12), UTC)
        return noon + timedelta(seconds=self.agents.index(agent))

    @property
    def reached_at(self) -> datetime:
        return self.answered(self.agents[0]) + self.after

    @property
    def served(self) -> bool:
        return bool(self.agents) and not self.missed

    @property
    def department_key(self) -> int:
        return self.department[0] if self.department else NO_DEPARTMENT


@dataclass(frozen=True)
class Expected:
    """A conversion that the rules of attribution (DESIGN.md, "Conversions") make of a story."""

    story: Story
    goal: str
    agent: tuple[int, str]

    @property
    def moment(self) -> datetime:
        return self.story.reached_at

    @property
    def delay(self) -> timedelta:
        return self.moment - self.story.answered(self.agent)


def iso(moment: datetime) -> str:
    """A UTC moment as the API takes it and the downloads write it: "2026-03-18T12:00:00Z"."""
    return moment.isoformat().replace("+00:00", "Z")


def chat_object(story: Story) -> dict[str, Any]:
    """The story's chat as Zendesk Chat's export gives it."""
    started = story.answered(story.agents[0])
    history = [
        {
            "type": "chat.msg",
            "nick": "visitor",
            "name": "Visitor",
            "timestamp": iso(started - timedelta(minutes=1)),
            "msg": "Do you ship to Norway?",
        }
    ]
    history += [
        {
            "type": "chat.msg",
            "nick": f"agent:{agent_id}",
            "name": name,
            "timestamp": iso(story.answered((agent_id, name))),
            "msg": "We do, in three days.",
        }
        for agent_id, name in story.agents
    ]
    chat = {
        "id": story.chat_id,
        "type": "chat",
        "timestamp": iso(started - timedelta(minutes=1)),
        "visitor": {"id": story.visitor_id, "name": "Visitor"},
        "missed": story.missed,
        "agent_ids": [str(agent_id) for agent_id, _ in story.agents],
        "agent_names": [name for _, name in story.agents],
        "history": history,
    }
    if story.department:
        chat["department_id"], chat["department_name"] = story.department
    return chat


def tell(account: Account, stories: Iterable[Story]) -> None:
    """Send the stories' chats, then their visitors' page views, as a client of the API does."""
    stories = list(stories)
    ingest.chats_ingest(account=account, items=[chat_object(story) for story in stories])
    page_views = [
        {
            "id": f"{story.chat_id}-{goal}",
            "visitor_id": story.visitor_id,
            "url": GOAL_TERMS[goal][1],
            "timestamp": iso(story.reached_at),
        }
        for story in stories
        for goal in story.reached
    ]
    if page_views:
        ingest.page_views_ingest(account=account, items=page_views)


def expected_conversions(stories: Iterable[Story]) -> list[Expected]:
    """A conversion for each goal page a served chat's visitor reached: credited to the first
    agent who answered (first touch) or the last (last touch). Each story's visitor is its own,
    so no other chat competes for the credit."""
    found = []
    for story in stories:
        if not story.served:
            continue
        for goal in story.reached:
            model = GOAL_TERMS[goal][2]
            agent = story.agents[0] if model == "first_touch" else story.agents[-1]
            found.append(Expected(story, goal, agent))
    return found


@dataclass(frozen=True)
class Report:
    """What a report covers, as the tests work its figures out."""

    start: date
    end: date
    goal: str | None = None
    agent: int | None = None
    department: int | None = None

    def converts(self, conversion: Expected) -> bool:
        return (
            self.start <= conversion.moment.date() <= self.end
            and self.goal in (None, conversion.goal)
            and self.agent in (None, conversion.agent[0])
            and self.department in (None, conversion.story.department_key)
        )

    def serves(self, story: Story) -> bool:
        """A served chat counts on its day; an agent narrows them to theirs, a goal never."""
        return (
            story.served
            and self.start <= story.day <= self.end
            and (self.agent is None or self.agent in {agent_id for agent_id, _ in story.agents})
            and self.department in (None, story.department_key)
        )

    def conversions(self, stories: list[Story]) -> list[Expected]:
        return [c for c in expected_conversions(stories) if self.converts(c)]

    def served(self, stories: list[Story]) -> int:
        return sum(self.serves(story) for story in stories)

    def previous(self) -> "Report":
        days = (self.end - self.start).days + 1
        return Report(
            self.start - timedelta(days=days),
            self.start - timedelta(days=1),
            self.goal,
            self.agent,
            self.department,
        )


def last(days: int, **filters: Any) -> Report:
    """The report of the last `days` days, today's included, as the page's periods."""
    return Report(TODAY - timedelta(days=days - 1), TODAY, **filters)


# Acme's last weeks. In the last 7 days (12 to 18 March): five conversions of seven served chats,
# and a missed chat; in the 7 days before: one of two; more in the 30 and 90 days.
ACME_STORIES = [
    Story("c1", 1, (SAM,), SALES, ("paid",)),
    # Paid credits the last to answer (Kim), Signed up the first (Sam).
    Story("c2", 2, (SAM, KIM), SALES, ("paid", "signed_up")),
    Story("c3", 3, (KIM,), SUPPORT, ("paid",), after=timedelta(hours=3)),
    Story("c4", 4, (LEE,), None),
    Story("c5", 5, (SAM,), SUPPORT, ("paid",), missed=True),
    Story("c6", 6, (KIM,), SALES, ("signed_up",), after=timedelta(minutes=2)),
    Story("c7", 5, (LEE,), SALES),
    Story("c8", 4, (KIM,), SUPPORT),
    Story("p1", 7, (SAM,), SALES, ("paid",), after=timedelta(hours=3)),
    Story("p2", 12, (KIM,), SALES),
    Story("o1", 26, (LEE,), SUPPORT, ("paid",)),
    Story("o2", 67, (SAM,), SALES, ("signed_up",)),
]
BLUEBIRD_STORIES = [Story("b1", 2, ((2001, "Zed"),), (9, "Nests"), ("paid",))]


@pytest.fixture(autouse=True)
def stopped_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    # The report's periods end today (UTC): a clock that moves would move them between the data
    # and the request, and across midnight change the days under test.
    monkeypatch.setattr(timezone, "now", lambda: NOW)


@pytest.fixture
def acme_goals(acme: Account, alice: User, make_goal: Callable[..., Goal]) -> dict[str, Goal]:
    """Acme's goals of GOAL_TERMS, by their keys."""
    return {
        key: make_goal(
            acme,
            name=name,
            conditions=[{"type": "url", "operator": "equals", "value": url}],
            attribution_model=model,
        )
        for key, (name, url, model) in GOAL_TERMS.items()
    }


@pytest.fixture
def acme_told(acme: Account, acme_goals: dict[str, Goal]) -> dict[str, Goal]:
    """Acme with ACME_STORIES told; its goals by key."""
    tell(acme, ACME_STORIES)
    return acme_goals


@pytest.fixture
def bluebird_told(bluebird: Account, bob: User, make_goal: Callable[..., Goal]) -> Goal:
    """Bluebird with a conversion of its own goal, credited to its agent Zed."""
    goal = make_goal(
        bluebird,
        name="Nest ordered",
        conditions=[{"type": "url", "operator": "equals", "value": GOAL_TERMS["paid"][1]}],
    )
    tell(bluebird, BLUEBIRD_STORIES)
    return goal


@pytest.fixture
def olga(db: None) -> User:
    """An operator, made as createsuperuser makes them."""
    return User.objects.create_superuser("olga@operators.example", PASSWORD)


@pytest.fixture
def bob_client(bob: User) -> Client:
    """A browser of the dashboard, signed in as Bob."""
    return signed_in(bob)


# --- Reading the pages ----------------------------------------------------------------------


def with_class(root: Element, name: str) -> list[Element]:
    """The elements under `root` (itself included) of this CSS class, in document order."""
    return [e for e in root.iter() if name in (e.attrs.get("class") or "").split()]


def section(root: Element, title_id: str) -> Element | None:
    """The section headed by the heading with this id; None when the page has none."""
    found = [e for e in root.find_all("section") if e.attrs.get("aria-labelledby") == title_id]
    return found[0] if found else None


def headline(response: Any) -> dict[str, tuple[str, str, str]]:
    """The headline figures: {name: (this period, the previous period, the line beside it)}."""
    figures = section(parse(response), "headline-title")
    assert figures is not None, "the page shows no headline figures"
    shown = {}
    for card in with_class(figures, "card-body"):
        [name] = card.find_all("h3")
        [now] = with_class(card, "headline-now")
        [before] = with_class(card, "headline-before")
        shown[name.text] = (now.text, before.text, card.find_all("p")[1].text)
    return shown


def selected(response: Any, name: str) -> str:
    """The value a select of the filters' form would submit."""
    [select] = [e for e in parse(response).find_all("select") if e.attrs.get("name") == name]
    options = select.find_all("option")
    chosen = [o for o in options if "selected" in o.attrs] or options[:1]
    assert len(chosen) == 1, f"{name}: {len(chosen)} options selected"
    return chosen[0].attrs.get("value") or ""


def options(response: Any, name: str) -> list[str]:
    """The names a select of the filters' form offers."""
    [select] = [e for e in parse(response).find_all("select") if e.attrs.get("name") == name]
    return [option.text for option in select.find_all("option")]


def input_value(response: Any, name: str) -> str:
    """The value of the filters' input of this name, as rendered."""
    [found] = [e for e in parse(response).find_all("input") if e.attrs.get("name") == name]
    return found.attrs.get("value") or ""


def table_rows(root: Element) -> list[list[str]]:
    """Each row of a table's body as its cells' text (headers of rows included)."""
    [body] = root.find_all("tbody")
    return [[cell.text for cell in row.find_all("th", "td")] for row in body.find_all("tr")]


def report_table(response: Any, table_id: str) -> list[list[str]]:
    """The rows of the report's table with this id ("agents", "departments"), as text."""
    return table_rows(parse(response).by_id(table_id))


def row_links(response: Any, table_id: str) -> dict[str, str]:
    """Each row's name and the address its name leads to."""
    [body] = parse(response).by_id(table_id).find_all("tbody")
    return {link.text: link.attrs["href"] for link in body.find_all("a")}


def sort_headings(response: Any, table_id: str) -> list[tuple[str, str | None, str]]:
    """The table's column headings: (words without the arrow, aria-sort, the link's address)."""
    [head] = parse(response).by_id(table_id).find_all("thead")
    return [
        (
            heading.find_all("a")[0].text.rstrip(" ▼▲"),
            heading.attrs.get("aria-sort"),
            heading.find_all("a")[0].attrs["href"],
        )
        for heading in head.find_all("th")
    ]


def listed(response: Any) -> list[list[str]]:
    """The rows of the list of conversions: time, goal, agent, visitor, chat, URL."""
    tables = with_class(parse(response), "conversion-list")
    return table_rows(tables[0]) if tables else []


def page_link(response: Any, words: str) -> str | None:
    """The address of the list's pagination link with these words; None when it is no link."""
    [nav] = [
        e
        for e in parse(response).find_all("nav")
        if e.attrs.get("aria-label") == "Pages of conversions"
    ]
    links = [a.attrs["href"] for a in nav.find_all("a") if a.text == words]
    return links[0] if links else None


def follow(client: Client, path: str, href: str) -> Any:
    """GET a link of the page at `path`, as a browser resolves it."""
    href = href.split("#")[0]
    response = client.get(path + href if href.startswith("?") else href)
    assert response.status_code == 200, href
    return response


def downloaded(response: Any) -> list[list[str]]:
    """The rows of a streamed CSV download, its header first."""
    assert isinstance(response, StreamingHttpResponse)
    body = b"".join(response.streaming_content).decode()
    assert body.endswith("\r\n")
    return list(csv.reader(io.StringIO(body, newline="")))


def percent(share: float) -> str:
    """A share from 0 to 1 as the page writes it: "66.7%"."""
    return f"{share * 100:.1f}%"


def at_utc(text: str) -> datetime:
    """A download's time, which must be ISO 8601 in UTC with a Z."""
    assert text.endswith("Z"), text
    return datetime.fromisoformat(text)


# --- Who may see the pages ------------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
def test_a_signed_out_visitor_is_sent_to_sign_in(client: Client, acme_told: Any, path: str) -> None:
    response = client.get(path, {"range": "7"})

    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == "/accounts/login/"
    assert parse_qs(location.query) == {"next": [f"{path}?range=7"]}


@pytest.mark.parametrize("path", PAGES)
def test_an_agent_is_told_only_administrators_see_conversions(
    arthur: User, acme_told: Any, path: str
) -> None:
    response = signed_in(arthur).get(path)

    assert response.status_code == 403
    assert not isinstance(response, StreamingHttpResponse)
    assert parse(response).find_all("h1")[0].text == FORBIDDEN_TITLE
    assert "Sam" not in main_text(response)
    assert "visitor-c1" not in response.content.decode()


@pytest.mark.parametrize("path", PAGES)
def test_an_operator_is_sent_to_the_django_admin(olga: User, acme_told: Any, path: str) -> None:
    response = signed_in(olga).get(path)

    assert response.status_code == 403
    assert "Operators work in the Django admin" in main_text(response)
    assert "visitor-c1" not in response.content.decode()


def test_the_nav_leads_administrators_to_the_report(alice_client: Client) -> None:
    nav = [
        e
        for e in parse(alice_client.get("/goals/")).find_all("nav")
        if e.attrs.get("aria-label") == "Main"
    ]
    links = {a.text: a.attrs["href"] for a in nav[0].find_all("a")}

    assert links["Conversions"] == REPORT


def test_bob_sees_only_bluebird_s_goals_agents_and_figures(
    acme_told: Any, bluebird_told: Goal, bob_client: Client
) -> None:
    response = bob_client.get(REPORT, {"range": "7"})

    assert response.status_code == 200
    assert options(response, "goal") == ["All goals", "Nest ordered"]
    assert options(response, "agent") == ["All agents", "Zed"]
    assert options(response, "department") == ["All departments", "Nests", "No department"]
    assert headline(response)["Conversions"][0] == "1"
    assert report_table(response, "agents")[0][:3] == ["Zed", "1", "1"]
    page = response.content.decode()
    for acme_name in ["Paid", "Signed up", "Sam", "Kim", "Lee", "Sales", "Support"]:
        assert acme_name not in page


@pytest.mark.parametrize(
    ("field", "acme_value"), [("goal", "paid"), ("agent", "1001"), ("department", "7")]
)
def test_acme_s_goal_agent_or_department_in_bob_s_address_is_a_form_error_not_data(
    acme_told: dict[str, Goal], bluebird_told: Goal, bob_client: Client, field: str, acme_value: str
) -> None:
    value = str(acme_told[acme_value].pk) if field == "goal" else acme_value

    report = bob_client.get(REPORT, {field: value})
    listing = bob_client.get(LIST, {field: value})
    download = bob_client.get(CONVERSIONS_CSV, {field: value})

    for response in (report, listing):
        assert response.status_code == 200
        assert error_beside(response, f"id_{field}") == (
            f"Select a valid choice. {value} is not one of the available choices."
        )
        assert section(parse(response), "headline-title") is None
        assert listed(response) == []
    assert download.status_code == 400
    assert not isinstance(download, StreamingHttpResponse)
    for response in (report, listing, download):
        assert "visitor-c" not in response.content.decode()


def test_bob_s_download_holds_only_bluebird_s_conversions(
    acme_told: Any, bluebird_told: Goal, bob_client: Client
) -> None:
    rows = downloaded(bob_client.get(CONVERSIONS_CSV, {"range": "90"}))

    assert [(row[3], row[5], row[10]) for row in rows[1:]] == [("Nest ordered", "Zed", "b1")]


# --- The empty state ------------------------------------------------------------------------


def test_an_account_without_data_is_told_how_data_arrives(
    acme_goals: Any, bluebird_told: Goal, alice_client: Client
) -> None:
    response = alice_client.get(REPORT)

    assert response.status_code == 200
    text = main_text(response)
    assert "No conversions yet" in text
    assert "POST /api/v2/page_views" in text
    assert "POST /api/v2/chats" in text
    links = {a.attrs["href"] for a in parse(response).by_id("main").find_all("a")}
    assert {"/tracking/", "/goals/"} <= links
    # Bluebird's conversion is no data of Acme's.
    assert section(parse(response), "headline-title") is None
    assert "Nest ordered" not in response.content.decode()


def test_a_served_chat_alone_shows_the_report_with_no_conversions(
    acme: Account, acme_goals: Any, alice_client: Client
) -> None:
    tell(acme, [Story("only", 1, (SAM,), SALES)])

    response = alice_client.get(REPORT)

    assert "No conversions yet" not in main_text(response)
    figures = headline(response)
    assert figures["Conversions"][0] == "0"
    assert figures["Served chats"][0] == "1"
    assert figures["Conversion rate"][0] == "0.0%"
    assert figures["Median time to convert"][0] == "—"
    assert "No conversions in this period." in section(parse(response), "chart-title").text


# --- Filters and figures --------------------------------------------------------------------


def test_the_report_shows_the_last_30_days_when_no_filter_is_given(
    acme_told: Any, alice_client: Client
) -> None:
    response = alice_client.get(REPORT)

    assert selected(response, "range") == "30"
    figures = headline(response)
    report = last(30)
    assert figures["Conversions"][:2] == (
        str(len(report.conversions(ACME_STORIES))),
        str(len(report.previous().conversions(ACME_STORIES))),
    )
    assert figures["Conversions"][:2] == ("7", "0")
    assert figures["Served chats"][:2] == (str(report.served(ACME_STORIES)), "0")
    span = with_class(parse(response), "report-span")[0].text
    assert span == "17 Feb 2026 to 18 Mar 2026 (UTC days), compared with 18 Jan 2026 to 16 Feb 2026"


def test_the_last_7_days_beside_the_7_days_before(acme_told: Any, alice_client: Client) -> None:
    response = alice_client.get(REPORT, {"range": "7"})

    assert selected(response, "range") == "7"
    now, before = last(7), last(7).previous()
    assert (len(now.conversions(ACME_STORIES)), now.served(ACME_STORIES)) == (5, 7)
    assert (len(before.conversions(ACME_STORIES)), before.served(ACME_STORIES)) == (1, 2)
    # The median of five conversions is the third: 20 minutes, in the bucket of 15 to 30.
    assert sorted(c.delay for c in now.conversions(ACME_STORIES)) == [
        timedelta(minutes=2),
        timedelta(minutes=19, seconds=59),
        timedelta(minutes=20),
        timedelta(minutes=20),
        timedelta(hours=3),
    ]
    assert [c.delay for c in before.conversions(ACME_STORIES)] == [timedelta(hours=3)]
    assert headline(response) == {
        "Conversions": ("5", "1", "Previous period: 1 (+400%)"),
        "Served chats": ("7", "2", "Previous period: 2 (+250%)"),
        "Conversion rate": ("71.4%", "50.0%", "Previous period: 50.0%"),
        "Median time to convert": (
            "15\N{EN DASH}30 min",
            "2\N{EN DASH}4 h",
            "Previous period: 2\N{EN DASH}4 h",
        ),
    }


def test_filters_from_the_address_are_selected_and_narrow_the_figures(
    acme_told: dict[str, Goal], alice_client: Client
) -> None:
    paid = acme_told["paid"]
    query = {
        "range": "custom",
        "start": "2026-03-12",
        "end": "2026-03-18",
        "goal": str(paid.pk),
        "agent": str(KIM[0]),
        "department": str(SALES[0]),
    }

    response = alice_client.get(REPORT, query)

    assert selected(response, "range") == "custom"
    assert input_value(response, "start") == "2026-03-12"
    assert input_value(response, "end") == "2026-03-18"
    assert selected(response, "goal") == str(paid.pk)
    assert selected(response, "agent") == str(KIM[0])
    assert selected(response, "department") == str(SALES[0])
    report = Report(date(2026, 3, 12), TODAY, "paid", KIM[0], SALES[0])
    # Kim's paid conversion in Sales is c2's; Kim served c2 and c6 in Sales, and p2 before.
    assert [c.story.chat_id for c in report.conversions(ACME_STORIES)] == ["c2"]
    assert (report.served(ACME_STORIES), report.previous().served(ACME_STORIES)) == (2, 1)
    figures = headline(response)
    assert figures["Conversions"][:2] == ("1", "0")
    assert figures["Conversions"][2] == "Previous period: 0 (new)"
    assert figures["Served chats"][:2] == ("2", "1")
    assert figures["Conversion rate"][:2] == ("50.0%", "0.0%")
    assert figures["Median time to convert"][:2] == ("15\N{EN DASH}30 min", "—")
    # The shared address keeps every filter: the list and the downloads get them all.
    [see] = [a for a in parse(response).find_all("a") if a.text == "See the conversions"]
    assert parse_qs(urlsplit(see.attrs["href"]).query) == {k: [v] for k, v in query.items()}


@pytest.mark.parametrize(
    ("days", "filters", "conversions", "served"),
    [
        (7, {"department": NO_DEPARTMENT}, 0, 1),
        (7, {"department": SUPPORT[0]}, 1, 2),
        (7, {"agent": SAM[0]}, 2, 2),
        # A goal narrows the conversions, never the served chats: any chat may convert on it.
        (90, {"goal": "signed_up"}, 3, 11),
    ],
)
def test_each_filter_counts_the_conversions_and_served_chats_it_names(
    acme_told: dict[str, Goal],
    alice_client: Client,
    days: int,
    filters: dict[str, Any],
    conversions: int,
    served: int,
) -> None:
    report = last(days, **filters)
    assert (len(report.conversions(ACME_STORIES)), report.served(ACME_STORIES)) == (
        conversions,
        served,
    )
    query = {
        name: acme_told[value].pk if name == "goal" else value for name, value in filters.items()
    }

    figures = headline(alice_client.get(REPORT, {"range": days, **query}))

    assert figures["Conversions"][0] == str(conversions)
    assert figures["Served chats"][0] == str(served)


def test_the_goal_card_leads_to_the_report_of_its_goal(
    acme_told: dict[str, Goal], alice_client: Client
) -> None:
    paid = acme_told["paid"]
    card = parse(alice_client.get("/goals/")).by_id(f"goal-{paid.pk}")
    [line] = with_class(card, "goal-conversions")

    response = follow(alice_client, "/goals/", line.find_all("a")[0].attrs["href"])

    count = len(last(30, goal="paid").conversions(ACME_STORIES))
    assert line.text == f"{count} conversions in the last 30 days"
    assert selected(response, "goal") == str(paid.pk)
    assert selected(response, "range") == "30"
    assert headline(response)["Conversions"][0] == str(count)


# --- The chart and its table ----------------------------------------------------------------


def chart_data(response: Any) -> dict[str, Any]:
    """The chart's figures as the page gives them to its script: {"labels": [ISO dates],
    "series": [{"goal": name, "counts": [conversions at each label]}]}."""
    [script] = [
        e
        for e in parse(response).find_all("script")
        if e.attrs.get("id") == "conversions-chart-data"
    ]
    assert script.attrs.get("type") == "application/json"
    return json.loads(script.raw_text())


def test_the_chart_counts_each_goal_s_conversions_a_day_and_the_table_says_the_same(
    acme_told: Any, alice_client: Client
) -> None:
    response = alice_client.get(REPORT, {"range": "30"})

    data = chart_data(response)
    days = [TODAY - timedelta(days=n) for n in range(29, -1, -1)]
    assert data["labels"] == [day.isoformat() for day in days]
    by_day = Counter((c.goal, c.moment.date()) for c in last(30).conversions(ACME_STORIES))
    assert data["series"] == [
        {"goal": "Paid", "counts": [by_day["paid", day] for day in days]},
        {"goal": "Signed up", "counts": [by_day["signed_up", day] for day in days]},
    ]
    table = section(parse(response), "chart-title").find_all("table")[0]
    assert [th.text for th in table.find_all("thead")[0].find_all("th")] == [
        "Day",
        "Paid",
        "Signed up",
    ]
    assert table_rows(table) == [
        [day.strftime("%a %-d %b %Y"), *(str(line["counts"][n]) for line in data["series"])]
        for n, day in enumerate(days)
    ]
    canvas = parse(response).by_id("conversions-chart")
    assert canvas.tag == "canvas"
    assert canvas.attrs.get("role") == "img"


def test_past_90_days_the_chart_counts_weeks_from_monday(
    acme_told: Any, alice_client: Client
) -> None:
    start = TODAY - timedelta(days=119)
    response = alice_client.get(REPORT, {"start": start.isoformat(), "end": TODAY.isoformat()})

    assert selected(response, "range") == "custom"
    assert "per week" in section(parse(response), "chart-title").find_all("h2")[0].text
    data = chart_data(response)
    weeks = [date.fromisoformat(label) for label in data["labels"]]
    # The range starts mid-week: its first point is the rest of that week.
    assert start.weekday() != 0
    assert weeks[0] == start
    assert weeks[1] == start + timedelta(days=7 - start.weekday())
    assert weeks[1:] == [weeks[1] + timedelta(weeks=n) for n in range(len(weeks) - 1)]
    assert weeks[-1] <= TODAY < weeks[-1] + timedelta(weeks=1)
    by_week = Counter(
        (c.goal, max(c.moment.date() - timedelta(days=c.moment.weekday()), start))
        for c in Report(start, TODAY).conversions(ACME_STORIES)
    )
    assert {line["goal"]: line["counts"] for line in data["series"]} == {
        GOAL_TERMS[goal][0]: [by_week[goal, week] for week in weeks] for goal in GOAL_TERMS
    }


# --- Bad filters ----------------------------------------------------------------------------

BAD_FILTERS = [
    (
        {"range": "custom", "start": "2026-03-18", "end": "2026-03-12"},
        "id_end",
        "The last day comes before the first.",
    ),
    ({"start": "2026-02-30", "end": "2026-03-12"}, "id_start", "Enter a real date, as YYYY-MM-DD."),
    # Day and month in either order would be a guess.
    ({"start": "01/02/2026", "end": "2026-03-12"}, "id_start", "Enter a real date, as YYYY-MM-DD."),
    ({"goal": "abc"}, "id_goal", "Select a valid choice. abc is not one of the available choices."),
    ({"range": "13"}, "id_range", "Choose the last 7, 30 or 90 days, or dates."),
    ({"agent": "-1"}, "id_agent", "Select a valid choice. -1 is not one of the available choices."),
    (
        {"department": "x"},
        "id_department",
        "Select a valid choice. x is not one of the available choices.",
    ),
    ({"range": "custom"}, "id_start", "Enter the first day, or choose a period."),
    ({"start": "2016-03-01", "end": "2026-03-18"}, "id_start", "Choose at most ten years."),
]


@pytest.mark.parametrize(
    ("query", "field_id", "error"),
    BAD_FILTERS,
    ids=lambda value: (
        "&".join(f"{k}={v}" for k, v in value.items()) if isinstance(value, dict) else None
    ),
)
def test_a_bad_filter_is_a_form_error_on_every_page_never_a_500(
    acme_told: Any, alice_client: Client, query: dict[str, str], field_id: str, error: str
) -> None:
    for path in (REPORT, LIST):
        response = alice_client.get(path, query)

        assert response.status_code == 200, path
        assert error_beside(response, field_id) == error, path
        assert section(parse(response), "headline-title") is None
        assert listed(response) == []
    for path in (CONVERSIONS_CSV, AGENTS_CSV):
        response = alice_client.get(path, query)

        assert response.status_code == 400, path
        assert not isinstance(response, StreamingHttpResponse)
        assert error_beside(response, field_id) == error, path


@pytest.mark.parametrize(
    "query",
    [
        {"start": "0001-01-01", "end": "0001-01-07"},
        {"start": "0001-01-01", "end": "0001-01-01"},
        {"start": "9999-12-25", "end": "9999-12-31"},
        {"range": "7", "after": "not-a-cursor"},
        {"range": "7", "before": "99999999999999999.zz"},
        {"range": "7", "agents_sort": "__class__", "departments_sort": "-key"},
    ],
    ids=lambda value: "&".join(f"{k}={v}" for k, v in value.items()),
)
def test_dates_at_the_calendar_s_ends_and_odd_parameters_are_never_a_500(
    acme_told: Any, alice: User, query: dict[str, str]
) -> None:
    # Answered as a browser would be, with the server's error page, rather than raised here.
    client = signed_in(alice, raise_request_exception=False)
    answers = {}
    for path in PAGES:
        response = client.get(path, query)
        answers[path] = response.status_code
        if isinstance(response, StreamingHttpResponse):
            # A download that breaks once streaming has begun is a 500 the status cannot show.
            try:
                b"".join(response.streaming_content)
            except Exception as error:
                answers[path] = f"{response.status_code}, then {type(error).__name__}: {error}"

    # A page shows the form (with or without an error); a download answers it or refuses it.
    assert all(answers[path] == 200 for path in (REPORT, LIST)), answers
    assert all(answers[path] in {200, 400} for path in (CONVERSIONS_CSV, AGENTS_CSV)), answers


# --- The agents' and departments' tables ----------------------------------------------------


def agent_table_expected(report: Report) -> dict[str, list[str]]:
    """The agents' rows as the page should write them, by name: conversions, served chats,
    rate, first-touch share, last-touch share."""
    conversions = report.conversions(ACME_STORIES)
    by_model = Counter(GOAL_TERMS[c.goal][2] for c in conversions)
    rows = {}
    for agent_id, name in (SAM, KIM, LEE):
        own = [c for c in conversions if c.agent[0] == agent_id]
        served = Report(report.start, report.end, report.goal, agent_id, report.department).served(
            ACME_STORIES
        )
        shares = [
            percent(sum(GOAL_TERMS[c.goal][2] == model for c in own) / by_model[model])
            if by_model[model]
            else "—"
            for model in ("first_touch", "last_touch")
        ]
        rate = percent(len(own) / served) if served else "—"
        rows[name] = [str(len(own)), str(served), rate, *shares]
    return rows


def test_the_agents_table_gives_each_agent_s_figures_most_conversions_first(
    acme_told: Any, alice_client: Client
) -> None:
    response = alice_client.get(REPORT, {"range": "7"})

    rows = report_table(response, "agents")
    expected = agent_table_expected(last(7))
    assert expected == {
        "Sam": ["2", "2", "100.0%", "50.0%", "33.3%"],
        "Kim": ["3", "4", "75.0%", "50.0%", "66.7%"],
        "Lee": ["0", "2", "0.0%", "0.0%", "0.0%"],
    }
    assert rows == [[name, *expected[name]] for name in ("Kim", "Sam", "Lee")]
    assert report_table(response, "departments") == [
        ["Sales", "4", "4", "100.0%", "100.0%", "66.7%"],
        ["Support", "1", "2", "50.0%", "0.0%", "33.3%"],
        ["No department", "0", "1", "0.0%", "0.0%", "0.0%"],
    ]


def test_sort_links_change_the_order_and_say_it_with_aria_sort(
    acme_told: Any, alice_client: Client
) -> None:
    response = alice_client.get(REPORT, {"range": "7"})
    headings = sort_headings(response, "agents")
    assert [(words, sort) for words, sort, _ in headings] == [
        ("Agent", None),
        ("Conversions", "descending"),
        ("Served chats", None),
        ("Conversion rate", None),
        ("First-touch share", None),
        ("Last-touch share", None),
    ]

    # Names sort from A at the first click, and turn at the second.
    by_name = follow(alice_client, REPORT, headings[0][2])
    assert [row[0] for row in report_table(by_name, "agents")] == ["Kim", "Lee", "Sam"]
    assert sort_headings(by_name, "agents")[0][1] == "ascending"
    by_name_descending = follow(alice_client, REPORT, sort_headings(by_name, "agents")[0][2])
    assert [row[0] for row in report_table(by_name_descending, "agents")] == ["Sam", "Lee", "Kim"]
    assert [sort for _, sort, _ in sort_headings(by_name_descending, "agents")] == [
        "descending",
        *[None] * 5,
    ]
    by_rate = follow(alice_client, REPORT, sort_headings(by_name_descending, "agents")[3][2])
    assert [row[0] for row in report_table(by_rate, "agents")] == ["Sam", "Kim", "Lee"]
    assert sort_headings(by_rate, "agents")[3][1] == "descending"
    by_rate_ascending = follow(alice_client, REPORT, sort_headings(by_rate, "agents")[3][2])
    assert [row[0] for row in report_table(by_rate_ascending, "agents")] == ["Lee", "Kim", "Sam"]
    # Each table keeps its own order, and the filters stay as they were.
    both = follow(alice_client, REPORT, sort_headings(by_rate_ascending, "departments")[0][2])
    assert [row[0] for row in report_table(both, "agents")] == ["Lee", "Kim", "Sam"]
    assert [row[0] for row in report_table(both, "departments")] == [
        "No department",
        "Sales",
        "Support",
    ]
    assert selected(both, "range") == "7"
    assert headline(both)["Conversions"][0] == "5"


def test_each_agent_s_row_leads_to_the_list_of_that_agent_s_conversions(
    acme_told: Any, alice_client: Client
) -> None:
    response = alice_client.get(REPORT, {"range": "7"})
    names = {name: agent_id for agent_id, name in (SAM, KIM, LEE)}

    for name, href in row_links(response, "agents").items():
        listing = follow(alice_client, REPORT, href)

        assert urlsplit(href).path == LIST
        assert selected(listing, "agent") == str(names[name])
        assert selected(listing, "range") == "7"
        expected = last(7, agent=names[name]).conversions(ACME_STORIES)
        assert sorted((row[4], row[1]) for row in listed(listing)) == sorted(
            (c.story.chat_id, GOAL_TERMS[c.goal][0]) for c in expected
        )
        assert all(row[2].startswith(name) for row in listed(listing))
        total = with_class(parse(listing), "list-total")[0].text
        assert total.startswith(f"{len(expected)} conversion")


def test_each_department_s_row_leads_to_the_list_of_its_conversions(
    acme_told: Any, alice_client: Client
) -> None:
    response = alice_client.get(REPORT, {"range": "30"})
    keys = {"Sales": SALES[0], "Support": SUPPORT[0], "No department": NO_DEPARTMENT}

    for name, href in row_links(response, "departments").items():
        listing = follow(alice_client, REPORT, href)

        assert selected(listing, "department") == str(keys[name])
        expected = last(30, department=keys[name]).conversions(ACME_STORIES)
        assert sorted(row[4] for row in listed(listing)) == sorted(
            c.story.chat_id for c in expected
        )


# --- The list of conversions ----------------------------------------------------------------


def test_the_list_shows_each_conversion_s_time_goal_agent_visitor_chat_and_url(
    acme_told: Any, alice_client: Client
) -> None:
    response = alice_client.get(LIST, {"range": "7", "agent": str(KIM[0])})

    headings = [th.text for th in with_class(parse(response), "conversion-list")[0].find_all("th")]
    assert headings[:6] == ["Time (UTC)", "Goal", "Agent", "Visitor", "Chat", "URL"]
    assert listed(response) == [
        ["16 Mar 2026 12:20:00", "Paid", "Kim (Sales)", "visitor-c2", "c2", GOAL_TERMS["paid"][1]],
        [
            "15 Mar 2026 15:00:00",
            "Paid",
            "Kim (Support)",
            "visitor-c3",
            "c3",
            GOAL_TERMS["paid"][1],
        ],
        [
            "12 Mar 2026 12:02:00",
            "Signed up",
            "Kim (Sales)",
            "visitor-c6",
            "c6",
            GOAL_TERMS["signed_up"][1],
        ],
    ]
    times = [e.attrs["datetime"] for e in parse(response).find_all("time")]
    assert [datetime.fromisoformat(t) for t in times] == [
        datetime(2026, 3, 16, 12, 20, tzinfo=UTC),
        datetime(2026, 3, 15, 15, 0, tzinfo=UTC),
        datetime(2026, 3, 12, 12, 2, tzinfo=UTC),
    ]


def test_the_list_names_its_period_without_a_comparison_left_blank(
    acme_told: Any, alice_client: Client
) -> None:
    response = alice_client.get(LIST, {"range": "7"})

    span = with_class(parse(response), "report-span")[0].text
    # The list has no previous period's figures, so it may leave the comparison out; but a
    # comparison it names has its dates.
    assert span in {
        "12 Mar 2026 to 18 Mar 2026 (UTC days)",
        "12 Mar 2026 to 18 Mar 2026 (UTC days), compared with 5 Mar 2026 to 11 Mar 2026",
    }


@pytest.fixture
def many(acme: Account, acme_goals: dict[str, Goal]) -> list[str]:
    """127 conversions of Acme on one day, seven to a minute, so that pages of 50 end between
    conversions of the same moment; the chat ids, newest first (by time, then conversion id)."""
    tell(
        acme,
        [
            Story(f"many-{n:03}", 1, (SAM,), SALES, ("paid",), after=timedelta(minutes=n // 7))
            for n in range(127)
        ],
    )
    rows = Conversion.objects.filter(account=acme).values_list(
        "timestamp", "conversion_id", "chat_id"
    )
    return [chat_id for *_, chat_id in sorted(rows, reverse=True)]


def test_older_and_newer_visit_every_conversion_once_in_order(
    many: list[str], alice_client: Client
) -> None:
    first = alice_client.get(LIST, {"range": "7"})
    assert with_class(parse(first), "list-total")[0].text.startswith("127 conversions")
    assert page_link(first, "Newer") is None
    assert page_link(first, "Newest") is None

    pages = [first]
    while (older := page_link(pages[-1], "Older")) is not None:
        pages.append(follow(alice_client, LIST, older))
        assert len(pages) < 10, "Older never ended"
    seen = [row[4] for page in pages for row in listed(page)]
    assert seen == many
    assert [len(listed(page)) for page in pages] == [50, 50, 27]

    back = [pages[-1]]
    while (newer := page_link(back[-1], "Newer")) is not None:
        back.append(follow(alice_client, LIST, newer))
        assert len(back) < 10, "Newer never ended"
    assert [listed(page) for page in reversed(back)] == [listed(page) for page in pages]
    for page in pages[1:]:
        newest = follow(alice_client, LIST, page_link(page, "Newest"))
        assert listed(newest) == listed(first)
        # The pages keep the filters.
        assert selected(page, "range") == "7"


def test_a_page_keeps_the_filters_of_the_list(
    many: list[str], acme_told: Any, alice_client: Client
) -> None:
    first = alice_client.get(LIST, {"range": "7", "agent": str(SAM[0]), "department": "7"})
    second = follow(alice_client, LIST, page_link(first, "Older"))

    assert selected(second, "agent") == str(SAM[0])
    assert selected(second, "department") == "7"
    # Sam's other conversions in Sales: c1's, twenty minutes after noon, and c2's, a day before.
    shown = [
        row[4]
        for page in (first, second, follow(alice_client, LIST, page_link(second, "Older")))
        for row in listed(page)
    ]
    assert shown == ["c1", *many, "c2"]


# --- The CSV downloads ----------------------------------------------------------------------


def test_the_conversions_download_streams_the_filtered_conversions(
    acme_told: dict[str, Goal], alice_client: Client
) -> None:
    response = alice_client.get(CONVERSIONS_CSV, {"range": "7", "agent": str(KIM[0])})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="conversions-2026-03-12-to-2026-03-18.csv"'
    )
    header, *rows = downloaded(response)
    assert header == CONVERSIONS_HEADER
    expected = last(7, agent=KIM[0]).conversions(ACME_STORIES)
    assert len(rows) == len(expected) == 3
    # Oldest first.
    stored = dict(
        Conversion.objects.filter(agent_id=KIM[0]).values_list("chat_id", "conversion_id")
    )
    for row, conversion in zip(rows, sorted(expected, key=lambda c: c.moment), strict=True):
        story = conversion.story
        goal = acme_told[conversion.goal]
        assert dict(zip(header, row, strict=True)) == {
            "id": stored[story.chat_id],
            "time": iso(conversion.moment),
            "goal_id": str(goal.pk),
            "goal": goal.name,
            "agent_id": str(KIM[0]),
            "agent": "Kim",
            "department_id": str(story.department[0]),
            "department": story.department[1],
            "attribution_model": GOAL_TERMS[conversion.goal][2],
            "visitor_id": story.visitor_id,
            "chat_id": story.chat_id,
            "chat_time": iso(story.answered(KIM)),
            "url": GOAL_TERMS[conversion.goal][1],
        }
        assert at_utc(row[1]) == conversion.moment
        assert at_utc(row[11]) == story.answered(KIM)


def test_the_download_of_a_period_without_conversions_is_its_header(
    acme_told: Any, alice_client: Client
) -> None:
    response = alice_client.get(CONVERSIONS_CSV, {"start": "2025-01-01", "end": "2025-01-31"})

    assert response["Content-Disposition"] == (
        'attachment; filename="conversions-2025-01-01-to-2025-01-31.csv"'
    )
    assert downloaded(response) == [CONVERSIONS_HEADER]


@pytest.mark.parametrize(
    "visitor", ['=HYPERLINK("https://evil.example","Open")', "+1+1", "-2+3", "@SUM(A1)"]
)
def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_given_a_leading_quote(
    acme: Account, acme_goals: Any, alice_client: Client, visitor: str
) -> None:
    tell(acme, [Story("formula", 1, ((1009, "=Eve"),), SALES, ("paid",), visitor=visitor)])

    [_, conversion] = downloaded(alice_client.get(CONVERSIONS_CSV, {"range": "7"}))
    [_, agent] = downloaded(alice_client.get(AGENTS_CSV, {"range": "7"}))

    assert conversion[9] == "'" + visitor
    assert conversion[5] == "'=Eve"
    assert agent[1] == "'=Eve"
    # The page shows them as they are.
    assert listed(alice_client.get(LIST, {"range": "7"}))[0][3] == visitor


@pytest.mark.parametrize("size", [1, 7, 50, 126, 127, 2000])
def test_the_download_reads_every_conversion_once_oldest_first_whatever_its_reads_size(
    many: list[str], size: int
) -> None:
    # Seven conversions a minute: most reads end between two of the same moment.
    week = reports.Filters(TODAY - timedelta(days=6), TODAY)
    read = [
        row["chat_id"] for row in reports.conversion_rows(Account.objects.get(), week, size=size)
    ]
    assert read == many[::-1]


@pytest.mark.django_db(transaction=True)
def test_a_download_read_slowly_is_the_conversions_as_they_stood_and_holds_off_no_write(
    acme: Account, acme_goals: Any, alice_client: Client
) -> None:
    # More conversions than the download reads from the database at a time, all of one moment.
    stories = [Story(f"s{n:04}", 3, (SAM,), SALES, ("paid",)) for n in range(2100)]
    for start in range(0, len(stories), inputs.MAX_CHATS):
        tell(acme, stories[start : start + inputs.MAX_CHATS])
    before = dict(Conversion.objects.values_list("chat_id", "timestamp"))
    response = alice_client.get(CONVERSIONS_CSV, {"range": "7"})
    pieces = iter(response.streaming_content)
    # The header goes out first, then the first rows.
    started = [next(pieces), next(pieces)]
    sent = next(csv.reader(io.StringIO(started[1].decode(), newline="")))[10]

    # The client stops reading. Meanwhile, in another connection, a new conversion arrives, and
    # one of those already sent moves two days later: its chat is sent again, later than the
    # page view that converted, and its visitor reaches the page again after it.
    written = []

    def send() -> None:
        try:
            tell(acme, [Story("late", 1, (KIM,), SALES, ("paid",))])
            moved = Story(sent, 1, (SAM,), SALES, visitor=f"visitor-{sent}")
            ingest.chats_ingest(account=acme, items=[chat_object(moved)])
            again = {
                "id": f"{sent}-again",
                "visitor_id": moved.visitor_id,
                "url": GOAL_TERMS["paid"][1],
                "timestamp": iso(moved.reached_at),
            }
            ingest.page_views_ingest(account=acme, items=[again])
            written.append("late")
        finally:
            connection.close()

    sender = threading.Thread(target=send)
    sender.start()
    sender.join()
    assert written == ["late"]

    # The rest of the download is as the conversions stood when it began: each once, the moved
    # one at its old time, and not the one that arrived since.
    body = b"".join([*started, *pieces]).decode()
    header, *rows = csv.reader(io.StringIO(body, newline=""))
    assert header == CONVERSIONS_HEADER
    assert sorted((row[10], at_utc(row[1])) for row in rows) == sorted(before.items())
    # The next download sees both changes.
    assert Conversion.objects.get(chat_id=sent).timestamp > before[sent]
    assert len(downloaded(alice_client.get(CONVERSIONS_CSV, {"range": "7"}))) == 1 + 2101


def test_the_agents_download_matches_the_agents_table(acme_told: Any, alice_client: Client) -> None:
    for query in ({"range": "7"}, {"range": "30", "department": str(SUPPORT[0])}):
        table = report_table(alice_client.get(REPORT, query), "agents")
        response = alice_client.get(AGENTS_CSV, query)

        start = TODAY - timedelta(days=int(query["range"]) - 1)
        assert response["Content-Disposition"] == (
            f'attachment; filename="agents-{start.isoformat()}-to-{TODAY.isoformat()}.csv"'
        )
        header, *rows = downloaded(response)
        assert header == AGENTS_HEADER
        in_words = {
            row[1]: [
                row[2],
                row[3],
                *(percent(float(share)) if share else "—" for share in row[4:]),
            ]
            for row in rows
        }
        assert in_words == {row[0]: row[1:] for row in table}
        ids = {name: agent_id for agent_id, name in (SAM, KIM, LEE)}
        assert [row[0] for row in rows] == [str(ids[row[1]]) for row in rows]
