"""The conversions API: page views and chats in, conversions out. Thin views over
conversions.ingest (writes) and conversions.selectors (reads)."""

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from conversions import ingest, selectors
from conversions.api.queries import cursor_query, incremental_query
from conversions.api.schema import (
    CHAT_EXAMPLES,
    ERROR_RESPONSES,
    PAGE_VIEW_EXAMPLES,
    cursor_parameters,
    incremental_parameters,
)
from conversions.api.serializers import (
    ChatSerializer,
    ChatsReceivedSerializer,
    ConversionPageSerializer,
    ConversionSerializer,
    IncrementalConversionsSerializer,
    PageViewSerializer,
    PageViewsReceivedSerializer,
    StoredChatSerializer,
)
from conversions.selectors import Page
from goals.api.views import GoalApiView

NO_SUCH_CHAT = "No chat with this id exists in your account."
NO_SUCH_GOAL = "No goal with this id exists in your account, and none had conversions."


def page_response(request: Request, page: Page, **extra: object) -> Response:
    next_page = (
        request.build_absolute_uri(f"{request.path}?{page.next_query}") if page.next_query else None
    )
    return Response(
        {
            "conversions": ConversionSerializer(page.rows, many=True).data,
            "count": len(page.rows),
            "next_page": next_page,
            **extra,
        }
    )


@extend_schema(tags=["Conversions"])
class PageViewsView(GoalApiView):
    @extend_schema(
        summary="Send page views",
        description="Up to 1,000 page views. A page view whose id the account already has is a "
        "duplicate and changes nothing. A batch with an invalid item is refused whole, with "
        'details such as "[3].timestamp"; nothing of it is stored.',
        request=PageViewSerializer(many=True),
        examples=PAGE_VIEW_EXAMPLES,
        responses={200: PageViewsReceivedSerializer, **ERROR_RESPONSES},
    )
    def post(self, request: Request) -> Response:
        received = ingest.page_views_ingest(account=request.user.account, items=request.data)
        return Response(PageViewsReceivedSerializer(received).data)


@extend_schema(tags=["Conversions"])
class ChatsView(GoalApiView):
    @extend_schema(
        summary="Send chats",
        description="Up to 200 chat objects in Zendesk Chat's shape, kept as sent; a chat sent "
        "again replaces the one stored. Its agents' messages are its touches, and its webpath "
        "items are page views of its visitor. A batch with an invalid item is refused whole.",
        request=ChatSerializer(many=True),
        examples=CHAT_EXAMPLES,
        responses={200: ChatsReceivedSerializer, **ERROR_RESPONSES},
    )
    def post(self, request: Request) -> Response:
        received = ingest.chats_ingest(account=request.user.account, items=request.data)
        return Response(ChatsReceivedSerializer(received).data)


@extend_schema(
    tags=["Conversions"],
    parameters=[OpenApiParameter("chat_id", str, OpenApiParameter.PATH)],
)
class ChatDetailView(GoalApiView):
    @extend_schema(
        summary="Show chat",
        description="The chat as it was last sent, with the last 20 conversions credited to it, "
        "newest first.",
        responses={200: StoredChatSerializer, **ERROR_RESPONSES},
    )
    def get(self, request: Request, chat_id: str) -> Response:
        chat = selectors.chat_with_conversions(request.user.account, chat_id)
        if chat is None:
            raise NotFound(NO_SUCH_CHAT)
        data, conversions = chat
        return Response({**data, "conversions": ConversionSerializer(conversions, many=True).data})


@extend_schema(tags=["Conversions"])
class IncrementalConversionsView(GoalApiView):
    @extend_schema(
        summary="Incremental conversions export",
        description="The account's conversions in the order of their update_timestamp, then id, "
        "from start_time (and after start_id). Follow next_page until it is null to read every "
        "conversion once; later, start from the last end_time and end_id to read what changed.",
        parameters=incremental_parameters(),
        responses={200: IncrementalConversionsSerializer, **ERROR_RESPONSES},
    )
    def get(self, request: Request) -> HttpResponse:
        page = selectors.conversions_updated_since(
            request.user.account, **incremental_query(request.query_params)
        )
        return page_response(request, page, end_time=page.end_time, end_id=page.end_id)


@extend_schema(
    tags=["Conversions"],
    parameters=[OpenApiParameter("goal_id", int, OpenApiParameter.PATH)],
)
class GoalConversionsView(GoalApiView):
    @extend_schema(
        summary="List a goal's conversions",
        description="The goal's conversions in the order of their timestamp, a page at a time: "
        "follow next_page until it is null. A deleted goal's conversions stay listed here.",
        parameters=cursor_parameters(),
        responses={200: ConversionPageSerializer, **ERROR_RESPONSES},
    )
    def get(self, request: Request, goal_id: str) -> HttpResponse:
        page = selectors.goal_conversions(
            request.user.account, int(goal_id), **cursor_query(request.query_params)
        )
        if page is None:
            raise NotFound(NO_SUCH_GOAL)
        return page_response(request, page)
