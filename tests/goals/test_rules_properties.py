"""Property tests of the goal rules: hypothesis writes at random through goals.rules.

Whatever the sequence of creates, updates, enables, disables and deletes (valid or hostile, in
either of two accounts), no account ever has more enabled goals than its limit, the limit is
refused exactly when a model of the accounts says it should be, a refused write changes nothing,
and every stored goal is one the API would accept as a new goal.
"""

import json
import re
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)

from accounts.models import Account, User
from goals import rules
from goals.api.serializers import GoalInputSerializer, GoalSerializer
from goals.models import (
    CONDITION_VALUE_MAX_LENGTH,
    DESCRIPTION_MAX_LENGTH,
    NAME_MAX_LENGTH,
    Condition,
    Goal,
)
from tests.helpers.api import PASSWORD, Api

# The example database would write a .hypothesis folder into the checkout; each run explores
# afresh instead, and a failure prints the steps that reproduce it.
MACHINE_SETTINGS = settings(
    max_examples=40,
    stateful_step_count=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# Every API answer counts against the user's rate limit, in a cache that may outlive an
# example: a few reads an example keep a whole run far below it.
API_READS_PER_EXAMPLE = 2

# What the rules are asked to store. Strategies named valid_* draw only acceptable values,
# the others mix in hostile ones; the valid ones store enough goals to reach the limit.

valid_names = st.one_of(
    st.text(min_size=1, max_size=12).filter(lambda text: text.strip() and "\x00" not in text),
    st.sampled_from(["Pricing page", " padded ", "x" * NAME_MAX_LENGTH, "é" * NAME_MAX_LENGTH]),
)
names = st.one_of(
    valid_names,
    st.none(),
    st.text(max_size=12),
    st.sampled_from(["", " ", "\t\n\u3000", "a\x00b", "\x00", "bad \ud800", "x" * 256]),
    # Around the longest allowed, ending in a letter, a space or a NUL.
    st.tuples(st.integers(-3, 3), st.sampled_from("a \x00")).map(
        lambda end: "x" * (NAME_MAX_LENGTH - 1 + end[0]) + end[1]
    ),
)
valid_descriptions = st.one_of(
    st.text(max_size=12).filter(lambda text: "\x00" not in text),
    st.just("x" * DESCRIPTION_MAX_LENGTH),
)
descriptions = st.one_of(
    valid_descriptions,
    st.text(max_size=12),
    st.sampled_from(["\x00", "\udfff", "x" * (DESCRIPTION_MAX_LENGTH + 1)]),
)
valid_models = st.sampled_from(["first_touch", "last_touch"])
attribution_models = st.one_of(
    valid_models, st.sampled_from(["", "middle_touch", "First_Touch", "last_touch "])
)
valid_periods = st.integers(min_value=1, max_value=30)
periods = st.one_of(
    st.integers(min_value=-2, max_value=33), st.sampled_from([2**15, -(2**31), 10**12])
)


def repeated(count: int) -> Callable[[list], list]:
    """Long lists of conditions, drawn quickly: a few conditions repeated to a length."""
    return lambda items: (items * count)[:count]


LONGEST_URL = "https://" + "x" * (CONDITION_VALUE_MAX_LENGTH - len("https://"))
valid_conditions = st.one_of(
    st.fixed_dictionaries(
        {"operator": st.just("contains"), "value": st.sampled_from(["checkout", " /pricing", "ü"])},
        optional={"type": st.just("url")},
    ),
    st.fixed_dictionaries(
        {
            "operator": st.just("equals"),
            "value": st.sampled_from(["https://acme.example/pricing", "HTTP://ACME.EXAMPLE/"]),
        },
        optional={"type": st.just("url")},
    ),
    st.just({"operator": "equals", "value": LONGEST_URL}),
)
hostile_conditions = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(["url", "URL", "page", ""]),
        "operator": st.sampled_from(["equals", "contains", "starts_with", ""]),
        "value": st.one_of(
            st.text(max_size=10),
            st.text(max_size=10).map(lambda text: "https://" + text),
            st.sampled_from(
                [
                    "https://acme.example/pricing",
                    "acme.example/pricing",
                    "ftp://acme.example",
                    "http:/acme.example",
                    "http://",
                    "http:///thanks",
                    " https://acme.example/pricing\t",
                    "",
                    "  ",
                    "https://a\x00",
                    "https://\udc00",
                    LONGEST_URL,
                    LONGEST_URL + "x",
                ]
            ),
        ),
    },
)
valid_condition_lists = st.one_of(
    st.lists(valid_conditions, max_size=3),
    st.lists(valid_conditions, min_size=1, max_size=2).map(repeated(rules.MAX_CONDITIONS)),
)
condition_lists = st.one_of(
    valid_condition_lists,
    st.lists(st.one_of(valid_conditions, hostile_conditions), max_size=3),
    st.lists(valid_conditions, min_size=1, max_size=2).map(repeated(rules.MAX_CONDITIONS + 1)),
)

VALID_FIELDS = {
    "name": valid_names,
    "description": valid_descriptions,
    "enabled": st.booleans(),
    "attribution_model": valid_models,
    "attribution_period": valid_periods,
    "conditions": valid_condition_lists,
}
ANY_FIELDS = {
    "name": names,
    "description": descriptions,
    "enabled": st.booleans(),
    "attribution_model": attribution_models,
    "attribution_period": periods,
    "conditions": condition_lists,
}
# An update gives any of the fields; a create any of them too, which leaves name out at times
# (the rules refuse that) unless it draws only valid values.
valid_changes = st.fixed_dictionaries({}, optional=VALID_FIELDS)
changes = st.fixed_dictionaries({}, optional=ANY_FIELDS)
valid_goals = st.fixed_dictionaries(
    {"name": valid_names},
    optional={key: value for key, value in VALID_FIELDS.items() if key != "name"},
)
any_goals = changes

TENANTS = ("acme", "bluebird")
tenant_names = st.sampled_from(TENANTS)


# The model's own reading of the contract (DESIGN.md, "Bounds"), written apart from the rules.

SURROGATE = re.compile("[\ud800-\udfff]")


def text_is_bad(text: Any, max_length: int, *, required: bool = False) -> bool:
    return (
        text is None
        or (required and not text.strip())
        or "\x00" in text
        or SURROGATE.search(text) is not None
        or len(text) > max_length
    )


def as_stored(value: Any) -> Any:
    """A condition's value as the rules keep it: without the whitespace around it."""
    return value.strip() if isinstance(value, str) else value


def has_a_host(url: str) -> bool:
    """Whether an http(s) URL names a host: something between "//" and the path, once the user
    information and the port are left out."""
    authority = re.split("[/?#]", url.split("://", 1)[1], maxsplit=1)[0]
    host = re.sub(":[0-9]*$", "", authority.rpartition("@")[2])
    return host.strip() != ""


def condition_problems(index: int, condition: dict[str, Any]) -> set[str]:
    key = f"conditions[{index}]"
    problems = set()
    if condition.get("type", "url") != "url":
        problems.add(f"{key}.type")
    operator = condition.get("operator")
    if operator not in ("equals", "contains"):
        problems.add(f"{key}.operator")
    value = as_stored(condition.get("value"))
    if text_is_bad(value, CONDITION_VALUE_MAX_LENGTH, required=True) or (
        operator == "equals"
        and not (
            value.lower().startswith(("http://", "https://"))
            and has_a_host(value)
            and not re.search(r"[\s\x00-\x1f\x7f\u200b-\u200d\u2060\ufeff]", value)
        )
    ):
        problems.add(f"{key}.value")
    return problems


def problems(values: dict[str, Any]) -> set[str]:
    """The keys a ValidationError should carry for these values (empty: they are acceptable)."""
    found = set()
    if "name" in values and text_is_bad(values["name"], NAME_MAX_LENGTH, required=True):
        found.add("name")
    if "description" in values and text_is_bad(values["description"], DESCRIPTION_MAX_LENGTH):
        found.add("description")
    if values.get("attribution_model", "first_touch") not in ("first_touch", "last_touch"):
        found.add("attribution_model")
    if not 1 <= values.get("attribution_period", 30) <= 30:
        found.add("attribution_period")
    conditions = values.get("conditions", [])
    if len(conditions) > rules.MAX_CONDITIONS:
        found.add("conditions")
    for index, condition in enumerate(conditions):
        found |= condition_problems(index, condition)
    return found


def shown_conditions(conditions: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [
        {
            "type": item.get("type", "url"),
            "operator": item["operator"],
            "value": as_stored(item["value"]),
        }
        for item in conditions
    ]


GOAL_COLUMNS = [field.attname for field in Goal._meta.concrete_fields]
CONDITION_COLUMNS = [f"conditions__{field.attname}" for field in Condition._meta.concrete_fields]


def rows() -> dict[int, list[tuple]]:
    """Every column of every goal and of its conditions, by account id, to spot any write."""
    found = defaultdict(list)
    # One query: a goal's row once for each of its conditions (once, with None, if it has none).
    for row in Goal.objects.order_by("pk", "conditions__pk").values_list(
        *GOAL_COLUMNS, *CONDITION_COLUMNS
    ):
        found[row[1]].append(row)
    return found


def as_api_json(data: Any) -> Any:
    return json.loads(json.dumps(data))


@dataclass(frozen=True)
class Ref:
    """A stored goal, as the machine's steps name it."""

    tenant: str
    pk: int


@dataclass
class Tenant:
    account: Account
    administrator: User
    agent: User
    api: Api
    # The goals the account should hold, by id, each as the API should show it (without id).
    goals: dict[int, dict[str, Any]] = field(default_factory=dict)

    @property
    def limit(self) -> int:
        return self.account.active_goal_limit

    @property
    def enabled_count(self) -> int:
        return sum(goal["enabled"] for goal in self.goals.values())

    def expected_list(self) -> list[dict[str, Any]]:
        return [{"id": pk, **shown} for pk, shown in sorted(self.goals.items())]


class GoalRulesMachine(RuleBasedStateMachine):
    """Writes through goals.rules in two accounts, checked against a model after every step."""

    make_api: Callable[[User], Api]

    goals = Bundle("goals")

    def __init__(self) -> None:
        super().__init__()
        # Each example runs in a savepoint that teardown() rolls back: the next one starts
        # from an empty database, as a fresh test would.
        self.example = transaction.atomic()
        self.example.__enter__()
        assert not Account.objects.exists()
        self.tenants: dict[str, Tenant] = {}
        self.api_reads = 0

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self.example.__exit__(None, None, None)

    @initialize(acme_limit=st.integers(0, 4), bluebird_limit=st.integers(0, 4))
    def open_two_accounts(self, acme_limit: int, bluebird_limit: int) -> None:
        for tenant, limit in zip(TENANTS, (acme_limit, bluebird_limit), strict=True):
            account = Account.objects.create(name=tenant.title(), active_goal_limit=limit)
            administrator = User.objects.create_user(
                f"admin@{tenant}.example",
                PASSWORD,
                account=account,
                role=User.Role.ADMINISTRATOR,
            )
            agent = User.objects.create_user(
                f"agent@{tenant}.example", PASSWORD, account=account, role=User.Role.AGENT
            )
            self.tenants[tenant] = Tenant(
                account, administrator, agent, self.make_api(administrator)
            )

    # Writes, each checked against what the model expects of it.

    def attempt(self, tenant: Tenant, write: Callable[[], Any], values: dict[str, Any]) -> Any:
        """Run a write; check it failed exactly as the model says, or left other accounts be."""
        before = rows()
        expected_problems = problems(values)
        if expected_problems:
            with pytest.raises(ValidationError) as refusal:
                write()
            assert set(refusal.value.message_dict) == expected_problems
            assert rows() == before, "a write refused as invalid changed the database"
            return None
        if values.get("enabled") is True and tenant.enabled_count >= tenant.limit:
            with pytest.raises(rules.GoalLimitExceeded) as refusal:
                write()
            assert refusal.value.limit == tenant.limit
            assert rows() == before, "a write refused for the limit changed the database"
            return None
        result = write()
        after = rows()
        for name, other in self.others(tenant):
            untouched = before[other.account.pk] == after[other.account.pk]
            assert untouched, f"a write touched {name}'s goals"
        return result

    def others(self, tenant: Tenant) -> list[tuple[str, Tenant]]:
        return [(name, other) for name, other in self.tenants.items() if other is not tenant]

    def create(self, tenant_name: str, values: dict[str, Any]) -> Any:
        tenant = self.tenants[tenant_name]
        # goal_create's own defaults: no name (which it refuses) and enabled, as the API's.
        model_values = {"name": None, "enabled": True, **values}
        goal = self.attempt(
            tenant,
            lambda: rules.goal_create(account=tenant.account, actor=tenant.administrator, **values),
            model_values,
        )
        if goal is None:
            return multiple()
        tenant.goals[goal.pk] = {
            "name": values["name"],
            "description": values.get("description", ""),
            "enabled": int(model_values["enabled"]),
            "attribution_model": values.get("attribution_model", "first_touch"),
            "attribution_period": values.get("attribution_period", 30),
            "settings": {"conditions": shown_conditions(values.get("conditions", []))},
        }
        return Ref(tenant_name, goal.pk)

    def update(self, ref: Ref, values: dict[str, Any], write: Callable[[Goal, User], Any]) -> None:
        tenant = self.tenants[ref.tenant]
        expected = tenant.goals[ref.pk]
        # Enabling a goal that is already enabled adds no active goal, so the limit has no say.
        model_values = dict(values)
        if expected["enabled"]:
            model_values.pop("enabled", None)
        goal = Goal.objects.get(pk=ref.pk)
        if self.attempt(tenant, lambda: write(goal, tenant.administrator), model_values) is None:
            return
        for name, value in values.items():
            if name == "conditions":
                expected["settings"] = {"conditions": shown_conditions(value)}
            else:
                expected[name] = int(value) if name == "enabled" else value

    @rule(target=goals, tenant=tenant_names, values=valid_goals)
    def create_a_valid_goal(self, tenant: str, values: dict[str, Any]) -> Any:
        return self.create(tenant, values)

    @rule(target=goals, tenant=tenant_names, values=any_goals)
    def create_any_goal(self, tenant: str, values: dict[str, Any]) -> Any:
        return self.create(tenant, values)

    @rule(ref=goals, values=valid_changes)
    def update_with_valid_values(self, ref: Ref, values: dict[str, Any]) -> None:
        self.update(
            ref, values, lambda goal, actor: rules.goal_update(goal=goal, actor=actor, **values)
        )

    @rule(ref=goals, values=changes)
    def update_with_any_values(self, ref: Ref, values: dict[str, Any]) -> None:
        self.update(
            ref, values, lambda goal, actor: rules.goal_update(goal=goal, actor=actor, **values)
        )

    @rule(ref=goals)
    def enable(self, ref: Ref) -> None:
        self.update(
            ref,
            {"enabled": True},
            lambda goal, actor: rules.goal_set_enabled(goal=goal, actor=actor, enabled=True),
        )

    @rule(ref=goals)
    def disable(self, ref: Ref) -> None:
        self.update(
            ref,
            {"enabled": False},
            lambda goal, actor: rules.goal_set_enabled(goal=goal, actor=actor, enabled=False),
        )

    @rule(ref=consumes(goals))
    def delete(self, ref: Ref) -> None:
        tenant = self.tenants[ref.tenant]
        goal = Goal.objects.get(pk=ref.pk)
        self.attempt(tenant, lambda: rules.goal_delete(goal=goal, actor=tenant.administrator), {})
        del tenant.goals[ref.pk]
        assert not Condition.objects.filter(goal_id=ref.pk).exists()

    @rule(
        ref=goals,
        intruder=st.sampled_from(["other account's administrator", "own account's agent"]),
        write=st.sampled_from(["update", "enable", "disable", "delete"]),
    )
    def refuse_a_user_who_may_not_manage_the_goal(
        self, ref: Ref, intruder: str, write: str
    ) -> None:
        tenant = self.tenants[ref.tenant]
        if intruder == "own account's agent":
            actor = tenant.agent
        else:
            actor = self.others(tenant)[0][1].administrator
        goal = Goal.objects.get(pk=ref.pk)
        writes = {
            "update": lambda: rules.goal_update(goal=goal, actor=actor, name="Taken over"),
            "enable": lambda: rules.goal_set_enabled(goal=goal, actor=actor, enabled=True),
            "disable": lambda: rules.goal_set_enabled(goal=goal, actor=actor, enabled=False),
            "delete": lambda: rules.goal_delete(goal=goal, actor=actor),
        }
        before = rows()
        with pytest.raises(PermissionDenied):
            writes[write]()
        assert rows() == before

    @precondition(lambda self: self.api_reads < API_READS_PER_EXAMPLE)
    @rule(tenant=tenant_names)
    def the_api_lists_what_the_model_holds(self, tenant: str) -> None:
        self.api_reads += 1
        response = self.tenants[tenant].api.get("/api/v2/goals")
        assert response.status_code == 200, response.content
        assert response.json() == self.tenants[tenant].expected_list()

    # Checked after every step.

    @invariant()
    def no_account_has_more_active_goals_than_its_limit(self) -> None:
        accounts = Account.objects.annotate(
            active=Count("goals", filter=Q(goals__enabled=True))
        ).values_list("name", "active", "active_goal_limit")
        for name, active, limit in accounts:
            assert active <= limit, f"{name} has {active} active goals, past its limit of {limit}"

    @invariant()
    def every_goal_is_as_modelled_and_one_the_api_would_create(self) -> None:
        """Each goal, shown as the API shows it and sent back as a new goal, is accepted."""
        # One serializer for every goal of both accounts: DRF's are slow to build.
        goals = list(Goal.objects.prefetch_related("conditions").order_by("pk"))
        bodies = as_api_json(GoalSerializer(goals, many=True).data)
        for tenant in self.tenants.values():
            shown = zip(goals, bodies, strict=True)
            held = [body for goal, body in shown if goal.account_id == tenant.account.pk]
            assert held == tenant.expected_list()
        assert len(goals) == sum(len(tenant.goals) for tenant in self.tenants.values())
        parsed = GoalInputSerializer(data=bodies, many=True, partial=True)
        assert parsed.is_valid(), parsed.errors
        accounts = {tenant.account.pk: tenant.account for tenant in self.tenants.values()}
        active = Counter(goal.account_id for goal in goals if goal.enabled)
        for goal, values in zip(goals, parsed.validated_data, strict=True):
            account = accounts[goal.account_id]
            if not (values["enabled"] and active[account.pk] >= account.active_goal_limit):
                rules.goal_check(account=account, **values)
                continue
            with transaction.atomic():
                # Sent as a new goal, it takes its own place: not one beside itself, which
                # would pass a full account's limit.
                Goal.objects.filter(pk=goal.pk).update(enabled=False)
                rules.goal_check(account=account, **values)
                transaction.set_rollback(True)


@pytest.mark.django_db
def test_no_sequence_of_writes_passes_the_limit_or_stores_a_goal_the_api_would_refuse(
    api_as: Callable[[User], Api],
) -> None:
    machine = type("Machine", (GoalRulesMachine,), {"make_api": staticmethod(api_as)})
    run_state_machine_as_test(machine, settings=MACHINE_SETTINGS)


any_text = st.text(
    alphabet=st.one_of(st.characters(), st.characters(categories=["Cs"]), st.just("\x00")),
    max_size=NAME_MAX_LENGTH + 10,
)


@pytest.mark.django_db
@settings(
    max_examples=100,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    name=st.one_of(
        any_text,
        st.text(min_size=NAME_MAX_LENGTH - 2, max_size=NAME_MAX_LENGTH + 2),
    )
)
def test_a_name_is_stored_exactly_or_refused_under_its_own_key(
    acme: Account, alice: User, name: str
) -> None:
    # acme and alice last for every example: each example rolls back what it stored.
    with transaction.atomic():
        if problems({"name": name}):
            with pytest.raises(ValidationError) as refusal:
                rules.goal_create(account=acme, actor=alice, name=name)
            assert set(refusal.value.message_dict) == {"name"}
            assert not Goal.objects.exists()
        else:
            goal = rules.goal_create(account=acme, actor=alice, name=name)
            assert list(Goal.objects.values_list("pk", "name")) == [(goal.pk, name)]
        transaction.set_rollback(True)
