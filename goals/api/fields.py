"""Serializer fields that check only a value's JSON type.

Whether a value is acceptable (length, range, choices) is for goals.rules to say, so that the API,
the pages and the Django admin refuse the same things with the same words. The bounds still appear
in the OpenAPI schema, which each field carries as given.
"""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


class JsonValue(serializers.Field):
    default_error_messages = {"invalid": "Not a valid {kind}."}
    kind = "value"

    def __init__(self, *, openapi: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        extend_schema_field(openapi)(self)

    def to_internal_value(self, data: Any) -> Any:
        if not self.is_of_kind(data):
            self.fail("invalid", kind=self.kind)
        return data

    def to_representation(self, value: Any) -> Any:
        return value

    def is_of_kind(self, data: Any) -> bool:
        raise NotImplementedError


class JsonString(JsonValue):
    kind = "string"

    def is_of_kind(self, data: Any) -> bool:
        return isinstance(data, str)


class JsonInteger(JsonValue):
    kind = "integer"

    def is_of_kind(self, data: Any) -> bool:
        # JSON's true and false arrive as Python's bool, which is an int too.
        return isinstance(data, int) and not isinstance(data, bool)


class JsonFlag(JsonValue):
    """A switch, sent as 0, 1, true or false and answered as the integer 0 or 1."""

    default_error_messages = {"invalid": "Must be 0, 1, true or false."}
    accepted = (0, 1, True, False)

    def __init__(self, **kwargs: Any) -> None:
        read = {"type": "integer", "enum": [0, 1]}
        super().__init__(
            openapi=read if kwargs.get("read_only") else {"oneOf": [read, {"type": "boolean"}]},
            **kwargs,
        )

    def is_of_kind(self, data: Any) -> bool:
        return isinstance(data, int) and data in self.accepted

    def to_internal_value(self, data: Any) -> bool:
        return bool(super().to_internal_value(data))

    def to_representation(self, value: bool) -> int:
        return int(value)
