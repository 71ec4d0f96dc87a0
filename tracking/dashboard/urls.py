from django.urls import path

from tracking.dashboard import views

app_name = "tracking"

urlpatterns = [
    path("", views.tracking, name="page"),
    path("status/", views.tracking_status, name="status"),
    path("site-key/", views.site_key_replace, name="site-key"),
]
