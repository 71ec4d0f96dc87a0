"""What page views and chats may be sent: the one place that reads and checks them.

Every door (the API, the imports) passes the items as JSON gave them. A batch is all or nothing:
parse_page_views and parse_chats raise one ValidationError for the whole batch, keyed by item and
field as "[3].timestamp" or "[0].history[2].nick" (counted from 0), and store nothing.
"""

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from django.core.exceptions import ValidationError

from conversions.attribution import AGENT_MESSAGE, CHAT, Touch, chat_touches
from conversions.models import ID_MAX_LENGTH, NAME_MAX_LENGTH, TITLE_MAX_LENGTH, URL_MAX_LENGTH
from goals.rules import url_problem

MAX_PAGE_VIEWS = 1000
MAX_CHATS = 200
# An agent's nick in a chat's history (Zendesk Chat's chat object): "agent:<agent id>". Other
# "agent:" nicks ("agent:trigger", the account's automatic messages) are nobody's touch.
AGENT_NICK = re.compile(r"agent:(?P<agent_id>[0-9]+)")
# Agent and department ids are 64-bit integers in Zendesk Chat, and columns of bigint here.
MAX_ID_NUMBER = 2**63 - 1
# Moments from 1970 up to the end of the year 9998: an attribution period on either side of any
# of them is still a moment that Python and the databases can hold.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 1, 1, tzinfo=UTC) - timedelta(microseconds=1)
MAX_EPOCH_SECONDS = int(LATEST.timestamp())

Item = TypeVar("Item")


@dataclass(frozen=True, slots=True)
class PageViewIn:
    """A page view as sent: `timestamp` in UTC."""

    page_view_id: str
    visitor_id: str
    url: str
    timestamp: datetime
    title: str = ""


@dataclass(frozen=True, slots=True)
class AgentMessageIn:
    """A chat.msg item of a chat's history that an agent wrote."""

    agent_id: int
    name: str
    timestamp: datetime


@dataclass(slots=True)
class ChatIn:
    """A Zendesk Chat chat object as sent (`data`), with the fields attribution reads."""

    chat_id: str
    visitor_id: str
    timestamp: datetime
    data: dict[str, Any]
    type: str = CHAT
    missed: bool = False
    agent_ids: list[int] = field(default_factory=list)
    agent_names: list[str] = field(default_factory=list)
    department_id: int | None = None
    department_name: str = ""
    has_history: bool = False
    agent_messages: list[AgentMessageIn] = field(default_factory=list)
    webpath: list[PageViewIn] = field(default_factory=list)

    @property
    def touches(self) -> list[Touch]:
        return chat_touches(self)


# A problem's key: the item's index in the batch, and the field within it ("[3].timestamp").
_ITEM_KEY = re.compile(r"\[(?P<index>[0-9]+)\]\.?(?P<field>.*)", re.S)


def item_error_field(key: str) -> tuple[int, str] | None:
    """The item and field that a key of a batch's ValidationError names: "[3].timestamp" is
    (3, "timestamp"), "[3]" is (3, ""); None for a key about the batch as a whole ("body")."""
    match = _ITEM_KEY.fullmatch(key)
    return (int(match["index"]), match["field"]) if match else None


class _Problems:
    """The problems found in a batch, by key; raised together at the end."""

    def __init__(self) -> None:
        self.by_key: dict[str, list[str]] = {}

    def add(self, key: str, message: str) -> None:
        self.by_key.setdefault(key, []).append(message)

    def raise_any(self) -> None:
        if self.by_key:
            raise ValidationError(self.by_key)


class _Invalid(Exception):
    """One value is wrong: the message says how."""


def parse_page_views(items: Any) -> list[PageViewIn]:
    """The page views of a batch: a JSON array of at most MAX_PAGE_VIEWS objects
    {"id", "visitor_id", "url", "timestamp", "title" (optional)}.

    `timestamp` is ISO 8601 with a time zone, or seconds since the epoch (a number). `url` is an
    absolute http(s) URL (goals.rules.url_problem). Raises ValidationError for the whole batch.
    """
    return _parse_batch(items, MAX_PAGE_VIEWS, "page views", _page_view)


def parse_chats(items: Any) -> list[ChatIn]:
    """The chats of a batch: a JSON array of at most MAX_CHATS Zendesk Chat chat objects.

    Read: `id`, `visitor.id`, `timestamp` (required), `type` ("chat" or "offline_msg"),
    `missed`, `agent_ids` (integers, or strings of digits as Zendesk's export sends them),
    `agent_names`, `department_id`, `department_name`, `history` and `webpath`; the rest is kept
    as sent. Raises ValidationError for the whole batch.
    """
    return _parse_batch(items, MAX_CHATS, "chats", _chat)


def _parse_batch(
    items: Any, limit: int, what: str, parse_item: Callable[[Any, str, _Problems], Item]
) -> list[Item]:
    if not isinstance(items, list):
        raise ValidationError({"body": [f"Send a JSON array of {what}."]})
    if len(items) > limit:
        raise ValidationError(
            {"body": [f"Send at most {limit:,} {what} a request (this one has {len(items):,})."]}
        )
    problems = _Problems()
    parsed = [parse_item(item, f"[{index}]", problems) for index, item in enumerate(items)]
    problems.raise_any()
    return parsed


def _page_view(item: Any, key: str, problems: _Problems) -> PageViewIn | None:
    if not isinstance(item, dict):
        problems.add(key, "Each page view is a JSON object.")
        return None
    values = {
        "page_view_id": _field(item, "id", key, problems, _page_view_id),
        "visitor_id": _field(item, "visitor_id", key, problems, _id),
        "url": _field(item, "url", key, problems, _url),
        "timestamp": _field(item, "timestamp", key, problems, timestamp),
        "title": _field(item, "title", key, problems, _title, default=""),
    }
    return None if None in values.values() else PageViewIn(**values)


def _chat(item: Any, key: str, problems: _Problems) -> ChatIn | None:
    if not isinstance(item, dict):
        problems.add(key, "Each chat is a JSON object.")
        return None
    before = len(problems.by_key)
    chat_id = _field(item, "id", key, problems, _chat_id)
    visitor = item.get("visitor")
    if not isinstance(visitor, dict):
        problems.add(f"{key}.visitor", 'A chat needs its visitor, an object with an "id".')
        visitor_id = None
    else:
        visitor_id = _field(visitor, "id", f"{key}.visitor", problems, _id)
    chat = ChatIn(
        chat_id=chat_id,
        visitor_id=visitor_id,
        timestamp=_field(item, "timestamp", key, problems, timestamp),
        data=item,
        type=_field(item, "type", key, problems, _chat_type, default=CHAT),
        missed=_field(item, "missed", key, problems, _boolean, default=False),
        agent_ids=_field(item, "agent_ids", key, problems, _list_of(_id_number), default=[]),
        agent_names=_field(item, "agent_names", key, problems, _list_of(_name), default=[]),
        department_id=_field(item, "department_id", key, problems, _id_number, default=None),
        department_name=_field(item, "department_name", key, problems, _name, default=""),
    )
    _check_storable(item, key, problems)
    history = _field(item, "history", key, problems, _list_of(_object), default=[])
    chat.has_history = bool(history)
    for index, entry in enumerate(history or []):
        message = _agent_message(entry, f"{key}.history[{index}]", problems)
        if message is not None:
            chat.agent_messages.append(message)
    webpath = _field(item, "webpath", key, problems, _list_of(_object), default=[])
    for index, entry in enumerate(webpath or []):
        page_view = _webpath_page_view(entry, chat, index, f"{key}.webpath[{index}]", problems)
        if page_view is not None:
            chat.webpath.append(page_view)
    return None if len(problems.by_key) > before else chat


# Deeper than this, a chat's JSON is no chat, and writing it out would pass Python's recursion
# limit.
MAX_NESTING = 64


def _check_storable(value: Any, key: str, problems: _Problems, depth: int = 0) -> None:
    """Record what no database column can keep, anywhere in a chat kept as sent, its keys
    included: NUL (PostgreSQL refuses it), unpaired surrogates (not UTF-8), numbers too large
    for JSON's doubles (1e400, which Python reads as infinity), and nesting past MAX_NESTING."""
    if isinstance(value, dict | list) and depth >= MAX_NESTING:
        problems.add(key, f"Objects and lists may be nested {MAX_NESTING} deep at most.")
    elif isinstance(value, dict):
        for name, inner in value.items():
            _check_storable(name, key, problems)
            _check_storable(inner, f"{key}.{name}", problems, depth + 1)
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            _check_storable(inner, f"{key}[{index}]", problems, depth + 1)
    elif isinstance(value, str | float):
        try:
            _storable_text(value) if isinstance(value, str) else _storable_number(value)
        except _Invalid as problem:
            if str(problem) not in problems.by_key.get(key, []):
                problems.add(key, str(problem))


def _agent_message(entry: dict, key: str, problems: _Problems) -> AgentMessageIn | None:
    """The history item as an agent's message; None for any other item (a trigger's message
    among them), which is kept as sent and not read."""
    nick = entry.get("nick")
    if entry.get("type") != AGENT_MESSAGE or not isinstance(nick, str):
        return None
    match = AGENT_NICK.fullmatch(nick)
    if match is None:
        return None
    try:
        agent_id = _id_number(match["agent_id"])
    except _Invalid:
        problems.add(f"{key}.nick", f'"{_shown(nick)}" names an agent id past 64 bits.')
        return None
    moment = _field(entry, "timestamp", key, problems, timestamp)
    name = _field(entry, "name", key, problems, _name, default="")
    return None if moment is None or name is None else AgentMessageIn(agent_id, name, moment)


def _webpath_page_view(
    entry: dict, chat: ChatIn, index: int, key: str, problems: _Problems
) -> PageViewIn | None:
    """A webpath item as a page view of the chat's visitor, with an id derived from the chat's
    and the item's index, so that sending the chat again adds nothing twice."""
    url = _field(entry, "to", key, problems, _url)
    moment = _field(entry, "timestamp", key, problems, timestamp)
    title = _field(entry, "title", key, problems, _title, default="")
    if None in (url, moment, title, chat.chat_id, chat.visitor_id):
        return None
    return PageViewIn(
        webpath_page_view_id(chat.chat_id, index), chat.visitor_id, url, moment, title
    )


def webpath_page_view_id(chat_id: str, index: int) -> str:
    """The id of the page view that item `index` of a chat's webpath is (no page view sent on
    its own may have one of this form)."""
    return f"{chat_id}#webpath{index}"


_WEBPATH_ID = re.compile(r".*#webpath[0-9]+", re.S)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _field(
    item: dict,
    name: str,
    key: str,
    problems: _Problems,
    parse: Callable[[Any], Any],
    **default: Any,
) -> Any:
    """Item[name] parsed, or None with the problem recorded; a missing or null field is its
    default when one is given, else a problem."""
    value = item.get(name)
    if value is None:
        if default:
            return default["default"]
        problems.add(f"{key}.{name}", "This field is required.")
        return None
    try:
        return parse(value)
    except _Invalid as problem:
        problems.add(f"{key}.{name}", str(problem))
        return None


def timestamp(value: Any) -> datetime:
    """A moment in UTC from ISO 8601 with a time zone ("2026-11-30T10:00:00Z", "...+01:00") or
    from seconds since the epoch (a number); raises _Invalid otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _Invalid("A timestamp is ISO 8601 text or a number of seconds since the epoch.")
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise _Invalid(
                f'"{_shown(value)}" is not an ISO 8601 time, such as "2026-11-30T10:00:00Z".'
            ) from None
        if moment.utcoffset() is None:
            raise _Invalid(
                f'"{_shown(value)}" has no time zone: end it with "Z" for UTC, or an offset '
                'such as "+01:00".'
            )
        try:
            moment = moment.astimezone(UTC)
        except OverflowError:
            moment = None
        if moment is None or not EARLIEST <= moment <= LATEST:
            raise _Invalid(f'"{_shown(value)}" is out of range: from 1970 to the year 9998.')
        return moment
    # NaN and the infinities fail the comparison too; an integer of any size compares exactly.
    if not 0 <= value <= MAX_EPOCH_SECONDS:
        shown = f"{value:.6g}" if isinstance(value, float) else _shown(str(value))
        raise _Invalid(
            f"{shown} is out of range: seconds since the epoch are from 0 to {MAX_EPOCH_SECONDS}."
        )
    return datetime.fromtimestamp(value, UTC)


def _text(value: Any, max_length: int, *, required: bool = True) -> str:
    if not isinstance(value, str):
        raise _Invalid(f"Expected text, not {_json_type(value)}.")
    if required and not value.strip():
        raise _Invalid("This field may not be blank.")
    _storable_text(value)
    if len(value) > max_length:
        raise _Invalid(
            f"Ensure this value has at most {max_length} characters (it has {len(value)})."
        )
    return value


def _storable_text(value: str) -> None:
    if "\x00" in value:
        raise _Invalid("Null characters are not allowed.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise _Invalid(
            "The text contains an unpaired surrogate, which is not valid Unicode."
        ) from None


def _storable_number(value: float) -> None:
    if not math.isfinite(value):
        raise _Invalid("Not a number JSON can hold: NaN, an infinity, or past about 1.8e308.")


def _id(value: Any) -> str:
    """A client's id: text without control characters, which no address can carry."""
    text = _text(value, ID_MAX_LENGTH)
    if _CONTROL.search(text):
        raise _Invalid("An id cannot contain control characters, such as a line break.")
    return text


def _chat_id(value: Any) -> str:
    chat_id = _id(value)
    if chat_id.endswith("/"):
        # The chat's address, /api/v2/chats/<id>, takes a trailing slash as optional.
        raise _Invalid('A chat id cannot end with "/": the chat could not be read back by it.')
    return chat_id


def _page_view_id(value: Any) -> str:
    page_view_id = _id(value)
    if _WEBPATH_ID.fullmatch(page_view_id):
        raise _Invalid(
            f'Ids ending in "#webpath" and a number are the page views of chats\' webpaths: '
            f'"{_shown(page_view_id)}" cannot be sent as a page view of its own.'
        )
    return page_view_id


def _name(value: Any) -> str:
    return _text(value, NAME_MAX_LENGTH, required=False)


def _title(value: Any) -> str:
    return _text(value, TITLE_MAX_LENGTH, required=False)


def _url(value: Any) -> str:
    url = _text(value, URL_MAX_LENGTH)
    problem = url_problem(url)
    if problem is not None:
        raise _Invalid(problem)
    return url


def _id_number(value: Any) -> int:
    """An agent's or department's id: an integer, or a string of its digits."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_ID_NUMBER:
        raise _Invalid(f"Expected an integer id, not {_shown_json(value)}.")
    return value


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Invalid(f"Expected true or false, not {_shown_json(value)}.")
    return value


def _chat_type(value: Any) -> str:
    if value not in (CHAT, "offline_msg"):
        raise _Invalid(f'Expected "chat" or "offline_msg", not {_shown_json(value)}.')
    return value


def _object(value: Any) -> dict:
    if not isinstance(value, dict):
        raise _Invalid(f"Expected an object, not {_json_type(value)}.")
    return value


def _list_of(parse: Callable[[Any], Item]) -> Callable[[Any], list[Item]]:
    def parse_list(value: Any) -> list[Item]:
        if not isinstance(value, list):
            raise _Invalid(f"Expected a list, not {_json_type(value)}.")
        parsed = []
        for index, element in enumerate(value):
            try:
                parsed.append(parse(element))
            except _Invalid as problem:
                raise _Invalid(f"Item {index}: {problem}") from None
        return parsed

    return parse_list


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "text", bool: "true or false"}
    return names.get(type(value), "a number" if isinstance(value, int | float) else "null")


def _shown_json(value: Any) -> str:
    return f'"{_shown(value)}"' if isinstance(value, str) else _json_type(value)


def _shown(text: str) -> str:
    return text[:60].encode("utf-8", "replace").decode()
