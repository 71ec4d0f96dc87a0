from django.urls import re_path

from conversions.api.views import (
    ChatDetailView,
    ChatsView,
    GoalConversionsView,
    IncrementalConversionsView,
    PageViewsView,
)
from infra.body_limit import allow_body

# As the goals API: each route with or without a trailing slash, never redirected.
urlpatterns = [
    re_path(
        r"^page_views/?$",
        allow_body("INGEST_BODY_LIMIT")(PageViewsView.as_view()),
        name="page-views",
    ),
    re_path(r"^chats/?$", allow_body("INGEST_BODY_LIMIT")(ChatsView.as_view()), name="chats"),
    # A chat's id may hold slashes (its %2F arrives decoded): the last slash is the optional one.
    re_path(r"^chats/(?P<chat_id>.+?)/?$", ChatDetailView.as_view(), name="chat-detail"),
    re_path(
        r"^incremental/conversions/?$",
        IncrementalConversionsView.as_view(),
        name="incremental-conversions",
    ),
    re_path(
        r"^goals/(?P<goal_id>[0-9]{1,18})/conversions/?$",
        GoalConversionsView.as_view(),
        name="goal-conversions",
    ),
]
