"""Conditions as people write them, through the API: a value pasted with whitespace around it,
and an equals URL without a host.

The rules decide both (tests/goals/test_rules.py); here, what a client of /api/v2/goals sees: the
value it sent answered and stored trimmed, and a hostless URL refused under its condition's key.
"""

from dataclasses import dataclass
from typing import Any

import pytest

from goals.models import Condition, Goal
from tests.helpers.api import Api

GOALS = "/api/v2/goals"
NOTHING_SAVED = "Nothing was saved: correct the fields listed in details."
CART = {"type": "url", "operator": "contains", "value": "cart"}


def no_host(scheme: str) -> list[str]:
    return [
        f'The URL has no host: write one after "{scheme}://", '
        f'as in "{scheme}://shop.example/pricing".'
    ]


def stored() -> tuple[list[dict], list[dict]]:
    return list(Goal.objects.order_by("id").values()), list(
        Condition.objects.order_by("id").values()
    )


@pytest.fixture
def thanks(acme, make_goal) -> Goal:
    return make_goal(acme, name="Thanks", conditions=[CART])


@dataclass
class Write:
    """Sends conditions by one of the writes: create a goal (POST), or replace Thanks' conditions
    (PUT or PATCH), under settings.conditions or under the flattened key."""

    api: Api
    method: str
    path: str

    @property
    def creates(self) -> bool:
        return self.method == "POST"

    def __call__(self, conditions: list[dict[str, Any]], *, flattened: bool = False) -> Any:
        if flattened:
            settings = {"settings.conditions": conditions}
        else:
            settings = {"settings": {"conditions": conditions}}
        return self.api.request(self.method, self.path, {"name": "Thanks", **settings})


@pytest.fixture(params=["POST", "PUT", "PATCH"])
def send(request: pytest.FixtureRequest, alice_api: Api, thanks: Goal) -> Write:
    path = GOALS if request.param == "POST" else f"{GOALS}/{thanks.pk}"
    return Write(alice_api, request.param, path)


@pytest.mark.parametrize(
    "pasted",
    [
        "https://shop.example/thanks ",
        " https://shop.example/thanks",
        "https://shop.example/thanks\t",
        "https://shop.example/thanks\r\n",
        "\n\t https://shop.example/thanks \n",
    ],
    ids=["trailing-space", "leading-space", "tab", "line-break", "all-around"],
)
@pytest.mark.parametrize("operator", ["equals", "contains"])
def test_a_value_with_whitespace_around_is_answered_and_stored_trimmed(
    alice_api, send, pasted, operator
):
    response = send([{"type": "url", "operator": operator, "value": pasted}])

    assert response.status_code == (201 if send.creates else 200), response.content
    trimmed = {"type": "url", "operator": operator, "value": "https://shop.example/thanks"}
    assert response.json()["settings"]["conditions"] == [trimmed]
    shown_later = alice_api.get(f"{GOALS}/{response.json()['id']}").json()
    assert shown_later["settings"]["conditions"] == [trimmed]
    assert list(Condition.objects.filter(goal_id=response.json()["id"]).values_list("value")) == [
        ("https://shop.example/thanks",)
    ]


def test_a_flattened_condition_value_is_trimmed_too(send):
    response = send([{"operator": "equals", "value": " https://shop.example/ "}], flattened=True)

    assert response.json()["settings"]["conditions"] == [
        {"type": "url", "operator": "equals", "value": "https://shop.example/"}
    ]


def test_an_equals_value_is_answered_as_written_apart_from_the_whitespace(send):
    response = send([{"operator": "equals", "value": "\tHTTPS://Shop.Example/%7Eann\n"}])

    assert response.json()["settings"]["conditions"][0]["value"] == "HTTPS://Shop.Example/%7Eann"


@pytest.mark.parametrize(
    ("value", "scheme"),
    [("https://", "https"), ("http:///thanks", "http"), (" HTTPS:// ", "https")],
)
@pytest.mark.parametrize("flattened", [False, True], ids=["nested", "flattened"])
def test_an_equals_value_without_a_host_is_refused_under_its_condition(
    send, value, scheme, flattened
):
    before = stored()

    response = send([CART, {"operator": "equals", "value": value}], flattened=flattened)

    assert response.status_code == 400
    assert response.json() == {
        "error": "Invalid input",
        "description": NOTHING_SAVED,
        "details": {"settings.conditions[1].value": no_host(scheme)},
    }
    assert stored() == before


def test_a_contains_value_need_not_have_a_host(send):
    response = send([{"operator": "contains", "value": "https://"}])

    assert response.status_code in (200, 201)
    assert response.json()["settings"]["conditions"][0]["value"] == "https://"
