"""The administrators' page of API clients: create one (its secret shown once), list, revoke."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from oauth2_provider.models import Application

from accounts import services
from accounts.access import administrator_required


class ApiClientForm(forms.Form):
    name = forms.CharField(
        label="Name of the new client",
        required=False,
        help_text="Say what will use it, such as “Shop checkout sync”.",
        widget=forms.TextInput(attrs={"maxlength": services.API_CLIENT_NAME_MAX_LENGTH}),
    )


@administrator_required
def api_clients(request: HttpRequest) -> HttpResponse:
    form = ApiClientForm(request.POST or None)
    new_client = None
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
            form = ApiClientForm()
    context = {
        "form": form,
        "new_client": new_client,
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
