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
    stream itself, past Django's own DATA_UPLOAD_MAX_MEMORY_SIZE), and one with a
    Transfer-Encoding, such as a chunked body, with 411."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: View, args: Any, kwargs: Any
    ) -> HttpResponse | None:
        if "HTTP_TRANSFER_ENCODING" in request.META:
            # Django reads a body of CONTENT_LENGTH bytes, and none without one: a chunked body
            # (which gunicorn passes on without a length) was read as empty, and a PUT of it
            # answered 200 with nothing changed. A Transfer-Encoding overrides any
            # Content-Length (RFC 9112, section 6.3), so neither is believed: 411 Length
            # Required (RFC 9110, section 15.5.12), in JSON, as browsers send no such body.
            description = (
                "Send the body with a Content-Length header and no Transfer-Encoding: a chunked "
                "body is not read, and nothing was saved."
            )
            return JsonResponse(error_body(411, description), status=411)
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
