"""The Django admin site as operators meet it: its name, the models it lists, where "View site"
and the site's home lead them, and conditions numbered from 1 as on the dashboard.

Cast (tests/conftest.py): Alice administers Acme, where Arthur is an agent; Bob administers
Bluebird. Olivia is an operator: staff, no account, made as `createsuperuser` makes operators.
"""

from typing import Any

import pytest
from django.test import Client
from oauth2_provider.models import Application

from accounts import services
from accounts.models import User
from goals.models import Goal
from tests.helpers.api import PASSWORD
from tests.helpers.pages import Element, parse
from tests.helpers.tokens import request_token, token_of

GOALS = "/admin/goals/goal/"
API_CLIENTS = "/admin/oauth2_provider/application/"


@pytest.fixture
def olivia(db: None) -> User:
    return User.objects.create_superuser("olivia@operators.example", PASSWORD)


def signed_in_to_the_admin(email: str, password: str = PASSWORD) -> tuple[Client, Any]:
    """A browser that signs in on the admin's own sign-in page, and where that lands it."""
    browser = Client()
    landing = browser.post(
        "/admin/login/?next=/admin/",
        {"username": email, "password": password, "next": "/admin/"},
        follow=True,
    )
    return browser, landing


def user_tools(response: Any) -> dict[str, str]:
    """The links at the top right of an admin page, by their words."""
    tools = parse(response).by_id("user-tools")
    return {link.text: link.attrs["href"] for link in tools.find_all("a")}


def follow(browser: Client, href: str) -> Any:
    return browser.get(href, follow=True)


# --- Its name ---------------------------------------------------------------------------------


def test_the_admin_is_called_goals_admin_on_every_page(olivia: User) -> None:
    browser, index = signed_in_to_the_admin(olivia.email)
    sign_in_page = Client().get("/admin/login/")
    goals_page = browser.get(GOALS)

    for page in (index, sign_in_page, goals_page):
        root = parse(page)
        assert root.by_id("site-name").text == "Goals Admin"
        assert root.find_all("title")[0].text.endswith("| Goals Admin")
        assert "Django administration" not in root.text
        assert "Django site admin" not in root.text


# --- The models it lists ----------------------------------------------------------------------


def listed_models(response: Any) -> set[str]:
    """The admin index's model links, as paths."""
    content = parse(response).by_id("content-main")
    return {
        link.attrs["href"]
        for link in content.find_all("a")
        if link.attrs.get("href", "").count("/") == 4  # /admin/<app>/<model>/
    }


def test_the_index_lists_what_operators_work_with_and_nothing_else(olivia: User) -> None:
    _, index = signed_in_to_the_admin(olivia.email)

    assert listed_models(index) == {
        "/admin/accounts/account/",
        "/admin/accounts/user/",
        "/admin/goals/goal/",
        "/admin/goals/historicalgoal/",
        "/admin/tracking/site/",
        API_CLIENTS,
        "/admin/axes/accessattempt/",
        "/admin/axes/accesslog/",
        "/admin/axes/accessfailurelog/",
    }


@pytest.mark.parametrize(
    "path",
    [
        "/admin/auth/group/",
        "/admin/oauth2_provider/grant/",
        "/admin/oauth2_provider/idtoken/",
        "/admin/oauth2_provider/refreshtoken/",
        "/admin/oauth2_provider/accesstoken/",
    ],
)
def test_models_that_mean_nothing_here_have_no_pages(olivia: User, path: str) -> None:
    browser, _ = signed_in_to_the_admin(olivia.email)

    assert browser.get(path).status_code == 404


def test_a_users_page_offers_no_permission_groups(olivia: User, alice: User) -> None:
    browser, _ = signed_in_to_the_admin(olivia.email)

    page = parse(browser.get(f"/admin/accounts/user/{alice.pk}/change/"))

    names = {element.attrs.get("name") for element in page.find_all("input", "select")}
    assert "groups" not in names
    assert {"is_active", "is_staff", "is_superuser"} <= names


# --- API clients ----------------------------------------------------------------------------


def test_api_clients_are_listed_with_their_owner_and_account(
    olivia: User, shop_sync: services.NewApiClient, bob: User
) -> None:
    services.api_client_create(owner=bob, name="Bluebird import")
    browser, _ = signed_in_to_the_admin(olivia.email)

    rows = parse(browser.get(API_CLIENTS)).by_id("result_list").find_all("tr")[1:]

    shown = sorted(" ".join(cell.text for cell in row.find_all("th", "td")[1:4]) for row in rows)
    assert shown == [
        "Bluebird import bob@bluebird.example Bluebird",
        "Shop sync alice@acme.example Acme",
    ]


def test_api_clients_are_made_on_the_dashboard_not_in_the_admin(
    olivia: User, shop_sync: services.NewApiClient
) -> None:
    browser, _ = signed_in_to_the_admin(olivia.email)
    change = f"{API_CLIENTS}{shop_sync.application.pk}/change/"

    assert browser.get(f"{API_CLIENTS}add/").status_code == 403
    assert browser.post(change, {"name": "Renamed"}).status_code == 403
    shown = browser.get(change)
    assert shown.status_code == 200
    assert "Shop sync" in parse(shown).by_id("content-main").text
    shop_sync.application.refresh_from_db()
    assert shop_sync.application.name == "Shop sync"


def test_an_operator_revokes_an_api_client_and_its_tokens_fail_at_once(
    olivia: User, shop_sync: services.NewApiClient, openapi_schema: dict
) -> None:
    token = token_of(shop_sync)
    browser, _ = signed_in_to_the_admin(olivia.email)

    response = browser.post(
        f"{API_CLIENTS}{shop_sync.application.pk}/delete/", {"post": "yes"}, follow=True
    )

    assert response.status_code == 200
    assert not Application.objects.exists()
    answer = Client().get("/api/v2/goals", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 401
    again = request_token(shop_sync.application.client_id, shop_sync.secret)
    assert again.status_code == 401


# --- Where "View site" and the site's home lead -------------------------------------------


def test_an_operator_is_offered_no_view_site_link_that_would_refuse_them(olivia: User) -> None:
    browser, index = signed_in_to_the_admin(olivia.email)

    assert index.redirect_chain == [("/admin/", 302)]
    assert "View site" not in user_tools(index)
    for words, href in user_tools(index).items():
        assert follow(browser, href).status_code == 200, words


def test_an_operator_who_opens_the_site_lands_in_the_admin(olivia: User) -> None:
    browser, _ = signed_in_to_the_admin(olivia.email)

    response = browser.get("/", follow=True)

    assert response.redirect_chain == [("/admin/", 302)]
    assert response.status_code == 200
    assert parse(response).by_id("site-name").text == "Goals Admin"


def test_an_operator_sent_to_the_dashboard_is_brought_back_by_the_sites_name(
    olivia: User,
) -> None:
    browser, _ = signed_in_to_the_admin(olivia.email)
    refused = browser.get("/goals/")
    assert refused.status_code == 403
    brand = next(
        link
        for link in parse(refused).find_all("a")
        if "navbar-brand" in link.attrs.get("class", "")
    )

    response = follow(browser, brand.attrs["href"])

    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == "/admin/"


def test_an_administrator_who_is_also_an_operator_views_the_site_as_her_accounts_goals(
    alice: User, acme: Any, make_goal: Any
) -> None:
    make_goal(acme, name="Pricing page")
    alice.is_staff = True
    alice.save()
    browser, index = signed_in_to_the_admin(alice.email)

    view_site = user_tools(index)["View site"]
    response = follow(browser, view_site)

    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == "/goals/"
    assert "Pricing page" in parse(response).by_id("main").text


def test_an_administrator_who_opens_the_site_lands_on_the_goals_page(alice_client) -> None:
    response = alice_client.get("/", follow=True)

    assert response.redirect_chain == [("/goals/", 302)]
    assert response.status_code == 200


def test_a_visitor_who_opens_the_site_is_asked_to_sign_in(db: None) -> None:
    response = Client().get("/", follow=True)

    assert [url for url, _ in response.redirect_chain] == [
        "/goals/",
        "/accounts/login/?next=/goals/",
    ]


# --- Conditions numbered from 1, as on the dashboard ----------------------------------------


def inline_positions(response: Any) -> list[str]:
    """The positions the goal's inline shows, for the stored conditions, in their order."""
    root = parse(response)
    stored = int(root.by_id("id_conditions-INITIAL_FORMS").attrs["value"])
    return [root.by_id(f"id_conditions-{i}-position").attrs.get("value") for i in range(stored)]


def change_form_values(response: Any) -> dict[str, str]:
    """What a browser submits from the goal's change form, left as it is."""
    form: Element = parse(response).by_id("goal_form")
    values: dict[str, str] = {}
    for element in form.find_all("input", "select", "textarea"):
        name = element.attrs.get("name")
        if not name or "__prefix__" in name:
            continue
        kind = element.attrs.get("type")
        if element.tag == "select":
            chosen = [o for o in element.find_all("option") if "selected" in o.attrs]
            values[name] = (chosen or element.find_all("option")[:1])[0].attrs.get("value", "")
        elif element.tag == "textarea":
            values[name] = element.raw_text().removeprefix("\n")
        elif kind in {"checkbox", "radio"}:
            if "checked" in element.attrs:
                values[name] = element.attrs.get("value") or "on"
        elif kind not in {"submit", "button"}:
            values[name] = element.attrs.get("value") or ""
    return values


@pytest.fixture
def three_conditions(acme: Any, alice: User, make_goal: Any) -> Goal:
    return make_goal(
        acme,
        name="Shopping",
        conditions=[
            {"operator": "contains", "value": "cart"},
            {"operator": "contains", "value": "basket"},
            {"operator": "equals", "value": "https://shop.example/checkout"},
        ],
    )


def stored(goal: Goal) -> list[tuple[int, str]]:
    return list(goal.conditions.order_by("position").values_list("position", "value"))


def test_the_goals_conditions_are_numbered_from_1_in_the_admin(
    olivia: User, three_conditions: Goal
) -> None:
    browser, _ = signed_in_to_the_admin(olivia.email)

    page = browser.get(f"{GOALS}{three_conditions.pk}/change/")

    assert inline_positions(page) == ["1", "2", "3"]
    assert parse(page).by_id("id_conditions-0-position").attrs.get("min") == "1"


def test_saving_the_numbers_as_shown_keeps_the_order_stored_from_0(
    olivia: User, three_conditions: Goal
) -> None:
    browser, _ = signed_in_to_the_admin(olivia.email)
    page = browser.get(f"{GOALS}{three_conditions.pk}/change/")

    response = browser.post(f"{GOALS}{three_conditions.pk}/change/", change_form_values(page))

    assert response.status_code == 302
    assert stored(three_conditions) == [
        (0, "cart"),
        (1, "basket"),
        (2, "https://shop.example/checkout"),
    ]


def test_numbering_the_last_condition_1_makes_it_the_first(
    olivia: User, three_conditions: Goal
) -> None:
    browser, _ = signed_in_to_the_admin(olivia.email)
    values = change_form_values(browser.get(f"{GOALS}{three_conditions.pk}/change/"))
    values.update(
        {"conditions-0-position": "2", "conditions-1-position": "3", "conditions-2-position": "1"}
    )

    response = browser.post(f"{GOALS}{three_conditions.pk}/change/", values)

    assert response.status_code == 302
    assert stored(three_conditions) == [
        (0, "https://shop.example/checkout"),
        (1, "cart"),
        (2, "basket"),
    ]


def test_a_condition_added_with_the_next_number_comes_last(
    olivia: User, three_conditions: Goal
) -> None:
    browser, _ = signed_in_to_the_admin(olivia.email)
    values = change_form_values(browser.get(f"{GOALS}{three_conditions.pk}/change/"))
    values.update(
        {
            "conditions-3-position": "4",
            "conditions-3-type": "url",
            "conditions-3-operator": "contains",
            "conditions-3-value": "thanks",
        }
    )

    response = browser.post(f"{GOALS}{three_conditions.pk}/change/", values)

    assert response.status_code == 302
    assert stored(three_conditions)[-1] == (3, "thanks")
    assert len(stored(three_conditions)) == 4


def test_a_condition_added_with_a_shown_number_is_refused_as_a_repeat(
    olivia: User, three_conditions: Goal
) -> None:
    browser, _ = signed_in_to_the_admin(olivia.email)
    values = change_form_values(browser.get(f"{GOALS}{three_conditions.pk}/change/"))
    values.update(
        {
            "conditions-3-position": "3",
            "conditions-3-type": "url",
            "conditions-3-operator": "contains",
            "conditions-3-value": "thanks",
        }
    )

    response = browser.post(f"{GOALS}{three_conditions.pk}/change/", values)

    assert response.status_code == 200
    assert len(stored(three_conditions)) == 3


def test_a_refusal_in_the_admin_is_shown_in_the_admins_error_style(olivia, acme, alice, make_goal):
    [make_goal(acme, name=f"Active {n}") for n in range(1, 6)]
    spare = make_goal(acme, name="Spare", enabled=False)
    browser = Client()
    browser.force_login(olivia)

    response = browser.post(
        "/admin/goals/goal/",
        {"action": "enable_selected", "index": "0", "_selected_action": [str(spare.pk)]},
        follow=True,
    )

    page = response.content.decode()
    assert '<li class="error">Goals limit exceeded' in page
    assert 'class="success">Goals limit exceeded' not in page
