"""Page views and chats as a client sends them, and helpers of the conversions API's tests.

The builders give the JSON a client would send: a page view of /api/v2/page_views, and a chat
object in Zendesk Chat's shape for /api/v2/chats, in which a visitor asks and agents answer.
Times are minutes after T0, so that a story reads "the agent wrote at 0, the visitor paid at 5".
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from tests.helpers.api import Api

T0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
SHOP = "https://shop.example"
THANKS = f"{SHOP}/checkout/thanks"

# Zendesk Chat agents: (id, display name). Their ids are 64-bit integers.
SAM = (361089721035, "Sam")
KIM = (361089721036, "Kim")


def at(minutes: float = 0) -> datetime:
    """The moment `minutes` after T0 (UTC)."""
    return T0 + timedelta(minutes=minutes)


def iso(moment: datetime) -> str:
    """A UTC moment as the API writes it: "2026-11-02T10:00:00Z"."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def page_view(
    page_view_id: str,
    *,
    visitor: str = "v-1",
    url: str = THANKS,
    minutes: float = 5,
    **fields: Any,
) -> dict[str, Any]:
    """A page view as a client sends it, `minutes` after T0; `fields` add to or replace its
    fields (timestamp="...", title="...")."""
    return {
        "id": page_view_id,
        "visitor_id": visitor,
        "url": url,
        "timestamp": iso(at(minutes)),
        **fields,
    }


def chat(
    chat_id: str,
    *,
    visitor: str = "v-1",
    minutes: float = 0,
    agents: Sequence[tuple[int, str]] = (SAM,),
    **fields: Any,
) -> dict[str, Any]:
    """A Zendesk Chat chat object: the visitor asks a minute before `minutes` (after T0) and
    each agent of `agents` answers at `minutes`, a second after the one before, so the first
    agent's touch is at `minutes`. Agent ids are strings of digits, as Zendesk's export sends
    them. `fields` add to or replace the chat's fields (type, missed, webpath, history...)."""
    history = [
        {
            "type": "chat.msg",
            "nick": "visitor",
            "name": f"Visitor {visitor}",
            "timestamp": iso(at(minutes - 1)),
            "msg": "Do you ship to Norway?",
        }
    ]
    for index, (agent_id, name) in enumerate(agents):
        history.append(
            {
                "type": "chat.msg",
                "nick": f"agent:{agent_id}",
                "name": name,
                "timestamp": iso(at(minutes) + timedelta(seconds=index)),
                "msg": "We do, in three days.",
            }
        )
    return {
        "id": chat_id,
        "type": "chat",
        "timestamp": iso(at(minutes - 1)),
        "visitor": {"id": visitor, "name": f"Visitor {visitor}", "email": ""},
        "missed": False,
        "agent_ids": [str(agent_id) for agent_id, _ in agents],
        "agent_names": [name for _, name in agents],
        "department_id": 7,
        "department_name": "Sales",
        "history": history,
        "webpath": [],
        **fields,
    }


def bearer(schema: dict, token: str) -> Api:
    """An Api client signed in with an OAuth 2 bearer token."""
    api = Api(schema)
    api.headers = {"Authorization": f"Bearer {token}"}
    return api


def sent(api: Api, path: str, items: Any) -> dict[str, Any]:
    """POST a batch that must be taken; its summary ({"received", "created", ...})."""
    response = api.post(path, items)
    assert response.status_code == 200, response.content
    return response.json()


def local_path(url: str) -> str:
    """The path and query of an absolute URL the API answered (a next_page), to request it."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def every_page(api: Api, path: str) -> list[dict[str, Any]]:
    """The pages from `path` on, following next_page until it is null; each must be 200."""
    pages = []
    while path:
        response = api.get(path)
        assert response.status_code == 200, response.content
        pages.append(response.json())
        assert len(pages) <= 1000, "next_page never became null"
        next_page = pages[-1]["next_page"]
        path = local_path(next_page) if next_page else ""
    return pages
