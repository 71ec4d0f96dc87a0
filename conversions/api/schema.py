"""OpenAPI details of the conversions API that drf-spectacular cannot infer from the views."""

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse

from conversions.api.queries import MAX_LIMIT
from goals.api.schema import ERROR_RESPONSES as GOALS_ERROR_RESPONSES
from goals.api.schema import ErrorSerializer

ERROR_RESPONSES = {
    **GOALS_ERROR_RESPONSES,
    400: OpenApiResponse(
        ErrorSerializer,
        description='Invalid input, with messages by item and field such as "[3].timestamp"; '
        "nothing was stored.",
    ),
    404: OpenApiResponse(ErrorSerializer, description="No such chat or goal in your account."),
    413: OpenApiResponse(ErrorSerializer, description="The request body is too large."),
}

# Each example is a request that succeeds as it is (tests/goals/api/test_schema_examples.py);
# drf-spectacular sends an example of a list's item as a list of that one item.
PAGE_VIEW_EXAMPLES = [
    OpenApiExample(
        "A page view",
        value={
            "id": "pv-1",
            "visitor_id": "v-9",
            "url": "https://shop.example/checkout/thanks",
            "timestamp": "2026-11-30T10:00:00Z",
            "title": "Thanks",
        },
        request_only=True,
    ),
    OpenApiExample(
        "A time in seconds since the epoch",
        value={
            "id": "pv-2",
            "visitor_id": "v-9",
            "url": "https://shop.example/pricing",
            "timestamp": 1764496680,
        },
        request_only=True,
    ),
]

CHAT_EXAMPLES = [
    OpenApiExample(
        "A chat with one agent",
        value={
            "id": "2611.30.chat-1",
            "type": "chat",
            "timestamp": "2026-11-30T09:40:00Z",
            "visitor": {"id": "v-9", "name": "Visitor 9"},
            "missed": False,
            "agent_ids": [361089721035],
            "agent_names": ["Sam"],
            "department_id": 7,
            "department_name": "Sales",
            "history": [
                {
                    "type": "chat.msg",
                    "nick": "visitor",
                    "name": "Visitor 9",
                    "timestamp": "2026-11-30T09:40:00Z",
                    "msg": "Do you ship to Norway?",
                },
                {
                    "type": "chat.msg",
                    "nick": "agent:361089721035",
                    "name": "Sam",
                    "timestamp": "2026-11-30T09:41:00Z",
                    "msg": "We do, in three days.",
                },
            ],
            "webpath": [
                {
                    "from": "https://www.search.example/",
                    "to": "https://shop.example/",
                    "title": "Shop",
                    "timestamp": "2026-11-30T09:35:00Z",
                }
            ],
        },
        request_only=True,
    )
]


def _limit() -> OpenApiParameter:
    return OpenApiParameter(
        "limit",
        int,
        description=f"At most this many conversions (1 to {MAX_LIMIT:,}; default {MAX_LIMIT:,}).",
    )


def incremental_parameters() -> list[OpenApiParameter]:
    return [
        OpenApiParameter(
            "start_time",
            int,
            required=True,
            description="Seconds since the epoch: conversions updated at or after it (0: all).",
        ),
        OpenApiParameter(
            "start_id",
            str,
            description="With start_time, conversions after this id at that second: the "
            "previous page's end_id.",
        ),
        _limit(),
    ]


def cursor_parameters() -> list[OpenApiParameter]:
    return [
        OpenApiParameter("cursor", str, description="From the previous page's next_page."),
        _limit(),
    ]
