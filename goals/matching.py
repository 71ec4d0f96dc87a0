"""Whether a visited URL fulfils a goal: the one place that says how conditions match.

URLs are compared in the normal form of RFC 3986, section 6.2.2, so that a value written
`HTTPS://Shop.Example/%7Eann/Pricing` matches the `https://shop.example/~ann/Pricing` a browser
reports:

- case (6.2.2.1): the scheme and the host are compared in lower case, and the hexadecimal digits of
  a percent-encoding in upper case (`%2f` is `%2F`); everything else, the path and the query
  included, keeps its case;
- percent-encoding (6.2.2.2): an encoded unreserved character (letters, digits, `-._~`, section
  2.3) is the character itself (`%7E` is `~`);
- an internationalised host is compared in its ASCII form (IDNA, RFC 5890; RFC 3987, section 3.1):
  `bücher.example` is `xn--bcher-kva.example`.

Nothing else is normalised: not the dot-segments of 6.2.2.3, not the scheme-based rules of 6.2.3
(a default port, an empty path against "/"). A trailing slash, http against https, the query string
and the fragment all count; the URL tester points such near misses out (near_misses).
"""

import re
import string
import unicodedata
from collections.abc import Iterable
from typing import NamedTuple, Protocol

from goals.models import Operator


class ConditionLike(Protocol):
    operator: str
    value: str


class NearMiss(NamedTuple):
    """A way in which a URL misses a condition by one difference: `hint` says which, in words
    that follow "Near miss: ", and `url` is the visited URL with that difference undone, which
    the condition matches."""

    hint: str
    url: str


class ConditionCheck(NamedTuple):
    """One condition against a URL: whether it matched, and its near misses when nothing did."""

    condition: ConditionLike
    matched: bool
    near_misses: list[NearMiss]


class UrlCheck(NamedTuple):
    """A URL against a goal's conditions: whether it fulfils the goal, condition by condition."""

    fulfilled: bool
    conditions: list[ConditionCheck]


def condition_matches(condition: ConditionLike, url: str) -> bool:
    """Whether a visit to `url` meets the condition.

    equals: the URL and the value are the same once both are normalised (normalized_url).
    contains: the value occurs in the normalised URL. The value itself is normalised as a URL when
    it is one (it starts with a scheme and "//"); otherwise only its percent-encodings are, and its
    case is kept, because nothing says which part of a URL a piece of one is. So `/Pricing` finds
    the path /Pricing and not /pricing, while `shop.example` finds the host however the browser
    cased it (hosts are compared in lower case: write them so). An internationalised host is
    looked for in both of its forms: `bücher.example` and `xn--bcher-kva` both find it.
    """
    return _matches(condition, visited_spellings(url))


def goal_is_fulfilled(conditions: Iterable[ConditionLike], url: str) -> bool:
    """Any one condition met fulfils the goal."""
    return GoalMatcher(conditions).fulfilled(visited_spellings(url))


class GoalMatcher:
    """goal_is_fulfilled for one goal's conditions over many URLs: each condition's value is
    normalised once, and each URL once for every goal (visited_spellings)."""

    def __init__(self, conditions: Iterable[ConditionLike]) -> None:
        self._values = [
            (condition.operator == Operator.EQUALS, _value_form(condition))
            for condition in conditions
        ]

    def fulfilled(self, spellings: tuple[str, ...]) -> bool:
        """Whether the URL whose visited_spellings these are fulfils the goal."""
        return any(_met(equals, value, spellings) for equals, value in self._values)


def check_url(conditions: Iterable[ConditionLike], url: str) -> UrlCheck:
    """Whether a visit to `url` fulfils a goal of these conditions, condition by condition; when
    it does not, each condition's near misses (near_misses) say what kept it from matching."""
    spellings = visited_spellings(url)
    matched = [(condition, _matches(condition, spellings)) for condition in conditions]
    fulfilled = any(hit for _, hit in matched)
    return UrlCheck(
        fulfilled,
        [
            ConditionCheck(condition, hit, [] if fulfilled or hit else near_misses(condition, url))
            for condition, hit in matched
        ],
    )


def near_misses(condition: ConditionLike, url: str) -> list[NearMiss]:
    """The single differences that keep `url` from meeting the condition (none if it does).

    Each is tried on the normalised URL, and the changed URL is checked with condition_matches:
    a trailing slash added or taken away; http for https or the reverse; the query string and the
    fragment taken as the value has them (none, if it has none); the path's letters in another
    case (equals: the value's path; contains: where the value occurs but for its case).
    """
    if condition_matches(condition, url):
        return []
    visited = normalized_url(url)
    parts = _split(visited)
    value = _value_form(condition)
    misses = []

    def offer(hint: str, changed: "_Url") -> None:
        changed_url = _join(changed)
        if changed_url != visited and condition_matches(condition, changed_url):
            misses.append(NearMiss(hint, changed_url))

    if parts.path.endswith("/"):
        offer("it would match without the trailing slash", parts._replace(path=parts.path[:-1]))
    else:
        offer("it would match with a trailing slash", parts._replace(path=parts.path + "/"))
    other_scheme = {"http": "https", "https": "http"}.get(parts.scheme or "")
    if other_scheme:
        offer(
            f"it would match with {other_scheme} instead of {parts.scheme}",
            parts._replace(scheme=other_scheme),
        )
    value_parts = _split(value)
    offer(
        "it differs only in its query string or fragment",
        parts._replace(query=value_parts.query, fragment=value_parts.fragment),
    )
    path_case = _path_in_case_of(value, parts, whole=condition.operator == Operator.EQUALS)
    if path_case is not None:
        offer("it differs only in the case of its path", parts._replace(path=path_case))
    return misses


def normalized_url(url: str) -> str:
    """The URL in the normal form this module compares (RFC 3986, 6.2.2.1 and 6.2.2.2, and an
    internationalised host in ASCII): `HTTPS://Shop.Example/%7eann` is
    `https://shop.example/~ann`. Any text is accepted and none is refused; applying it twice
    changes nothing more."""
    if NORMAL_ALREADY.fullmatch(url):
        return url
    return _normalized(url)


# URLs that normalized_url leaves as they are, as most that browsers report are, recognised at
# a fifth of the cost of normalising them: the scheme and the host in lower-case ASCII, no user
# information, no percent-encoding.
NORMAL_ALREADY = re.compile(r"[a-z][a-z0-9+.\-]*://[a-z0-9.\-]*(?::[0-9]*)?(?:[/?#][^%]*)?", re.S)


def _normalized(url: str) -> str:
    parts = _split(_normalized_percent_encoding(url))
    return _join(
        parts._replace(
            scheme=parts.scheme and parts.scheme.lower(),
            authority=parts.authority and _normalized_authority(parts.authority),
        )
    )


def url_host(url: str) -> str:
    """The host of a URL as written (RFC 3986, section 3.2.2): "shop.example" for
    "https://ann@shop.example:8443/"; "" for a URL that has none, such as "https://" or
    "http:///path"."""
    authority = _split(url).authority
    if authority is None:
        return ""
    return _host_and_port(authority.rpartition("@")[2])[0]


# --- The parts of a URL, and their normal form ----------------------------------------------


class _Url(NamedTuple):
    # None for a part that is absent, "" for one that is present and empty ("https://x/?").
    scheme: str | None
    authority: str | None
    path: str
    query: str | None
    fragment: str | None


# RFC 3986, appendix B: splits any text into the five parts, and never fails.
_URL_PARTS = re.compile(r"(?:([^:/?#]+):)?(?://([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?", re.S)
# A value of `contains` normalised as a whole URL: one that starts with a scheme and "//".
_ABSOLUTE_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://")


def _split(url: str) -> _Url:
    return _Url(*_URL_PARTS.fullmatch(url).groups())


def _join(parts: _Url) -> str:
    return "".join(
        (
            "" if parts.scheme is None else f"{parts.scheme}:",
            "" if parts.authority is None else f"//{parts.authority}",
            parts.path,
            "" if parts.query is None else f"?{parts.query}",
            "" if parts.fragment is None else f"#{parts.fragment}",
        )
    )


_UNRESERVED = frozenset(string.ascii_letters + string.digits + "-._~")
_PERCENT_ENCODED = re.compile(r"%([0-9A-Fa-f]{2})")
_HALF_A_PERCENT_ENCODING = re.compile(r"(?:%|%[0-9A-Fa-f])\Z")


def _normalized_percent_encoding(text: str) -> str:
    """RFC 3986, 6.2.2.1 and 6.2.2.2: %7e is ~, %2f is %2F."""
    result = ""
    position = 0
    for encoded in _PERCENT_ENCODED.finditer(text):
        result += text[position : encoded.start()]
        position = encoded.end()
        character = chr(int(encoded[1], 16))
        # "%%34" is not "%4": a decoded digit that would complete a stray "%" before it into a
        # new percent-encoding stays encoded, so that normalising twice changes nothing more.
        stays_encoded = character not in _UNRESERVED or (
            character in string.hexdigits and _HALF_A_PERCENT_ENCODING.search(result[-2:])
        )
        result += encoded[0].upper() if stays_encoded else character
    return result + text[position:]


_PORT = re.compile(r":[0-9]*\Z")


def _host_and_port(host_and_port: str) -> tuple[str, str]:
    """The host and the port: ("shop.example", ":8443") for "shop.example:8443", ("[::1]", "")
    for "[::1]"."""
    port = _PORT.search(host_and_port)
    if port is None:
        return host_and_port, ""
    return host_and_port[: port.start()], port[0]


def _normalized_authority(authority: str) -> str:
    # The user information keeps its case: only the host is case-insensitive (RFC 3986, 3.2).
    userinfo, at, host_and_port = authority.rpartition("@")
    host, port = _host_and_port(host_and_port)
    return f"{userinfo}{at}{_ascii_host(host)}{port}"


# The full stops that IDNA takes for "." (RFC 3490, section 3.1).
_IDNA_DOTS = re.compile("[\u3002\uff0e\uff61]")
# IDNA 2003, which the standard library's codec follows, maps these to other letters ("faß" to
# "fass"); browsers follow UTS 46 without its transitional processing, and keep them.
_IDNA_DEVIATIONS = frozenset("ßς\u200c\u200d")
_ASCII_HOST = re.compile(r"[a-z0-9\-.]*")


def _ascii_host(host: str) -> str:
    if host.startswith("["):  # an IP literal (RFC 3986, 3.2.2)
        return host.lower()
    return ".".join(_ascii_label(label) for label in _IDNA_DOTS.sub(".", host).split("."))


def _ascii_label(label: str) -> str:
    if label.isascii():
        return label.lower()
    if not _IDNA_DEVIATIONS.intersection(label):
        try:
            encoded = label.encode("idna").decode("ascii")
        except UnicodeError:
            pass  # too long, or a character IDNA 2003 does not know: encoded as it stands below
        else:
            # Its mapping turns some characters into ASCII that would change the URL's parts
            # (the fullwidth solidus, U+FF0F, into "/"): such a label keeps its own characters.
            if _ASCII_HOST.fullmatch(encoded):
                return encoded
    return "xn--" + unicodedata.normalize("NFC", label.lower()).encode("punycode").decode("ascii")


def _unicode_host(host: str) -> str:
    """The host with its ASCII-encoded labels (xn--) shown in Unicode, as far as they decode."""
    return ".".join(_unicode_label(label) for label in host.split("."))


def _unicode_label(label: str) -> str:
    if label.startswith("xn--"):
        try:
            return label[4:].encode("ascii").decode("punycode")
        except UnicodeError:
            pass  # not valid punycode: the label stays as it is
    return label


# --- Matching -------------------------------------------------------------------------------


def visited_spellings(url: str) -> tuple[str, ...]:
    """The visited URL normalised; then, if its host is internationalised, the same with the host
    in Unicode, for `contains` values that write it so: what conditions are matched against."""
    visited = normalized_url(url)
    if "xn--" not in visited:
        return (visited,)
    parts = _split(visited)
    if parts.authority is None or "xn--" not in parts.authority:
        return (visited,)
    userinfo, at, host_and_port = parts.authority.rpartition("@")
    host, port = _host_and_port(host_and_port)
    in_unicode = _join(parts._replace(authority=f"{userinfo}{at}{_unicode_host(host)}{port}"))
    return (visited, in_unicode)


def _value_form(condition: ConditionLike) -> str:
    if condition.operator == Operator.EQUALS or _ABSOLUTE_URL.match(condition.value):
        return normalized_url(condition.value)
    return _normalized_percent_encoding(condition.value)


def _matches(condition: ConditionLike, spellings: tuple[str, ...]) -> bool:
    return _met(condition.operator == Operator.EQUALS, _value_form(condition), spellings)


def _met(equals: bool, value: str, spellings: tuple[str, ...]) -> bool:
    if equals:
        return spellings[0] == value
    return any(value in spelling for spelling in spellings)


def _path_in_case_of(value: str, parts: _Url, *, whole: bool) -> str | None:
    """The URL's path with some of its letters in another case, such that the value then is the
    URL (whole) or occurs in it, all else alike; None if there is no such path."""
    if whole:
        value_parts = _split(value)
        same_but_path = value_parts._replace(path=parts.path) == parts
        if same_but_path and value_parts.path.lower() == parts.path.lower():
            return value_parts.path
        return None
    url = _join(parts)
    needle, haystack = value.lower(), url.lower()
    if not value or len(needle) != len(value) or len(haystack) != len(url):
        return None  # a letter whose lower case is longer: the places would not line up
    path_start = len(_join(parts._replace(path="", query=None, fragment=None)))
    path_end = path_start + len(parts.path)
    start = haystack.find(needle)
    while start != -1:
        end = start + len(value)
        # Only the letters within the path may differ in case; outside it, the value must be
        # the URL's very text.
        low, high = max(start, path_start), min(end, path_end)
        if (
            low < high
            and url[start:low] == value[: low - start]
            and url[high:end] == value[high - start :]
        ):
            changed = url[:start] + value + url[end:]
            return changed[path_start:path_end]
        start = haystack.find(needle, start + 1)
    return None
