"""How a visited URL meets a goal's conditions, on its own: goals.matching, used by every caller."""

from dataclasses import dataclass

import pytest

from goals.matching import condition_matches, goal_is_fulfilled
from goals.models import Condition


@dataclass
class Cond:
    operator: str
    value: str


def equals(value: str) -> Cond:
    return Cond("equals", value)


def contains(value: str) -> Cond:
    return Cond("contains", value)


def test_equals_matches_the_very_same_url():
    assert condition_matches(equals("http://cart.com/"), "http://cart.com/")


@pytest.mark.parametrize(
    ("value", "url"),
    [
        ("http://cart.com/", "HTTP://CART.COM/"),
        ("http://cart.com/", "http://Cart.com/"),
        ("http://cart.com/checkout", "http://cart.com/Checkout"),
    ],
)
def test_equals_minds_the_case(value, url):
    assert not condition_matches(equals(value), url)


def test_equals_minds_the_trailing_slash():
    assert not condition_matches(equals("http://cart.com/"), "http://cart.com")
    assert not condition_matches(equals("http://cart.com"), "http://cart.com/")


def test_equals_minds_the_query_string_and_the_fragment():
    assert not condition_matches(equals("http://cart.com/"), "http://cart.com/?ref=chat")
    assert not condition_matches(equals("http://cart.com/?a=1&b=2"), "http://cart.com/?b=2&a=1")
    assert not condition_matches(equals("http://cart.com/"), "http://cart.com/#top")


def test_equals_does_not_match_a_url_that_merely_contains_the_value():
    assert not condition_matches(equals("http://cart.com/"), "http://cart.com/checkout")
    assert not condition_matches(equals("http://cart.com/"), "https://http://cart.com/")


@pytest.mark.parametrize(
    "url",
    [
        "cart",
        "https://shop.example/cart",
        "https://shop.example/cart/checkout",
        "https://cart.shop.example/",
        "https://shop.example/?next=cart",
        "https://shop.example/#cart",
        "https://shop.example/shoppingcart42",
    ],
)
def test_contains_finds_the_value_anywhere_in_the_url(url):
    assert condition_matches(contains("cart"), url)


@pytest.mark.parametrize(
    "url",
    [
        "https://shop.example/",
        "https://shop.example/CART",
        "https://shop.example/car/t",
        "",
    ],
)
def test_contains_is_a_plain_substring_test_that_minds_the_case(url):
    assert not condition_matches(contains("cart"), url)


def test_contains_takes_special_characters_literally():
    assert condition_matches(contains("?order=*"), "https://shop.example/thanks?order=*")
    assert not condition_matches(contains("?order=*"), "https://shop.example/thanks?order=42")
    assert not condition_matches(contains("/thanks.*"), "https://shop.example/thanks/42")


def test_any_one_condition_met_fulfils_the_goal():
    conditions = [equals("https://shop.example/pricing"), contains("checkout")]

    assert goal_is_fulfilled(conditions, "https://shop.example/pricing")
    assert goal_is_fulfilled(conditions, "https://shop.example/checkout/done")


def test_a_goal_none_of_whose_conditions_is_met_is_not_fulfilled():
    conditions = [equals("https://shop.example/pricing"), contains("checkout")]

    assert not goal_is_fulfilled(conditions, "https://shop.example/pricing/")
    assert not goal_is_fulfilled(conditions, "https://shop.example/about")


@pytest.mark.parametrize("url", ["https://shop.example/", "", "anything at all"])
def test_a_goal_without_conditions_is_never_fulfilled(url):
    assert not goal_is_fulfilled([], url)


def test_conditions_may_come_from_any_iterable():
    conditions = (condition for condition in [contains("nope"), contains("thanks")])

    assert goal_is_fulfilled(conditions, "https://shop.example/thanks")


def test_stored_conditions_match_as_they_are_written(acme, alice, make_goal):
    goal = make_goal(
        acme,
        conditions=[
            {"operator": "equals", "value": "http://cart.com/"},
            {"operator": "contains", "value": "thank-you"},
        ],
    )
    stored = list(Condition.objects.filter(goal=goal))

    assert [condition_matches(c, "http://cart.com/") for c in stored] == [True, False]
    assert [condition_matches(c, "http://cart.com/thank-you") for c in stored] == [False, True]
    assert goal_is_fulfilled(stored, "http://cart.com/")
    assert not goal_is_fulfilled(stored, "http://cart.com")
