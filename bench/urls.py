"""The product's URLs, and the bench's yardstick views under /bench/ (bench.scenario's paths)."""

from django.urls import path

from bench import views
from goals_admin.urls import (  # the error handlers too, so the product answers as it does alone
    handler400,
    handler403,
    handler404,
    handler500,
)
from goals_admin.urls import urlpatterns as product_urlpatterns

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]

urlpatterns = [
    path("bench/plain/<int:account_id>/goals", views.plain_goals),
    path("bench/plain/<int:account_id>/goals/<int:goal_id>", views.plain_goal),
    path("bench/constant/<int:account_id>/goals", views.constant_goals),
    path("bench/plain/collect/<str:site_key>", views.plain_collect),
    *product_urlpatterns,
]
