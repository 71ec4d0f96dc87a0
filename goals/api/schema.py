"""OpenAPI details that drf-spectacular cannot infer from the views."""

from typing import Any

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiExample, OpenApiResponse
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
        411: "A Transfer-Encoding (a chunked body, say), which is not read: send a Content-Length.",
        413: "The request body is too large (over 256 KiB by default).",
        415: "The body is not JSON.",
        429: "Too many requests (the rate limit) or too many failed sign-ins; see Retry-After.",
        500: "A fault on the server's side; it has been logged.",
    }.items()
}


PRICING_PAGE = {"type": "url", "operator": "contains", "value": "/pricing"}
CHECKOUT_DONE = {
    "type": "url",
    "operator": "equals",
    "value": "https://shop.example/checkout/thanks",
}

# Swagger UI's "Try it out" starts from the first example; without any, it builds a body from the
# schema, whose placeholder "string" is no URL that an "equals" condition accepts. Each example is
# a request that succeeds as it is (tests/goals/api/test_schema_examples.py sends them).
CREATE_EXAMPLES = [
    OpenApiExample(
        "Pricing page or checkout",
        summary="An enabled goal: a visit to the pricing page, or a completed checkout",
        value={
            "name": "Pricing page",
            "description": "Visitors who looked at our prices or completed a checkout",
            "enabled": 1,
            "attribution_model": "first_touch",
            "attribution_period": 15,
            "settings": {"conditions": [PRICING_PAGE, CHECKOUT_DONE]},
        },
        request_only=True,
    ),
    OpenApiExample(
        "Disabled and last touch",
        summary="A disabled goal (outside the active-goal limit), last-touch over a week",
        value={
            "name": "Newsletter sign-up",
            "enabled": 0,
            "attribution_model": "last_touch",
            "attribution_period": 7,
            "settings": {
                "conditions": [
                    {
                        "type": "url",
                        "operator": "equals",
                        "value": "https://shop.example/newsletter/welcome",
                    }
                ]
            },
        },
        request_only=True,
    ),
]

UPDATE_EXAMPLES = [
    OpenApiExample(
        "Rename",
        summary="Change the name only",
        value={"name": "Pricing and checkout"},
        request_only=True,
    ),
    OpenApiExample(
        "Replace the conditions",
        summary="The conditions sent replace all of the goal's conditions",
        value={"settings": {"conditions": [PRICING_PAGE, CHECKOUT_DONE]}},
        request_only=True,
    ),
    OpenApiExample(
        "Switch off",
        summary="Disable the goal, keeping its conditions",
        value={"enabled": 0},
        request_only=True,
    ),
    OpenApiExample(
        "Last touch within a week",
        summary="Credit the last agent who chatted within 7 days",
        value={"attribution_model": "last_touch", "attribution_period": 7},
        request_only=True,
    ),
]


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
