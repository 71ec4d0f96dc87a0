"""The Tracking page: the account's site key, its website origins, the snippet to paste, and
whether page views are arriving."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from accounts.access import administrator_required
from tracking import rules
from tracking.models import MAX_ORIGINS

# The script's address without the hash that collectstatic puts in file names: the snippet pasted
# into a website stays right across deployments (whitenoise serves both names).
SCRIPT = "tracking/goals.js"


class OriginsForm(forms.Form):
    origins = forms.CharField(
        label="Your website's origins",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false", "autocapitalize": "off"}),
        help_text=(
            f"One a line, as https://shop.example or http://localhost:8080: the scheme, the host "
            f"and the port, if any. Only pages of these origins may send page views; up to "
            f"{MAX_ORIGINS}."
        ),
    )


@administrator_required
def tracking(request: HttpRequest) -> HttpResponse:
    """The page, and its form's POST (the origins), then a redirect back to it."""
    site = rules.site_of(request.user.account)
    form = OriginsForm(request.POST or None, initial={"origins": "\n".join(site.origins)})
    if request.method == "POST" and form.is_valid():
        try:
            site = rules.origins_set(
                account=request.user.account, origins=form.cleaned_data["origins"].splitlines()
            )
        except ValidationError as error:
            form.add_error("origins", error.message_dict["origins"])
        else:
            count = len(site.origins)
            messages.success(
                request,
                f"Saved: pages of {count} origin{'s' if count != 1 else ''} may send page views."
                if count
                else "Saved: no website may send page views now.",
            )
            return redirect("tracking:page")
    script_url = request.build_absolute_uri(f"{settings.STATIC_URL}{SCRIPT}")
    context = {
        "site": site,
        "form": form,
        "script_url": script_url,
        "snippet": f'<script async src="{script_url}" data-site-key="{site.site_key}"></script>',
        "collect_url": request.build_absolute_uri(
            reverse("tracking-collect", args=[site.site_key])
        ),
    }
    return render(request, "tracking/tracking.html", context)


@administrator_required
def tracking_status(request: HttpRequest) -> HttpResponse:
    """Whether page views are arriving: the page asks for this every few seconds."""
    site = rules.site_of(request.user.account)
    return render(request, "tracking/partials/status.html", {"site": site})


@administrator_required
def site_key_replace(request: HttpRequest) -> HttpResponse:
    """A page that asks before the key is replaced, and its form's POST, which replaces it: the
    pages that still send the old key are refused from then on, and nothing brings it back."""
    if request.method != "POST":
        return render(request, "tracking/site_key_confirm.html")
    rules.site_key_replace(account=request.user.account)
    messages.success(
        request,
        "The site key was replaced: paste the new snippet into your pages; the old key is refused.",
    )
    return redirect("tracking:page")
