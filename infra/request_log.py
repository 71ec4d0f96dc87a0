import logging
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

logger = logging.getLogger("goals_admin.requests")

# The format of the line that Python's http.server writes for each request it answered
# (BaseHTTPRequestHandler.log_request), which Django's runserver sends to the django.server logger.
RUNSERVER_REQUEST_LINE = '"%s" %s %s'


class RequestLogMiddleware:
    """One log line a request: method, path, status and duration.

    Only the path is written: never the query string, headers or body, where a password or a token
    could travel.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        milliseconds = (time.perf_counter() - started) * 1000
        logger.info(
            "%s %s %s %.1fms", request.method, request.path, response.status_code, milliseconds
        )
        return response


class NoRunserverRequestLines(logging.Filter):
    """Drop runserver's own line for each request: RequestLogMiddleware writes one already.

    Under runserver (`make run`) each request would be printed twice, and runserver's line
    carries the query string, which the request log never writes. Its other messages pass.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return record.msg != RUNSERVER_REQUEST_LINE
