from django.urls import path

from conversions.dashboard import views

app_name = "conversions"

urlpatterns = [
    path("", views.report, name="report"),
    path("list/", views.conversion_list, name="list"),
    path("conversions.csv", views.conversions_csv, name="conversions-csv"),
    path("agents.csv", views.agents_csv, name="agents-csv"),
]
