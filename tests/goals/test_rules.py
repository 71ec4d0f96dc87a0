"""The goal rules on their own, as every door (API, pages, Django admin) calls them.

The bounds are written here as numbers, never imported: moving any bound in goals.models or
goals.rules by one fails a test below. Each field's bound is tried on both sides, through
goal_create and through goal_update (the `write` fixture), and goal_check must answer the same.
"""

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from accounts.models import Account, User
from goals import rules
from goals.models import Condition, Goal

CONDITIONS = [
    {"type": "url", "operator": "equals", "value": "https://acme.example/pricing"},
    {"operator": "contains", "value": "checkout"},
]

REQUIRED = ["This field is required."]
NOT_AN_HTTP_URL = 'A URL that must be equal has to start with "http://" or "https://".'

# One letter of each width in UTF-8: the bounds count characters, not bytes.
LETTERS = pytest.mark.parametrize(
    "letter", ["x", "é", "日", "😀"], ids=["ascii", "latin", "cjk", "emoji"]
)
BLANKS = pytest.mark.parametrize("blank", ["", " ", "\t\n "], ids=["empty", "space", "whitespace"])
# Text PostgreSQL cannot store, or that is not valid Unicode at all.
UNSTORABLE = pytest.mark.parametrize(
    "unstorable",
    ["a\x00b", "\x00", "a\ud800b", "\udfff"],
    ids=["nul", "only-nul", "high-surrogate", "low-surrogate"],
)


def stored() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every goal and condition as the database holds them (updated_at included)."""
    return (
        list(Goal.objects.order_by("pk").values()),
        list(Condition.objects.order_by("pk").values()),
    )


class Writer:
    """Writes a goal's fields through goal_create (goal None) or goal_update, and checks them
    with goal_check."""

    def __init__(self, account: Account, actor: User, goal: Goal | None) -> None:
        self.account, self.actor, self.goal = account, actor, goal

    def _fields(self, fields: dict[str, Any]) -> dict[str, Any]:
        return {"name": "Goal", **fields} if self.goal is None else fields

    def __call__(self, **fields: Any) -> Goal:
        if self.goal is None:
            return rules.goal_create(account=self.account, actor=self.actor, **self._fields(fields))
        return rules.goal_update(goal=self.goal, actor=self.actor, **fields)

    def check(self, **fields: Any) -> None:
        rules.goal_check(account=self.account, goal=self.goal, **self._fields(fields))

    def accepts(self, **fields: Any) -> Goal:
        """Write the fields, which must be valid; return the goal as stored."""
        self.check(**fields)
        return Goal.objects.get(pk=self(**fields).pk)

    def refuses(self, key: str, **fields: Any) -> list[str]:
        """Write the fields, which must be refused for `key` alone, storing nothing."""
        with pytest.raises(ValidationError) as checked:
            self.check(**fields)
        before = stored()
        with pytest.raises(ValidationError) as error:
            self(**fields)
        assert list(error.value.message_dict) == [key]
        assert checked.value.message_dict == error.value.message_dict
        assert stored() == before
        return error.value.message_dict[key]


@pytest.fixture(params=["create", "update"])
def write(
    request: pytest.FixtureRequest, acme: Account, alice: User, make_goal: Callable
) -> Writer:
    goal = None
    if request.param == "update":
        goal = make_goal(
            acme,
            name="Existing",
            description="Kept",
            attribution_model="last_touch",
            attribution_period=7,
            conditions=CONDITIONS,
        )
    return Writer(acme, alice, goal)


def a_condition(value: Any = "checkout", operator: Any = "contains", **more: Any) -> dict:
    return {"operator": operator, "value": value, **more}


def stored_conditions(goal: Goal) -> list[tuple[str, str, str]]:
    return list(goal.conditions.values_list("type", "operator", "value"))


# Name: required, never blank, at most 255 characters.


def test_name_is_required(write):
    assert write.refuses("name", name=None) == REQUIRED


@BLANKS
def test_blank_name_is_refused(write, blank):
    write.refuses("name", name=blank)


@LETTERS
def test_name_of_255_characters_is_accepted(write, letter):
    assert write.accepts(name=letter * 255).name == letter * 255


@LETTERS
def test_name_of_256_characters_is_refused(write, letter):
    write.refuses("name", name=letter * 256)


# Description: may be empty, at most 1,024 characters.


def test_empty_description_is_accepted(write):
    assert write.accepts(description="").description == ""


@LETTERS
def test_description_of_1024_characters_is_accepted(write, letter):
    assert write.accepts(description=letter * 1024).description == letter * 1024


@LETTERS
def test_description_of_1025_characters_is_refused(write, letter):
    write.refuses("description", description=letter * 1025)


# Text that cannot be stored, in any text field.


@UNSTORABLE
def test_name_that_cannot_be_stored_is_refused(write, unstorable):
    write.refuses("name", name=unstorable)


@UNSTORABLE
def test_description_that_cannot_be_stored_is_refused(write, unstorable):
    write.refuses("description", description=unstorable)


@UNSTORABLE
def test_condition_value_that_cannot_be_stored_is_refused(write, unstorable):
    write.refuses("conditions[0].value", conditions=[a_condition(unstorable)])


# Attribution: one of the two models, 1 to 30 days.


@pytest.mark.parametrize("model", ["first_touch", "last_touch"])
def test_each_attribution_model_is_accepted(write, model):
    assert write.accepts(attribution_model=model).attribution_model == model


@pytest.mark.parametrize(
    "model",
    ["First_Touch", "FIRST_TOUCH", "Last_Touch", "first-touch", "last_touch ", "", "linear"],
)
def test_any_other_attribution_model_is_refused(write, model):
    write.refuses("attribution_model", attribution_model=model)


@pytest.mark.parametrize("days", [1, 30])
def test_attribution_period_of_1_or_30_days_is_accepted(write, days):
    assert write.accepts(attribution_period=days).attribution_period == days


@pytest.mark.parametrize("days", [0, 31, -1])
def test_attribution_period_of_0_or_31_days_is_refused(write, days):
    write.refuses("attribution_period", attribution_period=days)


# Conditions: at most 20; each an url condition that equals or contains a value.


def test_20_conditions_are_accepted(write):
    conditions = [a_condition(f"page-{n}") for n in range(20)]

    goal = write.accepts(conditions=conditions)

    assert stored_conditions(goal) == [("url", "contains", f"page-{n}") for n in range(20)]


def test_21_conditions_are_refused(write):
    write.refuses("conditions", conditions=[a_condition(f"page-{n}") for n in range(21)])


@LETTERS
def test_condition_value_of_2048_characters_is_accepted(write, letter):
    goal = write.accepts(conditions=[a_condition(letter * 2048)])

    assert stored_conditions(goal) == [("url", "contains", letter * 2048)]


@LETTERS
def test_condition_value_of_2049_characters_is_refused(write, letter):
    write.refuses("conditions[0].value", conditions=[a_condition(letter * 2049)])


def test_equals_value_of_2048_characters_is_accepted_and_2049_refused(write):
    url = "https://acme.example/"
    write.refuses("conditions[0].value", conditions=[a_condition(url.ljust(2049, "x"), "equals")])

    goal = write.accepts(conditions=[a_condition(url.ljust(2048, "x"), "equals")])

    assert stored_conditions(goal) == [("url", "equals", url.ljust(2048, "x"))]


@BLANKS
@pytest.mark.parametrize("operator", ["contains", "equals"])
def test_blank_condition_value_is_refused(write, blank, operator):
    write.refuses("conditions[0].value", conditions=[a_condition(blank, operator)])


@pytest.mark.parametrize("field", ["value", "operator"])
def test_condition_value_and_operator_are_required(write, field):
    condition = a_condition(**{field: None})
    assert write.refuses(f"conditions[0].{field}", conditions=[condition]) == REQUIRED


@pytest.mark.parametrize(
    ("operator", "value"), [("equals", "https://acme.example/"), ("contains", "checkout")]
)
def test_each_operator_is_accepted(write, operator, value):
    goal = write.accepts(conditions=[a_condition(value, operator)])

    assert stored_conditions(goal) == [("url", operator, value)]


@pytest.mark.parametrize(
    "operator", ["EQUALS", "Contains", "contain", "starts_with", "not_equals", "", " equals"]
)
def test_any_other_operator_is_refused(write, operator):
    write.refuses("conditions[0].operator", conditions=[a_condition(operator=operator)])


@pytest.mark.parametrize("given", [{"type": "url"}, {}], ids=["given", "missing"])
def test_condition_type_url_is_accepted_and_the_default(write, given):
    goal = write.accepts(conditions=[a_condition(**given)])

    assert stored_conditions(goal) == [("url", "contains", "checkout")]


@pytest.mark.parametrize("condition_type", ["URL", "Url", "page", "event", ""])
def test_any_other_condition_type_is_refused(write, condition_type):
    write.refuses("conditions[0].type", conditions=[a_condition(type=condition_type)])


@pytest.mark.parametrize(
    "value",
    [
        "http://x.example/",
        "https://x.example/",
        "HTTPS://x.example/",
        "Http://x.example/",
        "hTtPs://x.example/pricing?plan=pro",
    ],
)
def test_equals_value_starting_with_http_or_https_in_any_case_is_accepted(write, value):
    goal = write.accepts(conditions=[a_condition(value, "equals")])

    assert stored_conditions(goal) == [("url", "equals", value)]


@pytest.mark.parametrize(
    "value",
    [
        "ftp://x.example/",
        "/pricing",
        "x.example/pricing",
        "http:/x.example/",
        "https:x.example",
        "httpx://x.example/",
        "://x.example/",
        "\u2063https://x.example/",
    ],
)
def test_equals_value_that_is_not_an_http_url_is_refused(write, value):
    assert write.refuses("conditions[0].value", conditions=[a_condition(value, "equals")]) == [
        NOT_AN_HTTP_URL
    ]


@pytest.mark.parametrize("value", ["/pricing", "ftp://x.example/", "pricing", "HTTPS://"])
def test_contains_value_need_not_be_a_url(write, value):
    goal = write.accepts(conditions=[a_condition(value, "contains")])

    assert stored_conditions(goal) == [("url", "contains", value)]


# Values as people paste them: the spaces, tabs and line breaks around a value are no part of it.


@pytest.mark.parametrize(
    "pasted",
    [
        "https://shop.example/thanks ",
        " https://shop.example/thanks",
        "https://shop.example/thanks\t",
        "https://shop.example/thanks\n",
        "\r\n  https://shop.example/thanks \t\r\n",
        "\u00a0https://shop.example/thanks\u3000",
    ],
    ids=["trailing-space", "leading-space", "tab", "line-break", "all-around", "unicode-spaces"],
)
@pytest.mark.parametrize("operator", ["equals", "contains"])
def test_value_with_whitespace_around_is_stored_trimmed(write, pasted, operator):
    goal = write.accepts(conditions=[a_condition(pasted, operator)])

    assert stored_conditions(goal) == [("url", operator, "https://shop.example/thanks")]


def test_equals_value_with_a_pasted_leading_space_is_not_told_to_start_with_http(write):
    goal = write.accepts(conditions=[a_condition(" https://shop.example/thanks", "equals")])

    assert stored_conditions(goal) == [("url", "equals", "https://shop.example/thanks")]


def test_whitespace_inside_a_value_is_kept(write):
    goal = write.accepts(conditions=[a_condition(" thank you\tpage ")])

    assert stored_conditions(goal) == [("url", "contains", "thank you\tpage")]


def test_value_of_2048_characters_with_whitespace_around_is_accepted(write):
    url = "https://acme.example/".ljust(2048, "x")

    goal = write.accepts(conditions=[a_condition(f"  {url}\n", "equals")])

    assert stored_conditions(goal) == [("url", "equals", url)]


def test_a_value_trimmed_to_nothing_is_refused_as_blank(write):
    assert write.refuses("conditions[0].value", conditions=[a_condition(" \t\r\n\u00a0 ")]) == [
        "This field may not be blank."
    ]


def test_condition_value_as_stored_trims_only_the_whitespace_around_it():
    assert rules.condition_value_as_stored("\t https://x.example/a b \n") == "https://x.example/a b"


# An equals value needs a host: without one it could never equal a visited URL.


@pytest.mark.parametrize(
    ("value", "scheme"),
    [
        ("https://", "https"),
        ("http://", "http"),
        ("HTTPS://", "https"),
        ("https:// ", "https"),
        ("http:///thanks", "http"),
        ("https://?order=1", "https"),
        ("https://#top", "https"),
        ("https://:443/", "https"),
        ("https://ann@/", "https"),
        ("https://   /thanks", "https"),
    ],
)
def test_equals_value_without_a_host_is_refused_saying_the_host_is_missing(write, value, scheme):
    assert write.refuses("conditions[0].value", conditions=[a_condition(value, "equals")]) == [
        f'The URL has no host: write one after "{scheme}://", '
        f'as in "{scheme}://shop.example/pricing".'
    ]


@pytest.mark.parametrize(
    "value",
    [
        "https://shop.example",
        "https://localhost/",
        "http://[::1]:8000/",
        "https://ann@shop.example:8443/",
        "https://bücher.example/",
    ],
)
def test_equals_value_with_a_host_is_accepted_whatever_follows(write, value):
    goal = write.accepts(conditions=[a_condition(value, "equals")])

    assert stored_conditions(goal) == [("url", "equals", value)]


def test_equals_value_is_stored_as_written_not_in_its_normal_form(write):
    goal = write.accepts(conditions=[a_condition("HTTPS://Shop.Example/%7Eann", "equals")])

    assert stored_conditions(goal) == [("url", "equals", "HTTPS://Shop.Example/%7Eann")]


def test_an_error_names_the_condition_it_is_about(write):
    conditions = [a_condition(f"page-{n}") for n in range(5)]
    conditions[3] = a_condition("x" * 2049)

    write.refuses("conditions[3].value", conditions=conditions)


def test_a_goal_created_with_only_a_name_has_the_documented_defaults(acme, alice):
    goal = rules.goal_create(account=acme, actor=alice, name="Pricing")

    goal.refresh_from_db()
    assert (
        goal.description,
        goal.enabled,
        goal.attribution_model,
        goal.attribution_period,
        goal.conditions.count(),
    ) == ("", True, "first_touch", 30, 0)


def test_every_invalid_field_is_reported_at_once(acme, alice):
    with pytest.raises(ValidationError) as error:
        rules.goal_create(
            account=acme,
            actor=alice,
            name=" ",
            description="d" * 1025,
            attribution_model="middle_touch",
            attribution_period=0,
            conditions=[{"type": "page", "operator": "is", "value": "\x00"}],
        )

    assert set(error.value.message_dict) == {
        "name",
        "description",
        "attribution_model",
        "attribution_period",
        "conditions[0].type",
        "conditions[0].operator",
        "conditions[0].value",
    }
    assert stored() == ([], [])


# Writes beyond the bounds.


def test_goal_is_created_with_its_conditions_in_order(acme, alice):
    goal = rules.goal_create(account=acme, actor=alice, name="Pricing", conditions=CONDITIONS)

    assert list(goal.conditions.values_list("position", "type", "operator", "value")) == [
        (0, "url", "equals", "https://acme.example/pricing"),
        (1, "url", "contains", "checkout"),
    ]


def test_update_changes_only_the_fields_given(acme, alice, make_goal):
    goal = make_goal(acme, description="Kept", attribution_period=7, conditions=CONDITIONS)

    rules.goal_update(goal=goal, actor=alice, name="Renamed")

    goal.refresh_from_db()
    assert (goal.name, goal.description, goal.attribution_period) == ("Renamed", "Kept", 7)
    assert goal.conditions.count() == 2


def test_given_conditions_replace_the_whole_list(acme, alice, make_goal):
    goal = make_goal(acme, conditions=CONDITIONS)

    rules.goal_update(goal=goal, actor=alice, conditions=[{"operator": "contains", "value": "x"}])

    assert list(goal.conditions.values_list("position", "value")) == [(0, "x")]


def test_an_empty_list_removes_every_condition(acme, alice, make_goal):
    goal = make_goal(acme, conditions=CONDITIONS)

    rules.goal_update(goal=goal, actor=alice, conditions=[])

    assert not Condition.objects.exists()


def test_invalid_update_changes_not_even_its_valid_fields(acme, alice, make_goal):
    goal = make_goal(acme, name="Kept", conditions=CONDITIONS)
    before = stored()

    with pytest.raises(ValidationError) as error:
        rules.goal_update(
            goal=goal,
            actor=alice,
            name="New name",
            conditions=[{"operator": "equals", "value": "cart"}],
        )

    assert error.value.message_dict == {
        "conditions[0].value": [
            'A URL that must be equal has to start with "http://" or "https://".'
        ]
    }
    assert stored() == before


# The active-goal limit: an account may have as many enabled goals as its limit, and no more.


def add_active_goal(how: str, account: Account, actor: User) -> None:
    """One more enabled goal: created so, enabled after being created disabled, or only checked."""
    if how == "create":
        rules.goal_create(account=account, actor=actor, name="One more")
    elif how == "enable":
        spare = rules.goal_create(account=account, actor=actor, name="One more", enabled=False)
        rules.goal_update(goal=spare, actor=actor, enabled=True)
    else:
        rules.goal_check(account=account, name="One more", enabled=True)


def set_limit(account: Account, limit: int) -> None:
    account.active_goal_limit = limit
    account.save()


def active_goals() -> int:
    return Goal.objects.filter(enabled=True).count()


WAYS = pytest.mark.parametrize("how", ["create", "enable", "check"])
LIMITS = pytest.mark.parametrize("limit", [1, 2, 5])


def test_a_new_account_may_have_5_active_goals(acme, alice, make_goal):
    assert acme.active_goal_limit == 5
    for n in range(5):
        make_goal(acme, name=f"Goal {n}")

    with pytest.raises(rules.GoalLimitExceeded) as error:
        rules.goal_create(account=acme, actor=alice, name="Sixth")

    assert error.value.limit == 5
    assert Goal.objects.count() == 5


@WAYS
@LIMITS
def test_the_last_active_goal_the_limit_allows_is_accepted(acme, alice, make_goal, how, limit):
    set_limit(acme, limit)
    for n in range(limit - 1):
        make_goal(acme, name=f"Goal {n}")

    add_active_goal(how, acme, alice)

    assert active_goals() == (limit if how != "check" else limit - 1)


@WAYS
@LIMITS
def test_one_active_goal_past_the_limit_is_refused(acme, alice, make_goal, how, limit):
    set_limit(acme, limit)
    for n in range(limit):
        make_goal(acme, name=f"Goal {n}")

    with pytest.raises(rules.GoalLimitExceeded) as error:
        add_active_goal(how, acme, alice)

    assert error.value.limit == limit
    assert active_goals() == limit
    assert Goal.objects.count() == (limit + 1 if how == "enable" else limit)


@WAYS
def test_raising_the_limit_by_one_lets_the_refused_goal_in(acme, alice, make_goal, how):
    set_limit(acme, 2)
    for n in range(2):
        make_goal(acme, name=f"Goal {n}")
    with pytest.raises(rules.GoalLimitExceeded):
        add_active_goal(how, acme, alice)

    set_limit(acme, 3)

    add_active_goal(how, acme, alice)


@WAYS
def test_lowering_the_limit_by_one_refuses_the_goal_it_let_in(acme, alice, make_goal, how):
    set_limit(acme, 3)
    for n in range(2):
        make_goal(acme, name=f"Goal {n}")

    set_limit(acme, 2)

    with pytest.raises(rules.GoalLimitExceeded):
        add_active_goal(how, acme, alice)


def test_a_disabled_goal_past_the_limit_is_allowed(acme, alice, make_goal):
    set_limit(acme, 2)
    for n in range(2):
        make_goal(acme, name=f"Goal {n}")

    spare = rules.goal_create(account=acme, actor=alice, name="Spare", enabled=False)
    rules.goal_update(goal=spare, actor=alice, name="Renamed spare", attribution_period=1)
    rules.goal_check(account=acme, goal=spare, name="Renamed again", enabled=False)

    assert (Goal.objects.count(), active_goals()) == (3, 2)


def test_an_active_goal_at_the_limit_may_be_saved_enabled_again(acme, alice, make_goal):
    set_limit(acme, 2)
    goals = [make_goal(acme, name=f"Goal {n}") for n in range(2)]

    rules.goal_check(account=acme, goal=goals[0], enabled=True)
    rules.goal_update(goal=goals[0], actor=alice, name="Renamed", enabled=True)

    assert active_goals() == 2


def test_disabling_a_goal_at_the_limit_makes_room_to_enable_another(acme, alice, make_goal):
    set_limit(acme, 2)
    active = [make_goal(acme, name=f"Goal {n}") for n in range(2)]
    spare = make_goal(acme, name="Spare", enabled=False)

    with pytest.raises(rules.GoalLimitExceeded):
        rules.goal_set_enabled(goal=spare, actor=alice, enabled=True)
    rules.goal_set_enabled(goal=active[0], actor=alice, enabled=False)
    rules.goal_set_enabled(goal=spare, actor=alice, enabled=True)

    assert set(Goal.objects.filter(enabled=True).values_list("name", flat=True)) == {
        "Goal 1",
        "Spare",
    }


def test_a_truthy_enabled_that_is_not_a_bool_still_meets_the_limit(acme, alice, make_goal):
    set_limit(acme, 1)
    make_goal(acme, name="Active")
    spare = make_goal(acme, name="Spare", enabled=False)

    with pytest.raises(rules.GoalLimitExceeded):
        rules.goal_set_enabled(goal=spare, actor=alice, enabled=1)
    with pytest.raises(rules.GoalLimitExceeded):
        rules.goal_check(account=acme, goal=spare, enabled=1)

    assert active_goals() == 1


def test_the_limit_counts_only_the_accounts_own_goals(acme, alice, bluebird, bob, make_goal):
    set_limit(acme, 1)
    set_limit(bluebird, 1)
    make_goal(bluebird, name="Bluebird's")

    rules.goal_create(account=acme, actor=alice, name="Acme's")

    assert active_goals() == 2


# Who may write.


def test_agent_may_not_write_goals(acme, arthur, make_goal, alice):
    goal = make_goal(acme)

    with pytest.raises(PermissionDenied):
        rules.goal_create(account=acme, actor=arthur, name="Agent's goal")
    with pytest.raises(PermissionDenied):
        rules.goal_update(goal=goal, actor=arthur, name="Agent's name")
    with pytest.raises(PermissionDenied):
        rules.goal_delete(goal=goal, actor=arthur)

    assert list(Goal.objects.values_list("name", flat=True)) == ["Pricing page"]


def test_administrator_of_another_account_may_not_write_its_goals(acme, alice, bob, make_goal):
    goal = make_goal(acme)

    with pytest.raises(PermissionDenied):
        rules.goal_update(goal=goal, actor=bob, name="Taken over")
    with pytest.raises(PermissionDenied):
        rules.goal_create(account=acme, actor=bob, name="Planted")

    assert list(Goal.objects.values_list("name", flat=True)) == ["Pricing page"]


def test_operator_may_manage_any_account_goals(acme, alice, make_goal):
    operator = User.objects.create_superuser("ops@goals.example", "operator-password-1")
    goal = make_goal(acme)

    rules.goal_update(goal=goal, actor=operator, name="Fixed by operator")

    goal.refresh_from_db()
    assert goal.name == "Fixed by operator"


# The database repeats the rules, whatever writes to it.


def test_database_refuses_an_equals_condition_that_is_not_a_url(acme, alice, make_goal):
    goal = make_goal(acme)

    with pytest.raises(IntegrityError), transaction.atomic():
        Condition.objects.create(goal=goal, position=0, operator="equals", value="cart")


@pytest.mark.parametrize("days", [0, 31])
def test_database_refuses_an_attribution_period_out_of_range(acme, alice, make_goal, days):
    goal = make_goal(acme)
    goal.attribution_period = days

    with pytest.raises(IntegrityError), transaction.atomic():
        goal.save()


def test_database_refuses_two_conditions_at_one_position(acme, alice, make_goal):
    goal = make_goal(acme, conditions=CONDITIONS)

    with pytest.raises(IntegrityError), transaction.atomic():
        Condition.objects.create(goal=goal, position=1, operator="contains", value="again")


@pytest.mark.parametrize(
    "pasted", ["\u200bhttps://shop.example/thanks", "https://shop.example/thanks\ufeff \u2060"]
)
def test_invisible_characters_around_a_pasted_value_are_trimmed(write, pasted):
    goal = write(conditions=[{"operator": "equals", "value": pasted}])

    assert [c.value for c in goal.conditions.all()] == ["https://shop.example/thanks"]


@pytest.mark.parametrize(
    "value",
    [
        "https:// shop.example/",
        "https://shop.example/thanks\n\nmore",
        "https://shop.example/a b",
        "https://shop.example/\u200bthanks",
    ],
)
def test_equals_value_with_a_space_or_line_break_inside_is_refused(write, value):
    with pytest.raises(ValidationError) as refused:
        write(conditions=[{"operator": "equals", "value": value}])

    assert refused.value.message_dict["conditions[0].value"] == [
        "A URL cannot contain spaces, line breaks or invisible characters: a browser sends a "
        'space as "%20".'
    ]


@pytest.mark.parametrize(
    "value",
    ["http://localhost:8000/x", "https://bücher.example/", "https://[::1]/x", "HTTPS://A.EXAMPLE/"],
)
def test_equals_value_with_any_real_host_is_accepted(write, value):
    goal = write(conditions=[{"operator": "equals", "value": value}])

    assert [c.value for c in goal.conditions.all()] == [value]
