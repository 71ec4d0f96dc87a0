"""The administrators' dashboard: thin views that parse a form, call goals.rules and render."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_POST

from accounts.access import administrator_required
from accounts.models import Account
from conversions import jobs, reports
from goals import history, matching, rules, transfer
from goals.dashboard.forms import (
    ConditionFormSet,
    GoalForm,
    GoalsImportForm,
    UrlTestForm,
    add_goal_errors,
    condition_initial,
    limit_message,
    written_conditions,
)
from goals.models import Condition, Goal
from goals.selectors import active_goal_count
from infra.body_limit import allow_body


def account_goal(request: HttpRequest, goal_id: int) -> Goal:
    # Another account's goal is a 404, as through the API: never reveal that it exists.
    return get_object_or_404(Goal.objects.of_account(request.user.account), pk=goal_id)


# A page takes the same few tens of milliseconds to render however many goals the account has;
# one page of them all took 1.4 s (and 2 MB) for 1,000 goals of 20 conditions.
GOALS_PER_PAGE = 50
# The goal's page shows its latest changes, and links to the rest.
HISTORY_ON_FORM = 10
# The history page, by pages of this many changes: 3,000 on one page weighed 958 KB.
HISTORY_PER_PAGE = 100
# The goals page counts each goal's conversions over this many UTC days, today's included.
CONVERSIONS_DAYS = 30
# The size of a goal's trend line, in the units of its SVG's viewBox.
TREND_WIDTH, TREND_HEIGHT = 120, 24


def trend_points(counts: list[int]) -> str:
    """The points of an SVG polyline of these daily counts, oldest on the left, the highest at
    the top and zero at the bottom (with a pixel's margin for the line's width)."""
    top = max(counts) or 1
    step = TREND_WIDTH / max(len(counts) - 1, 1)
    return " ".join(
        f"{n * step:.1f},{1 + (TREND_HEIGHT - 2) * (1 - count / top):.1f}"
        for n, count in enumerate(counts)
    )


def meter(account: Account) -> dict[str, int | bool]:
    """The account's active goals against its limit, however many of its goals a page shows, and
    whether the limit is reached (no goal may be switched on)."""
    count, limit = active_goal_count(account), account.active_goal_limit
    return {"active_count": count, "active_limit": limit, "active_full": count >= limit}


# A refusal of a switch is said once, beside the switch; without htmx it waits in a message
# marked with this tag and the goal's id until the goals page puts it in the goal's card.
SWITCH_REFUSED = "switch-refused"


def refusals_beside_switches(request: HttpRequest, goals: list[Goal]) -> None:
    """Give each goal on the page the refusal of its switch (goal.switch_refusal) and take that
    message out of the banner; a refusal for a goal not on the page stays in the banner."""
    on_page = {f"{SWITCH_REFUSED} {goal.pk}": goal for goal in goals}
    for message in messages.get_messages(request):
        goal = on_page.get(message.extra_tags)
        if goal is not None:
            goal.switch_refusal = message.message
            message.beside_switch = True


def goals_page_url(goal: Goal) -> str:
    """The address of the goals page that shows this goal (or showed it, before a delete)."""
    before = Goal.objects.filter(account_id=goal.account_id, pk__lt=goal.pk).count()
    page = before // GOALS_PER_PAGE + 1
    return reverse("goals:list") + (f"?page={page}" if page > 1 else "")


def page_asked(request: HttpRequest, paginator: Paginator) -> Page:
    """The page that ?page= asks for: the first for none, a number below 1 or no number, and
    the last for a number past the end (a link kept from a longer list)."""
    asked = request.GET.get("page")
    try:
        asked = max(1, int(asked))
    except (TypeError, ValueError):
        asked = 1
    return paginator.get_page(asked)


@administrator_required
def goal_list(request: HttpRequest) -> HttpResponse:
    account = request.user.account
    page = page_asked(request, Paginator(Goal.objects.of_account(account), GOALS_PER_PAGE))
    goals = list(page.object_list)
    refusals_beside_switches(request, goals)
    trends = reports.goal_trends(
        account, [goal.pk for goal in goals], days=CONVERSIONS_DAYS, today=timezone.now().date()
    )
    for goal in goals:
        goal.recent_conversions = sum(trends[goal.pk])
        goal.trend_points = trend_points(trends[goal.pk])
    context = {
        "page": page,
        "goals": goals,
        "conversions_days": CONVERSIONS_DAYS,
        "trend_width": TREND_WIDTH,
        "trend_height": TREND_HEIGHT,
        **meter(account),
    }
    return render(request, "goals/goal_list.html", context)


@administrator_required
def goal_create(request: HttpRequest) -> HttpResponse:
    return goal_form_page(request, goal=None)


@administrator_required
def goal_edit(request: HttpRequest, goal_id: int) -> HttpResponse:
    goal = account_goal(request, goal_id)
    if "url" in request.GET:
        url_test = url_test_result(goal, UrlTestForm(request.GET))
        if request.htmx:
            return render(request, "goals/partials/url_test_result.html", url_test)
        return goal_form_page(request, goal=goal, url_test=url_test)
    return goal_form_page(request, goal=goal)


def goal_form_page(
    request: HttpRequest, *, goal: Goal | None, url_test: dict | None = None
) -> HttpResponse:
    # At the limit a new goal, or one that is off, can only be saved off: the form says so.
    off = goal is None or not goal.enabled
    limit_reached = off and bool(meter(request.user.account)["active_full"])
    if request.method == "POST":
        form = GoalForm(request.POST, limit_reached=limit_reached)
        formset = ConditionFormSet(request.POST, prefix="conditions")
        try:
            if not (form.is_valid() and formset.is_valid()):
                check_what_parsed(request, goal, form, formset)
            else:
                saved = save_goal(request, goal, form.cleaned_data, formset.conditions())
                verb = "created" if goal is None else "saved"
                said = f"The goal “{saved.name}” was {verb}."
                job, _ = jobs.job_of(saved)
                if job is not None and job.waiting:
                    said += (
                        " A worker is bringing its conversions up to date: its page shows how far."
                    )
                messages.success(request, said)
                return redirect(goals_page_url(saved))
        except ValidationError as error:
            add_goal_errors(form, formset, error)
        except rules.GoalLimitExceeded as error:
            form.add_error(None, limit_message(error))
    else:
        form = GoalForm(
            initial=GoalForm.initial_for(goal) if goal else None, limit_reached=limit_reached
        )
        formset = ConditionFormSet(
            initial=condition_initial(goal) if goal else None, prefix="conditions"
        )
    changes = history.GoalHistory(request.user.account, goal.pk) if goal else []
    context = {
        **(recompute_job_context(goal) if goal else {}),
        "goal": goal,
        "form": form,
        "formset": formset,
        "changes": changes[:HISTORY_ON_FORM],
        "more_changes": len(changes) > HISTORY_ON_FORM,
        "active_limit": request.user.account.active_goal_limit,
        **(url_test or {"url_test_form": UrlTestForm()}),
    }
    return render(request, "goals/goal_form.html", context)


def check_what_parsed(
    request: HttpRequest, goal: Goal | None, form: GoalForm, formset: ConditionFormSet
) -> None:
    """Let the rules judge the values that did parse, so every error shows after one submit."""
    fields = {name: value for name, value in form.cleaned_data.items() if name not in form.errors}
    conditions = formset.conditions() if formset.is_valid() else rules.UNCHANGED
    rules.goal_check(account=request.user.account, goal=goal, conditions=conditions, **fields)


def save_goal(
    request: HttpRequest, goal: Goal | None, fields: dict[str, Any], conditions: list[dict]
) -> Goal:
    if goal is None:
        return rules.goal_create(
            account=request.user.account, actor=request.user, conditions=conditions, **fields
        )
    return rules.goal_update(goal=goal, actor=request.user, conditions=conditions, **fields)


def url_test_result(
    goal: Goal | None, form: UrlTestForm, written: list[Condition] | None = None
) -> dict[str, Any]:
    """The URL tester's answer: the URL against the conditions written in the form (written), or
    else the goal's saved ones; and, when the written ones differ, the saved ones' verdict."""
    if not form.is_valid():
        return {"url_test_form": form}
    url = form.cleaned_data["url"]
    saved = list(goal.conditions.all()) if goal else []
    unsaved = written is not None and [(c.operator, c.value) for c in written] != [
        (c.operator, c.value) for c in saved
    ]
    return {
        "url_test_form": form,
        "tested_url": url,
        "check": matching.check_url(saved if written is None else written, url),
        "tested_written": written is not None,
        "unsaved": unsaved,
        "saved_fulfilled": unsaved and matching.goal_is_fulfilled(saved, url),
    }


@require_POST
@administrator_required
def url_test(request: HttpRequest, goal_id: int | None = None) -> HttpResponse:
    """The URL tester, by htmx, on the conditions as they stand in the goal form (sent along with
    the URL), saved or not: on a new goal's page too."""
    goal = None if goal_id is None else account_goal(request, goal_id)
    written = written_conditions(ConditionFormSet(request.POST, prefix="conditions"))
    result = url_test_result(goal, UrlTestForm(request.POST), written)
    context = {"goal": goal, "unreadable": written is None, **result}
    return render(request, "goals/partials/url_test_result.html", context)


@require_POST
@administrator_required
def goal_toggle(request: HttpRequest, goal_id: int) -> HttpResponse:
    goal = account_goal(request, goal_id)
    switched_to = request.POST.get("enabled")
    if switched_to not in ("0", "1"):
        return HttpResponseBadRequest(
            "Send enabled=1 to turn the goal on, or enabled=0 to turn it off.",
            content_type="text/plain; charset=utf-8",
        )
    enable = switched_to == "1"
    limit_error = None
    try:
        goal = rules.goal_set_enabled(goal=goal, actor=request.user, enabled=enable)
    except rules.GoalLimitExceeded as error:
        limit_error = f"“{goal.name}” stays off. {limit_message(error)}"
        if not request.htmx:
            messages.error(request, limit_error, extra_tags=f"{SWITCH_REFUSED} {goal.pk}")
            # To the card, where the refusal is shown, however far down the page it is.
            return redirect(f"{goals_page_url(goal)}#goal-{goal.pk}")
    else:
        state = "on" if goal.enabled else "off"
        messages.success(request, f"The goal “{goal.name}” is now {state}.")
    if not request.htmx:
        return redirect(goals_page_url(goal))
    context = {"goal": goal, "limit_error": limit_error, **meter(request.user.account)}
    return render(request, "goals/partials/goal_switch_swap.html", context)


def recompute_job_context(goal: Goal) -> dict[str, Any]:
    job, progress = jobs.job_of(goal)
    return {"goal": goal, "job": job, "progress": progress}


@require_GET
@administrator_required
def recompute_job(request: HttpRequest, goal_id: int) -> HttpResponse:
    """Where the goal's conversions stand against its settings, for the goal's page to ask
    again while a job waits or runs."""
    goal = account_goal(request, goal_id)
    return render(request, "goals/partials/recompute_job.html", recompute_job_context(goal))


@administrator_required
def goal_history(request: HttpRequest, goal_id: int) -> HttpResponse:
    """Every change of the goal, newest first, HISTORY_PER_PAGE a page: a deleted goal's too,
    and another account's never."""
    changes = history.GoalHistory(request.user.account, goal_id)
    if not changes:
        raise Http404("No goal of your account has this id.")
    page = page_asked(request, Paginator(changes, HISTORY_PER_PAGE))
    latest = page.object_list[0] if page.number == 1 else changes[0]
    context = {"changes": page.object_list, "page": page, "latest": latest}
    return render(request, "goals/goal_history.html", context)


@administrator_required
def deleted_goals(request: HttpRequest) -> HttpResponse:
    """The account's deleted goals, the latest first, each leading to its history."""
    deletions = history.deleted_goals(request.user.account)
    return render(request, "goals/deleted_goals.html", {"deletions": deletions})


@administrator_required
def goal_delete(request: HttpRequest, goal_id: int) -> HttpResponse:
    goal = account_goal(request, goal_id)
    if request.method == "POST":
        back = goals_page_url(goal)
        rules.goal_delete(goal=goal, actor=request.user)
        messages.success(request, f"The goal “{goal.name}” was deleted.")
        return redirect(back)
    return render(request, "goals/goal_confirm_delete.html", {"goal": goal})


@administrator_required
def goals_export(request: HttpRequest) -> HttpResponse:
    """The account's goals as a JSON file, in the API's own shape, for another account."""
    account = request.user.account
    response = HttpResponse(transfer.goals_export(account), content_type="application/json")
    name = f"goals-{slugify(account.name) or account.pk}-{timezone.now():%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# A file of many goals is larger than a form's REQUEST_BODY_LIMIT.
@allow_body("INGEST_BODY_LIMIT")
@administrator_required
def goals_import(request: HttpRequest) -> HttpResponse:
    """Upload an export of goals: all of them are created, or none and the form says why."""
    form = GoalsImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            imported = transfer.goals_import(
                account=request.user.account,
                actor=request.user,
                content=form.cleaned_data["file"].read(),
            )
        except transfer.ImportRefused as refused:
            form.add_error("file", "Nothing was imported:")
            for line in refused.lines():
                form.add_error("file", line)
        else:
            messages.success(request, imported.summary())
            return redirect("goals:list")
    return render(request, "goals/goals_import.html", {"form": form, **meter(request.user.account)})
