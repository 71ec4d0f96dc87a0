"""How a visited URL meets a goal's conditions, on its own: goals.matching, used by every caller."""

from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from goals import matching
from goals.matching import (
    NearMiss,
    check_url,
    condition_matches,
    goal_is_fulfilled,
    near_misses,
    normalized_url,
    url_host,
)
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
        ("http://cart.com/checkout", "http://cart.com/Checkout"),
        ("https://shop.example/Pricing", "https://shop.example/pricing"),
        ("https://shop.example/p?plan=Pro", "https://shop.example/p?plan=pro"),
        ("https://shop.example/p#Top", "https://shop.example/p#top"),
        ("https://ann@shop.example/", "https://ANN@shop.example/"),
    ],
)
def test_equals_minds_the_case_of_all_but_scheme_and_host(value, url):
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


# --- URLs compared in their normal form (RFC 3986, section 6.2.2) ---------------------------


@pytest.mark.parametrize(
    ("value", "url"),
    [
        ("HTTPS://Shop.Example/Pricing", "https://shop.example/Pricing"),
        ("http://cart.com/", "HTTP://CART.COM/"),
        ("http://cart.com/", "http://Cart.com/"),
        ("https://SHOP.example:8443/x", "https://shop.example:8443/x"),
        ("https://ann@Shop.Example/", "https://ann@shop.example/"),
        ("http://[2001:DB8::1]/", "http://[2001:db8::1]/"),
    ],
)
def test_equals_ignores_the_case_of_the_scheme_and_the_host(value, url):
    assert condition_matches(equals(value), url)


@pytest.mark.parametrize(
    ("value", "url"),
    [
        ("https://shop.example/%7Eann/", "https://shop.example/~ann/"),
        ("https://shop.example/~ann/", "https://shop.example/%7eann/"),
        ("https://shop.example/%70ricing", "https://shop.example/pricing"),
        ("https://shop.example/a%2Db%5Fc%2Ed", "https://shop.example/a-b_c.d"),
        ("https://shop.example/?q=%41%31", "https://shop.example/?q=A1"),
        ("https://%73hop.example/", "https://shop.example/"),
    ],
)
def test_equals_takes_an_encoded_unreserved_character_for_the_character(value, url):
    assert condition_matches(equals(value), url)


def test_equals_ignores_the_case_of_the_hex_digits_of_an_encoding():
    assert condition_matches(equals("https://shop.example/a%2fb"), "https://shop.example/a%2Fb")
    assert condition_matches(
        equals("https://shop.example/caf%c3%a9"), "https://shop.example/caf%C3%A9"
    )


@pytest.mark.parametrize(
    ("value", "url"),
    [
        ("https://shop.example/a%2Fb", "https://shop.example/a/b"),
        ("https://shop.example/p%3Fq", "https://shop.example/p?q"),
        ("https://shop.example/a%20b", "https://shop.example/a b"),
        ("https://shop.example/%7E", "https://shop.example/%7F"),
    ],
)
def test_equals_keeps_an_encoded_reserved_character_apart_from_the_character(value, url):
    assert not condition_matches(equals(value), url)


@pytest.mark.parametrize(
    ("value", "url"),
    [
        ("https://bücher.example/", "https://xn--bcher-kva.example/"),
        ("https://BÜCHER.example/", "https://xn--bcher-kva.example/"),
        ("https://xn--bcher-kva.example/", "https://bücher.example/"),
        ("https://XN--BCHER-KVA.EXAMPLE/", "https://xn--bcher-kva.example/"),
        ("https://münchen.de/wiesn", "https://xn--mnchen-3ya.de/wiesn"),
        ("https://例え.テスト/", "https://xn--r8jz45g.xn--zckzah/"),
        ("https://faß.de/", "https://xn--fa-hia.de/"),
        ("https://bücher。example/", "https://xn--bcher-kva.example/"),
    ],
)
def test_equals_takes_an_international_host_for_its_punycode_form(value, url):
    assert condition_matches(equals(value), url)


def test_equals_still_minds_a_default_port_and_dot_segments():
    assert not condition_matches(equals("https://shop.example:443/"), "https://shop.example/")
    assert not condition_matches(equals("https://shop.example/a/../b"), "https://shop.example/b")


@pytest.mark.parametrize(
    "url",
    [
        "https://shop.example/Pricing",
        "HTTPS://SHOP.EXAMPLE/Pricing",
        "https://shop.example/%50ricing",
        "https://shop.example/Pricing/annual",
    ],
)
def test_contains_finds_a_path_in_its_own_case_however_the_url_is_encoded(url):
    assert condition_matches(contains("/Pricing"), url)


def test_contains_does_not_find_a_path_in_another_case():
    assert not condition_matches(contains("/Pricing"), "https://shop.example/pricing")


@pytest.mark.parametrize(
    "url", ["https://shop.example/", "https://SHOP.Example/x", "HTTPS://Shop.Example:8443/"]
)
def test_contains_finds_a_host_however_the_browser_cased_it(url):
    assert condition_matches(contains("shop.example"), url)


def test_contains_value_written_as_a_whole_url_is_compared_in_its_normal_form():
    condition = contains("HTTPS://Shop.Example/%7Eann/")

    assert condition_matches(condition, "https://shop.example/~ann/orders?id=3")
    assert not condition_matches(condition, "https://shop.example/~Ann/orders")


def test_contains_takes_an_encoded_unreserved_character_for_the_character():
    assert condition_matches(contains("/~ann"), "https://shop.example/%7Eann/")
    assert condition_matches(contains("/%7eann"), "https://shop.example/~ann/")


@pytest.mark.parametrize("value", ["bücher.example", "xn--bcher-kva", "https://BÜCHER.example/"])
@pytest.mark.parametrize("url", ["https://xn--bcher-kva.example/", "https://bücher.example/"])
def test_contains_finds_an_international_host_in_either_of_its_forms(value, url):
    assert condition_matches(contains(value), url)


@pytest.mark.parametrize(
    ("url", "normal"),
    [
        (
            "HTTPS://Shop.Example/%7eann/Pricing?Q=%4a#Top",
            "https://shop.example/~ann/Pricing?Q=J#Top",
        ),
        ("https://Ann:Secret@Shop.Example:8443/", "https://Ann:Secret@shop.example:8443/"),
        ("https://bücher.example/", "https://xn--bcher-kva.example/"),
        ("https://", "https://"),
        ("https://shop.example", "https://shop.example"),
        ("https://shop.example/?", "https://shop.example/?"),
        ("/Pricing", "/Pricing"),
        ("100%", "100%"),
        ("%%341", "%%341"),
        ("", ""),
    ],
)
def test_normalized_url_lowers_only_scheme_and_host_and_decodes_only_unreserved(url, normal):
    assert normalized_url(url) == normal


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://ann@Shop.Example:8443/x", "Shop.Example"),
        ("http://[::1]:8000/", "[::1]"),
        ("https://shop.example", "shop.example"),
        ("https://", ""),
        ("http:///thanks", ""),
        ("https://:443/", ""),
        ("https://ann@/", ""),
        ("https://?next=/", ""),
        ("/pricing", ""),
    ],
)
def test_url_host_is_the_host_as_written_or_empty(url, host):
    assert url_host(url) == host


# Properties, over any text and over URLs made of the parts browsers report.

host_labels = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=10)
hosts = st.lists(host_labels, min_size=1, max_size=3).map(".".join)
path_text = st.text(alphabet="abcXYZ019-._~/%!$&'()*+,;=:@", max_size=20)
queries = st.one_of(st.just(""), path_text.map(lambda text: "?" + text))
schemes = st.sampled_from(["http", "https"])
tricky_text = st.text(alphabet="%0123456789aAfFgG~/:?#@[]xn-.ßüÜ。 \t", max_size=30)


def recased(text: str, flips: list[bool]) -> str:
    """The text with the letters the flips pick in the other case."""
    return "".join(
        char.swapcase() if index < len(flips) and flips[index] else char
        for index, char in enumerate(text)
    )


@settings(max_examples=300, deadline=None, database=None)
@given(
    scheme=schemes,
    host=hosts,
    path=path_text,
    query=queries,
    flips=st.lists(st.booleans(), max_size=40),
)
def test_a_url_equals_itself_with_its_scheme_and_host_in_another_case(
    scheme, host, path, query, flips
):
    url = f"{scheme}://{host}/{path}{query}"
    other = f"{recased(scheme, flips)}://{recased(host, flips[len(scheme) :])}/{path}{query}"

    assert condition_matches(equals(other), url)
    assert condition_matches(equals(url), other)
    assert condition_matches(contains(host), other)


@settings(max_examples=300, deadline=None, database=None)
# Without "%": the hex digits of a percent-encoding are the one part of a path whose case does not
# count (RFC 3986, 6.2.2.1).
@given(
    scheme=schemes,
    host=hosts,
    path=path_text.filter(lambda p: "%" not in p and p.lower() != p.upper()),
)
def test_a_url_does_not_equal_itself_with_its_path_in_another_case(scheme, host, path):
    url = f"{scheme}://{host}/{path}"

    assert not condition_matches(equals(f"{scheme}://{host}/{path.swapcase()}"), url)


@settings(max_examples=500, deadline=None, database=None)
@given(
    text=st.one_of(
        st.text(), tricky_text, st.builds("{}://{}/{}".format, schemes, hosts, path_text)
    )
)
def test_normalizing_any_text_once_is_enough(text):
    once = normalized_url(text)

    assert normalized_url(once) == once


@settings(max_examples=1000, deadline=None, database=None)
@given(
    url=st.one_of(
        st.from_regex(matching.NORMAL_ALREADY, fullmatch=True),
        st.text(),
        tricky_text,
        st.builds("{}://{}/{}".format, schemes, hosts, path_text),
        st.builds("{}://{}/{}%{:02x}".format, schemes, hosts, path_text, st.integers(0, 255)),
    )
)
def test_the_shortcut_for_urls_normal_already_gives_what_normalising_gives(url):
    assert normalized_url(url) == matching._normalized(url)


@settings(max_examples=300, deadline=None, database=None)
@given(
    url=st.one_of(st.text(), tricky_text, st.builds("{}://{}/{}".format, schemes, hosts, path_text))
)
def test_every_near_miss_is_a_url_the_condition_matches(url):
    for condition in [equals("https://shop.example/Pricing/"), contains("/Pricing?a=1")]:
        misses = near_misses(condition, url)
        assert misses == [] or not condition_matches(condition, url)
        for miss in misses:
            assert condition_matches(condition, miss.url)


# --- Near misses: why a URL does not match, as the URL tester shows it ----------------------


@pytest.mark.parametrize(
    ("condition", "url", "miss"),
    [
        (
            equals("https://shop.example/pricing"),
            "https://shop.example/pricing/",
            NearMiss("it would match without the trailing slash", "https://shop.example/pricing"),
        ),
        (
            equals("https://shop.example/pricing/"),
            "https://Shop.Example/pricing",
            NearMiss("it would match with a trailing slash", "https://shop.example/pricing/"),
        ),
        (
            equals("https://shop.example/"),
            "https://shop.example",
            NearMiss("it would match with a trailing slash", "https://shop.example/"),
        ),
        (
            contains("/pricing/"),
            "https://shop.example/pricing?plan=pro",
            NearMiss(
                "it would match with a trailing slash", "https://shop.example/pricing/?plan=pro"
            ),
        ),
    ],
)
def test_near_miss_a_trailing_slash_too_many_or_too_few(condition, url, miss):
    assert near_misses(condition, url) == [miss]


@pytest.mark.parametrize(
    ("value", "url", "miss"),
    [
        (
            "https://shop.example/pricing",
            "http://shop.example/pricing",
            NearMiss("it would match with https instead of http", "https://shop.example/pricing"),
        ),
        (
            "http://shop.example/pricing",
            "https://shop.example/pricing",
            NearMiss("it would match with http instead of https", "http://shop.example/pricing"),
        ),
    ],
)
def test_near_miss_http_against_https(value, url, miss):
    assert near_misses(equals(value), url) == [miss]
    assert near_misses(contains(value), url) == [miss]


@pytest.mark.parametrize(
    ("condition", "url", "matching_url"),
    [
        (
            equals("https://shop.example/thanks"),
            "https://shop.example/thanks?utm_source=chat",
            "https://shop.example/thanks",
        ),
        (
            equals("https://shop.example/thanks?order=1"),
            "https://shop.example/thanks?order=2",
            "https://shop.example/thanks?order=1",
        ),
        (
            equals("https://shop.example/thanks"),
            "https://shop.example/thanks#receipt",
            "https://shop.example/thanks",
        ),
        (
            contains("/thanks?step=done"),
            "https://shop.example/thanks?step=2",
            "https://shop.example/thanks?step=done",
        ),
    ],
)
def test_near_miss_only_the_query_string_or_the_fragment(condition, url, matching_url):
    assert near_misses(condition, url) == [
        NearMiss("it differs only in its query string or fragment", matching_url)
    ]


@pytest.mark.parametrize(
    ("condition", "url", "matching_url"),
    [
        (
            equals("https://shop.example/Pricing"),
            "https://shop.example/pricing",
            "https://shop.example/Pricing",
        ),
        (contains("/Pricing"), "https://shop.example/pricing", "https://shop.example/Pricing"),
        (
            contains("shop.example/Pricing?plan=pro"),
            "https://SHOP.example/PRICING?plan=pro",
            "https://shop.example/Pricing?plan=pro",
        ),
    ],
)
def test_near_miss_only_the_case_of_the_path(condition, url, matching_url):
    assert near_misses(condition, url) == [
        NearMiss("it differs only in the case of its path", matching_url)
    ]


@pytest.mark.parametrize(
    ("condition", "url"),
    [
        (contains("PLAN=PRO"), "https://shop.example/pricing?plan=pro"),
        (equals("https://other.example/pricing"), "https://shop.example/pricing"),
    ],
)
def test_no_near_miss_for_a_case_that_differs_outside_the_path_or_for_another_host(condition, url):
    assert near_misses(condition, url) == []


def test_no_near_miss_for_a_url_that_differs_in_two_ways():
    condition = equals("https://shop.example/pricing")

    assert near_misses(condition, "http://shop.example/pricing/") == []
    assert near_misses(condition, "https://shop.example/Pricing/?utm=1") == []


def test_no_near_miss_for_a_url_that_matches():
    assert near_misses(equals("https://shop.example/"), "HTTPS://Shop.Example/") == []


def test_check_url_shows_near_misses_only_while_no_condition_matches():
    conditions = [equals("https://shop.example/pricing"), contains("checkout")]

    missed = check_url(conditions, "https://shop.example/pricing/")
    fulfilled = check_url(conditions, "https://shop.example/pricing/checkout")

    assert not missed.fulfilled
    assert [(c.matched, c.near_misses) for c in missed.conditions] == [
        (
            False,
            [NearMiss("it would match without the trailing slash", "https://shop.example/pricing")],
        ),
        (False, []),
    ]
    assert fulfilled.fulfilled
    assert [(c.matched, c.near_misses) for c in fulfilled.conditions] == [(False, []), (True, [])]
