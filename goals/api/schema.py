"""OpenAPI details that drf-spectacular cannot infer from the views."""

from typing import Any

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    error = serializers.CharField(help_text='A short title, such as "Goals limit exceeded".')
    description = serializers.CharField(help_text="One sentence on what went wrong.")
    details = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text='For invalid input: messages by field, such as "settings.conditions[0].value".',
    )


ERROR_RESPONSES = {
    status: OpenApiResponse(ErrorSerializer, description=description)
    for status, description in {
        400: 'Invalid input, or "Goals limit exceeded"; nothing was saved.',
        401: "No valid credentials (HTTP Basic with email and password, or a bearer token).",
        403: "Not an administrator of the account (operators work in the Django admin).",
        404: "No such goal in your account.",
        405: "Method not allowed.",
        413: "The request body is too large (over 256 KiB by default).",
        415: "The body is not JSON.",
        429: "Too many requests (the rate limit) or too many failed sign-ins; see Retry-After.",
        500: "A fault on the server's side; it has been logged.",
    }.items()
}


def document_canonical_paths(endpoints: list[tuple], **kwargs: Any) -> list[tuple]:
    """Document each route once, without the trailing slash that it also accepts."""
    return [
        (path.rstrip("/"), path_regex, method, callback)
        for path, path_regex, method, callback in endpoints
    ]


class BasicAuthScheme(OpenApiAuthenticationExtension):
    target_class = "goals.api.authentication.BasicAuthentication"
    name = "basicAuth"

    def get_security_definition(self, auto_schema: Any) -> dict:
        return {"type": "http", "scheme": "basic"}


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "goals.api.authentication.BearerAuthentication"
    name = "oauth2"

    def get_security_definition(self, auto_schema: Any) -> dict:
        return {
            "type": "oauth2",
            "description": "Bearer tokens of an API client, from its id and secret.",
            "flows": {
                "clientCredentials": {
                    "tokenUrl": "/oauth2/token",
                    "scopes": settings.OAUTH2_PROVIDER["SCOPES"],
                }
            },
        }
