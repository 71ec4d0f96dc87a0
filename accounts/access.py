from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from goals import rules


def administrator_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in (else to the sign-in page) as someone who may manage the goals of their own
    account (goals.rules; else a 403 page, which tells operators where they work)."""

    @wraps(view)
    @login_required
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not rules.may_manage_goals(request.user, request.user.account):
            return render(request, "goals/forbidden.html", status=403)
        return view(request, *args, **kwargs)

    return guarded
