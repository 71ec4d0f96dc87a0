"""The shapes of the conversions API: what it answers, and the request bodies it documents.

The request bodies are read by conversions.inputs, not by these serializers: they describe the
items for the schema only.
"""

from datetime import datetime

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from conversions.models import ID_MAX_LENGTH, NAME_MAX_LENGTH, TITLE_MAX_LENGTH, URL_MAX_LENGTH


def iso_utc(moment: datetime) -> str:
    """A UTC moment in ISO 8601, ending in "Z": "2026-11-30T10:00:00Z"."""
    return moment.isoformat().replace("+00:00", "Z")


@extend_schema_field({"type": "string", "format": "date-time"})
class TimestampField(serializers.Field):
    """A moment as the API answers it: ISO 8601 in UTC (iso_utc)."""

    def to_representation(self, value: datetime) -> str:
        return iso_utc(value)


@extend_schema_field(
    {
        "type": ["string", "number"],
        "description": 'ISO 8601 with a time zone, such as "2026-11-30T10:00:00Z", or a number '
        "of seconds since the epoch.",
        "example": "2026-11-30T10:00:00Z",
    }
)
class SentTimestampField(serializers.Field):
    """A moment as a client sends it (conversions.inputs.timestamp reads it)."""


@extend_schema_field(
    {
        "type": ["integer", "string"],
        "description": "An integer, or its digits.",
        "example": 361089721035,
    }
)
class SentIdNumberField(serializers.Field):
    """An agent's or department's id as Zendesk Chat sends it: an integer, or its digits."""


@extend_schema_field(
    {
        "type": "string",
        "format": "uri",
        "maxLength": URL_MAX_LENGTH,
        "description": "An absolute http(s) URL.",
        "example": "https://shop.example/pricing",
    }
)
class SentUrlField(serializers.Field):
    """A page's URL as a client sends it (conversions.inputs reads it)."""


class AttributionSerializer(serializers.Serializer):
    agent_id = serializers.IntegerField(help_text="The agent credited with the conversion.")
    agent_name = serializers.CharField(allow_blank=True)
    department_id = serializers.IntegerField(allow_null=True)
    department_name = serializers.CharField(allow_blank=True)
    chat_timestamp = TimestampField(help_text="When the agent first wrote in the chat.")


class ConversionSerializer(serializers.Serializer):
    """A conversion from a Conversion row's values (Conversion.objects.values())."""

    id = serializers.CharField(source="conversion_id", help_text="Stable for a goal and a chat.")
    goal_id = serializers.IntegerField()
    goal_name = serializers.CharField()
    timestamp = TimestampField(help_text="When the visitor met the goal.")
    update_timestamp = TimestampField(help_text="When this conversion last changed.")
    visitor_id = serializers.CharField()
    chat_id = serializers.CharField(help_text="The chat credited with the conversion.")
    url = serializers.CharField(help_text="The page view that met the goal.")
    # source="*": the row itself, through one nested serializer for the whole page (a serializer
    # made for each row copies its fields each time: most of a page's time).
    attribution = AttributionSerializer(source="*")


class ConversionPageSerializer(serializers.Serializer):
    conversions = ConversionSerializer(many=True)
    count = serializers.IntegerField(help_text="How many conversions this page has.")
    next_page = serializers.URLField(
        allow_null=True, help_text="The next page's address; null on the last page."
    )


class IncrementalConversionsSerializer(ConversionPageSerializer):
    end_time = serializers.IntegerField(
        allow_null=True,
        help_text="The last conversion's update_timestamp in seconds since the epoch: the next "
        "page's start_time.",
    )
    end_id = serializers.CharField(
        allow_null=True, help_text="The last conversion's id: the next page's start_id."
    )


class PageViewSerializer(serializers.Serializer):
    id = serializers.CharField(max_length=ID_MAX_LENGTH, help_text="Unique within the account.")
    visitor_id = serializers.CharField(max_length=ID_MAX_LENGTH)
    url = SentUrlField()
    timestamp = SentTimestampField()
    title = serializers.CharField(
        max_length=TITLE_MAX_LENGTH, required=False, allow_blank=True, allow_null=True
    )


class PageViewsReceivedSerializer(serializers.Serializer):
    received = serializers.IntegerField()
    created = serializers.IntegerField()
    duplicates = serializers.IntegerField(
        help_text="Page views whose id the account already had: they changed nothing."
    )


class VisitorSerializer(serializers.Serializer):
    id = serializers.CharField(max_length=ID_MAX_LENGTH)


@extend_schema_field(
    {
        "type": "object",
        "description": "An item of the chat's history, kept as sent. An agent's message, whose "
        '"type" is "chat.msg" and "nick" is "agent:<agent id>", needs a "timestamp" and may '
        'carry the agent\'s "name"; other items are not read.',
        "properties": {"type": {}, "nick": {}, "name": {}, "timestamp": {}, "msg": {}},
        "example": {
            "type": "chat.msg",
            "nick": "agent:361089721035",
            "name": "Sam",
            "timestamp": "2026-11-30T09:41:00Z",
            "msg": "We do, in three days.",
        },
    }
)
class HistoryItemField(serializers.Field):
    """An item of a chat's history (conversions.inputs reads its agents' messages)."""


class WebpathItemSerializer(serializers.Serializer):
    to = SentUrlField()
    title = serializers.CharField(
        max_length=TITLE_MAX_LENGTH, required=False, allow_blank=True, allow_null=True
    )
    timestamp = SentTimestampField()


class ChatSerializer(serializers.Serializer):
    id = serializers.CharField(max_length=ID_MAX_LENGTH)
    type = serializers.ChoiceField(["chat", "offline_msg"], required=False, allow_null=True)
    timestamp = SentTimestampField()
    visitor = VisitorSerializer()
    missed = serializers.BooleanField(required=False, allow_null=True)
    agent_ids = serializers.ListField(child=SentIdNumberField(), required=False, allow_null=True)
    agent_names = serializers.ListField(
        child=serializers.CharField(max_length=NAME_MAX_LENGTH, allow_blank=True),
        required=False,
        allow_null=True,
    )
    department_id = SentIdNumberField(required=False, allow_null=True)
    department_name = serializers.CharField(
        max_length=NAME_MAX_LENGTH, required=False, allow_null=True, allow_blank=True
    )
    history = serializers.ListField(child=HistoryItemField(), required=False, allow_null=True)
    webpath = WebpathItemSerializer(many=True, required=False, allow_null=True)


class ChatsReceivedSerializer(serializers.Serializer):
    received = serializers.IntegerField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField(help_text="Chats that replaced a different stored one.")


class StoredChatSerializer(ChatSerializer):
    conversions = ConversionSerializer(
        many=True, help_text="The last 20 conversions credited to the chat, newest first."
    )
