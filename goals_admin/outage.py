"""Pages while the shared cache is out of reach.

A change that the API's caches must hear of (a goal, a user, an API client) is undone when they
cannot be told: its page answers 503, saying so, rather than the 500 page. The API answers the
same in JSON, from its own exception handler (goals.api.errors).
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from goals_admin.shared_cache import OUT_OF_REACH, RETRY_AFTER_SECONDS, report_out_of_reach


class SharedCacheOutageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OUT_OF_REACH):
            return None
        report_out_of_reach(exception)
        response = render(request, "503.html", status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
