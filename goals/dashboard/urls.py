from django.urls import path

from goals.dashboard import views

app_name = "goals"

urlpatterns = [
    path("", views.goal_list, name="list"),
    path("new/", views.goal_create, name="create"),
    path("new/url-test/", views.url_test, name="url-test-new"),
    path("<int:goal_id>/edit/", views.goal_edit, name="edit"),
    path("<int:goal_id>/url-test/", views.url_test, name="url-test"),
    path("<int:goal_id>/toggle/", views.goal_toggle, name="toggle"),
    path("<int:goal_id>/delete/", views.goal_delete, name="delete"),
    path("<int:goal_id>/history/", views.goal_history, name="history"),
    path("<int:goal_id>/recompute/", views.recompute_job, name="recompute"),
    path("deleted/", views.deleted_goals, name="deleted"),
    path("export/", views.goals_export, name="export"),
    path("import/", views.goals_import, name="import"),
]
