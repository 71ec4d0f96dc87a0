from django.urls import re_path

from goals.api.views import GoalDetailView, GoalListView

# Each route with or without a trailing slash, never redirected: clients of the public API use
# both spellings, and a redirect would turn their POST or PUT into a GET.
urlpatterns = [
    re_path(r"^goals/?$", GoalListView.as_view(), name="goal-list"),
    re_path(r"^goals/(?P<goal_id>[0-9]{1,18})/?$", GoalDetailView.as_view(), name="goal-detail"),
]
