"""Conversions out: GET /api/v2/incremental/conversions (every conversion of the account, in the
order they changed), GET /api/v2/goals/{goal_id}/conversions (a goal's, in the order they
happened) and the conversions that GET /api/v2/chats/{chat_id} shows.

Cast (tests/conftest.py): Alice administers Acme, where Arthur is an agent; Bob administers
Bluebird. Acme's goal "Paid" is met on the checkout's thank-you page (thanks_goal). Each chat c
below (convert) is with its own visitor v-c, whom Sam answers at T0; the visitor pays minutes
later.
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from accounts.models import Account
from conversions.recompute import conversion_id
from goals.models import Goal
from tests.helpers.conversions import (
    KIM,
    SAM,
    SHOP,
    THANKS,
    at,
    chat,
    every_page,
    iso,
    page_view,
    sent,
)

EXPORT = "/api/v2/incremental/conversions"
EXPORT_ROUTES = [
    EXPORT,
    f"{EXPORT}/",
    "/api/v2/chat/incremental/conversions",
    "/api/v2/chat/incremental/conversions/",
]
NO_SUCH_GOAL = "No goal with this id exists in your account, and none had conversions."
SCOPE_REFUSED = (
    'This token\'s scope does not allow it: reading needs "read", changing needs "write".'
)
NOT_AN_ADMINISTRATOR = "Only administrators of the account may manage its goals."
PAID = [{"type": "url", "operator": "contains", "value": "/checkout/thanks"}]


def convert_at(api: Any, minutes_by_chat: dict[str, float]) -> None:
    """For each chat id c: chat c, where Sam answers visitor v-c at T0, and v-c's visit to the
    thank-you page at its minutes: one conversion a chat for every goal the page meets."""
    sent(api, "/api/v2/chats", [chat(c, visitor=f"v-{c}") for c in minutes_by_chat])
    visits = [
        page_view(f"pv-{c}", visitor=f"v-{c}", minutes=minutes)
        for c, minutes in minutes_by_chat.items()
    ]
    sent(api, "/api/v2/page_views", visits)


def convert(api: Any, chat_ids: Sequence[str]) -> None:
    """convert_at, each visitor paying 5 minutes after Sam answered."""
    convert_at(api, dict.fromkeys(chat_ids, 5))


def export(api: Any, query: str = "start_time=0", path: str = EXPORT) -> dict[str, Any]:
    response = api.get(f"{path}?{query}")
    assert response.status_code == 200, response.content
    return response.json()


def exported(api: Any, query: str = "start_time=0", path: str = EXPORT) -> list[dict[str, Any]]:
    """Every conversion that following next_page from `query` on yields, in order."""
    pages = every_page(api, f"{path}?{query}")
    return [conversion for page in pages for conversion in page["conversions"]]


def resume_query(page: dict[str, Any]) -> str:
    """Where a client that read `page` last starts its next poll (end_time and end_id)."""
    query = f"start_time={page['end_time']}"
    return query + (f"&start_id={page['end_id']}" if page["end_id"] else "")


def chat_ids(conversions: list[dict[str, Any]]) -> list[str]:
    return [conversion["chat_id"] for conversion in conversions]


def assert_bad_parameter(response: Any, name: str) -> None:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["error"] == "Invalid input"
    assert body["description"] == "Correct the parameters listed in details."
    assert list(body["details"]) == [name], body


# --- A conversion ---------------------------------------------------------------------------


def test_a_conversion_names_its_goal_visitor_chat_page_and_credited_agent(
    alice_api, acme, clock, thanks_goal
):
    sent(alice_api, "/api/v2/chats", [chat("c-1", visitor="v-1", agents=[SAM, KIM])])
    sent(alice_api, "/api/v2/page_views", [page_view("pv-1", visitor="v-1", minutes=5)])
    clock.later()

    page = export(alice_api)

    assert page["conversions"] == [
        {
            "id": page["end_id"],
            "goal_id": thanks_goal.pk,
            "goal_name": "Paid",
            "timestamp": "2026-11-02T10:05:00Z",
            "update_timestamp": "2026-11-03T08:00:00Z",
            "visitor_id": "v-1",
            "chat_id": "c-1",
            "url": THANKS,
            "attribution": {
                "agent_id": KIM[0],
                "agent_name": "Kim",
                "department_id": 7,
                "department_name": "Sales",
                "chat_timestamp": "2026-11-02T10:00:01Z",
            },
        }
    ]
    assert (page["count"], page["next_page"]) == (1, None)
    assert page["end_time"] == int(datetime(2026, 11, 3, 8, tzinfo=UTC).timestamp())


@pytest.mark.parametrize(
    ("model", "credited"),
    [("first_touch", ("c-1", SAM)), ("last_touch", ("c-2", KIM))],
    ids=["first", "last"],
)
def test_the_goals_attribution_model_picks_the_chat_and_agent_credited(
    alice_api, acme, make_goal, model, credited
):
    goal = make_goal(acme, name="Paid", conditions=PAID, attribution_model=model)
    sent(
        alice_api,
        "/api/v2/chats",
        [chat("c-1", agents=[SAM]), chat("c-2", agents=[KIM], minutes=2)],
    )

    sent(alice_api, "/api/v2/page_views", [page_view("pv-1", minutes=5)])

    [conversion] = goal_conversions(alice_api, goal.pk)
    chat_id, (agent_id, _) = credited
    assert (conversion["chat_id"], conversion["attribution"]["agent_id"]) == (chat_id, agent_id)


def test_a_conversion_has_one_id_wherever_it_is_listed(alice_api, acme, clock, thanks_goal):
    convert(alice_api, ["c-1"])
    clock.later()

    ids = {
        export(alice_api)["conversions"][0]["id"],
        alice_api.get(f"/api/v2/goals/{thanks_goal.pk}/conversions").json()["conversions"][0]["id"],
        alice_api.get("/api/v2/chats/c-1").json()["conversions"][0]["id"],
    }

    assert len(ids) == 1


# --- The incremental export -----------------------------------------------------------------


def test_the_export_lists_conversions_by_update_time_then_id(alice_api, acme, clock, thanks_goal):
    convert(alice_api, ["c-1", "c-2", "c-3"])
    clock.tick(5)
    convert(alice_api, ["c-4", "c-5"])
    clock.later()

    conversions = export(alice_api)["conversions"]

    order = [(c["update_timestamp"], c["id"]) for c in conversions]
    assert order == sorted(order)
    assert set(chat_ids(conversions[:3])) == {"c-1", "c-2", "c-3"}
    assert set(chat_ids(conversions[3:])) == {"c-4", "c-5"}


@pytest.mark.parametrize("limit", [1, 2, 3, 4, 6, 1000])
def test_following_next_page_yields_every_conversion_once(
    alice_api, acme, clock, thanks_goal, limit
):
    convert(alice_api, ["c-1", "c-2", "c-3"])
    clock.tick(1)
    convert(alice_api, ["c-4", "c-5", "c-6"])
    clock.later()
    everything = export(alice_api)["conversions"]

    pages = every_page(alice_api, f"{EXPORT}?start_time=0&limit={limit}")

    assert [c for page in pages for c in page["conversions"]] == everything
    assert all(page["count"] == len(page["conversions"]) <= limit for page in pages)
    assert pages[-1]["next_page"] is None


def test_a_last_page_filled_to_the_limit_still_ends_the_export(alice_api, acme, clock, thanks_goal):
    convert(alice_api, ["c-1", "c-2", "c-3", "c-4"])
    clock.later()

    pages = every_page(alice_api, f"{EXPORT}?start_time=0&limit=2")

    assert [page["count"] for page in pages][:2] == [2, 2]
    assert sorted(chat_ids([c for page in pages for c in page["conversions"]])) == [
        "c-1",
        "c-2",
        "c-3",
        "c-4",
    ]
    for empty in pages[2:]:  # a page past the last conversion is empty and ends where it began
        assert (empty["count"], empty["end_time"]) == (0, pages[1]["end_time"])
        assert empty["end_id"] == pages[1]["end_id"]


def test_a_page_ends_at_its_last_conversion_and_next_page_starts_there(
    alice_api, acme, clock, thanks_goal
):
    convert(alice_api, ["c-1", "c-2", "c-3"])
    clock.later()

    page = export(alice_api, "start_time=0&limit=2")

    last = page["conversions"][-1]
    assert page["end_id"] == last["id"]
    assert page["end_time"] == int(datetime.fromisoformat(last["update_timestamp"]).timestamp())
    assert parse_qs(urlsplit(page["next_page"]).query) == {
        "start_time": [str(page["end_time"])],
        "start_id": [page["end_id"]],
        "limit": ["2"],
    }


@pytest.mark.parametrize("route", EXPORT_ROUTES)
def test_the_export_answers_under_every_route_and_its_next_page_keeps_it(
    alice_api, acme, clock, thanks_goal, route
):
    convert(alice_api, ["c-1", "c-2"])
    clock.later()

    page = export(alice_api, "start_time=0&limit=1", path=route)

    assert urlsplit(page["next_page"]).path == route
    assert len(exported(alice_api, "start_time=0&limit=1", path=route)) == 2


def test_start_time_leaves_out_conversions_updated_before_it(alice_api, acme, clock, thanks_goal):
    convert(alice_api, ["c-1"])
    first_second = clock.second
    clock.tick(5)
    convert(alice_api, ["c-2"])
    clock.later()

    assert chat_ids(exported(alice_api, f"start_time={first_second + 1}")) == ["c-2"]
    assert chat_ids(exported(alice_api, f"start_time={first_second}")) == ["c-1", "c-2"]


def test_an_export_with_nothing_to_give_ends_where_it_began(alice_api, acme, clock, thanks_goal):
    convert(alice_api, ["c-1"])
    clock.later()
    start = clock.second

    page = export(alice_api, f"start_time={start}")

    assert page == {
        "conversions": [],
        "count": 0,
        "end_time": start,
        "end_id": None,
        "next_page": None,
    }


def go_to_the_thanks_page_earlier(api: Any) -> None:
    sent(api, "/api/v2/page_views", [page_view("pv-earlier", visitor="v-c-1", minutes=3)])


def rename_the_goal(api: Any, goal: Goal) -> None:
    assert api.patch(f"/api/v2/goals/{goal.pk}", {"name": "Paid in full"}).status_code == 200


def answer_with_another_agent(api: Any) -> None:
    sent(api, "/api/v2/chats", [chat("c-1", visitor="v-c-1", agents=[KIM])])


@pytest.mark.parametrize(
    ("change", "changed"),
    [
        (lambda api, goal: go_to_the_thanks_page_earlier(api), ["c-1"]),
        (rename_the_goal, ["c-1", "c-2"]),
        (lambda api, goal: answer_with_another_agent(api), ["c-1"]),
    ],
    ids=["earlier-page-view", "goal-renamed", "another-agent"],
)
def test_a_conversion_that_changes_is_exported_again_after_the_cursor(
    alice_api, acme, clock, thanks_goal, change, changed
):
    convert(alice_api, ["c-1", "c-2"])
    clock.later()
    first = export(alice_api)
    before = {c["chat_id"]: c for c in first["conversions"]}["c-1"]

    change(alice_api, thanks_goal)
    clock.later()
    again = exported(alice_api, resume_query(first))

    assert sorted(chat_ids(again)) == changed
    again = {c["chat_id"]: c for c in again}["c-1"]
    assert again["id"] == before["id"]
    assert again["update_timestamp"] > before["update_timestamp"]
    assert again != before | {"update_timestamp": again["update_timestamp"]}


@pytest.mark.parametrize(
    "resend",
    [
        lambda api: sent(api, "/api/v2/chats", [chat("c-1", visitor="v-c-1")]),
        lambda api: sent(api, "/api/v2/chats", [chat("c-1", visitor="v-c-1", tags=["vip"])]),
        lambda api: sent(api, "/api/v2/page_views", [page_view("pv-c-1", visitor="v-c-1")]),
        lambda api: sent(
            api, "/api/v2/page_views", [page_view("pv-2", visitor="v-c-1", minutes=9)]
        ),
    ],
    ids=["same-chat", "chat-with-new-tags", "same-page-view", "later-page-view"],
)
def test_what_leaves_a_conversion_as_it_was_does_not_export_it_again(
    alice_api, acme, clock, thanks_goal, resend
):
    convert(alice_api, ["c-1"])
    clock.later()
    first = export(alice_api)

    resend(alice_api)
    clock.later()

    assert exported(alice_api, resume_query(first)) == []


def test_a_conversion_made_in_the_second_a_poll_ended_is_read_by_the_next_poll(
    alice_api, acme, clock, thanks_goal
):
    # Of two chats, the one whose conversion has the larger id converts first, in the same
    # second as the other: a cursor (second, id) past the first must not skip the second.
    by_id = sorted((f"c-{n}" for n in range(10)), key=lambda c: conversion_id(thanks_goal.pk, c))
    smaller, larger = by_id[0], by_id[-1]
    convert(alice_api, [larger])
    first_poll = every_page(alice_api, f"{EXPORT}?start_time=0")

    convert(alice_api, [smaller])  # the clock has not moved: the same second
    clock.later()
    second_poll = exported(alice_api, resume_query(first_poll[-1]))

    read = chat_ids([c for page in first_poll for c in page["conversions"]] + second_poll)
    assert sorted(read) == sorted([smaller, larger]), (
        f"polls read {read}: a conversion written in the second where a poll ended, with an id "
        "below that poll's end_id, was never exported"
    )


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("", "start_time"),
        ("limit=10", "start_time"),
        ("start_time=", "start_time"),
        ("start_time=x", "start_time"),
        ("start_time=-1", "start_time"),
        ("start_time=1.5", "start_time"),
        ("start_time=1e9", "start_time"),
        ("start_time=253402300800", "start_time"),
        ("start_time=" + "9" * 40, "start_time"),
        ("start_time=%EF%BC%91", "start_time"),
        ("start_time=0&start_id=x", "start_id"),
        ("start_time=0&start_id=", "start_id"),
        ("start_time=0&start_id=0123456789abcde", "start_id"),
        ("start_time=0&start_id=0123456789abcdef0", "start_id"),
        ("start_time=0&start_id=0123456789abcdeg", "start_id"),
        ("start_time=0&limit=0", "limit"),
        ("start_time=0&limit=1001", "limit"),
        ("start_time=0&limit=x", "limit"),
        ("start_time=0&limit=-1", "limit"),
        ("start_time=0&limit=", "limit"),
        ("start_time=0&limit=2.0", "limit"),
    ],
)
def test_a_bad_export_parameter_is_refused_naming_it(alice_api, acme, query, name):
    assert_bad_parameter(alice_api.get(f"{EXPORT}?{query}"), name)


@pytest.mark.parametrize("limit", ["1", "1000"])
def test_a_limit_from_1_to_1000_is_taken(alice_api, acme, limit):
    assert export(alice_api, f"start_time=0&limit={limit}")["count"] == 0


def test_a_deleted_goals_conversions_stay_in_the_export(alice_api, acme, clock, thanks_goal):
    convert(alice_api, ["c-1"])
    assert alice_api.delete(f"/api/v2/goals/{thanks_goal.pk}").status_code == 204
    clock.later()

    [conversion] = exported(alice_api)

    assert (conversion["goal_id"], conversion["goal_name"]) == (thanks_goal.pk, "Paid")


# --- A goal's conversions -------------------------------------------------------------------


def goal_path(goal_id: int, query: str = "") -> str:
    return f"/api/v2/goals/{goal_id}/conversions" + (f"?{query}" if query else "")


def goal_conversions(api: Any, goal_id: int, query: str = "") -> list[dict[str, Any]]:
    pages = every_page(api, goal_path(goal_id, query))
    return [conversion for page in pages for conversion in page["conversions"]]


def test_a_goals_conversions_are_listed_in_the_order_they_happened(
    alice_api, acme, thanks_goal, make_goal
):
    make_goal(acme, name="Shop", conditions=[{"type": "url", "operator": "contains", "value": "/"}])
    convert_at(alice_api, {"c-1": 9, "c-2": 5, "c-3": 7, "c-4": 6})

    conversions = goal_conversions(alice_api, thanks_goal.pk)

    assert chat_ids(conversions) == ["c-2", "c-4", "c-3", "c-1"]
    assert [c["timestamp"] for c in conversions] == [iso(at(m)) for m in (5, 6, 7, 9)]
    assert {c["goal_id"] for c in conversions} == {thanks_goal.pk}


@pytest.mark.parametrize("limit", [1, 2, 3, 5, 1000])
def test_following_a_goals_next_page_yields_every_conversion_once_in_order(
    alice_api, acme, thanks_goal, limit
):
    # c-2, c-3 and c-4 converted at one moment: pages may end between them.
    convert_at(alice_api, {"c-1": 9, "c-2": 5, "c-3": 5, "c-4": 5, "c-5": 7})
    everything = alice_api.get(goal_path(thanks_goal.pk)).json()["conversions"]

    pages = every_page(alice_api, goal_path(thanks_goal.pk, f"limit={limit}"))

    assert [c for page in pages for c in page["conversions"]] == everything
    assert len(everything) == 5
    assert all(page["count"] == len(page["conversions"]) <= limit for page in pages)


@pytest.mark.parametrize(
    "route",
    [
        "/api/v2/goals/{}/conversions",
        "/api/v2/goals/{}/conversions/",
        "/api/v2/chat/goals/{}/conversions",
        "/api/v2/chat/goals/{}/conversions/",
    ],
)
def test_a_goals_conversions_answer_under_every_route_and_next_page_keeps_it(
    alice_api, acme, thanks_goal, route
):
    convert_at(alice_api, {"c-1": 5, "c-2": 6})
    path = route.format(thanks_goal.pk)

    page = alice_api.get(f"{path}?limit=1").json()

    assert urlsplit(page["next_page"]).path == path
    assert chat_ids(every_page(alice_api, f"{path}?limit=1")[1]["conversions"]) == ["c-2"]


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("cursor=x", "cursor"),
        ("cursor=", "cursor"),
        ("cursor=123", "cursor"),
        ("cursor=1.0123456789abcdeg", "cursor"),
        ("cursor=-1.0123456789abcdef", "cursor"),
        ("cursor=999999999999999999.0123456789abcdef", "cursor"),
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("limit=x", "limit"),
    ],
)
def test_a_bad_cursor_or_limit_is_refused_naming_it(alice_api, acme, thanks_goal, query, name):
    assert_bad_parameter(alice_api.get(goal_path(thanks_goal.pk, query)), name)


def test_a_goal_without_conversions_lists_none(alice_api, acme, thanks_goal):
    page = alice_api.get(goal_path(thanks_goal.pk)).json()

    assert page == {"conversions": [], "count": 0, "next_page": None}


@pytest.mark.parametrize("goal_id", ["0", "999999", "9" * 18])
def test_an_unknown_goals_conversions_are_not_found(alice_api, acme, thanks_goal, goal_id):
    response = alice_api.get(f"/api/v2/goals/{goal_id}/conversions")

    assert response.status_code == 404
    assert response.json() == {"error": "Not found", "description": NO_SUCH_GOAL}


def test_a_deleted_goals_conversions_are_still_listed_with_its_id_and_name(
    alice_api, acme, thanks_goal
):
    convert_at(alice_api, {"c-1": 5, "c-2": 6})
    assert alice_api.delete(f"/api/v2/goals/{thanks_goal.pk}").status_code == 204

    conversions = goal_conversions(alice_api, thanks_goal.pk)

    assert [(c["goal_id"], c["goal_name"], c["chat_id"]) for c in conversions] == [
        (thanks_goal.pk, "Paid", "c-1"),
        (thanks_goal.pk, "Paid", "c-2"),
    ]


def test_a_deleted_goal_without_conversions_is_not_found(alice_api, acme, thanks_goal):
    assert alice_api.delete(f"/api/v2/goals/{thanks_goal.pk}").status_code == 204

    assert alice_api.get(goal_path(thanks_goal.pk)).status_code == 404


def test_a_disabled_goal_keeps_its_conversions_and_gets_no_new_ones(alice_api, acme, thanks_goal):
    convert_at(alice_api, {"c-1": 5})
    assert alice_api.patch(f"/api/v2/goals/{thanks_goal.pk}", {"enabled": 0}).status_code == 200

    convert_at(alice_api, {"c-2": 6})

    assert chat_ids(goal_conversions(alice_api, thanks_goal.pk)) == ["c-1"]


# --- A chat's conversions -------------------------------------------------------------------


def test_a_chat_shows_its_last_20_conversions_newest_first(alice_api, acme, make_goal):
    acme.active_goal_limit = 25
    acme.save()
    goals = [
        make_goal(
            acme,
            name=f"Step {n}",
            conditions=[{"type": "url", "operator": "contains", "value": f"/step-{n:02}/"}],
        )
        for n in range(1, 22)
    ]
    sent(alice_api, "/api/v2/chats", [chat("c-1", visitor="v-1", minutes=0)])
    visits = [
        page_view(f"pv-{n}", visitor="v-1", url=f"{SHOP}/step-{n:02}/", minutes=n)
        for n in range(1, 22)
    ]

    sent(alice_api, "/api/v2/page_views", visits)

    conversions = alice_api.get("/api/v2/chats/c-1").json()["conversions"]
    assert [c["goal_name"] for c in conversions] == [f"Step {n}" for n in range(21, 1, -1)]
    assert [c["timestamp"] for c in conversions] == [iso(at(n)) for n in range(21, 1, -1)]
    assert len(goal_conversions(alice_api, goals[0].pk)) == 1  # the 21st is kept, not shown


def test_a_chat_shows_only_the_conversions_credited_to_it(alice_api, acme, thanks_goal):
    convert_at(alice_api, {"c-1": 5, "c-2": 6})

    [conversion] = alice_api.get("/api/v2/chats/c-1").json()["conversions"]

    assert (conversion["chat_id"], conversion["visitor_id"]) == ("c-1", "v-c-1")


def test_a_conversion_sent_inside_a_chat_is_replaced_by_those_credited(
    alice_api, acme, thanks_goal
):
    zendesks = [{"goal_id": 1, "goal_name": "Theirs", "timestamp": iso(at(1))}]
    sent(alice_api, "/api/v2/chats", [chat("c-1", conversions=zendesks)])
    sent(alice_api, "/api/v2/page_views", [page_view("pv-1", minutes=5)])

    [conversion] = alice_api.get("/api/v2/chats/c-1").json()["conversions"]

    assert conversion["goal_name"] == "Paid"


# --- Who may read conversions ---------------------------------------------------------------


def reads(goal: Goal) -> list[str]:
    return [
        f"{EXPORT}?start_time=0",
        "/api/v2/chat/incremental/conversions?start_time=0",
        goal_path(goal.pk),
        f"/api/v2/chat/goals/{goal.pk}/conversions",
    ]


def test_anonymous_reading_of_conversions_is_refused_with_401(api, acme, thanks_goal):
    for path in reads(thanks_goal):
        response = api.get(path)

        assert response.status_code == 401, path
        assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_a_wrong_password_may_not_read_conversions(api, alice, thanks_goal):
    api.authenticate(alice.email, "not-the-password")

    assert [api.get(path).status_code for path in reads(thanks_goal)] == [401] * 4


def test_an_agent_may_not_read_conversions(api_as, arthur, thanks_goal):
    for path in reads(thanks_goal):
        response = api_as(arthur).get(path)

        assert response.status_code == 403, path
        assert response.json() == {"error": "Forbidden", "description": NOT_AN_ADMINISTRATOR}


def test_a_read_token_reads_conversions(reader, alice_api, acme, thanks_goal):
    convert(alice_api, ["c-1"])

    for path in reads(thanks_goal):
        response = reader.get(path)

        assert response.status_code == 200, path
        assert chat_ids(response.json()["conversions"]) == ["c-1"]


def test_a_write_token_may_not_read_conversions(writer, acme, thanks_goal):
    for path in reads(thanks_goal):
        response = writer.get(path)

        assert (response.status_code, response.json()["description"]) == (403, SCOPE_REFUSED)


def test_another_accounts_goals_conversions_are_not_found(alice_api, bob_api, acme, thanks_goal):
    convert(alice_api, ["c-1"])

    for path in reads(thanks_goal)[2:]:
        response = bob_api.get(path)

        assert response.status_code == 404, path
        assert response.json() == {"error": "Not found", "description": NO_SUCH_GOAL}


def both_accounts_convert(
    alice_api: Any, bob_api: Any, bob: Any, make_goal: Any
) -> tuple[Goal, Account]:
    """Acme and Bluebird each have a goal "Paid" and chats and page views of the same ids."""
    bluebird_goal = make_goal(bob.account, name="Paid", conditions=PAID)
    convert(alice_api, ["c-1", "c-2"])
    convert(bob_api, ["c-1", "c-2", "c-3"])
    return bluebird_goal, bob.account


def test_each_account_exports_only_its_own_conversions(
    alice_api, bob_api, bob, acme, clock, thanks_goal, make_goal
):
    bluebird_goal, _ = both_accounts_convert(alice_api, bob_api, bob, make_goal)
    clock.later()

    acmes = exported(alice_api)
    bluebirds = exported(bob_api)

    assert {c["goal_id"] for c in acmes} == {thanks_goal.pk}
    assert {c["goal_id"] for c in bluebirds} == {bluebird_goal.pk}
    assert (len(acmes), len(bluebirds)) == (2, 3)
    assert not {c["id"] for c in acmes} & {c["id"] for c in bluebirds}


def test_each_account_sees_only_its_own_conversions_of_a_chat_id(
    alice_api, bob_api, bob, acme, thanks_goal, make_goal
):
    bluebird_goal, _ = both_accounts_convert(alice_api, bob_api, bob, make_goal)

    acmes = alice_api.get("/api/v2/chats/c-1").json()["conversions"]
    bluebirds = bob_api.get("/api/v2/chats/c-1").json()["conversions"]

    assert [c["goal_id"] for c in acmes] == [thanks_goal.pk]
    assert [c["goal_id"] for c in bluebirds] == [bluebird_goal.pk]
