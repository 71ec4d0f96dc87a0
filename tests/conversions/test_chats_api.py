"""POST /api/v2/chats and GET /api/v2/chats/{chat_id}: Zendesk Chat's chat objects in, kept as
sent, and each chat shown back with the conversions credited to it.

Cast (tests/conftest.py): Alice administers Acme, where Arthur is an agent; Bob administers
Bluebird. Alice's API client has a token of scope "read" (reader) and one of "write" (writer).
Acme's goal "Paid" is met on the checkout's thank-you page (thanks_goal).
"""

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import pytest

from accounts.models import Account
from conversions.models import Chat, PageView
from tests.helpers.conversions import KIM, SAM, SHOP, THANKS, at, chat, iso, page_view, sent

PATH = "/api/v2/chats"
ROUTES = ["/api/v2/chats", "/api/v2/chats/", "/api/v2/chat/chats", "/api/v2/chat/chats/"]
NO_SUCH_CHAT = "No chat with this id exists in your account."
SCOPE_REFUSED = (
    'This token\'s scope does not allow it: reading needs "read", changing needs "write".'
)
NOT_AN_ADMINISTRATOR = "Only administrators of the account may manage its goals."

# A chat as Zendesk Chat's incremental export gives it, with the fields this API does not read.
ZENDESK_CHAT = {
    "id": "2611.2.1xxAxxx5nTw",
    "type": "chat",
    "timestamp": "2026-11-02T09:59:00Z",
    "update_timestamp": "2026-11-02T10:04:27Z",
    "end_timestamp": "2026-11-02T10:04:27Z",
    "unread": False,
    "missed": False,
    "duration": 219,
    "rating": None,
    "comment": None,
    "tags": ["shipping", "vip"],
    "triggered": False,
    "triggered_response": None,
    "started_by": "visitor",
    "zendesk_ticket_id": None,
    "department_id": None,
    "department_name": None,
    "agent_ids": ["361089721035"],
    "agent_names": ["Sam"],
    "visitor": {
        "id": "2.1xxAxxx",
        "name": "Visitor 27",
        "email": "",
        "phone": "",
        "notes": "",
    },
    "session": {
        "browser": "Firefox",
        "city": "Oslo",
        "country_code": "NO",
        "ip": "203.0.113.7",
        "platform": "Linux",
        "start_date": "2026-11-02T09:55:00Z",
        "user_agent": "Mozilla/5.0 (X11; Linux x86_64; rv:145.0) Gecko/20100101 Firefox/145.0",
    },
    "count": {"agent": 1, "total": 2, "visitor": 1},
    "response_time": {"avg": 60, "first": 60, "max": 60},
    "history": [
        {
            "type": "chat.memberjoin",
            "nick": "visitor",
            "name": "Visitor 27",
            "channel": "#",
            "department_id": None,
            "department_name": None,
            "sender_type": "Visitor",
            "timestamp": "2026-11-02T09:58:30Z",
        },
        {
            "type": "chat.msg",
            "nick": "visitor",
            "name": "Visitor 27",
            "msg": "Do you ship to Norway?",
            "msg_id": "1",
            "options": "",
            "sender_type": "Visitor",
            "timestamp": "2026-11-02T09:59:00Z",
        },
        {
            "type": "chat.msg",
            "nick": "agent:361089721035",
            "name": "Sam",
            "msg": "We do, in three days.",
            "msg_id": "2",
            "sender_type": "Agent",
            "timestamp": "2026-11-02T10:00:00Z",
        },
        {"type": "chat.rating", "nick": "visitor", "new_rating": "good", "timestamp": 1793613720},
    ],
    "webpath": [
        {
            "from": "https://www.search.example/?q=shop",
            "to": f"{SHOP}/",
            "title": "Shop",
            "timestamp": "2026-11-02T09:55:00Z",
        }
    ],
    "conversions": [],
}


def stored_chats(account: Account) -> dict[str, dict[str, Any]]:
    return dict(Chat.objects.filter(account=account).values_list("chat_id", "data"))


def conversions_of(api: Any, chat_id: str) -> list[tuple[str, int, str]]:
    """The chat's conversions as (goal name, agent id, timestamp)."""
    response = api.get(f"{PATH}/{quote(chat_id)}")
    assert response.status_code == 200, response.content
    return [
        (c["goal_name"], c["attribution"]["agent_id"], c["timestamp"])
        for c in response.json()["conversions"]
    ]


def assert_refused(response: Any, key: str, words: str) -> None:
    """A 400 whose details name `key` alone, with a message containing `words`."""
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["error"] == "Invalid input"
    assert body["description"] == "Nothing was saved: correct the fields listed in details."
    assert list(body["details"]) == [key], body
    assert any(words in message for message in body["details"][key]), body


# --- Taking chats ---------------------------------------------------------------------------


def test_new_chats_are_counted_as_created(alice_api, acme):
    summary = sent(alice_api, PATH, [chat("c-1"), chat("c-2", visitor="v-2")])

    assert summary == {"received": 2, "created": 2, "updated": 0}
    assert set(stored_chats(acme)) == {"c-1", "c-2"}


def test_a_chat_sent_again_unchanged_is_neither_created_nor_updated(alice_api, acme):
    sent(alice_api, PATH, [chat("c-1"), chat("c-2")])

    summary = sent(alice_api, PATH, [chat("c-1"), chat("c-2"), chat("c-3")])

    assert summary == {"received": 3, "created": 1, "updated": 0}


def test_a_zendesk_chat_sent_again_unchanged_is_neither_created_nor_updated(alice_api, acme):
    sent(alice_api, PATH, [ZENDESK_CHAT])

    assert sent(alice_api, PATH, [ZENDESK_CHAT]) == {"received": 1, "created": 0, "updated": 0}


def test_a_changed_chat_sent_again_is_updated_and_replaces_the_one_stored(alice_api, acme):
    sent(alice_api, PATH, [chat("c-1", tags=["new"])])
    changed = chat("c-1", tags=["new", "shipping"], rating="good")

    summary = sent(alice_api, PATH, [changed])

    assert summary == {"received": 1, "created": 0, "updated": 1}
    assert alice_api.get(f"{PATH}/c-1").json() == {**changed, "conversions": []}


def test_of_two_chats_with_one_id_in_a_batch_the_later_is_kept(alice_api, acme):
    summary = sent(alice_api, PATH, [chat("c-1", tags=["first"]), chat("c-1", tags=["second"])])

    assert summary == {"received": 2, "created": 1, "updated": 0}
    assert stored_chats(acme)["c-1"]["tags"] == ["second"]


def test_a_chat_is_kept_as_sent_and_shown_with_its_conversions(alice_api, acme):
    sent(alice_api, PATH, [ZENDESK_CHAT])

    response = alice_api.get(f"{PATH}/{ZENDESK_CHAT['id']}")

    assert response.status_code == 200
    assert response.json() == ZENDESK_CHAT | {"conversions": []}


@pytest.mark.parametrize("route", ROUTES)
def test_chats_are_taken_and_shown_under_every_route_with_or_without_a_slash(
    alice_api, acme, route
):
    assert sent(alice_api, route, [chat("c-1")])["created"] == 1

    response = alice_api.get(f"{route.rstrip('/')}/c-1{'/' if route.endswith('/') else ''}")

    assert response.status_code == 200
    assert response.json()["id"] == "c-1"


def test_a_chat_whose_id_has_characters_a_url_escapes_is_shown_by_its_escaped_id(alice_api, acme):
    chat_id = "2611.2 chat#1?ä"
    sent(alice_api, PATH, [chat(chat_id)])

    response = alice_api.get(f"{PATH}/{quote(chat_id)}")

    assert response.status_code == 200
    assert response.json()["id"] == chat_id


def test_an_unknown_chat_is_not_found(alice_api, acme):
    response = alice_api.get(f"{PATH}/c-404")

    assert response.status_code == 404
    assert response.json() == {"error": "Not found", "description": NO_SUCH_CHAT}


def test_two_hundred_chats_are_taken_in_one_request(alice_api, acme):
    batch = [chat(f"c-{index}", visitor=f"v-{index}") for index in range(200)]

    summary = sent(alice_api, PATH, batch)

    assert summary == {"received": 200, "created": 200, "updated": 0}


def test_two_hundred_chats_with_long_histories_are_taken_in_one_request(alice_api, acme):
    chats = [chat(f"c-{index}", visitor=f"v-{index}") for index in range(200)]
    for item in chats:
        item["history"] += [agent_message(msg="We ship to Norway in three days. " * 6)] * 8
    body = json.dumps(chats)
    assert len(body) > 256 * 1024  # past REQUEST_BODY_LIMIT, which the other endpoints keep

    response = alice_api.post(PATH, raw=body)

    assert response.status_code == 200, (
        f"{response.status_code} {response.content!r}: a body past 256 KiB and within "
        "INGEST_BODY_LIMIT must be taken"
    )
    assert response.json() == {"received": 200, "created": 200, "updated": 0}


@pytest.mark.parametrize(
    "agent_ids", [["361089721035"], [361089721035]], ids=["digit-strings", "integers"]
)
def test_agent_ids_are_taken_as_integers_or_strings_of_digits(
    alice_api, acme, thanks_goal, agent_ids
):
    sent(alice_api, PATH, [chat("c-1", agent_ids=agent_ids, history=[])])
    sent(alice_api, "/api/v2/page_views", [page_view("pv-1")])

    assert conversions_of(alice_api, "c-1") == [("Paid", SAM[0], iso(at(5)))]


# --- Refused batches: nothing of them is stored ---------------------------------------------


def agent_message(**fields: Any) -> dict[str, Any]:
    """Item [1] of the history of chat(): Sam's answer, with `fields` replaced."""
    return {**chat("c-1")["history"][1], **fields}


def without(field: str) -> dict[str, Any]:
    return {name: value for name, value in chat("c-1").items() if name != field}


# Item [1] of a batch whose item [0] is valid: (the chat, the key that details names, words of
# its message).
BAD_CHATS = {
    "not-an-object": ("c-1", "[1]", "JSON object"),
    "no-id": (without("id"), "[1].id", "required"),
    "id-a-number": (chat(12), "[1].id", "not a number"),
    "id-over-255": (chat("c" * 256), "[1].id", "at most 255"),
    "id-ending-in-a-slash": (chat("c-1/"), "[1].id", 'cannot end with "/"'),
    "nul-in-id": (chat("c-\x001"), "[1].id", "Null characters"),
    "no-visitor": (without("visitor"), "[1].visitor", "visitor"),
    "visitor-null": (chat("c-1") | {"visitor": None}, "[1].visitor", "visitor"),
    "visitor-as-text": (chat("c-1") | {"visitor": "v-1"}, "[1].visitor", "visitor"),
    "visitor-without-id": (chat("c-1") | {"visitor": {"name": "V"}}, "[1].visitor.id", "required"),
    "visitor-id-an-object": (chat("c-1", visitor={"id": 1}), "[1].visitor.id", "not an object"),
    "no-timestamp": (without("timestamp"), "[1].timestamp", "required"),
    "timestamp-without-zone": (
        chat("c-1", timestamp="2026-11-02T10:00:00"),
        "[1].timestamp",
        "no time zone",
    ),
    "unknown-type": (chat("c-1", type="sms"), "[1].type", '"chat" or "offline_msg"'),
    "missed-as-text": (chat("c-1", missed="no"), "[1].missed", "true or false"),
    "agent-ids-letters": (chat("c-1", agent_ids=["abc"]), "[1].agent_ids", "integer id"),
    "agent-ids-fraction": (chat("c-1", agent_ids=[1.5]), "[1].agent_ids", "integer id"),
    "agent-ids-negative": (chat("c-1", agent_ids=[-1]), "[1].agent_ids", "integer id"),
    "agent-ids-boolean": (chat("c-1", agent_ids=[True]), "[1].agent_ids", "integer id"),
    "agent-ids-past-64-bits": (chat("c-1", agent_ids=[2**63]), "[1].agent_ids", "integer id"),
    "agent-ids-as-text": (chat("c-1", agent_ids="361089721035"), "[1].agent_ids", "list"),
    "agent-names-numbers": (chat("c-1", agent_names=[1]), "[1].agent_names", "not a number"),
    "department-id-letters": (chat("c-1", department_id="sales"), "[1].department_id", "integer"),
    "history-an-object": (chat("c-1", history={"0": {}}), "[1].history", "list"),
    "history-item-text": (chat("c-1", history=["hi"]), "[1].history", "object"),
    "chat-in-year-9999": (
        chat("c-1", timestamp="9999-12-31T23:59:59Z"),
        "[1].timestamp",
        "out of range",
    ),
    "agent-nick-past-64-bits": (
        chat("c-1", history=[agent_message(nick=f"agent:{2**64}")]),
        "[1].history[0].nick",
        "64 bits",
    ),
    "agent-message-without-timestamp": (
        chat("c-1", history=[agent_message(timestamp=None)]),
        "[1].history[0].timestamp",
        "required",
    ),
    "agent-message-garbage-timestamp": (
        chat("c-1", history=[agent_message(timestamp="soon")]),
        "[1].history[0].timestamp",
        "ISO 8601",
    ),
    "webpath-url-without-scheme": (
        chat("c-1", webpath=[{"to": "shop.example/thanks", "timestamp": iso(at(5))}]),
        "[1].webpath[0].to",
        "http",
    ),
    "webpath-without-timestamp": (
        chat("c-1", webpath=[{"to": THANKS}]),
        "[1].webpath[0].timestamp",
        "required",
    ),
    "webpath-title-over-1024": (
        chat("c-1", webpath=[{"to": THANKS, "timestamp": 0, "title": "t" * 1025}]),
        "[1].webpath[0].title",
        "at most 1024",
    ),
}


@pytest.mark.parametrize(("item", "key", "words"), BAD_CHATS.values(), ids=BAD_CHATS.keys())
def test_a_batch_with_one_bad_chat_is_refused_whole_naming_it(alice_api, acme, item, key, words):
    response = alice_api.post(PATH, [chat("c-0"), item])

    assert_refused(response, key, words)
    assert stored_chats(acme) == {}
    assert not PageView.objects.exists()


def with_message(text: str) -> dict[str, Any]:
    item = chat("c-1")
    item["history"][0]["msg"] = text
    return item


@pytest.mark.parametrize(
    "item",
    [with_message("Hello\x00"), with_message("\ud800"), chat("c-1", rating={"comment": "\x00"})],
    ids=["nul-in-a-message", "surrogate-in-a-message", "nul-in-a-field-not-read"],
)
def test_text_no_database_can_keep_in_a_field_not_read_is_refused_with_400(alice_api, acme, item):
    # The chat is kept as sent, but PostgreSQL's jsonb cannot hold NUL or an unpaired surrogate,
    # and no UTF-8 answer can carry the latter: a 400 as for the fields read, never a 500.
    response = alice_api.post(PATH, [item])

    assert response.status_code == 400, (
        f"{response.status_code} {response.content!r}: NUL or an unpaired surrogate anywhere "
        "in a chat must be refused with 400, naming where"
    )
    assert next(iter(response.json()["details"])).startswith("[0]")
    assert stored_chats(acme) == {}


@pytest.mark.parametrize("body", [{"id": "c-1"}, "c-1", None], ids=["an-object", "text", "null"])
def test_a_body_that_is_not_an_array_of_chats_is_refused(alice_api, acme, body):
    response = alice_api.post(PATH, raw=json.dumps(body))

    assert_refused(response, "body", "JSON array of chats")


def test_two_hundred_and_one_chats_are_refused_whole(alice_api, acme):
    batch = [chat(f"c-{index}") for index in range(201)]

    response = alice_api.post(PATH, batch)

    assert_refused(response, "body", "at most 200 chats a request (this one has 201)")
    assert stored_chats(acme) == {}


def test_a_chats_body_over_the_ingest_limit_is_refused_with_413(alice_api, acme, settings):
    settings.INGEST_BODY_LIMIT = 1000

    response = alice_api.post(PATH, [chat("c-1"), chat("c-2")])

    assert response.status_code == 413
    assert stored_chats(acme) == {}


# --- Touches: which chats make conversions --------------------------------------------------


def test_a_page_view_of_the_goal_after_an_agent_wrote_converts(alice_api, acme, thanks_goal):
    sent(alice_api, PATH, [chat("c-1", minutes=0)])

    sent(alice_api, "/api/v2/page_views", [page_view("pv-1", minutes=5)])

    assert conversions_of(alice_api, "c-1") == [("Paid", SAM[0], iso(at(5)))]


def test_a_chat_sent_after_the_page_view_credits_it_all_the_same(alice_api, acme, thanks_goal):
    sent(alice_api, "/api/v2/page_views", [page_view("pv-1", minutes=5)])

    sent(alice_api, PATH, [chat("c-1", minutes=0)])

    assert conversions_of(alice_api, "c-1") == [("Paid", SAM[0], iso(at(5)))]


@pytest.mark.parametrize(
    "fields", [{"type": "offline_msg"}, {"missed": True}], ids=["offline-message", "missed"]
)
def test_offline_messages_and_missed_chats_make_no_conversions(
    alice_api, acme, thanks_goal, fields
):
    sent(alice_api, PATH, [chat("c-1", **fields)])

    sent(alice_api, "/api/v2/page_views", [page_view("pv-1", minutes=5)])

    assert conversions_of(alice_api, "c-1") == []


def test_a_chat_in_which_no_agent_wrote_makes_no_conversions(alice_api, acme, thanks_goal):
    sent(alice_api, PATH, [chat("c-1", agents=[], agent_ids=[SAM[0]], agent_names=[SAM[1]])])

    sent(alice_api, "/api/v2/page_views", [page_view("pv-1", minutes=5)])

    assert conversions_of(alice_api, "c-1") == []


def test_a_number_past_what_json_doubles_hold_is_refused_where_it_is(alice_api, acme):
    body = json.dumps([chat("c-1", rating={"score": 0})]).replace('"score": 0', '"score": 1e400')

    response = alice_api.post(PATH, raw=body)

    assert response.status_code == 400
    assert "past about 1.8e308" in response.json()["details"]["[0].rating.score"][0]
    assert not Chat.objects.exists()


def test_a_chat_nested_deeper_than_any_chat_is_refused_not_a_server_error(alice_api, acme):
    # Nested past any chat, toward the depth at which writing it out again would fail.
    body = json.dumps([chat("c-1", extra="DEEP")]).replace('"DEEP"', "[" * 200 + "]" * 200)

    response = alice_api.post(PATH, raw=body)

    assert response.status_code == 400
    [(field, messages)] = response.json()["details"].items()
    assert field.startswith("[0].extra")
    assert messages == ["Objects and lists may be nested 64 deep at most."]
    assert not Chat.objects.exists()


def test_a_triggers_automatic_message_is_no_touch_and_refuses_nothing(alice_api, acme, thanks_goal):
    trigger = {**agent_message(), "nick": "agent:trigger", "name": "Welcome trigger"}
    history = [trigger, *chat("c-1")["history"]]

    sent(alice_api, PATH, [chat("c-1", history=history)])
    sent(alice_api, "/api/v2/page_views", [page_view("pv-1", minutes=5)])

    assert conversions_of(alice_api, "c-1") == [("Paid", SAM[0], iso(at(5)))]


def test_a_chat_sent_again_with_another_agent_credits_that_agent(alice_api, acme, thanks_goal):
    sent(alice_api, PATH, [chat("c-1", agents=[SAM])])
    sent(alice_api, "/api/v2/page_views", [page_view("pv-1", minutes=5)])

    assert sent(alice_api, PATH, [chat("c-1", agents=[KIM])])["updated"] == 1

    assert conversions_of(alice_api, "c-1") == [("Paid", KIM[0], iso(at(5)))]


def test_a_chat_sent_again_as_missed_loses_its_conversion(alice_api, acme, thanks_goal):
    sent(alice_api, PATH, [chat("c-1")])
    sent(alice_api, "/api/v2/page_views", [page_view("pv-1", minutes=5)])

    sent(alice_api, PATH, [chat("c-1", missed=True)])

    assert conversions_of(alice_api, "c-1") == []


def test_a_conversion_names_the_agent_and_department_of_the_chat(alice_api, acme, thanks_goal):
    sent(alice_api, PATH, [chat("c-1", agents=[SAM, KIM], department_id="7")])

    sent(alice_api, "/api/v2/page_views", [page_view("pv-1", minutes=5)])

    [conversion] = alice_api.get(f"{PATH}/c-1").json()["conversions"]
    assert conversion["attribution"] == {
        "agent_id": KIM[0],
        "agent_name": "Kim",
        "department_id": 7,
        "department_name": "Sales",
        "chat_timestamp": "2026-11-02T10:00:01Z",
    }


# --- Webpaths: the pages the visitor saw, as page views -------------------------------------


def webpath_item(minutes: float, url: str = THANKS) -> dict[str, Any]:
    return {"from": f"{SHOP}/", "to": url, "title": "Thanks", "timestamp": iso(at(minutes))}


def test_webpath_items_are_stored_as_page_views_of_the_visitor(alice_api, acme):
    sent(alice_api, PATH, [chat("c-1", visitor="v-7", webpath=[webpath_item(-3, f"{SHOP}/")])])

    assert list(PageView.objects.values_list("visitor_id", "url", "timestamp", "title")) == [
        ("v-7", f"{SHOP}/", datetime(2026, 11, 2, 9, 57, tzinfo=UTC), "Thanks")
    ]


def test_a_chat_whose_webpath_reaches_the_goal_after_the_agent_wrote_converts(
    alice_api, acme, thanks_goal
):
    webpath = [webpath_item(-3, f"{SHOP}/"), webpath_item(4)]

    sent(alice_api, PATH, [chat("c-1", minutes=0, webpath=webpath)])

    [conversion] = alice_api.get(f"{PATH}/c-1").json()["conversions"]
    assert (conversion["url"], conversion["timestamp"]) == (THANKS, iso(at(4)))


def test_a_webpath_that_reached_the_goal_before_the_agent_wrote_does_not_convert(
    alice_api, acme, thanks_goal
):
    sent(alice_api, PATH, [chat("c-1", minutes=0, webpath=[webpath_item(-3)])])

    assert conversions_of(alice_api, "c-1") == []


def test_a_chat_sent_again_adds_its_webpath_once(alice_api, acme, thanks_goal):
    item = chat("c-1", webpath=[webpath_item(-3, f"{SHOP}/"), webpath_item(4)])
    sent(alice_api, PATH, [item])

    sent(alice_api, PATH, [item | {"tags": ["changed"]}])

    assert PageView.objects.filter(account=acme).count() == 2
    assert len(alice_api.get(f"{PATH}/c-1").json()["conversions"]) == 1


# --- Who may send and read chats ------------------------------------------------------------


@pytest.mark.parametrize("route", ROUTES)
def test_anonymous_chats_are_refused_with_401(api, acme, route):
    response = api.post(route, [chat("c-1")])

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert stored_chats(acme) == {}


@pytest.mark.parametrize("route", ROUTES)
def test_anonymous_reading_of_a_chat_is_refused_with_401(api, alice_api, acme, route):
    sent(alice_api, PATH, [chat("c-1")])

    response = api.get(f"{route.rstrip('/')}/c-1")

    assert response.status_code == 401
    assert "id" not in response.json()


def test_a_wrong_password_may_neither_send_nor_read_chats(api, alice, alice_api, acme):
    sent(alice_api, PATH, [chat("c-1")])
    api.authenticate(alice.email, "not-the-password")

    assert api.post(PATH, [chat("c-2")]).status_code == 401
    assert api.get(f"{PATH}/c-1").status_code == 401
    assert set(stored_chats(acme)) == {"c-1"}


def test_an_agent_may_neither_send_nor_read_chats(api_as, arthur, alice_api, acme):
    sent(alice_api, PATH, [chat("c-1")])
    forbidden = {"error": "Forbidden", "description": NOT_AN_ADMINISTRATOR}

    posted = api_as(arthur).post(PATH, [chat("c-2")])
    read = api_as(arthur).get(f"{PATH}/c-1")

    assert (posted.status_code, posted.json()) == (403, forbidden)
    assert (read.status_code, read.json()) == (403, forbidden)
    assert set(stored_chats(acme)) == {"c-1"}


def test_a_read_token_reads_chats_but_may_not_send_them(reader, alice_api, acme):
    sent(alice_api, PATH, [chat("c-1")])

    posted = reader.post(PATH, [chat("c-2")])

    assert (posted.status_code, posted.json()["description"]) == (403, SCOPE_REFUSED)
    assert reader.get(f"{PATH}/c-1").json()["id"] == "c-1"
    assert set(stored_chats(acme)) == {"c-1"}


def test_a_write_token_sends_chats_but_may_not_read_them(writer, acme):
    assert sent(writer, PATH, [chat("c-1")])["created"] == 1

    read = writer.get(f"{PATH}/c-1")

    assert (read.status_code, read.json()["description"]) == (403, SCOPE_REFUSED)
    assert set(stored_chats(acme)) == {"c-1"}


@pytest.mark.parametrize("route", ROUTES)
def test_another_accounts_chat_is_not_found(alice_api, bob_api, acme, route):
    sent(alice_api, PATH, [chat("c-1")])

    response = bob_api.get(f"{route.rstrip('/')}/c-1")

    assert response.status_code == 404
    assert response.json() == {"error": "Not found", "description": NO_SUCH_CHAT}


def test_each_account_has_its_own_chat_of_an_id(alice_api, bob_api, acme, bluebird):
    sent(alice_api, PATH, [chat("c-1", visitor="v-acme")])

    assert sent(bob_api, PATH, [chat("c-1", visitor="v-bluebird")])["created"] == 1

    assert alice_api.get(f"{PATH}/c-1").json()["visitor"]["id"] == "v-acme"
    assert bob_api.get(f"{PATH}/c-1").json()["visitor"]["id"] == "v-bluebird"
