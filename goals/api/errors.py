"""Every error under /api/ is a JSON object: {"error": title, "description": sentence[, "details"]}.

The DRF exception handler shapes the API views' errors, including the rules' ValidationError and
GoalLimitExceeded; the Django handlers below do the same for what never reaches a DRF view (an
unknown address, a crash), so that no HTML page is ever served under /api/.
"""

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, views
from rest_framework.response import Response
from rest_framework.settings import api_settings

from goals.rules import GoalLimitExceeded
from infra.json_errors import API_PREFIX, error_body


class GoalsLimitExceededError(exceptions.APIException):
    status_code = 400
    title = "Goals limit exceeded"  # the reference's words
    default_code = "goals_limit_exceeded"


class InvalidJSONError(exceptions.ParseError):
    title = "Invalid JSON"


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's exception handler, with the rules' errors mapped in and every body in one shape."""
    exc = _as_api_exception(exc)
    response = views.exception_handler(exc, context)
    if response is None:
        return None  # a crash: Django's 500 handler below answers it
    if isinstance(exc, exceptions.ValidationError):
        reading = context["request"].method in ("GET", "HEAD")
        response.data = error_body(
            400,
            "Correct the parameters listed in details."
            if reading
            else "Nothing was saved: correct the fields listed in details.",
            details=_flatten(exc.detail),
        )
    else:
        description = str(exc.detail)
        if isinstance(exc, exceptions.UnsupportedMediaType):
            description += ' Send JSON with the header "Content-Type: application/json".'
        response.data = error_body(
            response.status_code, description, title=getattr(exc, "title", None)
        )
    return response


def error_details(error: Exception) -> dict[str, list[str]]:
    """The messages of a validation error, a parser's (DRF) or the rules' (Django), keyed as the
    API's error bodies key them: {"settings.conditions[1].value": [messages]}; "" for the
    messages of the whole."""
    return _flatten(_as_api_exception(error).detail)


def _as_api_exception(exc: Exception) -> Exception:
    if isinstance(exc, GoalLimitExceeded):
        return GoalsLimitExceededError(str(exc))
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(
            {_api_field_name(field): messages for field, messages in exc.message_dict.items()}
        )
    if isinstance(exc, ObjectDoesNotExist):
        return exceptions.NotFound("No goal with this id exists in your account.")
    if type(exc) is exceptions.ParseError:
        return InvalidJSONError(exc.detail)
    return exc


def _api_field_name(rules_field: str) -> str:
    # The rules speak of a goal's conditions; the API nests them under settings.
    return f"settings.{rules_field}" if rules_field.startswith("conditions") else rules_field


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error structure as {"settings.conditions[1].value": [messages]}."""
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            flat.update(_flatten(value, _error_key(prefix, key)))
        return flat
    if isinstance(detail, list) and all(isinstance(item, str) for item in detail):
        return {prefix: [str(item) for item in detail]}
    if isinstance(detail, list):
        flat = {}
        for index, item in enumerate(detail):
            flat.update(_flatten(item, _error_key(prefix, index)))
        return flat
    return {prefix: [str(detail)]}


def _error_key(prefix: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{prefix}[{key}]"  # an item of a list
    if key == api_settings.NON_FIELD_ERRORS_KEY and prefix:
        return prefix  # what is wrong with a nested value as a whole is said of that value
    return f"{prefix}.{key}" if prefix else key


def _json_under_api(
    default_view: Callable[..., HttpResponse], status: int, description: str
) -> Callable[..., HttpResponse]:
    """A Django error view that answers JSON under /api/ and the default page elsewhere."""

    @csrf_exempt
    def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.path.startswith(API_PREFIX):
            return JsonResponse(error_body(status, description), status=status)
        return default_view(request, *args, **kwargs)

    return view


bad_request = _json_under_api(defaults.bad_request, 400, "The request could not be understood.")
permission_denied = _json_under_api(
    defaults.permission_denied, 403, "You may not do this with your credentials."
)
page_not_found = _json_under_api(
    defaults.page_not_found, 404, "There is no API endpoint at this address."
)
server_error = _json_under_api(
    defaults.server_error, 500, "Something went wrong on our side; it has been logged."
)
