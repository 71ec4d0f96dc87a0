"""The goal form's URL tester: the conditions as they stand in the form, saved or not, and why a
URL misses them.

With scripts, htmx posts the URL together with the goal form's fields to the tester's address, on
a new goal's page too; without them, the tester's own form asks the edit page for the saved
conditions. Cast (tests/conftest.py): Alice administers Acme, where Arthur is an agent; Bob
administers Bluebird. cart_goal: "URL equals http://cart.com/" and "URL contains cart".
"""

from typing import Any

import pytest
from django.test import Client

from goals.models import Goal
from tests.helpers.pages import (
    CART_CONDITIONS,
    error_beside,
    goal_form,
    parse,
    row,
    signed_in,
    submitted_values,
)

HTMX = {"HX-Request": "true"}
NEW_TESTER = "/goals/new/url-test/"
PRICING = "https://shop.example/pricing"


def url_tester_of(goal: Goal) -> str:
    return f"/goals/{goal.pk}/url-test/"


def as_in_the_form(conditions: list[dict[str, str]]) -> list[dict[str, str]]:
    """The form's rows for these conditions, as the page's script numbers them."""
    return [
        row(condition["operator"], condition["value"], order=str(position))
        for position, condition in enumerate(conditions, start=1)
    ]


def post_tester(client: Client, path: str, url: str, rows: list[dict[str, str]], **fields: Any):
    """What htmx posts: the tester's URL and every field of the goal form."""
    return client.post(path, {**goal_form(rows, **fields), "url": url}, headers=HTMX)


def result_of(response) -> dict[str, Any]:
    result = parse(response).by_id("url-test-result")
    return {
        "verdict": result.find_all("p")[0].text,
        "conditions": [item.text for item in result.find_all("li")],
        "source": result.by_id("url-test-source").text,
    }


# --- The conditions as they stand in the form -----------------------------------------------


def test_on_a_new_goal_the_tester_tests_the_conditions_in_the_form_and_saves_nothing(
    alice_client,
):
    rows = [row("equals", PRICING), row("contains", "checkout")]

    response = post_tester(alice_client, NEW_TESTER, "HTTPS://Shop.Example/pricing", rows)

    assert response.status_code == 200
    assert response.content.decode().strip().startswith('<div id="url-test-result"')
    assert result_of(response) == {
        "verdict": "Fulfilled A visit to this URL fulfils the goal.",
        "conditions": [
            f"✓ Matches: URL equals {PRICING}",
            "✗ Does not match: URL contains checkout",
        ],
        "source": "Tested against the conditions in the form: nothing is saved yet.",
    }
    assert not Goal.objects.exists()


def test_on_a_saved_goal_the_tester_tests_the_unsaved_conditions_and_says_what_the_saved_do(
    alice_client, cart_goal
):
    rows = [row("contains", "checkout", order="1"), row("equals", "http://cart.com/", delete=True)]

    response = post_tester(
        alice_client, url_tester_of(cart_goal), "https://cart.com/checkout", rows
    )

    assert result_of(response) == {
        "verdict": "Fulfilled A visit to this URL fulfils the goal.",
        "conditions": ["✓ Matches: URL contains checkout"],
        "source": "Tested against the conditions in the form, which are not saved yet. With the "
        "saved conditions, a visit to this URL fulfils the goal.",
    }
    assert list(cart_goal.conditions.values_list("operator", "value")) == [
        ("equals", "http://cart.com/"),
        ("contains", "cart"),
    ]


def test_the_tester_says_when_the_saved_conditions_would_not_be_fulfilled(alice_client, cart_goal):
    rows = [row("contains", "checkout", order="1")]

    response = post_tester(
        alice_client, url_tester_of(cart_goal), "https://shop.example/checkout", rows
    )

    assert result_of(response)["source"] == (
        "Tested against the conditions in the form, which are not saved yet. With the saved "
        "conditions, a visit to this URL does not fulfil the goal."
    )


def test_the_tester_says_when_the_conditions_in_the_form_are_the_saved_ones(
    alice_client, cart_goal
):
    response = post_tester(
        alice_client, url_tester_of(cart_goal), "http://cart.com/", as_in_the_form(CART_CONDITIONS)
    )

    assert result_of(response) == {
        "verdict": "Fulfilled A visit to this URL fulfils the goal.",
        "conditions": ["✓ Matches: URL equals http://cart.com/", "✓ Matches: URL contains cart"],
        "source": "Tested against the conditions in the form, which are saved.",
    }


def test_the_tester_tests_a_value_as_it_would_be_stored_without_the_whitespace_around_it(
    alice_client,
):
    rows = [row("equals", f" {PRICING}\t")]

    response = post_tester(alice_client, NEW_TESTER, PRICING, rows)

    assert result_of(response)["conditions"] == [f"✓ Matches: URL equals {PRICING}"]


def test_the_tester_leaves_out_rows_without_a_value_and_removed_rows(alice_client):
    rows = [row("equals", "  "), row("contains", "pricing", delete=True), row()]

    response = post_tester(alice_client, NEW_TESTER, PRICING, rows)

    result = parse(response).by_id("url-test-result")
    assert "Not fulfilled No condition matches this URL." in result.text
    assert "The form has no conditions yet." in result.text
    assert result.find_all("li") == []


def test_rows_that_cannot_be_read_leave_the_tester_to_the_saved_conditions(alice_client, cart_goal):
    rows = [row("starts_with", "cart")]

    response = post_tester(alice_client, url_tester_of(cart_goal), "http://cart.com/", rows)

    assert result_of(response) == {
        "verdict": "Fulfilled A visit to this URL fulfils the goal.",
        "conditions": ["✓ Matches: URL equals http://cart.com/", "✓ Matches: URL contains cart"],
        "source": "The conditions in the form could not be read, so the saved ones were tested.",
    }


def test_the_tester_asks_for_a_url_when_given_a_blank_one(alice_client):
    response = post_tester(alice_client, NEW_TESTER, "  ", [row("contains", "cart")])

    assert response.status_code == 200
    assert parse(response).by_id("url-test-result").text == "This field is required."


def test_the_tester_works_with_the_csrf_token_the_goal_form_carries(alice):
    browser = signed_in(alice, enforce_csrf_checks=True)
    page = browser.get("/goals/new/")
    token = submitted_values(page)["csrfmiddlewaretoken"]
    data = {**goal_form([row("contains", "cart")]), "url": "https://cart.com/"}

    refused = browser.post(NEW_TESTER, data, headers=HTMX)
    answered = browser.post(NEW_TESTER, {**data, "csrfmiddlewaretoken": token}, headers=HTMX)

    assert refused.status_code == 403
    assert answered.status_code == 200
    assert "Fulfilled" in parse(answered).by_id("url-test-result").text


# --- Without scripts: the saved conditions --------------------------------------------------


def test_without_scripts_the_tester_tests_the_saved_conditions_on_the_edit_page(
    alice_client, cart_goal
):
    response = alice_client.get(f"/goals/{cart_goal.pk}/edit/", {"url": "http://cart.com/"})

    assert result_of(response) == {
        "verdict": "Fulfilled A visit to this URL fulfils the goal.",
        "conditions": ["✓ Matches: URL equals http://cart.com/", "✓ Matches: URL contains cart"],
        "source": "Tested against the saved conditions.",
    }
    assert submitted_values(response)["name"] == "Cart", "the goal form is still there"


def test_the_edit_pages_tester_asks_for_the_saved_conditions_or_with_htmx_the_forms(
    alice_client, cart_goal
):
    form = parse(alice_client.get(f"/goals/{cart_goal.pk}/edit/")).by_id("url-test-form")

    assert (form.attrs["method"], form.attrs["action"]) == ("get", f"/goals/{cart_goal.pk}/edit/")
    assert form.attrs["hx-post"] == url_tester_of(cart_goal)
    assert form.attrs["hx-include"] == "#goal-form"


def test_the_new_goal_pages_tester_waits_for_scripts_which_send_the_form_along(alice_client):
    root = parse(alice_client.get("/goals/new/"))
    form = root.by_id("url-test-form")

    assert "hidden" in root.by_id("url-tester").attrs
    assert form.attrs["hx-post"] == NEW_TESTER
    assert form.attrs["hx-include"] == "#goal-form"


def test_the_tester_says_scheme_and_host_match_in_any_case(alice_client, cart_goal):
    root = parse(alice_client.get(f"/goals/{cart_goal.pk}/edit/"))

    assert "Scheme and host match in any case" in root.by_id("url-tester").text
    assert "the path and query match only as written" in root.by_id("url-tester").text


def test_each_condition_row_says_scheme_and_host_match_in_any_case(alice_client, cart_goal):
    root = parse(alice_client.get(f"/goals/{cart_goal.pk}/edit/"))

    assert root.by_id("id_conditions-0-value_helptext").text == (
        "equals: scheme and host match in any case, the path and query only as written. "
        "contains: the text as written, in the URL with a lower-case scheme and host."
    )


# --- Near misses: why a URL is not fulfilled ------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "url", "hint"),
    [
        (
            ("equals", "https://shop.example/pricing/"),
            PRICING,
            f"Near miss: it would match with a trailing slash: {PRICING}/ matches.",
        ),
        (
            ("equals", PRICING),
            f"{PRICING}/",
            f"Near miss: it would match without the trailing slash: {PRICING} matches.",
        ),
        (
            ("equals", PRICING),
            "http://shop.example/pricing",
            f"Near miss: it would match with https instead of http: {PRICING} matches.",
        ),
        (
            ("equals", PRICING),
            f"{PRICING}?utm_source=chat#plans",
            f"Near miss: it differs only in its query string or fragment: {PRICING} matches.",
        ),
        (
            ("contains", "/Pricing"),
            PRICING,
            "Near miss: it differs only in the case of its path: "
            "https://shop.example/Pricing matches.",
        ),
    ],
    ids=["slash-missing", "slash-too-many", "http", "query-and-fragment", "path-case"],
)
@pytest.mark.parametrize("door", ["saved", "in the form"])
def test_not_fulfilled_shows_the_near_miss(
    alice_client, acme, make_goal, condition, url, hint, door
):
    operator, value = condition
    if door == "saved":
        goal = make_goal(acme, conditions=[{"operator": operator, "value": value}])
        response = alice_client.get(f"/goals/{goal.pk}/edit/", {"url": url})
    else:
        response = post_tester(alice_client, NEW_TESTER, url, [row(operator, value)])

    assert result_of(response)["conditions"] == [f"✗ Does not match: URL {operator} {value} {hint}"]
    assert result_of(response)["verdict"] == "Not fulfilled No condition matches this URL."


def test_fulfilled_shows_no_near_misses(alice_client):
    rows = [row("equals", f"{PRICING}/"), row("contains", "pricing")]

    response = post_tester(alice_client, NEW_TESTER, PRICING, rows)

    assert "Near miss" not in parse(response).by_id("url-test-result").text


def test_a_url_that_misses_in_two_ways_shows_no_near_miss(alice_client):
    response = post_tester(
        alice_client, NEW_TESTER, "http://shop.example/pricing/", [row("equals", PRICING)]
    )

    assert result_of(response)["conditions"] == [f"✗ Does not match: URL equals {PRICING}"]


def test_a_near_miss_url_is_shown_as_text(alice_client):
    response = post_tester(
        alice_client, NEW_TESTER, "https://x.example/<b>", [row("equals", "https://x.example/<b>/")]
    )

    html = response.content.decode()
    assert "<b>" not in html
    assert "<code>https://x.example/&lt;b&gt;/</code> matches." in html


# --- The URL as the tester reads it ---------------------------------------------------------


def test_the_tester_compares_scheme_and_host_in_any_case(alice_client, cart_goal):
    response = alice_client.get(f"/goals/{cart_goal.pk}/edit/", {"url": "HTTP://Cart.COM/"})

    assert result_of(response)["conditions"] == [
        "✓ Matches: URL equals http://cart.com/",
        "✓ Matches: URL contains cart",
    ]


def test_the_tester_reads_the_url_without_the_whitespace_around_it(alice_client, cart_goal):
    response = alice_client.get(f"/goals/{cart_goal.pk}/edit/", {"url": " http://cart.com/\t"})

    assert result_of(response)["conditions"][0] == "✓ Matches: URL equals http://cart.com/"
    assert error_beside(response, "id_url") == ""


# --- Who may use the tester -----------------------------------------------------------------


@pytest.mark.parametrize("path", [NEW_TESTER, "goal"])
def test_anonymous_visitor_is_sent_to_sign_in(client, cart_goal, path):
    path = url_tester_of(cart_goal) if path == "goal" else path

    response = post_tester(client, path, "http://cart.com/", [])

    # The whole page goes to the sign-in page, not the sign-in page into the tester's result.
    assert response.status_code == 200
    assert response["HX-Redirect"].startswith("/accounts/login/")


@pytest.mark.parametrize("path", [NEW_TESTER, "goal"])
def test_agent_is_refused_the_tester(arthur, cart_goal, path):
    path = url_tester_of(cart_goal) if path == "goal" else path

    response = post_tester(signed_in(arthur), path, "http://cart.com/", [])

    assert response.status_code == 403
    assert "cart.com" not in response.content.decode()


def test_another_accounts_administrator_gets_404_for_acmes_goal(bob, cart_goal):
    response = post_tester(signed_in(bob), url_tester_of(cart_goal), "http://cart.com/", [])

    assert response.status_code == 404
    assert "cart.com" not in response.content.decode()


def test_the_tester_answers_only_a_post(alice_client, cart_goal):
    assert (
        alice_client.get(url_tester_of(cart_goal), {"url": "http://cart.com/"}).status_code == 405
    )
    assert alice_client.get(NEW_TESTER, {"url": "http://cart.com/"}).status_code == 405


# --- The goal form, the dashboard's door for the rules' trimming ----------------------------


def test_a_condition_pasted_with_whitespace_around_it_is_saved_trimmed(alice_client):
    form = goal_form([row("equals", f" {PRICING}\n", order="1")], name="Pricing")

    response = alice_client.post("/goals/new/", form)

    assert response.status_code == 302
    goal = Goal.objects.get(name="Pricing")
    assert list(goal.conditions.values_list("operator", "value")) == [("equals", PRICING)]
