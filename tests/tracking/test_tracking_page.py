"""The Tracking page: the account's site key and the snippet to paste, its website's origins,
replacing the site key, and whether page views are arriving.

Cast (tests/conftest.py): Alice administers Acme, where Arthur is an agent; Bob administers
Bluebird. Olga is an operator. Beacons are sent as the snippet's script sends them
(tests/helpers/tracking.py); with REDIS_URL they are queued, and flush_queued() stores them.
"""

from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from accounts.models import Account, User
from conversions.models import PageView
from tests.helpers.api import PASSWORD
from tests.helpers.pages import Element, main_text, messages_text, parse, signed_in
from tests.helpers.tracking import SHOP, flush_queued, send_beacon, site_with_origins
from tracking import rules
from tracking.models import MAX_ORIGINS, ORIGIN_MAX_LENGTH, Site

PAGE = "/tracking/"
STATUS = "/tracking/status/"
REPLACE_KEY = "/tracking/site-key/"
FORBIDDEN_TITLE = "Only administrators manage goals"
SCRIPT_URL = "http://testserver/static/tracking/goals.js"
NO_ORIGIN_WARNING = (
    "List your website's origin above first: until then its pages' page views are refused."
)
NOTHING_YET = "No page view from your website yet."
NO_SCHEME = 'Write the scheme and the host, as in "https://shop.example".'
NO_PATH = "An origin is the scheme, the host and the port only: remove the path."
NO_WILDCARD = "List each host on a line of its own: wildcards are not supported."
NO_USER = 'An origin has no user name: remove the part before "@".'
BAD_PORT = "The port has to be a number from 1 to 65535."
TOO_LONG = f"An origin has at most {ORIGIN_MAX_LENGTH} characters."


@pytest.fixture
def olga(db: None) -> User:
    """An operator, made as createsuperuser makes them."""
    return User.objects.create_superuser("olga@operators.example", PASSWORD)


# --- Reading the page -----------------------------------------------------------------------


def section(response: Any, title_id: str) -> Element:
    """The page's section headed by the heading with this id."""
    [found] = [
        element
        for element in parse(response).find_all("section")
        if element.attrs.get("aria-labelledby") == title_id
    ]
    return found


def shown_site_key(response: Any) -> str:
    return section(response, "key-title").find_all("code")[0].text


def snippet_script(response: Any) -> Element:
    """The <script> element that the snippet, as shown for copying, would put in a page."""
    snippet = parse(response).by_id("tracking-snippet").text
    [script] = parse(snippet).find_all("script")
    return script


def origins_box(response: Any) -> str:
    """The origins textarea's text, as a browser shows it."""
    [box] = [e for e in parse(response).find_all("textarea") if e.attrs.get("name") == "origins"]
    text = box.raw_text()
    return text[1:] if text.startswith("\n") else text


def origin_errors(response: Any) -> list[str]:
    """The messages under the origins box, one a refused origin."""
    errors = [e for e in parse(response).iter() if e.attrs.get("id") == "id_origins_error"]
    return [paragraph.text for paragraph in errors[0].find_all("p")] if errors else []


def status_text(response: Any) -> str:
    return parse(response).by_id("tracking-status").text


def nav_links(response: Any) -> dict[str, str]:
    [nav] = [e for e in parse(response).find_all("nav") if e.attrs.get("aria-label") == "Main"]
    return {link.text: link.attrs["href"] for link in nav.find_all("a")}


def page_views_of(account: Account) -> list[tuple[str, str]]:
    return sorted(
        PageView.objects.filter(account=account).values_list("page_view_id", "url"),
    )


def beacon(site: Site, page_view_id: str, url: str = f"{SHOP}/", origin: str = SHOP) -> Any:
    """A page view sent by a visitor's browser from a page of `origin`."""
    return send_beacon(
        Client(), site, origin=origin, id=page_view_id, visitor_id="visitor-1", url=url
    )


# --- Who may see the page -------------------------------------------------------------------


@pytest.mark.parametrize("path", [PAGE, STATUS])
def test_anonymous_visitor_is_sent_to_sign_in(client: Client, db: None, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={path}"


@pytest.mark.parametrize("path", [PAGE, STATUS])
def test_agent_is_refused_the_page(arthur: User, path: str) -> None:
    response = signed_in(arthur).get(path)

    assert response.status_code == 403
    assert FORBIDDEN_TITLE in main_text(response)


def test_agent_cannot_change_the_origins(arthur: User, acme: Account) -> None:
    site_with_origins(acme, SHOP)

    response = signed_in(arthur).post(PAGE, {"origins": "https://agent.example"})

    assert response.status_code == 403
    assert rules.site_of(acme).origins == [SHOP]


def test_operator_is_sent_to_the_django_admin(olga: User) -> None:
    response = signed_in(olga).get(PAGE)

    assert response.status_code == 403
    assert "Operators work in the Django admin" in main_text(response)
    assert 'href="/admin/"' in response.content.decode()


def test_the_nav_has_a_tracking_link_for_administrators(alice_client: Client) -> None:
    response = alice_client.get("/goals/")

    assert nav_links(response)["Tracking"] == PAGE


def test_the_nav_has_no_tracking_link_for_agents(arthur: User) -> None:
    response = signed_in(arthur).get(PAGE)

    assert "Tracking" not in nav_links(response)


# --- The site key and the snippet -----------------------------------------------------------


def test_page_shows_the_accounts_site_key(alice_client: Client, acme: Account) -> None:
    response = alice_client.get(PAGE)

    assert response.status_code == 200
    site = Site.objects.get(account=acme)
    assert len(site.site_key) >= 22
    assert shown_site_key(response) == site.site_key


def test_the_site_key_stays_the_same_from_one_visit_to_the_next(alice_client: Client) -> None:
    first = shown_site_key(alice_client.get(PAGE))

    assert shown_site_key(alice_client.get(PAGE)) == first


def test_snippet_loads_the_script_by_its_absolute_address_with_the_site_key(
    alice_client: Client, acme: Account
) -> None:
    response = alice_client.get(PAGE)

    script = snippet_script(response)
    # Unhashed, so that the snippet pasted into a website still works after the next deployment.
    assert script.attrs["src"] == SCRIPT_URL
    assert script.attrs["data-site-key"] == rules.site_of(acme).site_key
    assert "async" in script.attrs
    assert finders.find("tracking/goals.js") is not None


def test_snippet_follows_the_scheme_the_page_was_served_with(alice_client: Client) -> None:
    response = alice_client.get(PAGE, secure=True)

    assert snippet_script(response).attrs["src"] == "https://testserver/static/tracking/goals.js"


def test_snippet_is_shown_for_copying_and_not_run_in_the_dashboard(alice_client: Client) -> None:
    response = alice_client.get(PAGE)

    scripts = [s.attrs.get("src") for s in parse(response).find_all("script")]
    assert SCRIPT_URL not in scripts
    assert "/static/tracking/goals.js" not in scripts


def test_snippet_has_a_copy_button_that_its_script_shows(alice_client: Client) -> None:
    response = alice_client.get(PAGE)

    root = parse(response)
    [button] = [b for b in root.find_all("button") if b.attrs.get("data-copy-from")]
    assert button.text == "Copy snippet"
    assert button.attrs["data-copy-from"] == "tracking-snippet"
    # Hidden until the script finds a clipboard to copy to: without it the snippet is selected.
    assert "hidden" in button.attrs
    assert "/static/js/copy.js" in [s.attrs.get("src") for s in root.find_all("script")]


# --- Saving the origins ---------------------------------------------------------------------


def test_saved_origins_are_normalized_once_each_in_the_order_typed(
    alice_client: Client, acme: Account
) -> None:
    typed = "\n".join(
        [
            "https://Shop.Example/",
            "",
            "http://localhost:8080",
            "   ",
            "https://shop.example:443",
            "http://shop.example:80",
            "https://bücher.example",
            "HTTPS://SHOP.EXAMPLE",
        ]
    )

    response = alice_client.post(PAGE, {"origins": typed}, follow=True)

    stored = [
        "https://shop.example",
        "http://localhost:8080",
        "http://shop.example",
        "https://xn--bcher-kva.example",
    ]
    assert rules.site_of(acme).origins == stored
    assert origins_box(response) == "\n".join(stored)


def test_saving_says_so_and_redirects_to_the_page(alice_client: Client) -> None:
    saved = alice_client.post(PAGE, {"origins": "https://shop.example\nhttp://localhost:8080"})

    # Post/redirect/get: reloading the page does not send the form again.
    assert saved.status_code == 302
    assert saved["Location"] == PAGE
    response = alice_client.get(PAGE)
    assert messages_text(response) == "Saved: pages of 2 origins may send page views."
    assert NO_ORIGIN_WARNING not in main_text(response)


def test_saving_one_origin_says_origin_in_the_singular(alice_client: Client) -> None:
    response = alice_client.post(PAGE, {"origins": "https://shop.example"}, follow=True)

    assert messages_text(response) == "Saved: pages of 1 origin may send page views."


def test_a_new_account_is_warned_that_its_pages_are_refused(alice_client: Client) -> None:
    response = alice_client.get(PAGE)

    assert NO_ORIGIN_WARNING in main_text(response)
    assert origins_box(response) == ""


def test_an_empty_box_saves_no_origins_and_the_page_warns_again(
    alice_client: Client, acme: Account
) -> None:
    site_with_origins(acme, SHOP)

    response = alice_client.post(PAGE, {"origins": "\n  \n"}, follow=True)

    assert response.redirect_chain == [(PAGE, 302)]
    assert rules.site_of(acme).origins == []
    assert messages_text(response) == "Saved: no website may send page views now."
    assert NO_ORIGIN_WARNING in main_text(response)


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("shop.example", NO_SCHEME),
        ("https://shop.example/pricing", NO_PATH),
        ("https://*.shop.example", NO_WILDCARD),
        ("https://ann@shop.example", NO_USER),
        ("https://shop.example:99999", BAD_PORT),
        ("https://" + "a" * ORIGIN_MAX_LENGTH + ".example", TOO_LONG),
    ],
)
def test_a_refused_origin_is_reported_with_why_and_nothing_is_saved(
    alice_client: Client, acme: Account, line: str, reason: str
) -> None:
    site_with_origins(acme, SHOP)
    typed = f"https://kept.example\n{line}"

    response = alice_client.post(PAGE, {"origins": typed})

    assert response.status_code == 200
    # A long line is quoted by its start, enough to find it in the box.
    assert origin_errors(response) == [f"“{line[:80]}”: {reason}"]
    assert rules.site_of(acme).origins == [SHOP]
    # What was typed stays in the box, to be corrected.
    assert origins_box(response) == typed
    assert messages_text(response) == ""


def test_every_refused_origin_is_reported(alice_client: Client, acme: Account) -> None:
    typed = "shop.example\nhttps://ok.example\nhttps://*.example\nhttps://ok.example/cart"

    response = alice_client.post(PAGE, {"origins": typed})

    assert origin_errors(response) == [
        f"“shop.example”: {NO_SCHEME}",
        f"“https://*.example”: {NO_WILDCARD}",
        f"“https://ok.example/cart”: {NO_PATH}",
    ]
    assert rules.site_of(acme).origins == []


def test_more_than_fifty_origins_are_refused(alice_client: Client, acme: Account) -> None:
    many = [f"https://shop{n}.example" for n in range(MAX_ORIGINS + 1)]

    response = alice_client.post(PAGE, {"origins": "\n".join(many)})

    assert origin_errors(response) == [
        f"List at most {MAX_ORIGINS} origins; there are {MAX_ORIGINS + 1}."
    ]
    assert rules.site_of(acme).origins == []


def test_fifty_origins_and_a_repeated_one_are_saved(alice_client: Client, acme: Account) -> None:
    fifty = [f"https://shop{n}.example" for n in range(MAX_ORIGINS)]

    response = alice_client.post(PAGE, {"origins": "\n".join([*fifty, "https://SHOP0.example"])})

    assert response.status_code == 302
    assert rules.site_of(acme).origins == fifty


def test_a_hostile_line_shows_as_text(alice_client: Client) -> None:
    response = alice_client.post(PAGE, {"origins": "<script>alert(1)</script>"})

    assert "<script>alert(1)</script>" not in response.content.decode()
    assert origin_errors(response) == [f"“<script>alert(1)</script>”: {NO_SCHEME}"]


def test_saving_the_origins_without_the_csrf_token_is_refused(alice: User, acme: Account) -> None:
    browser = signed_in(alice, enforce_csrf_checks=True)

    response = browser.post(PAGE, {"origins": "https://forged.example"})

    assert response.status_code == 403
    assert rules.site_of(acme).origins == []


# --- Each account its own site --------------------------------------------------------------


def test_bobs_origins_never_touch_acmes_site(
    alice_client: Client, bob: User, acme: Account, bluebird: Account
) -> None:
    alice_client.post(PAGE, {"origins": "https://acme.example"})

    signed_in(bob).post(PAGE, {"origins": "https://bluebird.example"})
    signed_in(bob).post(PAGE, {"origins": ""})

    assert rules.site_of(acme).origins == ["https://acme.example"]
    assert rules.site_of(bluebird).origins == []


def test_each_administrator_sees_the_key_of_their_own_account(
    alice_client: Client, bob: User, acme: Account, bluebird: Account
) -> None:
    alices = alice_client.get(PAGE)
    bobs = signed_in(bob).get(PAGE)

    assert shown_site_key(alices) == rules.site_of(acme).site_key
    assert shown_site_key(bobs) == rules.site_of(bluebird).site_key
    assert shown_site_key(alices) != shown_site_key(bobs)
    assert shown_site_key(alices) not in bobs.content.decode()


def test_a_beacon_is_accepted_only_while_its_origin_is_listed(
    alice_client: Client, acme: Account
) -> None:
    site = rules.site_of(acme)
    assert beacon(site, "before").status_code == 403

    # Typed as the administrator might; sent by the browser in its own spelling.
    alice_client.post(PAGE, {"origins": "HTTPS://Shop.Example:443/"})
    assert beacon(site, "listed", f"{SHOP}/pricing").status_code == 204

    alice_client.post(PAGE, {"origins": "https://other.example"})
    assert beacon(site, "removed", f"{SHOP}/cart").status_code == 403

    flush_queued()
    assert page_views_of(acme) == [("listed", f"{SHOP}/pricing")]


def test_an_international_origin_listed_as_typed_accepts_its_browsers_beacons(
    alice_client: Client, acme: Account
) -> None:
    alice_client.post(PAGE, {"origins": "https://bücher.example"})
    origin = "https://xn--bcher-kva.example"

    response = beacon(rules.site_of(acme), "pv-1", f"{origin}/kasse", origin=origin)

    assert response.status_code == 204
    flush_queued()
    assert page_views_of(acme) == [("pv-1", f"{origin}/kasse")]


def test_an_origin_bob_lists_lets_no_page_send_to_acme(
    bob: User, acme: Account, bluebird: Account
) -> None:
    signed_in(bob).post(PAGE, {"origins": SHOP})

    assert beacon(rules.site_of(acme), "to-acme").status_code == 403
    assert beacon(rules.site_of(bluebird), "to-bluebird").status_code == 204
    flush_queued()
    assert page_views_of(acme) == []
    assert page_views_of(bluebird) == [("to-bluebird", f"{SHOP}/")]


# --- Replacing the site key -----------------------------------------------------------------


def test_replacing_the_site_key_shows_the_new_one(alice_client: Client, acme: Account) -> None:
    old_key = shown_site_key(alice_client.get(PAGE))

    response = alice_client.post(REPLACE_KEY, follow=True)

    assert response.redirect_chain == [(PAGE, 302)]
    new_key = rules.site_of(acme).site_key
    assert new_key != old_key
    assert shown_site_key(response) == new_key
    assert snippet_script(response).attrs["data-site-key"] == new_key
    assert old_key not in response.content.decode()
    assert messages_text(response) == (
        "The site key was replaced: paste the new snippet into your pages; the old key is refused."
    )


def test_after_replacing_the_key_the_old_one_is_refused_and_the_new_one_accepted(
    alice_client: Client, acme: Account
) -> None:
    old_site = site_with_origins(acme, SHOP)
    assert beacon(old_site, "old-before").status_code == 204

    alice_client.post(REPLACE_KEY)

    new_site = rules.site_of(acme)
    assert beacon(old_site, "old-after").status_code == 404
    assert beacon(new_site, "new-after").status_code == 204
    # The origins stay as they were: only the key changed.
    assert new_site.origins == [SHOP]
    flush_queued()
    assert [page_view_id for page_view_id, _ in page_views_of(acme)] == [
        "new-after",
        "old-before",
    ]


def test_replacing_the_key_asks_first_and_changes_nothing_until_asked_again(
    alice_client: Client, acme: Account
) -> None:
    key = rules.site_of(acme).site_key

    response = alice_client.get(REPLACE_KEY)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Replace the site key?" in page
    assert "every page with the current snippet is refused" in page
    assert rules.site_of(acme).site_key == key


def test_a_poll_after_the_session_ended_sends_the_whole_page_to_sign_in(client: Client) -> None:
    page = f"http://testserver{PAGE}"  # as htmx tells it
    response = client.get(STATUS, headers={"HX-Request": "true", "HX-Current-URL": page})

    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/accounts/login/?next={PAGE}"
    assert response.content == b""


def test_agent_cannot_replace_the_site_key(arthur: User, acme: Account) -> None:
    key = rules.site_of(acme).site_key

    response = signed_in(arthur).post(REPLACE_KEY)

    assert response.status_code == 403
    assert rules.site_of(acme).site_key == key


def test_anonymous_visitor_cannot_replace_the_site_key(client: Client, acme: Account) -> None:
    key = rules.site_of(acme).site_key

    response = client.post(REPLACE_KEY)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={REPLACE_KEY}"
    assert rules.site_of(acme).site_key == key


def test_replacing_the_key_without_the_csrf_token_is_refused(alice: User, acme: Account) -> None:
    key = rules.site_of(acme).site_key

    response = signed_in(alice, enforce_csrf_checks=True).post(REPLACE_KEY)

    assert response.status_code == 403
    assert rules.site_of(acme).site_key == key


def test_bob_replacing_his_key_leaves_acmes_alone(
    bob: User, acme: Account, bluebird: Account
) -> None:
    acmes = rules.site_of(acme).site_key
    bluebirds = rules.site_of(bluebird).site_key

    signed_in(bob).post(REPLACE_KEY)

    assert rules.site_of(acme).site_key == acmes
    assert rules.site_of(bluebird).site_key != bluebirds


# --- Whether page views are arriving --------------------------------------------------------


def test_before_any_page_view_the_status_says_none_arrived(alice_client: Client) -> None:
    page = alice_client.get(PAGE)
    partial = alice_client.get(STATUS)

    assert status_text(page).startswith(NOTHING_YET)
    assert status_text(partial).startswith(NOTHING_YET)


def test_status_is_asked_for_again_every_five_seconds(alice_client: Client) -> None:
    response = alice_client.get(PAGE)

    status = parse(response).by_id("tracking-status")
    assert status.attrs["hx-get"] == STATUS
    assert status.attrs["hx-trigger"] == "every 5s"
    assert status.attrs["hx-swap"] == "outerHTML"
    # The partial is only the part it replaces, not a page of its own.
    partial = alice_client.get(STATUS)
    assert partial.status_code == 200
    assert parse(partial).find_all("html", "main", "nav") == []
    assert parse(partial).by_id("tracking-status").attrs["hx-get"] == STATUS


def test_status_shows_how_many_arrived_and_the_latest_url(
    alice_client: Client, acme: Account
) -> None:
    site = site_with_origins(acme, SHOP)
    beacon(site, "pv-1", f"{SHOP}/")
    beacon(site, "pv-2", f"{SHOP}/pricing")
    beacon(site, "pv-3", f"{SHOP}/cart?step=2")

    flush_queued()
    response = alice_client.get(STATUS)

    text = status_text(response)
    assert text.startswith("3 page views received from your website. Latest, ")
    assert parse(response).find_all("code")[0].text == f"{SHOP}/cart?step=2"
    assert NOTHING_YET not in text
    assert status_text(alice_client.get(PAGE)) == text


def test_one_page_view_is_counted_in_the_singular(alice_client: Client, acme: Account) -> None:
    beacon(site_with_origins(acme, SHOP), "pv-1")

    flush_queued()

    assert status_text(alice_client.get(STATUS)).startswith(
        "1 page view received from your website"
    )


def test_a_page_view_sent_twice_is_counted_once(alice_client: Client, acme: Account) -> None:
    site = site_with_origins(acme, SHOP)
    # A retried beacon: the same id, sent again before and after the first was stored.
    assert beacon(site, "pv-1", f"{SHOP}/").status_code == 204
    assert beacon(site, "pv-1", f"{SHOP}/").status_code == 204
    flush_queued()
    assert beacon(site, "pv-1", f"{SHOP}/").status_code == 204
    assert beacon(site, "pv-2", f"{SHOP}/pricing").status_code == 204

    flush_queued()

    assert status_text(alice_client.get(STATUS)).startswith(
        "2 page views received from your website"
    )
    assert page_views_of(acme) == [("pv-1", f"{SHOP}/"), ("pv-2", f"{SHOP}/pricing")]


def test_page_views_of_another_account_do_not_show(
    alice_client: Client, acme: Account, bluebird: Account
) -> None:
    site_with_origins(acme, SHOP)
    beacon(site_with_origins(bluebird, SHOP), "bluebirds", f"{SHOP}/bluebird")

    flush_queued()
    response = alice_client.get(STATUS)

    assert status_text(response).startswith(NOTHING_YET)
    assert "/bluebird" not in response.content.decode()
