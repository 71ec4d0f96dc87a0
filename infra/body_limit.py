from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from infra.json_errors import API_PREFIX, error_body

View = Callable[..., HttpResponse]


def allow_body(setting: str) -> Callable[[View], View]:
    """Let a view take bodies up to the number of bytes that the setting named gives, in place
    of REQUEST_BODY_LIMIT: for the views that receive batches."""

    def decorate(view: View) -> View:
        view.body_limit_setting = setting
        return view

    return decorate


class BodySizeLimitMiddleware:
    """Refuse a request whose body is over its view's limit (REQUEST_BODY_LIMIT bytes unless the
    view says otherwise with allow_body) with 413, before any parser reads it (DRF reads the
    stream itself, past Django's own DATA_UPLOAD_MAX_MEMORY_SIZE)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: View, args: Any, kwargs: Any
    ) -> HttpResponse | None:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = getattr(settings, getattr(view, "body_limit_setting", "REQUEST_BODY_LIMIT"))
        if length <= limit:
            return None
        description = f"The request body is {length} bytes; at most {limit} are accepted."
        if request.path.startswith(API_PREFIX):
            return JsonResponse(error_body(413, description), status=413)
        return render(request, "413.html", {"description": description}, status=413)
