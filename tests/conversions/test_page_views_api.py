"""POST /api/v2/page_views: page views in, each stored once, a batch all or nothing.

Cast (tests/conftest.py): Alice administers Acme, where Arthur is an agent; Bob administers
Bluebird. Alice's API client has a token of scope "read" (reader) and one of "write" (writer).
"""

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from accounts.models import Account
from conversions.models import Conversion, PageView
from tests.helpers.conversions import THANKS, at, chat, iso, page_view, sent

PATH = "/api/v2/page_views"
ROUTES = [
    "/api/v2/page_views",
    "/api/v2/page_views/",
    "/api/v2/chat/page_views",
    "/api/v2/chat/page_views/",
]
SCOPE_REFUSED = (
    'This token\'s scope does not allow it: reading needs "read", changing needs "write".'
)
NOT_AN_ADMINISTRATOR = "Only administrators of the account may manage its goals."


def stored(account: Account) -> list[tuple[str, str, str, datetime, str]]:
    """The account's page views: (id, visitor, url, timestamp, title), by id."""
    rows = PageView.objects.filter(account=account).order_by("page_view_id")
    return list(rows.values_list("page_view_id", "visitor_id", "url", "timestamp", "title"))


def valid_three() -> list[dict[str, Any]]:
    return [page_view(f"pv-{index}", minutes=index) for index in range(3)]


def assert_refused(response: Any, key: str, words: str) -> None:
    """A 400 whose details name `key` with a message containing `words`."""
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["error"] == "Invalid input"
    assert body["description"] == "Nothing was saved: correct the fields listed in details."
    assert key in body["details"], body
    assert any(words in message for message in body["details"][key]), body


# --- Taking page views ----------------------------------------------------------------------


def test_new_page_views_are_counted_as_created(alice_api, acme):
    summary = sent(alice_api, PATH, [page_view("pv-1", title="Thanks"), page_view("pv-2")])

    assert summary == {"received": 2, "created": 2, "duplicates": 0}
    assert stored(acme) == [
        ("pv-1", "v-1", THANKS, datetime(2026, 11, 2, 10, 5, tzinfo=UTC), "Thanks"),
        ("pv-2", "v-1", THANKS, datetime(2026, 11, 2, 10, 5, tzinfo=UTC), ""),
    ]


def test_a_batch_sent_again_is_all_duplicates_and_changes_nothing(alice_api, acme):
    batch = [page_view("pv-1"), page_view("pv-2", minutes=6)]
    sent(alice_api, PATH, batch)
    before = stored(acme)

    summary = sent(alice_api, PATH, batch)

    assert summary == {"received": 2, "created": 0, "duplicates": 2}
    assert stored(acme) == before


def test_a_page_view_sent_again_with_other_fields_changes_nothing(alice_api, acme):
    sent(alice_api, PATH, [page_view("pv-1", title="Thanks")])
    before = stored(acme)
    changed = page_view(
        "pv-1", visitor="v-2", url="https://shop.example/other", minutes=50, title="Other"
    )

    summary = sent(alice_api, PATH, [changed, page_view("pv-2")])

    assert summary == {"received": 2, "created": 1, "duplicates": 1}
    assert stored(acme)[0] == before[0]


def test_a_page_view_sent_again_earlier_does_not_move_its_conversion(alice_api, acme, thanks_goal):
    sent(alice_api, "/api/v2/chats", [chat("c-1", minutes=0)])
    sent(alice_api, PATH, [page_view("pv-1", minutes=5)])

    assert sent(alice_api, PATH, [page_view("pv-1", minutes=1)])["duplicates"] == 1

    [conversion] = alice_api.get("/api/v2/chats/c-1").json()["conversions"]
    assert conversion["timestamp"] == iso(at(5))


def test_a_page_view_repeated_within_a_batch_is_a_duplicate_of_the_first(alice_api, acme):
    summary = sent(
        alice_api, PATH, [page_view("pv-1", title="First"), page_view("pv-1", title="Second")]
    )

    assert summary == {"received": 2, "created": 1, "duplicates": 1}
    assert [row[4] for row in stored(acme)] == ["First"]


def test_an_empty_batch_stores_nothing(alice_api, acme):
    assert sent(alice_api, PATH, []) == {"received": 0, "created": 0, "duplicates": 0}
    assert stored(acme) == []


@pytest.mark.parametrize("route", ROUTES)
def test_page_views_are_taken_under_every_route_with_or_without_a_slash(alice_api, acme, route):
    assert sent(alice_api, route, [page_view("pv-1")])["created"] == 1


def test_a_thousand_page_views_with_long_urls_are_taken_in_one_request(alice_api, acme):
    long_path = "/products/" + "long-product-name-" * 20
    batch = [
        page_view(f"pv-{index:04}", visitor=f"v-{index}", url=f"https://shop.example{long_path}")
        for index in range(1000)
    ]
    body = json.dumps(batch)
    assert len(body) > 256 * 1024  # past REQUEST_BODY_LIMIT, which the other endpoints keep

    response = alice_api.post(PATH, raw=body)

    assert response.status_code == 200, (
        f"{response.status_code} {response.content!r}: a body past 256 KiB and within "
        "INGEST_BODY_LIMIT must be taken"
    )
    assert response.json() == {"received": 1000, "created": 1000, "duplicates": 0}
    assert PageView.objects.filter(account=acme).count() == 1000


# --- Timestamps -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("timestamp", "utc"),
    [
        (1796032800, datetime(2026, 11, 30, 10, tzinfo=UTC)),
        (1796032800.25, datetime(2026, 11, 30, 10, 0, 0, 250000, tzinfo=UTC)),
        (0, datetime(1970, 1, 1, tzinfo=UTC)),
        ("2026-11-30T10:00:00Z", datetime(2026, 11, 30, 10, tzinfo=UTC)),
        ("2026-11-30T10:00:00.123456Z", datetime(2026, 11, 30, 10, 0, 0, 123456, tzinfo=UTC)),
        ("2026-11-30T11:00:00+01:00", datetime(2026, 11, 30, 10, tzinfo=UTC)),
        ("2026-11-30T05:00:00-05:00", datetime(2026, 11, 30, 10, tzinfo=UTC)),
        ("2026-11-30T15:30:00+05:30", datetime(2026, 11, 30, 10, tzinfo=UTC)),
        ("2026-12-01T00:30:00+14:00", datetime(2026, 11, 30, 10, 30, tzinfo=UTC)),
    ],
    ids=[
        "epoch-int",
        "epoch-float",
        "epoch-zero",
        "iso-z",
        "iso-microseconds",
        "iso-plus-one",
        "iso-minus-five",
        "iso-half-hour",
        "iso-next-day",
    ],
)
def test_a_timestamp_in_epoch_seconds_or_iso_with_an_offset_is_stored_in_utc(
    alice_api, acme, timestamp, utc
):
    sent(alice_api, PATH, [page_view("pv-1", timestamp=timestamp)])

    moment = stored(acme)[0][3]
    assert moment == utc
    assert moment.utcoffset().total_seconds() == 0


# --- Refused batches: nothing of them is stored ---------------------------------------------


# Item [3] of a batch whose first three items are valid: (the item, the key that details names,
# words of its message). JSON carries an unpaired surrogate as "\\ud800".
def without(field: str) -> dict[str, Any]:
    return {name: value for name, value in page_view("pv-3").items() if name != field}


BAD_ITEMS = {
    "not-an-object": ("pv-3", "[3]", "JSON object"),
    "a-list": ([], "[3]", "JSON object"),
    "no-id": (without("id"), "[3].id", "required"),
    "null-id": (page_view("pv-3") | {"id": None}, "[3].id", "required"),
    "blank-id": (page_view(" "), "[3].id", "blank"),
    "no-visitor": (without("visitor_id"), "[3].visitor_id", "required"),
    "no-url": (without("url"), "[3].url", "required"),
    "no-timestamp": (without("timestamp"), "[3].timestamp", "required"),
    "id-an-object": (page_view({"value": "pv-3"}), "[3].id", "not an object"),
    "id-a-number": (page_view(3), "[3].id", "not a number"),
    "url-an-object": (page_view("pv-3", url={"href": THANKS}), "[3].url", "not an object"),
    "visitor-a-list": (page_view("pv-3", visitor=["v-1"]), "[3].visitor_id", "not a list"),
    "title-a-boolean": (page_view("pv-3", title=True), "[3].title", "true or false"),
    "url-without-scheme": (page_view("pv-3", url="shop.example/thanks"), "[3].url", "http"),
    "url-of-ftp": (page_view("pv-3", url="ftp://shop.example/thanks"), "[3].url", "http"),
    "url-without-host": (page_view("pv-3", url="https:///thanks"), "[3].url", "no host"),
    "url-with-space": (page_view("pv-3", url="https://shop.example/a b"), "[3].url", "spaces"),
    "url-with-line-break": (page_view("pv-3", url=THANKS + "\n"), "[3].url", "line breaks"),
    "nul-in-id": (page_view("pv\x003"), "[3].id", "Null characters"),
    "nul-in-url": (page_view("pv-3", url=THANKS + "\x00"), "[3].url", "Null characters"),
    "nul-in-title": (page_view("pv-3", title="Tha\x00nks"), "[3].title", "Null characters"),
    "surrogate-in-visitor": (page_view("pv-3", visitor="v-\ud800"), "[3].visitor_id", "surrogate"),
    "surrogate-in-title": (page_view("pv-3", title="\udfff"), "[3].title", "surrogate"),
    "iso-without-zone": (
        page_view("pv-3", timestamp="2026-11-30T10:00:00"),
        "[3].timestamp",
        "no time zone",
    ),
    "date-alone": (page_view("pv-3", timestamp="2026-11-30"), "[3].timestamp", "no time zone"),
    "named-time-zone": (
        page_view("pv-3", timestamp="2026-11-30T10:00:00 Europe/Oslo"),
        "[3].timestamp",
        "not an ISO 8601 time",
    ),
    "offset-past-a-day": (
        page_view("pv-3", timestamp="2026-11-30T10:00:00+25:00"),
        "[3].timestamp",
        "not an ISO 8601 time",
    ),
    "garbage-timestamp": (page_view("pv-3", timestamp="yesterday"), "[3].timestamp", "ISO 8601"),
    "blank-timestamp": (page_view("pv-3", timestamp=""), "[3].timestamp", "ISO 8601"),
    "boolean-timestamp": (page_view("pv-3", timestamp=True), "[3].timestamp", "ISO 8601 text"),
    "object-timestamp": (page_view("pv-3", timestamp={"s": 1}), "[3].timestamp", "ISO 8601"),
    "negative-epoch": (page_view("pv-3", timestamp=-1), "[3].timestamp", "out of range"),
    "huge-epoch": (page_view("pv-3", timestamp=10**19), "[3].timestamp", "out of range"),
    "huge-float-epoch": (page_view("pv-3", timestamp=1e300), "[3].timestamp", "out of range"),
    "year-one-west-of-utc": (
        page_view("pv-3", timestamp="0001-01-01T00:00:00+01:00"),
        "[3].timestamp",
        "out of range",
    ),
    "before-1970": (
        page_view("pv-3", timestamp="1969-12-31T23:59:59Z"),
        "[3].timestamp",
        "out of range",
    ),
    "year-9999": (
        page_view("pv-3", timestamp="9999-12-31T23:59:59Z"),
        "[3].timestamp",
        "out of range",
    ),
    "id-of-a-webpath": (page_view("c-1#webpath0"), "[3].id", "webpaths"),
    "line-break-in-id": (page_view("pv\n3"), "[3].id", "control characters"),
    "title-over-1024": (page_view("pv-3", title="t" * 1025), "[3].title", "at most 1024"),
    "id-over-255": (page_view("p" * 256), "[3].id", "at most 255 characters"),
    "visitor-over-255": (page_view("pv-3", visitor="v" * 256), "[3].visitor_id", "at most 255"),
}


@pytest.mark.parametrize(("item", "key", "words"), BAD_ITEMS.values(), ids=BAD_ITEMS.keys())
def test_a_batch_with_one_bad_page_view_is_refused_whole_naming_it(
    alice_api, acme, item, key, words
):
    response = alice_api.post(PATH, [*valid_three(), item])

    assert_refused(response, key, words)
    assert list(response.json()["details"]) == [key]
    assert stored(acme) == []


def test_every_bad_page_view_of_a_batch_is_named_at_once(alice_api, acme):
    batch = [
        page_view("pv-0", timestamp="2026-11-30T10:00:00"),
        page_view("pv-1"),
        page_view("pv-2", url="shop.example", title="t" * 1025),
    ]

    response = alice_api.post(PATH, batch)

    assert response.status_code == 400
    assert set(response.json()["details"]) == {"[0].timestamp", "[2].url", "[2].title"}
    assert stored(acme) == []


@pytest.mark.parametrize(
    "body",
    [{"id": "pv-1"}, "pv-1", 12, None, True],
    ids=["an-object", "text", "a-number", "null", "true"],
)
def test_a_body_that_is_not_an_array_is_refused(alice_api, acme, body):
    response = alice_api.post(PATH, raw=json.dumps(body))

    assert_refused(response, "body", "JSON array of page views")
    assert stored(acme) == []


def test_a_thousand_and_one_page_views_are_refused_whole(alice_api, acme):
    batch = [page_view(f"pv-{index}") for index in range(1001)]

    response = alice_api.post(PATH, batch)

    assert_refused(response, "body", "at most 1,000 page views a request (this one has 1,001)")
    assert stored(acme) == []


def test_an_epoch_too_large_for_a_float_is_refused_as_out_of_range(alice_api, acme):
    item = json.dumps(page_view("pv-1", timestamp=0)).replace(
        '"timestamp": 0', '"timestamp": 1e400'
    )

    response = alice_api.post(PATH, raw=f"[{item}]")

    assert_refused(response, "[0].timestamp", "out of range")
    assert stored(acme) == []


@pytest.mark.parametrize(
    "raw",
    [
        '[{"id": "pv-1",',
        "",
        "[1, 2,]",
        "{'id': 'pv-1'}",
        "[" * 100000,
        f'[{{"id": "pv-1", "visitor_id": "v-1", "url": "{THANKS}", "timestamp": NaN}}]',
        f'[{{"id": "pv-1", "visitor_id": "v-1", "url": "{THANKS}", "timestamp": Infinity}}]',
        "[1" + "0" * 30 + "]",
    ],
    ids=[
        "cut-short",
        "empty",
        "trailing-comma",
        "single-quotes",
        "nested-too-deep",
        "nan",
        "infinity",
        "thirty-one-digits",
    ],
)
def test_a_body_that_is_not_json_is_refused_with_400(alice_api, acme, raw):
    response = alice_api.post(PATH, raw=raw)

    assert response.status_code == 400, response.content
    assert response.json()["error"] in {"Invalid JSON", "Invalid input"}
    assert stored(acme) == []


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "text/csv"]
)
def test_a_body_that_is_not_sent_as_json_is_refused_with_415(alice_api, acme, content_type):
    response = alice_api.post(PATH, raw=json.dumps([page_view("pv-1")]), content_type=content_type)

    assert response.status_code == 415, response.content
    assert response.json()["error"] == "Unsupported media type"
    assert "Content-Type: application/json" in response.json()["description"]
    assert stored(acme) == []


def test_a_body_over_the_ingest_limit_is_refused_with_413(alice_api, acme, settings):
    settings.INGEST_BODY_LIMIT = 2000
    body = json.dumps([page_view(f"pv-{index}") for index in range(20)])
    assert len(body) > 2000

    response = alice_api.post(PATH, raw=body)

    assert response.status_code == 413, response.content
    assert response.json() == {
        "error": "Request too large",
        "description": f"The request body is {len(body)} bytes; at most 2000 are accepted.",
    }
    assert stored(acme) == []


def test_a_body_at_the_ingest_limit_is_taken(alice_api, acme, settings):
    body = json.dumps([page_view("pv-1")])
    settings.INGEST_BODY_LIMIT = len(body)

    assert alice_api.post(PATH, raw=body).status_code == 200


# --- Who may send page views ----------------------------------------------------------------


@pytest.mark.parametrize("route", ROUTES)
def test_anonymous_page_views_are_refused_with_401(api, acme, route):
    response = api.post(route, [page_view("pv-1")])

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert stored(acme) == []


def test_page_views_with_a_wrong_password_are_refused_with_401(api, alice, acme):
    api.authenticate(alice.email, "not-the-password")

    assert api.post(PATH, [page_view("pv-1")]).status_code == 401
    assert stored(acme) == []


@pytest.mark.parametrize("route", ROUTES)
def test_an_agent_may_not_send_page_views(api_as, arthur, acme, route):
    response = api_as(arthur).post(route, [page_view("pv-1")])

    assert response.status_code == 403
    assert response.json() == {"error": "Forbidden", "description": NOT_AN_ADMINISTRATOR}
    assert stored(acme) == []


def test_a_read_token_may_not_send_page_views(reader, acme):
    response = reader.post(PATH, [page_view("pv-1")])

    assert response.status_code == 403
    assert response.json() == {"error": "Forbidden", "description": SCOPE_REFUSED}
    assert stored(acme) == []


@pytest.mark.parametrize("route", ROUTES)
def test_a_write_token_sends_page_views_to_its_owners_account(writer, acme, bluebird, route):
    assert sent(writer, route, [page_view("pv-1")])["created"] == 1

    assert [row[0] for row in stored(acme)] == ["pv-1"]
    assert stored(bluebird) == []


def test_each_account_has_its_own_page_view_ids(alice_api, bob_api, acme, bluebird):
    sent(alice_api, PATH, [page_view("pv-1", visitor="v-acme")])

    summary = sent(bob_api, PATH, [page_view("pv-1", visitor="v-bluebird")])

    assert summary == {"received": 1, "created": 1, "duplicates": 0}
    assert [row[1] for row in stored(acme)] == ["v-acme"]
    assert [row[1] for row in stored(bluebird)] == ["v-bluebird"]


def test_page_views_of_another_account_never_credit_a_chat(
    alice_api, bob_api, acme, bob, thanks_goal, make_goal
):
    make_goal(
        bob.account,
        name="Paid",
        conditions=[{"type": "url", "operator": "contains", "value": "/checkout/thanks"}],
    )
    sent(alice_api, "/api/v2/chats", [chat("c-1", visitor="v-1", minutes=0)])

    sent(bob_api, PATH, [page_view("pv-1", visitor="v-1", minutes=5)])

    assert not Conversion.objects.exists()
    assert stored(acme) == []


def test_a_page_view_after_a_chat_makes_a_conversion_that_the_api_shows(
    alice_api, acme, thanks_goal
):
    sent(alice_api, "/api/v2/chats", [chat("c-1", visitor="v-1", minutes=0)])

    sent(alice_api, PATH, [page_view("pv-1", visitor="v-1", minutes=5, timestamp=1793613900)])

    conversions = alice_api.get("/api/v2/chats/c-1").json()["conversions"]
    assert [(c["chat_id"], c["timestamp"], c["url"]) for c in conversions] == [
        ("c-1", iso(datetime(2026, 11, 2, 10, 5, tzinfo=UTC)), THANKS)
    ]
