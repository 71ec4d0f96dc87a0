"""The conversions bench's steps inside Django (bench.conversions_step runs them), each given
and returning JSON: seeding the accounts, attribution from scratch against a straightforward loop,
a naive ingest loop, the cost of a batch against a plain insert, and the API's pages.
"""

import functools
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Account, User
from bench.conversions_data import GOALS, Population, new_page_views
from bench.measure import answered, queries_of
from bench.seed import administrator, basic_authorization
from conversions import ingest, recompute
from conversions.inputs import parse_page_views
from conversions.models import Conversion, PageView, Touch
from conversions.recompute import conversion_id
from conversions.selectors import cursor_of
from goals import history, rules
from goals.matching import goal_is_fulfilled
from goals.models import ATTRIBUTION_PERIOD_MAX, AttributionModel, Goal

# The API's pages are as long as they may be.
PAGE = 1000
INCREMENTAL = "/api/v2/incremental/conversions"
# api_pages times a page of each account in turn this many times, and keeps the medians.
API_ROUNDS = 21
# batch_cost times each way this many times, in alternating orders, and keeps the medians.
COST_ROUNDS = 15


def seed(given: dict[str, Any]) -> dict[str, Any]:
    """The accounts, each with an administrator: the bench's (the five goals of
    bench.conversions_data), the API's two (a goal each) and the import's (none)."""

    def account(name: str, goals: list[dict[str, Any]]) -> dict[str, Any]:
        admin, password = administrator(name)
        made = [rules.goal_create(account=admin.account, actor=admin, **goal) for goal in goals]
        return {
            "account_id": admin.account_id,
            "name": admin.account.name,
            "goal_ids": [goal.pk for goal in made],
            "authorization": basic_authorization(admin.email, password),
        }

    return {
        "bench": account("Bench conversions", GOALS),
        "api": [account(f"Bench conversions API {total}", GOALS[:1]) for total in given["totals"]],
        "import": account("Bench conversions import", []),
    }


def attribution(given: dict[str, Any]) -> dict[str, Any]:
    """The account's conversions from scratch, by conversions.recompute and by a straightforward
    loop over the same rows; their seconds and whether they found the same conversions. Then
    the jobs (conversions.jobs) that changes of one goal ask for, one after the other: its
    period, its conditions, its conditions to every page, and its model; each job's seconds,
    and the goal's conversions before and after."""
    account_id = given["account_id"]
    if Conversion.objects.filter(account_id=account_id).exists():
        raise RuntimeError("The account has conversions already: not a computation from scratch.")
    goals = recompute.enabled_goals(account_id).credited
    started = time.perf_counter()
    with transaction.atomic():
        recompute.recompute_goals(account_id, goals)
    engine_seconds = time.perf_counter() - started
    stored = set(
        Conversion.objects.filter(account_id=account_id).values_list(
            "goal_id", "chat_id", "page_view_id", "agent_id"
        )
    )
    started = time.perf_counter()
    looped, page_views = straightforward_attribution(account_id)
    loop_seconds = time.perf_counter() - started
    # As autovacuum would have by the time a goal changes: left with the empty table's
    # statistics, the planner would read all of a goal's conversions for each thousand a job
    # deletes.
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {Conversion._meta.db_table}")
    # The goal of the most conversions: its job has the most to compare and rewrite.
    counts = Counter(
        Conversion.objects.filter(account_id=account_id).values_list("goal_id", flat=True)
    )
    goal = Goal.objects.get(pk=counts.most_common(1)[0][0])
    other = Goal.objects.get(pk=counts.most_common(2)[1][0])
    changes = {
        "period": {
            "attribution_period": 1 if goal.attribution_period != 1 else ATTRIBUTION_PERIOD_MAX
        },
        # Those of the goal of the next most conversions: most of its conversions go, and as
        # many others come.
        "conditions": {"conditions": history.conditions_of(other)},
        # Every page view fulfils it: a conversion for nearly every chat followed by a visit.
        "every_page": {"conditions": [{"type": "url", "operator": "contains", "value": "/"}]},
        # Then nearly every conversion is credited to another chat.
        "model": {
            "attribution_model": AttributionModel.LAST_TOUCH
            if goal.attribution_model == AttributionModel.FIRST_TOUCH
            else AttributionModel.FIRST_TOUCH
        },
    }
    actor = User.objects.get(account_id=account_id, role=User.Role.ADMINISTRATOR)
    jobs = {}
    for name, change in changes.items():
        before = Conversion.objects.filter(goal_id=goal.pk).count()
        # The job that the change asks for runs here (bench.settings), as a worker would run
        # it, and is timed with the change.
        started = time.perf_counter()
        rules.goal_update(goal=Goal.objects.get(pk=goal.pk), actor=actor, **change)
        seconds = time.perf_counter() - started
        after = Conversion.objects.filter(goal_id=goal.pk).count()
        jobs[name] = {"seconds": seconds, "conversions": [before, after]}
    return {
        "jobs": jobs,
        "page_views": page_views,
        "engine_seconds": engine_seconds,
        "loop_seconds": loop_seconds,
        "engine_conversions": len(stored),
        "loop_conversions": len(looped),
        "same_conversions": stored == looped,
        "only_engine": sorted(map(list, stored - looped))[:5],
        "only_loop": sorted(map(list, looped - stored))[:5],
    }


def straightforward_attribution(account_id: int) -> tuple[set[tuple], int]:
    """DESIGN.md's rules read word for word: every page view, every goal, every touch of the
    visitor. Loads everything first; computes and does not write. The conversions as (goal id,
    chat id, page view id, agent id), and how many page views there were."""
    page_views = list(
        PageView.objects.filter(account_id=account_id).values_list(
            "page_view_id", "visitor_id", "url", "timestamp"
        )
    )
    touches_of = defaultdict(list)
    for touch in Touch.objects.filter(account_id=account_id).values_list(
        "chat_id", "agent_id", "visitor_id", "time"
    ):
        touches_of[touch[2]].append(touch)
    goals = [
        (goal, list(goal.conditions.all()), timedelta(days=goal.attribution_period))
        for goal in Goal.objects.filter(account_id=account_id, enabled=True).prefetch_related(
            "conditions"
        )
    ]
    best: dict[tuple[int, str], tuple] = {}
    for page_view_id, visitor_id, url, timestamp in page_views:
        for goal, conditions, period in goals:
            if not goal_is_fulfilled(conditions, url):
                continue
            eligible = [
                touch
                for touch in touches_of.get(visitor_id, [])
                if timestamp - period <= touch[3] <= timestamp
            ]
            if not eligible:
                continue
            if goal.attribution_model == AttributionModel.FIRST_TOUCH:
                touch = min(eligible, key=touch_order)
            else:
                touch = max(eligible, key=touch_order)
            key = (goal.pk, touch[0])
            if key not in best or (timestamp, page_view_id) < best[key][:2]:
                best[key] = (timestamp, page_view_id, touch[1])
    found = {(goal_id, chat_id, kept[1], kept[2]) for (goal_id, chat_id), kept in best.items()}
    return found, len(page_views)


def touch_order(touch: tuple) -> tuple[datetime, str, str]:
    """Touches by time, then chat id, then agent id as a string (DESIGN.md, "Attribution")."""
    chat_id, agent_id, _, moment = touch
    return (moment, chat_id, str(agent_id))


def naive_ingest(given: dict[str, Any]) -> dict[str, Any]:
    """The page views stored as plain Django would, one at a time: create() each, then query the
    visitor's touches and the goals, and write or move the conversions it makes. Rows a second."""
    account_id = given["account_id"]
    started = time.perf_counter()
    for item in given["page_views"]:
        page_view = PageView.objects.create(
            account_id=account_id,
            page_view_id=item["id"],
            visitor_id=item["visitor_id"],
            url=item["url"],
            timestamp=datetime.fromisoformat(item["timestamp"]),
            title=item["title"],
        )
        touches = list(Touch.objects.filter(account_id=account_id, visitor_id=item["visitor_id"]))
        goals = Goal.objects.filter(account_id=account_id, enabled=True).prefetch_related(
            "conditions"
        )
        for goal in goals:
            if not goal_is_fulfilled(goal.conditions.all(), page_view.url):
                continue
            since = page_view.timestamp - timedelta(days=goal.attribution_period)
            eligible = [touch for touch in touches if since <= touch.time <= page_view.timestamp]
            if not eligible:
                continue
            eligible.sort(key=lambda touch: (touch.time, touch.chat_id, str(touch.agent_id)))
            first = goal.attribution_model == AttributionModel.FIRST_TOUCH
            touch = eligible[0] if first else eligible[-1]
            credited = {
                "goal_name": goal.name,
                "visitor_id": page_view.visitor_id,
                "page_view_id": page_view.page_view_id,
                "url": page_view.url,
                "timestamp": page_view.timestamp,
                "agent_id": touch.agent_id,
                "agent_name": touch.agent_name,
                "department_id": touch.department_id,
                "department_name": touch.department_name,
                "chat_timestamp": touch.time,
                "update_timestamp": timezone.now().replace(microsecond=0),
            }
            stored = Conversion.objects.filter(
                account_id=account_id, goal_id=goal.pk, chat_id=touch.chat_id
            ).first()
            if stored is None:
                Conversion.objects.create(
                    account_id=account_id,
                    goal_id=goal.pk,
                    chat_id=touch.chat_id,
                    conversion_id=conversion_id(goal.pk, touch.chat_id),
                    **credited,
                )
            elif (page_view.timestamp, page_view.page_view_id) < (
                stored.timestamp,
                stored.page_view_id,
            ):
                for name, value in credited.items():
                    setattr(stored, name, value)
                stored.save()
    seconds = time.perf_counter() - started
    return {"rows": len(given["page_views"]), "seconds": seconds}


def batch_cost(given: dict[str, Any]) -> dict[str, Any]:
    """A batch of page views of visitors who never chatted, through conversions.ingest and as a
    plain insert (the same parsing and the same INSERT, in a transaction, with no attribution),
    alternately; and, beside them, a batch of visitors who chatted. Median milliseconds, the
    queries of each, and the plan of the one query that attribution adds."""
    account = Account.objects.get(pk=given["account_id"])
    population = Population(**given["population"])
    size = given["batch"]
    columns = ["account_id", "page_view_id", "visitor_id", "url", "timestamp", "title"]
    table = connection.ops.quote_name("conversions_pageview")

    def plain(items: list[dict[str, Any]]) -> None:
        page_views = parse_page_views(items)
        rows = [
            [account.pk, p.page_view_id, p.visitor_id, p.url, p.timestamp, p.title]
            for p in sorted(page_views, key=lambda page_view: page_view.page_view_id)
        ]
        with transaction.atomic():
            for start in range(0, len(rows), recompute.CHUNK):
                recompute.insert_rows(
                    table,
                    columns,
                    rows[start : start + recompute.CHUNK],
                    "ON CONFLICT DO NOTHING",
                    "page_view_id",
                )

    def ingested(items: list[dict[str, Any]]) -> None:
        ingest.page_views_ingest(account=account, items=items)

    def batch(kind: str, number: int, visitors: list[str] | None) -> list[dict[str, Any]]:
        return new_page_views(
            population,
            size,
            prefix=f"{kind}-{number}",
            visitor_ids=visitors or [f"nc-{number}-{n}" for n in range(size)],
        )

    chatted = population.chatted_visitor_ids()
    timings: dict[str, list[float]] = defaultdict(list)
    queries: dict[str, list[str]] = {}
    ways: list[tuple[str, Callable[[list[dict[str, Any]]], None], list[str] | None]] = [
        ("plain", plain, None),
        ("never_chatted", ingested, None),
        ("chatted", ingested, chatted),
    ]
    for number in range(COST_ROUNDS + 1):
        # Odd rounds reversed, so that drift hits every way alike; round 0 warms up, untimed.
        for name, way, visitors in ways if number % 2 else ways[::-1]:
            items = batch(name, number, visitors)
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                way(items)
                seconds = time.perf_counter() - started
            if number:
                timings[name].append(seconds)
            queries[name] = [query["sql"] for query in captured.captured_queries]
    added = [query for query in queries["never_chatted"] if "conversions_touch" in query]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + added[0])
        plan = [row[0] for row in cursor.fetchall()]
    return {
        "batch": size,
        "ms": {name: statistics.median(seconds) * 1000 for name, seconds in timings.items()},
        "queries": queries,
        "touch_query_plan": plan,
    }


def api_pages(given: dict[str, Any]) -> list[dict[str, Any]]:
    """The conversions API's pages at each account's stored total: the incremental export's and
    the goal's list's first page and a page from the middle, median milliseconds and queries.
    A page of each account is timed in turn, round after round, so that both meet the machine in
    the same state."""
    requests: dict[str, list[tuple[int, Callable[[], Any]]]] = {}
    for account in given["accounts"]:
        client = Client(headers={"Authorization": account["authorization"]})
        conversions = Conversion.objects.filter(account_id=account["account_id"])
        total = conversions.count()
        # The middle, or further up when a full page would not fit below it.
        position = max(0, min(total // 2, total - PAGE - 1))
        middle = conversions.order_by("update_timestamp", "conversion_id").values()[position]
        goal_middle = conversions.order_by("timestamp", "conversion_id").values()[position]
        since = int(middle["update_timestamp"].timestamp())
        goal_path = f"/api/v2/goals/{account['goal_ids'][0]}/conversions?limit={PAGE}"
        pages = {
            "incremental, first page": f"{INCREMENTAL}?start_time=0&limit={PAGE}",
            "incremental, middle page": f"{INCREMENTAL}?limit={PAGE}"
            f"&start_time={since}&start_id={middle['conversion_id']}",
            "goal, first page": goal_path,
            "goal, middle page": f"{goal_path}&cursor={cursor_of(goal_middle)}",
        }
        for name, path in pages.items():
            requests.setdefault(name, []).append((total, functools.partial(client.get, path)))
    measured = []
    for name, by_total in requests.items():
        seconds: dict[int, list[float]] = {total: [] for total, _ in by_total}
        for _ in range(API_ROUNDS):
            for total, request in by_total:
                started = time.perf_counter()
                answered(request)
                seconds[total].append(time.perf_counter() - started)
        for total, request in by_total:
            measured.append(
                {
                    "page": name,
                    "total": total,
                    "count": answered(request).json()["count"],
                    "ms": statistics.median(seconds[total]) * 1000,
                    "queries": queries_of(request),
                }
            )
    return measured


STEPS: dict[str, Callable[[Any], Any]] = {
    "seed": seed,
    "attribution": attribution,
    "naive_ingest": naive_ingest,
    "batch_cost": batch_cost,
    "api_pages": api_pages,
}
