"""Parse the API's request bodies and shape its goals; goals.rules decides what is acceptable."""

from typing import Any

from rest_framework import serializers

from goals import rules
from goals.api.fields import JsonFlag, JsonInteger, JsonString
from goals.models import (
    ATTRIBUTION_PERIOD_MAX,
    ATTRIBUTION_PERIOD_MIN,
    CONDITION_VALUE_MAX_LENGTH,
    DESCRIPTION_MAX_LENGTH,
    NAME_MAX_LENGTH,
    AttributionModel,
    ConditionType,
    Operator,
)

# Some clients (zenpy's update, for one) send nested fields flattened into dotted keys.
FLATTENED_CONDITIONS = "settings.conditions"


# Plain serializers, not ModelSerializers: these shape every answer, and a ModelSerializer works
# its fields out from the model each time it is made, which cost more than the rest of a write.
class ConditionSerializer(serializers.Serializer):
    type = serializers.ChoiceField(ConditionType.choices, read_only=True)
    operator = serializers.ChoiceField(Operator.choices, read_only=True)
    value = serializers.CharField(read_only=True)


class SettingsSerializer(serializers.Serializer):
    conditions = ConditionSerializer(many=True, read_only=True, source="conditions_in_order")


class GoalSerializer(serializers.Serializer):
    """A goal as the API shows it."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True, max_length=NAME_MAX_LENGTH)
    description = serializers.CharField(read_only=True, max_length=DESCRIPTION_MAX_LENGTH)
    enabled = JsonFlag(read_only=True)
    attribution_model = serializers.ChoiceField(AttributionModel.choices, read_only=True)
    attribution_period = serializers.IntegerField(
        read_only=True,
        min_value=ATTRIBUTION_PERIOD_MIN,
        max_value=ATTRIBUTION_PERIOD_MAX,
        help_text="Days, from 1 to 30.",
    )
    settings = SettingsSerializer(source="*", read_only=True)


class ConditionInputSerializer(serializers.Serializer):
    type = JsonString(
        required=False,
        openapi={"type": "string", "enum": ConditionType.values, "default": ConditionType.URL},
    )
    operator = JsonString(openapi={"type": "string", "enum": Operator.values})
    # The examples here make the body that Swagger UI builds from the schema alone a valid one:
    # its operator is the first choice, "equals", which a URL satisfies (and so does "contains").
    value = JsonString(
        help_text='With "equals", a URL starting with "http://" or "https://".',
        openapi={
            "type": "string",
            "minLength": 1,
            "maxLength": CONDITION_VALUE_MAX_LENGTH,
            "examples": ["https://shop.example/checkout/thanks"],
        },
    )


class SettingsInputSerializer(serializers.Serializer):
    conditions = ConditionInputSerializer(
        many=True,
        required=False,
        help_text=f"Replaces all the goal's conditions, in this order; at most "
        f"{rules.MAX_CONDITIONS}. Any one condition met fulfils the goal.",
    )


class GoalInputSerializer(serializers.Serializer):
    """A goal as a client sends it; every field but name on create may be left out."""

    name = JsonString(
        openapi={
            "type": "string",
            "minLength": 1,
            "maxLength": NAME_MAX_LENGTH,
            "examples": ["Completed checkout"],
        }
    )
    description = JsonString(
        required=False,
        openapi={
            "type": "string",
            "maxLength": DESCRIPTION_MAX_LENGTH,
            "examples": ["Visitors who reached the checkout's thank-you page"],
        },
    )
    enabled = JsonFlag(required=False)
    attribution_model = JsonString(
        required=False, openapi={"type": "string", "enum": AttributionModel.values}
    )
    attribution_period = JsonInteger(
        required=False,
        openapi={
            "type": "integer",
            "minimum": ATTRIBUTION_PERIOD_MIN,
            "maximum": ATTRIBUTION_PERIOD_MAX,
            "examples": [15],
        },
    )
    settings = SettingsInputSerializer(required=False, source="*")

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if isinstance(data, dict) and FLATTENED_CONDITIONS in data and "settings" not in data:
            data = {**data, "settings": {"conditions": data[FLATTENED_CONDITIONS]}}
        return super().to_internal_value(data)
