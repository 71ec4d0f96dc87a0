from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from oauth2_provider.views import TokenView

from accounts import views as account_views
from goals import rules
from goals.api import errors
from tracking.collect import collect

api_v2 = include([path("", include("goals.api.urls")), path("", include("conversions.api.urls"))])

admin.site.site_header = admin.site.site_title = "Goals Admin"


def home(request: HttpRequest) -> HttpResponse:
    """An operator's home is the Django admin (the dashboard would refuse them); everyone else's
    is the goals page, which asks them to sign in or says who manages goals."""
    user = request.user
    if user.is_active and user.is_staff and not rules.may_manage_goals(user, user.account):
        return redirect("admin:index")
    return redirect("goals:list")


urlpatterns = [
    # First: the pages of the accounts' websites send a page view each, more than all the rest.
    path("api/collect/<str:site_key>", collect, name="tracking-collect"),
    # Then the API, asked most after it: every pattern before the one that matches costs a try.
    path("api/v2/", api_v2),
    # The newer base of the same API.
    path("api/v2/chat/", api_v2),
    path("", home, name="home"),
    path("goals/", include("goals.dashboard.urls")),
    path("tracking/", include("tracking.dashboard.urls")),
    path("conversions/", include("conversions.dashboard.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", account_views.SignOutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("admin/", admin.site.urls),
    path("api-clients/", account_views.api_clients, name="api-clients"),
    path(
        "api-clients/<str:client_id>/revoke/",
        account_views.api_client_revoke,
        name="api-client-revoke",
    ),
    re_path(r"^oauth2/token/?$", TokenView.as_view(), name="oauth2-token"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Swagger UI sets a few inline styles; its scripts stay files of our own (the split view).
    path(
        "api/docs/",
        csp_update({"style-src": [UNSAFE_INLINE]})(
            SpectacularSwaggerSplitView.as_view(url_name="api-schema")
        ),
        name="api-docs",
    ),
    # Pages without an icon of their own (the Django admin's) make browsers ask for this one.
    path("favicon.ico", RedirectView.as_view(url=f"{settings.STATIC_URL}favicon.svg")),
    # Whatever else is asked under /api/ is a JSON 404, with DEBUG on as with it off.
    re_path(r"^api/", errors.page_not_found),
]

handler400 = errors.bad_request
handler403 = errors.permission_denied
handler404 = errors.page_not_found
handler500 = errors.server_error
