"""The collect endpoint: the page views that the tracking script (static/tracking/goals.js)
sends from the pages of an account's website, with the account's public site key in the path.

Plain Django, not the REST framework: it is the most asked address of the product, takes no
credentials, and answers with no body when all goes well. A request is refused, and nothing
stored, for an unknown key (404), an origin the account has not listed (403, with no CORS
headers, so the browser does not let the page read the answer), an address past its rate (429)
and a body that is no page view (400), in that order. Crawlers (by their user agent) get 200 and
a word that nothing was counted.
"""

import json
import time
from datetime import datetime
from typing import Any

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from accounts.models import Account
from conversions.access_log import is_crawler
from conversions.inputs import item_error_field, parse_page_views
from infra.body_limit import allow_body
from infra.csp import JSON_POLICY
from infra.json_errors import error_body
from infra.rate import count_request, parse_rate
from tracking import rules, stream
from tracking.selectors import site_by_key

ALLOWED_METHODS = "POST, OPTIONS"
BEACON_FIELDS = ("id", "visitor_id", "url", "title")


@csrf_exempt
@allow_body("TRACKING_BODY_LIMIT")
def collect(request: HttpRequest, site_key: str) -> HttpResponse:
    """POST /api/collect/<site_key>: one page view, as a JSON object {"id", "visitor_id", "url",
    "title"} in a body of any content type (a beacon sends text/plain, which needs no CORS
    preflight). 204 when it is stored or queued; OPTIONS answers a CORS preflight."""
    # Stamped before any lookup: a slow first lookup would otherwise date this page view after
    # the visitor's next ones.
    arrived = timezone.now()
    if request.method not in ("POST", "OPTIONS"):
        response = _error(405, "Send page views with POST.", {})
        response["Allow"] = ALLOWED_METHODS
        return response
    site = site_by_key(site_key)
    if site is None:
        description = "No website has this site key: copy the snippet from the Tracking page."
        return _error(404, description, {})
    account_id, origins = site
    origin = rules.origin_of(request.headers.get("Origin", ""))
    if origin is None or origin not in origins:
        return _error(
            403,
            f"Pages of {origin or 'this origin'} may not send page views with this site key: "
            "list the origin on the Tracking page.",
            {},
        )
    cors = {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
    if request.method == "OPTIONS":
        return _answer(_no_content(), cors | _PREFLIGHT)
    rate, period = parse_rate(settings.TRACKING_RATE_LIMIT)
    count, window_ends = count_request(f"tracking-{_address(request)}", period, time.time())
    if count is not None and count > rate:
        response = _error(429, "Too many page views from this address: try again later.", cors)
        response["Retry-After"] = str(max(1, int(window_ends - time.time())))
        return response
    agent = request.headers.get("User-Agent", "")
    if not agent or is_crawler(agent):
        ignored = JsonResponse({"ignored": "Page views of crawlers are not counted."})
        return _answer(ignored, cors)
    try:
        page_view = beacon_page_view(request.body, origin, arrived)
    except ValidationError as error:
        description = "Nothing was stored: correct the fields listed in details."
        return _error(400, description, cors, details=error.message_dict)
    if not stream.append(account_id, page_view):
        rules.page_views_collect(account=Account(pk=account_id), items=[page_view])
    return _answer(_no_content(), cors)


def beacon_page_view(body: bytes, origin: str, arrived: datetime) -> dict[str, Any]:
    """The page view a beacon's body describes, stamped with `arrived` (aware), as
    conversions.inputs reads page views: {"id", "visitor_id", "url", "timestamp"[, "title"]}.

    The page's URL must be on the origin that sent it. Raises ValidationError keyed by the
    beacon's fields ("url"), or "body" for a body that is not a JSON object.
    """
    try:
        sent = json.loads(body)
    except (ValueError, RecursionError):  # not JSON, or nested past what Python reads
        sent = None
    if not isinstance(sent, dict):
        raise ValidationError(
            {"body": ['Send a JSON object: {"id", "visitor_id", "url"} and an optional "title".']}
        )
    page_view = {name: sent[name] for name in BEACON_FIELDS if sent.get(name) is not None}
    page_view["timestamp"] = arrived.isoformat()
    try:
        parse_page_views([page_view])
    except ValidationError as error:
        raise ValidationError(
            {
                (item_error_field(key) or (0, key))[1]: messages
                for key, messages in error.message_dict.items()
            }
        ) from None
    if rules.origin_of(page_view["url"]) != origin:
        raise ValidationError({"url": [f"The page's URL has to be on {origin}, which sent it."]})
    return page_view


_PREFLIGHT = {
    "Access-Control-Allow-Methods": ALLOWED_METHODS,
    "Access-Control-Allow-Headers": "Content-Type",
    "Access-Control-Max-Age": "86400",
}


def _address(request: HttpRequest) -> str:
    # The client's own address behind PROXY_COUNT proxies, as the sign-in lockouts count it.
    return get_client_ip_address(request) or ""


def _no_content() -> HttpResponse:
    response = HttpResponse(status=204)
    del response["Content-Type"]  # there is no content to have a type
    return response


def _error(status: int, description: str, headers: dict[str, str], **extra: Any) -> HttpResponse:
    return _answer(JsonResponse(error_body(status, description, **extra), status=status), headers)


def _answer(response: HttpResponse, headers: dict[str, str]) -> HttpResponse:
    # A fixed policy, which the CSP middleware keeps: JSON or nothing runs no script.
    response["Content-Security-Policy"] = JSON_POLICY
    # Readable by pages that isolate themselves (Cross-Origin-Embedder-Policy), where the
    # browser would otherwise report each beacon's answer as blocked.
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    for name, value in headers.items():
        response[name] = value
    return response
