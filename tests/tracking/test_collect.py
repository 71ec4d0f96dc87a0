"""The collect endpoint, POST /api/collect/<site_key>: what a website's pages may add, and what
is refused with nothing stored. The page views are checked in the database after the stream is
flushed (tests/helpers/tracking.py), so each test holds with Redis and without."""

import gzip
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from accounts.models import Account, User
from conversions.ingest import chats_ingest
from conversions.models import Conversion, PageView
from goals.models import Goal
from tests.helpers.conversions import SAM, chat, iso
from tests.helpers.tracking import (
    BROWSER_AGENT,
    SHOP,
    flush_queued,
    queued_in_redis,
    requires_test_redis,
    send_beacon,
    site_with_origins,
)
from tracking import collect
from tracking.models import Site

__all__ = ["queued_in_redis"]  # a fixture, used by name

PRICING = f"{SHOP}/pricing"


@pytest.fixture
def site(acme: Account) -> Site:
    return site_with_origins(acme, SHOP, "http://localhost:8080")


def stored(account: Account) -> list[dict[str, Any]]:
    flush_queued()
    return list(
        PageView.objects.filter(account=account)
        .order_by("timestamp", "page_view_id")
        .values("page_view_id", "visitor_id", "url", "title")
    )


def a_page_view(page_view_id: str = "pv-1", **fields: Any) -> dict[str, Any]:
    return {"id": page_view_id, "visitor_id": "visitor-1", "url": PRICING, **fields}


def test_a_page_view_from_a_listed_origin_is_stored_at_the_time_it_arrived(
    client: Client, site: Site, acme: Account
) -> None:
    before = timezone.now()
    response = send_beacon(client, site, **a_page_view(title="Pricing"))
    assert response.status_code == 204, response.content
    assert response["Access-Control-Allow-Origin"] == SHOP
    assert "Content-Type" not in response
    assert stored(acme) == [
        {"page_view_id": "pv-1", "visitor_id": "visitor-1", "url": PRICING, "title": "Pricing"}
    ]
    timestamp = PageView.objects.get(account=acme).timestamp
    assert before <= timestamp <= timezone.now()


def test_a_page_view_is_dated_before_the_lookups_that_may_keep_it_waiting(
    client: Client, site: Site, acme: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A slow first lookup (a new thread's database connection) would otherwise date a page
    # view after the next ones its visitor sent.
    looked_up = []
    lookup = collect.site_by_key

    def site_by_key(site_key: str) -> Any:
        found = lookup(site_key)
        looked_up.append(timezone.now())
        return found

    monkeypatch.setattr(collect, "site_by_key", site_by_key)
    response = send_beacon(client, site, **a_page_view())
    assert response.status_code == 204, response.content
    stored(acme)
    assert PageView.objects.get(account=acme).timestamp <= looked_up[0]


def test_a_retried_beacon_is_stored_once_and_counted_once(
    client: Client, site: Site, acme: Account
) -> None:
    for _ in range(3):
        assert send_beacon(client, site, **a_page_view()).status_code == 204
    assert len(stored(acme)) == 1
    site.refresh_from_db()
    assert site.page_views_received == 1
    assert site.last_received_url == PRICING


def test_each_listed_origin_may_send_its_own_pages(
    client: Client, site: Site, acme: Account
) -> None:
    local = "http://localhost:8080/cart"
    response = send_beacon(
        client, site, origin="http://localhost:8080", **a_page_view("pv-2", url=local)
    )
    assert response.status_code == 204, response.content
    assert [row["url"] for row in stored(acme)] == [local]


def test_a_page_view_from_an_origin_not_listed_stores_nothing_and_gets_no_cors_headers(
    client: Client, site: Site, acme: Account
) -> None:
    response = send_beacon(
        client, site, origin="https://evil.example", **a_page_view(url="https://evil.example/")
    )
    assert response.status_code == 403
    assert "https://evil.example" in response.json()["description"]
    assert "Access-Control-Allow-Origin" not in response
    assert stored(acme) == []


@pytest.mark.parametrize("origin", ["", "null", "https://shop.example.evil.example"])
def test_a_request_without_a_listed_origin_stores_nothing(
    client: Client, site: Site, acme: Account, origin: str
) -> None:
    response = send_beacon(client, site, origin=origin, **a_page_view())
    assert response.status_code == 403
    assert stored(acme) == []


@pytest.mark.parametrize("key", ["not-a-site-key-at-all", "AAAAAAAAAAAAAAAAAAAAAA"])
def test_a_wrong_site_key_stores_nothing(
    client: Client, site: Site, acme: Account, key: str
) -> None:
    response = send_beacon(client, Site(site_key=key), **a_page_view())
    assert response.status_code == 404
    assert response.json()["error"] == "Not found"
    assert stored(acme) == []


def test_made_up_keys_take_no_room_in_the_cache_where_the_rate_is_counted(
    client: Client, site: Site, acme: Account, settings: Any
) -> None:
    settings.TRACKING_RATE_LIMIT = "2/min"
    assert send_beacon(client, site, **a_page_view("pv-1")).status_code == 204
    assert send_beacon(client, site, **a_page_view("pv-2")).status_code == 204
    # The database's cache keeps 300 entries, and makes room by dropping a third of them.
    for n in range(320):
        made_up = Site(site_key=f"{n:022d}")
        assert send_beacon(client, made_up, **a_page_view()).status_code == 404
    assert send_beacon(client, site, **a_page_view("pv-3")).status_code == 429


def test_a_deleted_accounts_key_is_refused_at_once(
    client: Client, site: Site, acme: Account
) -> None:
    assert send_beacon(client, site, **a_page_view("pv-1")).status_code == 204
    acme.delete()
    assert send_beacon(client, site, **a_page_view("pv-2")).status_code == 404


def test_a_key_only_adds_to_its_own_account(
    client: Client, site: Site, acme: Account, bluebird: Account
) -> None:
    bluebird_site = site_with_origins(bluebird, "https://bluebird.example")
    response = send_beacon(
        client,
        bluebird_site,
        origin="https://bluebird.example",
        **a_page_view(url="https://bluebird.example/"),
    )
    assert response.status_code == 204
    assert stored(acme) == []
    assert [row["url"] for row in stored(bluebird)] == ["https://bluebird.example/"]


@pytest.mark.parametrize(
    "agent",
    [
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "HeadlessChrome/131.0.0.0 Safari/537.36",
        "curl/8.5.0",
        "",
        # Longer than any browser's: answered at once, where the crawler patterns would take
        # seconds over it.
        "Mozilla/5.0 " + "a" * 8000,
    ],
)
def test_a_crawler_stores_nothing(client: Client, site: Site, acme: Account, agent: str) -> None:
    response = send_beacon(client, site, agent=agent, **a_page_view())
    assert response.status_code == 200
    assert "crawlers" in response.json()["ignored"]
    assert stored(acme) == []
    site.refresh_from_db()
    assert site.page_views_received == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"{not json", "body"),
        (b"\xff\xfe", "body"),
        (b"[" * 5000, "body"),
        ([a_page_view()], "body"),
        ("a text", "body"),
        ({"visitor_id": "v", "url": PRICING}, "id"),
        ({"id": "pv", "url": PRICING}, "visitor_id"),
        ({"id": "pv", "visitor_id": "v"}, "url"),
        (a_page_view(url="/pricing"), "url"),
        (a_page_view(url="https://other.example/pricing"), "url"),
        (a_page_view(url="http://shop.example/pricing"), "url"),
        (a_page_view(url=SHOP + "/" + "x" * 5000), "url"),
        (a_page_view(title="t" * 1025), "title"),
        (a_page_view(title=["not", "text"]), "title"),
        (a_page_view("pv\n1"), "id"),
        (a_page_view(visitor_id=7), "visitor_id"),
    ],
)
def test_a_malformed_body_stores_nothing_and_says_which_field(
    client: Client, site: Site, acme: Account, body: Any, field: str
) -> None:
    response = send_beacon(client, site, body=body)
    assert response.status_code == 400, response.content
    answer = response.json()
    assert answer["error"] == "Invalid input"
    assert field in answer["details"], answer
    # The page's own origin may read why, in its browser's console.
    assert response["Access-Control-Allow-Origin"] == SHOP
    assert stored(acme) == []


def test_a_body_over_the_limit_is_refused_before_it_is_read(
    client: Client, site: Site, acme: Account
) -> None:
    response = send_beacon(client, site, body=a_page_view(title="t" * settings.TRACKING_BODY_LIMIT))
    assert response.status_code == 413
    assert response.json()["error"] == "Request too large"
    assert stored(acme) == []


def test_a_cors_preflight_is_answered_for_listed_origins_only(client: Client, site: Site) -> None:
    def preflight(origin: str) -> Any:
        return client.options(
            f"/api/collect/{site.site_key}",
            headers={
                "Origin": origin,
                "User-Agent": BROWSER_AGENT,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type",
            },
        )

    allowed = preflight(SHOP)
    assert allowed.status_code == 204
    assert allowed["Access-Control-Allow-Origin"] == SHOP
    assert "POST" in allowed["Access-Control-Allow-Methods"]
    assert allowed["Access-Control-Allow-Headers"].lower() == "content-type"
    assert "Origin" in allowed["Vary"]
    refused = preflight("https://evil.example")
    assert refused.status_code == 403
    assert "Access-Control-Allow-Origin" not in refused


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_only_post_sends_page_views(client: Client, site: Site, method: str) -> None:
    response = getattr(client, method)(f"/api/collect/{site.site_key}")
    assert response.status_code == 405
    assert response["Allow"] == "POST, OPTIONS"
    assert response.json()["error"] == "Method not allowed"


def test_an_address_past_its_rate_is_refused_and_others_are_not(
    client: Client, site: Site, acme: Account, settings: Any
) -> None:
    settings.TRACKING_RATE_LIMIT = "3/min"
    statuses = [
        send_beacon(client, site, **a_page_view(f"pv-{n}"), address="203.0.113.5").status_code
        for n in range(4)
    ]
    assert statuses == [204, 204, 204, 429]
    refused = send_beacon(client, site, **a_page_view("pv-9"), address="203.0.113.5")
    assert refused.json()["error"] == "Too many requests"
    assert 1 <= int(refused["Retry-After"]) <= 60
    # Another visitor's address has a rate of its own.
    other = send_beacon(client, site, **a_page_view("pv-10"), address="198.51.100.7")
    assert other.status_code == 204
    assert {row["page_view_id"] for row in stored(acme)} == {"pv-0", "pv-1", "pv-2", "pv-10"}


def test_a_collected_page_view_credits_the_agent_who_chatted_with_the_visitor(
    client: Client, site: Site, acme: Account, alice: User, make_goal: Callable[..., Goal]
) -> None:
    thanks_goal = make_goal(
        acme,
        name="Paid",
        conditions=[{"type": "url", "operator": "contains", "value": "/checkout/thanks"}],
    )
    agent_wrote = iso(timezone.now() - timedelta(minutes=10))
    answer = {"type": "chat.msg", "nick": f"agent:{SAM[0]}", "name": SAM[1], "msg": "Hello"}
    chats_ingest(
        account=acme,
        items=[
            chat(
                "chat-1",
                visitor="visitor-1",
                timestamp=agent_wrote,
                history=[{**answer, "timestamp": agent_wrote}],
            )
        ],
    )
    thanks = f"{SHOP}/checkout/thanks?order=7"
    assert send_beacon(client, site, **a_page_view(url=thanks)).status_code == 204
    flush_queued()
    conversion = Conversion.objects.get(account=acme, goal_id=thanks_goal.pk)
    assert (conversion.chat_id, conversion.url) == ("chat-1", thanks)


def test_the_answers_carry_a_policy_that_runs_nothing(client: Client, site: Site) -> None:
    response = send_beacon(client, site, **a_page_view())
    assert response["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    # Pages that isolate themselves (Cross-Origin-Embedder-Policy) may read it.
    assert response["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert "Set-Cookie" not in response


@requires_test_redis()
def test_with_redis_page_views_wait_in_the_stream_until_the_worker_stores_them(
    client: Client, site: Site, acme: Account, queued_in_redis: Any
) -> None:
    assert send_beacon(client, site, **a_page_view()).status_code == 204
    assert not PageView.objects.filter(account=acme).exists()
    assert flush_queued() == 1
    assert PageView.objects.filter(account=acme).count() == 1


def test_with_redis_out_of_reach_page_views_are_stored_at_once(
    client: Client, site: Site, acme: Account, settings: Any
) -> None:
    settings.REDIS_URL = "redis://127.0.0.1:9/0"  # the discard port: nothing listens
    assert send_beacon(client, site, **a_page_view()).status_code == 204
    assert PageView.objects.filter(account=acme).count() == 1


def test_the_tracking_script_is_under_3_kb_gzipped() -> None:
    script = (settings.BASE_DIR / "static" / "tracking" / "goals.js").read_bytes()
    assert len(gzip.compress(script, 9)) < 3 * 1024


def test_the_tracking_script_loads_on_sites_that_isolate_themselves(client: Client) -> None:
    response = client.get("/static/tracking/goals.js")
    assert response.status_code == 200
    # Allowed on a page whose site sends Cross-Origin-Embedder-Policy: require-corp.
    assert response["Cross-Origin-Resource-Policy"] == "cross-origin"


def test_a_forwarded_address_is_not_believed_without_proxies(
    client: Client, site: Site, settings: Any
) -> None:
    settings.TRACKING_RATE_LIMIT = "2/min"
    statuses = [
        send_beacon(
            client, site, **a_page_view(f"pv-{n}"), forwarded_for=f"203.0.113.{n}"
        ).status_code
        for n in range(3)
    ]
    # One connection, one address, whatever the header says.
    assert statuses == [204, 204, 429]


def test_behind_a_proxy_each_forwarded_client_has_a_rate_of_its_own(
    client: Client, site: Site, settings: Any
) -> None:
    settings.TRACKING_RATE_LIMIT = "2/min"
    settings.AXES_IPWARE_PROXY_COUNT = 1
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]

    def from_client(address: str, n: int) -> int:
        forwarded = f"{address}, 198.51.100.1"  # the client, then the load balancer
        return send_beacon(
            client, site, **a_page_view(f"pv-{address}-{n}"), forwarded_for=forwarded
        ).status_code

    assert [from_client("203.0.113.7", n) for n in range(3)] == [204, 204, 429]
    assert from_client("203.0.113.8", 0) == 204
