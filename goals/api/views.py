"""The /api/v2/goals contract: thin views that parse, call goals.rules and shape the answer."""

from typing import Any

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from goals import rules
from goals.api.cache import goal_json, goals_json
from goals.api.negotiation import AlwaysJSON
from goals.api.schema import CREATE_EXAMPLES, ERROR_RESPONSES, UPDATE_EXAMPLES
from goals.api.serializers import GoalInputSerializer, GoalSerializer
from goals.models import Goal

NO_SUCH_GOAL = "No goal with this id exists in your account."


def parse_goal(request: Request) -> dict[str, Any]:
    # Parsed as partial everywhere: the rules, not the parser, say which fields are required.
    serializer = GoalInputSerializer(data=request.data, partial=True)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def json_response(content: bytes | None) -> HttpResponse:
    # The goals come rendered from goals.api.cache: the bytes go out as they are.
    if content is None:
        raise NotFound(NO_SUCH_GOAL)
    return HttpResponse(content, content_type="application/json")


class GoalApiView(APIView):
    # The goals API speaks only JSON, so it answers JSON whatever the Accept header asks for.
    content_negotiation_class = AlwaysJSON


@extend_schema(tags=["Goals"])
class GoalListView(GoalApiView):
    @extend_schema(
        summary="List goals",
        description="All the goals of your account, in id order.",
        responses={200: GoalSerializer(many=True), **ERROR_RESPONSES},
    )
    def get(self, request: Request) -> HttpResponse:
        return json_response(goals_json(request.user.account))

    @extend_schema(
        summary="Create goal",
        description="An enabled goal past the account's active-goal limit is refused with "
        '"Goals limit exceeded".',
        request=GoalInputSerializer,
        examples=CREATE_EXAMPLES,
        responses={201: GoalSerializer, **ERROR_RESPONSES},
    )
    def post(self, request: Request) -> HttpResponse:
        goal = rules.goal_create(
            account=request.user.account, actor=request.user, **parse_goal(request)
        )
        return Response(GoalSerializer(goal).data, status=status.HTTP_201_CREATED)


@extend_schema(
    tags=["Goals"],
    parameters=[
        # No example: an id that works cannot be known in advance, and one that does not would
        # make "Try it out" answer 404; Swagger UI asks for it instead.
        OpenApiParameter(
            "goal_id",
            int,
            OpenApiParameter.PATH,
            description="The ID of the goal: the `id` that List goals and Create goal answer.",
        )
    ],
)
class GoalDetailView(GoalApiView):
    def get_goal(self) -> Goal:
        try:
            # The rules read the goal's account: fetched with it, once.
            mine = Goal.objects.select_related("account").filter(
                account_id=self.request.user.account_id
            )
            return mine.get(pk=self.kwargs["goal_id"])
        except Goal.DoesNotExist:
            raise NotFound(NO_SUCH_GOAL) from None

    @extend_schema(summary="Show goal", responses={200: GoalSerializer, **ERROR_RESPONSES})
    def get(self, request: Request, goal_id: int) -> HttpResponse:
        return json_response(goal_json(request.user.account, int(goal_id)))

    @extend_schema(
        summary="Update goal",
        description="Changes only the fields sent; settings.conditions, when sent, replaces "
        "all the conditions.",
        request=GoalInputSerializer(partial=True),
        examples=UPDATE_EXAMPLES,
        responses={200: GoalSerializer, **ERROR_RESPONSES},
    )
    def put(self, request: Request, goal_id: int) -> HttpResponse:
        # The rules read the goal again, locked and within its account, so a reference to it is
        # enough; one of another account is no goal of theirs either.
        mentioned = Goal(pk=int(goal_id), account=request.user.account)
        try:
            goal = rules.goal_update(goal=mentioned, actor=request.user, **parse_goal(request))
        except Goal.DoesNotExist:
            raise NotFound(NO_SUCH_GOAL) from None
        return Response(GoalSerializer(goal).data)

    @extend_schema(
        summary="Update goal (PATCH)",
        description="The same as PUT.",
        request=GoalInputSerializer(partial=True),
        examples=UPDATE_EXAMPLES,
        responses={200: GoalSerializer, **ERROR_RESPONSES},
    )
    def patch(self, request: Request, goal_id: int) -> HttpResponse:
        return self.put(request, goal_id)

    @extend_schema(
        summary="Delete goal",
        responses={204: OpenApiResponse(description="Deleted."), **ERROR_RESPONSES},
    )
    def delete(self, request: Request, goal_id: int) -> Response:
        rules.goal_delete(goal=self.get_goal(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
