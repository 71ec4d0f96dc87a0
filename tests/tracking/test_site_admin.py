"""The Django admin's Site pages: operators look up whose site key a request carried and what
arrived, and change nothing there. Origins and keys are changed by the account's administrators
on their Tracking page (tracking.rules).

Cast (tests/conftest.py): Alice administers Acme, where Arthur is an agent; Bob administers
Bluebird. Olga is an operator, made as createsuperuser makes operators.
"""

from typing import Any

import pytest
from django.test import Client

from accounts.models import Account, User
from tests.helpers.api import PASSWORD
from tests.helpers.pages import Element, parse, signed_in
from tracking import rules
from tracking.models import Site

SITES = "/admin/tracking/site/"


def site_page(account: Account) -> str:
    return f"{SITES}{account.pk}/change/"


@pytest.fixture
def olga(db: None) -> User:
    return User.objects.create_superuser("olga@operators.example", PASSWORD)


@pytest.fixture
def operator(olga: User) -> Client:
    """Olga's browser, signed in to the admin."""
    return signed_in(olga)


@pytest.fixture
def acme_site(acme: Account) -> Site:
    """Acme's site, with two origins and a page view received."""
    rules.origins_set(account=acme, origins=["https://shop.example", "http://localhost:8080"])
    rules.page_views_collect(
        account=acme,
        items=[
            {
                "id": "pv-1",
                "visitor_id": "visitor-1",
                "url": "https://shop.example/cart",
                "timestamp": "2025-03-01T12:00:00Z",
            }
        ],
    )
    return rules.site_of(acme)


@pytest.fixture
def bluebird_site(bluebird: Account) -> Site:
    return rules.site_of(bluebird)


def list_rows(response: Any) -> list[list[str]]:
    """The change list's rows: the text of each cell, the selection box left out."""
    table = parse(response).by_id("result_list")
    return [
        [
            cell.text
            for cell in row.find_all("th", "td")
            if "action-checkbox" not in cell_class(cell)
        ]
        for row in table.find_all("tbody")[0].find_all("tr")
    ]


def cell_class(cell: Element) -> str:
    return cell.attrs.get("class") or ""


def readonly_fields(response: Any) -> dict[str, str]:
    """The change page's fields as shown, by their label."""
    shown: dict[str, str] = {}
    for row in parse(response).iter():
        if "form-row" not in cell_class(row).split():
            continue
        [label] = row.find_all("label")
        values = [e for e in row.iter() if "readonly" in cell_class(e).split()]
        shown[label.text.rstrip(":")] = values[0].text if values else ""
    return shown


def form_fields(response: Any) -> set[str]:
    """The names of the fields a browser would submit from the change page's form."""
    form = parse(response).by_id("site_form")
    return {
        element.attrs["name"]
        for element in form.find_all("input", "textarea", "select")
        if element.attrs.get("name") and element.attrs.get("type") != "hidden"
    }


# --- Who may see the pages ------------------------------------------------------------------


def test_the_admins_index_lists_the_sites(operator: Client) -> None:
    response = operator.get("/admin/")

    links = [a.attrs.get("href") for a in parse(response).by_id("content-main").find_all("a")]
    assert SITES in links


@pytest.mark.parametrize("user", ["alice", "arthur", "bob"])
def test_the_accounts_people_are_sent_to_the_admins_sign_in(
    request: pytest.FixtureRequest, user: str, acme_site: Site
) -> None:
    browser = signed_in(request.getfixturevalue(user))

    for path in (SITES, site_page(acme_site.account)):
        response = browser.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/?next=")


# --- The list and a site's page -------------------------------------------------------------


def test_operator_sees_every_accounts_site_with_its_key_and_count(
    operator: Client, acme_site: Site, bluebird_site: Site
) -> None:
    response = operator.get(SITES)

    assert response.status_code == 200
    rows = sorted(row[:3] for row in list_rows(response))
    assert rows == [
        ["Acme", acme_site.site_key, "1"],
        ["Bluebird", bluebird_site.site_key, "0"],
    ]


def test_operator_finds_the_account_of_a_site_key(
    operator: Client, acme_site: Site, bluebird_site: Site
) -> None:
    response = operator.get(SITES, {"q": bluebird_site.site_key})

    assert [row[0] for row in list_rows(response)] == ["Bluebird"]


def test_a_sites_page_shows_its_key_origins_and_latest_page_view(
    operator: Client, acme_site: Site
) -> None:
    response = operator.get(site_page(acme_site.account))

    assert response.status_code == 200
    shown = readonly_fields(response)
    assert shown["Account"] == "Acme"
    assert shown["Site key"] == acme_site.site_key
    assert "https://shop.example" in shown["Origins"]
    assert "http://localhost:8080" in shown["Origins"]
    assert shown["Page views received"] == "1"
    assert shown["Last received URL"] == "https://shop.example/cart"


def test_a_sites_page_has_nothing_to_edit_or_save(operator: Client, acme_site: Site) -> None:
    response = operator.get(site_page(acme_site.account))

    assert form_fields(response) == set()
    buttons = [
        e.attrs.get("name")
        for e in parse(response).find_all("input", "button")
        if e.attrs.get("type") == "submit"
    ]
    assert not {"_save", "_continue", "_addanother"} & set(buttons)


# --- Nothing is changed here ----------------------------------------------------------------


def test_posting_to_a_sites_page_changes_nothing(operator: Client, acme_site: Site) -> None:
    response = operator.post(
        site_page(acme_site.account),
        {
            "site_key": "chosen-by-an-operator",
            "origins": '["https://elsewhere.example"]',
            "page_views_received": "1000",
            "_save": "Save",
        },
    )

    assert response.status_code == 403
    stored = rules.site_of(acme_site.account)
    assert stored.site_key == acme_site.site_key
    assert stored.origins == ["https://shop.example", "http://localhost:8080"]
    assert stored.page_views_received == 1


def test_sites_are_not_added_in_the_admin(
    operator: Client, acme_site: Site, bluebird: Account
) -> None:
    listed = operator.get(SITES)
    added = operator.post(f"{SITES}add/", {"account": bluebird.pk, "site_key": "x" * 22})

    assert 'href="/admin/tracking/site/add/"' not in listed.content.decode()
    assert added.status_code == 403
    assert list(Site.objects.values_list("account__name", flat=True)) == ["Acme"]


def test_sites_are_not_deleted_in_the_admin(operator: Client, acme_site: Site) -> None:
    # A deleted site comes back with a new key and no origins (rules.site_of): every page of
    # the account would be refused, with nothing on the Tracking page to say why.
    page = operator.get(site_page(acme_site.account))
    operator.post(f"{SITES}{acme_site.pk}/delete/", {"post": "yes"})
    operator.post(
        SITES, {"action": "delete_selected", "_selected_action": [acme_site.pk], "post": "yes"}
    )

    bug = (
        "PRODUCT BUG (tracking/admin.py, SiteAdmin): the read-only Site admin lets an operator "
        "delete a site; add has_delete_permission returning False. "
    )
    assert "deletelink" not in page.content.decode(), bug + "(its page offers Delete)"
    assert Site.objects.filter(pk=acme_site.pk, site_key=acme_site.site_key).exists(), (
        bug + "(the site was deleted)"
    )
