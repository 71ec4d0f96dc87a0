"""The administrators' page of API clients (create one, its secret shown once; list; revoke), and
signing out.
"""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from oauth2_provider.models import Application

from accounts import services
from accounts.access import administrator_required

# The session key that carries a new client's id and secret to the one page that shows them.
NEW_CLIENT_SESSION_KEY = "new_api_client"


class ApiClientForm(forms.Form):
    name = forms.CharField(
        label="Name of the new client",
        required=False,
        help_text="Say what will use it, such as “Shop checkout sync”.",
        widget=forms.TextInput(attrs={"maxlength": services.API_CLIENT_NAME_MAX_LENGTH}),
    )


@administrator_required
def api_clients(request: HttpRequest) -> HttpResponse:
    """The page, and its form's POST: create, then redirect (post/redirect/get).

    A reload of the answer would send the form again and create a second client; after the
    redirect, a reload only asks for the page. The new client's secret crosses the redirect in
    the session and is taken out of it by the page that shows it, so it is shown once.
    """
    form = ApiClientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            new_client = services.api_client_create(
                owner=request.user, name=form.cleaned_data["name"]
            )
        except ValidationError as error:
            form.add_error("name", error.message_dict["name"])
        else:
            messages.success(
                request, f"The API client “{new_client.application.name}” was created."
            )
            request.session[NEW_CLIENT_SESSION_KEY] = {
                "name": new_client.application.name,
                "client_id": new_client.application.client_id,
                "secret": new_client.secret,
            }
            return redirect("api-clients")
    context = {
        "form": form,
        "new_client": request.session.pop(NEW_CLIENT_SESSION_KEY, None),
        "clients": services.api_clients_of(request.user),
        "token_url": request.build_absolute_uri(reverse("oauth2-token")),
        "api_url": request.build_absolute_uri("/api/v2/goals"),
        "token_minutes": settings.OAUTH2_PROVIDER["ACCESS_TOKEN_EXPIRE_SECONDS"] // 60,
    }
    return render(request, "accounts/api_clients.html", context)


@require_POST
@administrator_required
def api_client_revoke(request: HttpRequest, client_id: str) -> HttpResponse:
    try:
        name = services.api_client_revoke(owner=request.user, client_id=client_id)
    except Application.DoesNotExist:
        raise Http404("No such API client of yours.") from None
    messages.success(request, f"The API client “{name}” was revoked: its tokens no longer work.")
    return redirect("api-clients")


class SignOutView(auth_views.LogoutView):
    """Sign out (a POST), then say so on the page it leads to, the sign-in page."""

    def post(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        # After the session is flushed: the message goes with the answer, to the next page.
        messages.success(request, "You have signed out.")
        return response
