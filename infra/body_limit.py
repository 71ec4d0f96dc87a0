from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from infra.json_errors import API_PREFIX, error_body


class BodySizeLimitMiddleware:
    """Refuse a request whose body is over REQUEST_BODY_LIMIT bytes with 413, before any parser
    reads it (DRF reads the stream itself, past Django's own DATA_UPLOAD_MAX_MEMORY_SIZE)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.REQUEST_BODY_LIMIT
        if length <= limit:
            return self.get_response(request)
        description = f"The request body is {length} bytes; at most {limit} are accepted."
        if request.path.startswith(API_PREFIX):
            return JsonResponse(error_body(413, description), status=413)
        return HttpResponse(description, status=413, content_type="text/plain; charset=utf-8")
