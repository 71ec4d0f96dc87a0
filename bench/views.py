"""The yardsticks: plain Django views doing the API's work without the API's layers.

They read and write the same rows as /api/v2/goals and answer the same JSON, but with no
authentication, throttling, content negotiation or serializers (the account is in the URL), and
no validation beyond what the database refuses: what plain Django costs. Writes keep the active-goal
limit, which is the domain's rule, not the API's.

plain_collect is the tracking bench's: the collect endpoint's round trips to Redis and nothing else.
"""

import functools
import json
import time
from collections.abc import Iterable
from typing import Any

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Account
from goals.models import Condition, Goal
from infra.csp import JSON_POLICY
from infra.rate import count_request, parse_rate
from tracking import stream
from tracking.selectors import site_by_key

GOAL_FIELDS = ("name", "description", "enabled", "attribution_model", "attribution_period")
LIMIT_EXCEEDED = {"error": "Goals limit exceeded"}


@csrf_exempt
@require_http_methods(["GET", "POST"])
def plain_goals(request: HttpRequest, account_id: int) -> JsonResponse:
    if request.method == "POST":
        return create_goal(request, account_id)
    listed = [goal_json(goal, goal.conditions.all()) for goal in account_goals(account_id)]
    return JsonResponse(listed, safe=False)


@csrf_exempt
@require_http_methods(["GET", "PUT"])
def plain_goal(request: HttpRequest, account_id: int, goal_id: int) -> JsonResponse:
    if request.method == "PUT":
        return update_goal(request, account_id, goal_id)
    found = get_object_or_404(account_goals(account_id), pk=goal_id)
    return JsonResponse(goal_json(found, found.conditions.all()))


@require_GET
def constant_goals(request: HttpRequest, account_id: int) -> HttpResponse:
    return HttpResponse(frozen_goals_json(account_id), content_type="application/json")


@csrf_exempt
@require_POST
def plain_collect(request: HttpRequest, site_key: str) -> HttpResponse:
    """The collect endpoint's I/O with none of its checks: the site's look-up, the address's
    rate counter (counted, never refused) and the XADD of the page view as sent."""
    site = site_by_key(site_key)
    if site is None:
        raise Http404
    _, period = parse_rate(settings.TRACKING_RATE_LIMIT)
    # Counters of their own, one an address as the endpoint's, which the yardstick leaves alone.
    count_request(f"plain-tracking-{get_client_ip_address(request) or ''}", period, time.time())
    # Stamped as the endpoint stamps it, so that the ingest worker stores it as it stores the
    # endpoint's: the work behind both views' runs is the same.
    page_view = {**json.loads(request.body), "timestamp": timezone.now().isoformat()}
    stream.append(site[0], page_view)
    # The endpoint's fixed policy: without it, django-csp would build one from the settings,
    # which costs more than the rest of this view.
    return HttpResponse(status=204, headers={"Content-Security-Policy": JSON_POLICY})


@functools.cache
def frozen_goals_json(account_id: int) -> bytes:
    # Read once for each app server process: answering then costs no query and no serializing.
    listed = [goal_json(goal, goal.conditions.all()) for goal in account_goals(account_id)]
    return json.dumps(listed).encode()


def account_goals(account_id: int) -> QuerySet[Goal]:
    return Goal.objects.filter(account_id=account_id).prefetch_related("conditions").order_by("id")


def goal_json(goal: Goal, conditions: Iterable[Condition]) -> dict[str, Any]:
    """A goal in the API's shape."""
    return {
        "id": goal.pk,
        "name": goal.name,
        "description": goal.description,
        "enabled": int(goal.enabled),
        "attribution_model": goal.attribution_model,
        "attribution_period": goal.attribution_period,
        "settings": {
            "conditions": [
                {"type": condition.type, "operator": condition.operator, "value": condition.value}
                for condition in conditions
            ]
        },
    }


def create_goal(request: HttpRequest, account_id: int) -> JsonResponse:
    data = json.loads(request.body)
    fields = sent_fields(data)
    with transaction.atomic():
        if fields.get("enabled", True) and not has_room_for_enabled_goal(account_id):
            return JsonResponse(LIMIT_EXCEEDED, status=400)
        created = Goal.objects.create(account_id=account_id, **fields)
        conditions = store_conditions(created, sent_conditions(data) or [])
    return JsonResponse(goal_json(created, conditions), status=201)


def update_goal(request: HttpRequest, account_id: int, goal_id: int) -> JsonResponse:
    data = json.loads(request.body)
    fields = sent_fields(data)
    new_conditions = sent_conditions(data)
    with transaction.atomic():
        # As in goals.rules: the account is locked before the goal, so writers cannot deadlock.
        enabling = fields.get("enabled", False)
        account = lock_account(account_id) if enabling else None
        changed = get_object_or_404(
            Goal.objects.select_for_update(), pk=goal_id, account_id=account_id
        )
        if account is not None and not changed.enabled and not has_room(account):
            return JsonResponse(LIMIT_EXCEEDED, status=400)
        for name, value in fields.items():
            setattr(changed, name, value)
        changed.save()
        if new_conditions is None:
            conditions = list(changed.conditions.all())
        else:
            changed.conditions.all().delete()
            conditions = store_conditions(changed, new_conditions)
    return JsonResponse(goal_json(changed, conditions))


def sent_fields(data: dict[str, Any]) -> dict[str, Any]:
    fields = {name: data[name] for name in GOAL_FIELDS if name in data}
    if "enabled" in fields:
        fields["enabled"] = bool(fields["enabled"])
    return fields


def sent_conditions(data: dict[str, Any]) -> list[dict[str, str]] | None:
    return data.get("settings", {}).get("conditions")


def store_conditions(goal: Goal, conditions: list[dict[str, str]]) -> list[Condition]:
    return Condition.objects.bulk_create(
        Condition(goal=goal, position=position, **condition)
        for position, condition in enumerate(conditions)
    )


def has_room_for_enabled_goal(account_id: int) -> bool:
    return has_room(lock_account(account_id))


def lock_account(account_id: int) -> Account:
    # The account's row lock serializes the writes that could add an enabled goal.
    return Account.objects.select_for_update().get(pk=account_id)


def has_room(account: Account) -> bool:
    """The active-goal limit: counted while the account is locked."""
    enabled = Goal.objects.filter(account=account, enabled=True).count()
    return enabled < account.active_goal_limit
