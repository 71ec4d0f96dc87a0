from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_htmx.http import HttpResponseClientRedirect

from goals import rules


def administrator_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in (else to the sign-in page) as someone who may manage the goals of their own
    account (goals.rules; else a 403 page, which tells operators where they work).

    A part of a page that htmx asks for once the session has ended (a poll, a switch) sends the
    whole page to the sign-in page, instead of the sign-in page into the part.
    """

    @wraps(view)
    @login_required
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not rules.may_manage_goals(request.user, request.user.account):
            return render(request, "goals/forbidden.html", status=403)
        return view(request, *args, **kwargs)

    @wraps(view)
    def signed_in(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.htmx and not request.user.is_authenticated:
            page = request.htmx.current_url_abs_path or request.get_full_path()
            return HttpResponseClientRedirect(redirect_to_login(page).url)
        return guarded(request, *args, **kwargs)

    return signed_in
