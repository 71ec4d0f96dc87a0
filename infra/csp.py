"""The Content-Security-Policy of every answer: django-csp's, from the settings, for pages, and
one fixed policy for JSON.

A JSON document runs no script and loads nothing, so it gets the strictest policy there is (as
GitHub's API answers), with framing refused too, which default-src does not cover. And a fixed
header costs nothing, where django-csp builds the policy from the settings for every answer:
more than the rest of a cached API read.
"""

from typing import Any

from csp.constants import HEADER
from csp.middleware import CSPMiddleware as SettingsCSPMiddleware

JSON_POLICY = "default-src 'none'; frame-ancestors 'none'"


class CSPMiddleware(SettingsCSPMiddleware):
    def process_response(self, request: Any, response: Any) -> Any:
        if HEADER in response:  # a view's own policy
            return response
        content_type = response.get("Content-Type", "").partition(";")[0].strip()
        if content_type == "application/json":
            response.headers.setdefault(HEADER, JSON_POLICY)
            return response
        return super().process_response(request, response)
