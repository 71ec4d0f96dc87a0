"""The tracking snippet's rules: an account's site key and origins, and storing what its pages
send. Every door (the Tracking page, the collect endpoint, the ingest worker) goes through here.
"""

import ipaddress
import re
import secrets
import socket
from urllib.parse import SplitResult, urlsplit

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Account
from conversions.ingest import PageViewsReceived, page_views_ingest
from goals.matching import normalized_url, url_host
from tracking.models import MAX_ORIGINS, ORIGIN_MAX_LENGTH, Site
from tracking.selectors import forget_sites

DEFAULT_PORTS = {"http": ":80", "https": ":443"}


def site_of(account: Account) -> Site:
    """The account's Site, made with a new site key on first use."""
    site = Site.objects.filter(account=account).first()
    if site is not None:
        return site
    try:
        with transaction.atomic():
            return Site.objects.create(account=account, site_key=new_site_key())
    except IntegrityError:  # made meanwhile by another request
        return Site.objects.get(account=account)


def new_site_key() -> str:
    """A random site key: 22 URL-safe characters (128 bits)."""
    return secrets.token_urlsafe(16)


def site_key_replace(*, account: Account) -> Site:
    """Give the account's site a new key: pages that still send the old one are refused."""
    with transaction.atomic():
        site = Site.objects.select_for_update().get(pk=site_of(account).pk)
        old_key, site.site_key = site.site_key, new_site_key()
        site.save(update_fields=["site_key"])
    # Once committed: the collect endpoint's cached look-ups (tracking.selectors).
    forget_sites(old_key, site.site_key)
    return site


def origins_set(*, account: Account, origins: list[str]) -> Site:
    """Replace the account's allowed origins with `origins` (texts as typed: "https://Shop.example/"
    is kept as "https://shop.example"), in the order given, each once.

    Raises ValidationError keyed "origins", one message a refused origin, and changes nothing.
    """
    kept: list[str] = []
    problems: list[str] = []
    for text in (text.strip() for text in origins):
        if not text:
            continue
        problem = origin_problem(text)
        if problem is not None:
            problems.append(f"“{text[:80]}”: {problem}")
        elif (origin := origin_of(text)) not in kept:
            kept.append(origin)
    if len(kept) > MAX_ORIGINS:
        problems.append(f"List at most {MAX_ORIGINS} origins; there are {len(kept)}.")
    if problems:
        raise ValidationError({"origins": problems})
    with transaction.atomic():
        site = Site.objects.select_for_update().get(pk=site_of(account).pk)
        site.origins = kept
        site.save(update_fields=["origins"])
    forget_sites(site.site_key)
    return site


def origin_problem(text: str) -> str | None:
    """What keeps `text` from being a website's origin, in one sentence; None when it is one:
    "http" or "https", "://", a host and an optional port, and nothing after but a "/"."""
    if len(text) > ORIGIN_MAX_LENGTH:
        return f"An origin has at most {ORIGIN_MAX_LENGTH} characters."
    if any(character.isspace() for character in text):
        return "An origin has no spaces."
    parts = _split(text)
    if parts is None or parts.scheme not in DEFAULT_PORTS or "//" not in text:
        return 'Write the scheme and the host, as in "https://shop.example".'
    if "*" in text:
        return "List each host on a line of its own: wildcards are not supported."
    if parts.username is not None or parts.password is not None:
        return 'An origin has no user name: remove the part before "@".'
    if not parts.hostname:
        return 'Write a host after "://", as in "https://shop.example".'
    if _host(parts) is None:
        return "Browsers refuse this host: write a domain name or an IP address."
    if parts.path not in ("", "/") or parts.query or parts.fragment or text.endswith(("?", "#")):
        return "An origin is the scheme, the host and the port only: remove the path."
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        return "The port has to be a number from 1 to 65535."
    return None


def origin_of(url: str) -> str | None:
    """The origin of an http(s) URL as browsers send it in the Origin header (RFC 6454, section
    6.2; the host as the URL Standard writes it, section 3.7): the scheme and the host in lower
    case, a domain in ASCII (punycode), an IPv6 address in its shortest form, the port only when
    it is not the scheme's default. "HTTPS://Shop.Example:443/cart" gives "https://shop.example".
    None for a URL without one (another scheme, no host or one that browsers refuse, a bad
    port)."""
    parts = _split(url)
    if parts is None or parts.scheme not in DEFAULT_PORTS:
        return None
    try:
        port = parts.port
    except ValueError:
        return None
    host = _host(parts)
    if host is None:
        return None
    shown_port = "" if port is None or f":{port}" == DEFAULT_PORTS[parts.scheme] else f":{port}"
    return f"{parts.scheme}://{host}{shown_port}"


# What the URL Standard forbids in a domain (section 3.5, "forbidden domain code point"), of what
# urlsplit lets through.
_FORBIDDEN_IN_DOMAIN = re.compile(r'[\x00-\x20"#%/:<>?@\[\\\]^|\x7f]')
_DIGITS = re.compile(r"[0-9]+")


def _host(parts: SplitResult) -> str | None:
    """The URL's host as browsers write it, or None where they refuse it."""
    hostname = parts.hostname
    if not hostname:
        return None
    if parts.netloc.rpartition("@")[2].startswith("["):
        if "%" in hostname:  # a zone ("%25eth0"), which browsers refuse
            return None
        try:
            return f"[{ipaddress.IPv6Address(hostname).compressed}]"
        except ValueError:
            return None
    if _FORBIDDEN_IN_DOMAIN.search(hostname):
        return None
    host = url_host(normalized_url(f"http://{hostname}"))  # a domain in ASCII (IDNA)
    if not host.isascii():
        return None
    labels = host.removesuffix(".").split(".")
    if _DIGITS.fullmatch(labels[-1]):
        # A host that ends in a number is an IPv4 address, which browsers write in full:
        # "127.1" is 127.0.0.1; "shop.123" is no host at all.
        if not all(_DIGITS.fullmatch(label) for label in labels):
            return None
        try:
            return socket.inet_ntoa(socket.inet_aton(host.removesuffix(".")))
        except OSError:
            return None
    return host


def _split(url: str) -> SplitResult | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return parts._replace(scheme=parts.scheme.lower())


def page_views_collect(*, account: Account, items: list[dict]) -> PageViewsReceived:
    """Store page views that the snippet sent to the account (conversions.ingest, which credits
    their conversions) and count them on its Site, in one transaction. A page view sent again (a
    retried beacon, a batch the ingest worker flushes twice) is a duplicate: stored once, counted
    once. Raises ValidationError (conversions.inputs) and stores nothing for an invalid batch."""
    with transaction.atomic():
        received = page_views_ingest(account=account, items=items)
        if received.created:
            Site.objects.filter(account=account).update(
                page_views_received=F("page_views_received") + received.created,
                last_received_at=timezone.now(),
                # The items come in the order they arrived: the last is the latest.
                last_received_url=items[-1]["url"],
            )
    return received
