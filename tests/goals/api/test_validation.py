"""How POST /api/v2/goals and PUT/PATCH /api/v2/goals/{id} parse a body and answer its errors.

The API's own parsing (JSON, JSON types) is tried in full here. The rules' bounds are tried in
tests/goals/test_rules.py; here, each way a rules' error reaches the answer (a goal's field, a
condition's field under either spelling, the list of conditions, several errors at once) once.

Every refusal is a 400 whose exact body is asserted, and leaves the stored goals and conditions
exactly as they were: a refused create stores nothing, a refused update changes nothing.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from goals.models import Condition, Goal
from tests.helpers.api import Api

GOALS = "/api/v2/goals"
NOTHING_SAVED = "Nothing was saved: correct the fields listed in details."
NOT_A_FLAG = ["Must be 0, 1, true or false."]
REQUIRED = ["This field is required."]
NOT_NULL = ["This field may not be null."]
BLANK = ["This field may not be blank."]
NOT_A_STRING = ["Not a valid string."]
NOT_AN_INTEGER = ["Not a valid integer."]
NUL = ["Null characters are not allowed."]
SURROGATE = ["The text contains an unpaired surrogate, which is not valid Unicode."]
NOT_A_URL = ['A URL that must be equal has to start with "http://" or "https://".']
CONTAINS_CART = {"type": "url", "operator": "contains", "value": "cart"}

CHECKOUT = {
    "name": "Checkout",
    "description": "Paid orders",
    "enabled": 1,
    "attribution_model": "last_touch",
    "attribution_period": 7,
    "settings": {
        "conditions": [
            {"type": "url", "operator": "equals", "value": "https://shop.example/thanks"},
            {"type": "url", "operator": "contains", "value": "order-confirmed"},
        ]
    },
}


def invalid(details: dict[str, list[str]]) -> dict[str, Any]:
    return {"error": "Invalid input", "description": NOTHING_SAVED, "details": details}


def invalid_json(description: str) -> dict[str, str]:
    return {"error": "Invalid JSON", "description": f"JSON parse error - {description}"}


def stored() -> tuple[list[dict], list[dict]]:
    """Every goal and condition row, updated_at included: a refused write must not touch one."""
    goals = list(Goal.objects.order_by("id").values())
    conditions = list(Condition.objects.order_by("id").values())
    return goals, conditions


def too_long(length: int, limit: int) -> list[str]:
    return [f"Ensure this value has at most {limit} characters (it has {length})."]


def not_a_choice(value: str, *choices: str) -> list[str]:
    allowed = " or ".join(f'"{choice}"' for choice in choices)
    return [f'"{value}" is not a valid choice. Choose {allowed}.']


def out_of_range(period: int) -> list[str]:
    return [f"Ensure this value is between 1 and 30 days (it is {period})."]


def nested(conditions: Any) -> dict[str, Any]:
    return {"settings": {"conditions": conditions}}


def flattened(conditions: Any) -> dict[str, Any]:
    return {"settings.conditions": conditions}


@dataclass
class Door:
    """One way of writing a goal: create it (POST) or update Checkout (PUT or PATCH)."""

    api: Api
    method: str
    path: str

    @property
    def creates(self) -> bool:
        return self.method == "POST"

    def send(self, body: Any = None, *, raw: bytes | str | None = None) -> Any:
        return self.api.request(self.method, self.path, body, raw=raw)

    def assert_refused(self, body: Any, expected: dict, *, raw: bytes | str | None = None) -> None:
        before = stored()

        response = self.send(body, raw=raw)

        assert response.status_code == 400
        assert response.json() == expected
        assert stored() == before

    def assert_accepted(self, body: Any, *, raw: str | None = None) -> dict[str, Any]:
        response = self.send(body, raw=raw)

        assert response.status_code == (201 if self.creates else 200), response.content
        shown = response.json()
        assert self.api.get(f"{GOALS}/{shown['id']}").json() == shown
        return shown


@pytest.fixture
def checkout(acme, make_goal) -> Goal:
    """Alice's existing goal, which every refused update must leave as it was."""
    return make_goal(
        acme,
        name=CHECKOUT["name"],
        description=CHECKOUT["description"],
        attribution_model=CHECKOUT["attribution_model"],
        attribution_period=CHECKOUT["attribution_period"],
        conditions=CHECKOUT["settings"]["conditions"],
    )


@pytest.fixture(params=["POST", "PUT", "PATCH"])
def door(request: pytest.FixtureRequest, alice_api: Api, checkout: Goal) -> Door:
    path = GOALS if request.param == "POST" else f"{GOALS}/{checkout.id}"
    return Door(alice_api, request.param, path)


@pytest.fixture(params=["PUT", "PATCH"])
def update(request: pytest.FixtureRequest, alice_api: Api, checkout: Goal) -> Door:
    return Door(alice_api, request.param, f"{GOALS}/{checkout.id}")


@pytest.fixture(params=[nested, flattened], ids=["nested", "flattened"])
def spell(request: pytest.FixtureRequest) -> Callable[[Any], dict[str, Any]]:
    """Put conditions in a body as settings.conditions, or under the flattened key."""
    return request.param


# The body ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "description"),
    [
        pytest.param(
            "{",
            "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
            id="unclosed",
        ),
        pytest.param(
            '{"name": "Checkout",}',
            "Expecting property name enclosed in double quotes: line 1 column 21 (char 20)",
            id="trailing-comma",
        ),
        pytest.param(
            "{'name': 'Checkout'}",
            "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
            id="single-quotes",
        ),
        pytest.param(
            '{"name": "Checkout"} and more', "Extra data: line 1 column 22 (char 21)", id="extra"
        ),
        pytest.param("NaN", "Out of range float values are not JSON compliant: 'NaN'", id="nan"),
        pytest.param(
            '{"name": "Checkout", "attribution_period": Infinity}',
            "Out of range float values are not JSON compliant: 'Infinity'",
            id="infinity",
        ),
    ],
)
def test_malformed_json_is_refused_as_invalid_json(door, raw, description):
    door.assert_refused(None, invalid_json(description), raw=raw)


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("[" * 100_000, id="arrays"),
        pytest.param('{"name": ' * 20_000, id="objects"),
        pytest.param('{"name": "Cart", "settings": {"conditions": [' + "[" * 100_000, id="inside"),
    ],
)
def test_json_nested_too_deeply_is_refused_with_400_not_500(door, raw):
    door.assert_refused(None, invalid_json("the document is nested too deeply."), raw=raw)


@pytest.mark.parametrize(
    ("raw", "description"),
    [
        pytest.param(
            b'{"name": "caf\xe9"}',
            "'utf-8' codec can't decode byte 0xe9 in position 13: invalid continuation byte",
            id="latin-1",
        ),
        pytest.param(
            b'{"name": "\xff\xfe"}',
            "'utf-8' codec can't decode byte 0xff in position 10: invalid start byte",
            id="garbage",
        ),
        pytest.param(
            '{"name": "Cart"}'.encode("utf-16"),
            "'utf-8' codec can't decode byte 0xff in position 0: invalid start byte",
            id="utf-16",
        ),
    ],
)
def test_bytes_that_are_not_utf8_are_refused_as_invalid_json(door, raw, description):
    door.assert_refused(None, invalid_json(description), raw=raw)


def test_a_number_too_long_to_parse_is_invalid_json_explained_without_python_internals(door):
    before = stored()

    response = door.send(raw='{"name": "Cart", "attribution_period": 1' + "0" * 5000 + "}")

    # Python's own advice ("use sys.set_int_max_str_digits() to increase the limit") means
    # nothing to a client of the API.
    assert response.status_code == 400
    assert response.json()["error"] == "Invalid JSON"
    assert "sys.set_int_max_str_digits" not in response.json()["description"]
    assert stored() == before


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        pytest.param("[]", "Invalid data. Expected a dictionary, but got list.", id="array"),
        pytest.param(
            '[{"name": "Cart"}]', "Invalid data. Expected a dictionary, but got list.", id="list"
        ),
        pytest.param('"Cart"', "Invalid data. Expected a dictionary, but got str.", id="string"),
        pytest.param("30", "Invalid data. Expected a dictionary, but got int.", id="number"),
        pytest.param("true", "Invalid data. Expected a dictionary, but got bool.", id="boolean"),
        pytest.param("null", "No data provided", id="null"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_refused(door, raw, message):
    door.assert_refused(None, invalid({"body": [message]}), raw=raw)


# name ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("", id="no-body"),
        pytest.param("{}", id="empty-object"),
        pytest.param('{"description": "Paid orders", "enabled": 0}', id="other-fields"),
        pytest.param('{"Name": "Cart"}', id="other-case"),
    ],
)
def test_name_is_required_on_create(alice_api, checkout, raw):
    Door(alice_api, "POST", GOALS).assert_refused(None, invalid({"name": REQUIRED}), raw=raw)


@pytest.mark.parametrize(
    ("name", "messages"),
    [
        pytest.param("\t\n\u00a0", BLANK, id="whitespace"),
        pytest.param(123, NOT_A_STRING, id="number"),
        pytest.param(True, NOT_A_STRING, id="boolean"),
        pytest.param(None, NOT_NULL, id="null"),
        pytest.param([], NOT_A_STRING, id="array"),
        pytest.param(["Cart"], NOT_A_STRING, id="list"),
        pytest.param({}, NOT_A_STRING, id="object"),
        pytest.param("x" * 256, too_long(256, 255), id="256-characters"),
        pytest.param("\u0000", NUL, id="nul"),
        pytest.param(" " * 256, BLANK + too_long(256, 255), id="blank-and-too-long"),
    ],
)
def test_invalid_name_is_refused(door, name, messages):
    door.assert_refused({"name": name}, invalid({"name": messages}))


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(r'{"name": "\ud800"}', id="high-alone"),
        pytest.param(r'{"name": "Cart \udfff"}', id="low-alone"),
        pytest.param(r'{"name": "\udfff\ud800"}', id="reversed-pair"),
    ],
)
def test_name_with_an_unpaired_surrogate_is_refused(door, raw):
    door.assert_refused(None, invalid({"name": SURROGATE}), raw=raw)


@pytest.mark.parametrize(
    "name",
    [
        # Sent as JSON escapes, each emoji a surrogate pair: one character, not two.
        pytest.param("😀" * 255, id="255-emoji"),
        pytest.param(" Thanks page ", id="spaces-around"),
    ],
)
def test_name_up_to_255_characters_is_accepted(door, name):
    shown = door.assert_accepted({"name": name})

    assert shown["name"] == name
    assert Goal.objects.get(pk=shown["id"]).name == name


# description ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("description", "messages"),
    [
        pytest.param(5, NOT_A_STRING, id="number"),
        pytest.param(False, NOT_A_STRING, id="boolean"),
        pytest.param(None, NOT_NULL, id="null"),
        pytest.param([], NOT_A_STRING, id="array"),
        pytest.param({"text": "Paid"}, NOT_A_STRING, id="object"),
    ],
)
def test_invalid_description_is_refused(door, description, messages):
    body = {"name": "Thanks page", "description": description}

    door.assert_refused(body, invalid({"description": messages}))


@pytest.mark.parametrize(
    "description",
    [
        pytest.param("   ", id="spaces"),
    ],
)
def test_description_of_spaces_is_accepted_as_sent(door, description):
    shown = door.assert_accepted({"name": "Thanks page", "description": description})

    assert shown["description"] == description


# enabled -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("enabled", "shown"), [(0, 0), (1, 1), (False, 0), (True, 1)], ids=["0", "1", "false", "true"]
)
def test_enabled_accepts_0_1_true_and_false_and_answers_the_integer(door, enabled, shown):
    answer = door.assert_accepted({"name": "Thanks page", "enabled": enabled})

    assert answer["enabled"] == shown
    assert type(answer["enabled"]) is int
    assert Goal.objects.get(pk=answer["id"]).enabled is bool(shown)


@pytest.mark.parametrize(
    ("enabled", "messages"),
    [
        pytest.param("1", NOT_A_FLAG, id="string-1"),
        pytest.param("0", NOT_A_FLAG, id="string-0"),
        pytest.param("true", NOT_A_FLAG, id="string-true"),
        pytest.param("", NOT_A_FLAG, id="empty-string"),
        pytest.param(2, NOT_A_FLAG, id="2"),
        pytest.param(-1, NOT_A_FLAG, id="-1"),
        pytest.param(1.5, NOT_A_FLAG, id="1.5"),
        pytest.param(1.0, NOT_A_FLAG, id="1.0"),
        pytest.param([], NOT_A_FLAG, id="array"),
        pytest.param([1], NOT_A_FLAG, id="list"),
        pytest.param({}, NOT_A_FLAG, id="object"),
        # null is refused like null in every other field.
        pytest.param(None, NOT_NULL, id="null"),
    ],
)
def test_enabled_refuses_anything_but_0_1_true_and_false(door, enabled, messages):
    door.assert_refused({"name": "Thanks page", "enabled": enabled}, invalid({"enabled": messages}))


# attribution_model ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "messages"),
    [
        pytest.param(
            "linear", not_a_choice("linear", "first_touch", "last_touch"), id="other-model"
        ),
        pytest.param(
            "x" * 300, not_a_choice("x" * 50, "first_touch", "last_touch"), id="long-is-cut"
        ),
        pytest.param(1, NOT_A_STRING, id="number"),
        pytest.param(True, NOT_A_STRING, id="boolean"),
        pytest.param(["first_touch"], NOT_A_STRING, id="list"),
        pytest.param(None, NOT_NULL, id="null"),
    ],
)
def test_invalid_attribution_model_is_refused(door, model, messages):
    body = {"name": "Thanks page", "attribution_model": model}

    door.assert_refused(body, invalid({"attribution_model": messages}))


def test_attribution_model_with_an_unpaired_surrogate_is_refused_and_shown_replaced(door):
    raw = r'{"name": "Thanks page", "attribution_model": "first\ud800"}'
    messages = not_a_choice("first?", "first_touch", "last_touch")

    door.assert_refused(None, invalid({"attribution_model": messages}), raw=raw)


# attribution_period --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "messages"),
    [
        pytest.param(10**18, out_of_range(10**18), id="10**18"),
        pytest.param("15", NOT_AN_INTEGER, id="string"),
        pytest.param(15.5, NOT_AN_INTEGER, id="15.5"),
        pytest.param(15.0, NOT_AN_INTEGER, id="15.0"),
        pytest.param(True, NOT_AN_INTEGER, id="true"),
        pytest.param(False, NOT_AN_INTEGER, id="false"),
        pytest.param([15], NOT_AN_INTEGER, id="list"),
        pytest.param(None, NOT_NULL, id="null"),
    ],
)
def test_invalid_attribution_period_is_refused(door, period, messages):
    body = {"name": "Thanks page", "attribution_period": period}

    door.assert_refused(body, invalid({"attribution_period": messages}))


def test_attribution_period_overflowing_a_float_is_not_an_integer(door):
    raw = '{"name": "Thanks page", "attribution_period": 1e400}'

    door.assert_refused(None, invalid({"attribution_period": NOT_AN_INTEGER}), raw=raw)


# settings ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "messages"),
    [
        pytest.param(None, NOT_NULL, id="null"),
        pytest.param("url", ["Invalid data. Expected a dictionary, but got str."], id="string"),
        pytest.param([], ["Invalid data. Expected a dictionary, but got list."], id="array"),
        pytest.param(5, ["Invalid data. Expected a dictionary, but got int."], id="number"),
    ],
)
def test_settings_that_is_not_an_object_is_refused_under_the_key_settings(door, value, messages):
    # The error names the field that is wrong, "settings", not a "settings.body" that no
    # client ever sent.
    door.assert_refused({"name": "Thanks page", "settings": value}, invalid({"settings": messages}))


@pytest.mark.parametrize("value", [{}, {"color": "red"}], ids=["empty", "unknown-key"])
def test_settings_without_conditions_on_create_gives_no_conditions(alice_api, value):
    shown = Door(alice_api, "POST", GOALS).assert_accepted(
        {"name": "Thanks page", "settings": value}
    )

    assert shown["settings"] == {"conditions": []}
    assert not Condition.objects.exists()


@pytest.mark.parametrize("value", [{}, {"color": "red"}], ids=["empty", "unknown-key"])
def test_settings_without_conditions_on_update_keeps_the_conditions(update, value):
    conditions = stored()[1]

    shown = update.assert_accepted({"settings": value})

    assert shown == {**CHECKOUT, "id": shown["id"]}
    assert stored()[1] == conditions


def test_no_settings_on_create_gives_no_conditions(alice_api):
    shown = Door(alice_api, "POST", GOALS).assert_accepted({"name": "Thanks page"})

    assert shown == {
        "id": shown["id"],
        "name": "Thanks page",
        "description": "",
        "enabled": 1,
        "attribution_model": "first_touch",
        "attribution_period": 30,
        "settings": {"conditions": []},
    }


# settings.conditions -------------------------------------------------------------------------


def test_null_conditions_are_refused(door, spell):
    body = {"name": "Thanks page", **spell(None)}

    door.assert_refused(body, invalid({"settings.conditions": NOT_NULL}))


@pytest.mark.parametrize(
    ("conditions", "kind"),
    [
        pytest.param({}, "dict", id="object"),
        pytest.param(CONTAINS_CART, "dict", id="one-condition-unlisted"),
        pytest.param("cart", "str", id="string"),
        pytest.param(5, "int", id="number"),
        pytest.param(True, "bool", id="boolean"),
    ],
)
def test_conditions_that_are_not_a_list_are_refused_under_the_key_settings_conditions(
    door, spell, conditions, kind
):
    # The key is the field's, "settings.conditions", not "settings.conditions.body".
    door.assert_refused(
        {"name": "Thanks page", **spell(conditions)},
        invalid({"settings.conditions": [f'Expected a list of items but got type "{kind}".']}),
    )


@pytest.mark.parametrize(
    ("item", "messages"),
    [
        pytest.param(1, ["Invalid data. Expected a dictionary, but got int."], id="number"),
        pytest.param("cart", ["Invalid data. Expected a dictionary, but got str."], id="string"),
        pytest.param([], ["Invalid data. Expected a dictionary, but got list."], id="array"),
        pytest.param(None, NOT_NULL, id="null"),
    ],
)
def test_a_condition_that_is_not_an_object_is_refused_under_its_index(door, spell, item, messages):
    # Keyed "settings.conditions[1]" like every other condition error, not
    # "settings.conditions.1" nor "settings.conditions.1.body".
    body = {"name": "Thanks page", **spell([CONTAINS_CART, item])}

    door.assert_refused(body, invalid({"settings.conditions[1]": messages}))


CONDITION_ERRORS = [
    pytest.param({}, {"operator": REQUIRED, "value": REQUIRED}, id="empty"),
    pytest.param(
        {"operator": "equals", "value": "cart.example/thanks"},
        {"value": NOT_A_URL},
        id="equals-without-scheme",
    ),
    pytest.param(
        {"type": "page", "operator": "is", "value": ""},
        {
            "type": not_a_choice("page", "url"),
            "operator": not_a_choice("is", "equals", "contains"),
            "value": BLANK,
        },
        id="every-field",
    ),
    pytest.param(
        {"type": None, "operator": "contains", "value": "cart"}, {"type": NOT_NULL}, id="type-null"
    ),
    pytest.param({"operator": None, "value": "cart"}, {"operator": NOT_NULL}, id="operator-null"),
    pytest.param({"operator": "contains", "value": None}, {"value": NOT_NULL}, id="value-null"),
    pytest.param(
        {"type": 1, "operator": "contains", "value": "cart"},
        {"type": NOT_A_STRING},
        id="type-number",
    ),
    pytest.param(
        {"operator": ["contains"], "value": "cart"},
        {"operator": NOT_A_STRING},
        id="operator-list",
    ),
    pytest.param({"operator": "contains", "value": 5}, {"value": NOT_A_STRING}, id="value-number"),
]


@pytest.mark.parametrize(("condition", "errors"), CONDITION_ERRORS)
def test_invalid_condition_is_refused_field_by_field(door, spell, condition, errors):
    # Every condition error is keyed "settings.conditions[<index>].<field>", whether the
    # field's JSON type is wrong or its value.
    body = {"name": "Thanks page", **spell([condition])}
    details = {f"settings.conditions[0].{field}": messages for field, messages in errors.items()}

    door.assert_refused(body, invalid(details))


def test_condition_errors_are_keyed_by_their_index_counted_from_zero(door, spell):
    conditions = [
        {"operator": "equals", "value": "https://cart.example/"},
        {"operator": "is", "value": "cart"},
        CONTAINS_CART,
        {"operator": "equals", "value": "cart.example"},
    ]

    door.assert_refused(
        {"name": "Thanks page", **spell(conditions)},
        invalid(
            {
                "settings.conditions[1].operator": not_a_choice("is", "equals", "contains"),
                "settings.conditions[3].value": NOT_A_URL,
            }
        ),
    )


def test_condition_type_errors_are_keyed_by_index_like_value_errors(door, spell):
    conditions = [CONTAINS_CART, {"operator": "contains", "value": 5}]

    door.assert_refused(
        {"name": "Thanks page", **spell(conditions)},
        invalid({"settings.conditions[1].value": NOT_A_STRING}),
    )


@pytest.mark.parametrize(
    "condition",
    [
        pytest.param({"operator": "equals", "value": "https://cart.example/"}, id="https"),
        pytest.param({"operator": "contains", "value": "cart"}, id="contains"),
    ],
)
def test_valid_condition_is_stored_as_sent(door, spell, condition):
    shown = door.assert_accepted({"name": "Thanks page", **spell([condition])})

    assert shown["settings"]["conditions"] == [{"type": "url", **condition}]
    stored_condition = Condition.objects.get(goal_id=shown["id"])
    assert (stored_condition.operator, stored_condition.value) == (
        condition["operator"],
        condition["value"],
    )


def test_twenty_one_conditions_are_refused(door, spell):
    conditions = [{**CONTAINS_CART, "value": f"cart-{index}"} for index in range(21)]

    door.assert_refused(
        {"name": "Thanks page", **spell(conditions)},
        invalid({"settings.conditions": ["A goal may have at most 20 conditions (it has 21)."]}),
    )


def test_too_many_conditions_and_an_invalid_one_are_reported_together(door, spell):
    conditions = [CONTAINS_CART] * 21 + [{"operator": "is", "value": "cart"}]

    door.assert_refused(
        {"name": "Thanks page", **spell(conditions)},
        invalid(
            {
                "settings.conditions": ["A goal may have at most 20 conditions (it has 22)."],
                "settings.conditions[21].operator": not_a_choice("is", "equals", "contains"),
            }
        ),
    )


# The flattened spelling ----------------------------------------------------------------------


def test_flattened_conditions_are_accepted_on_create(alice_api):
    conditions = [CONTAINS_CART, {"type": "url", "operator": "equals", "value": "http://a.b/"}]

    shown = Door(alice_api, "POST", GOALS).assert_accepted(
        {"name": "Thanks page", "settings.conditions": conditions}
    )

    assert shown["settings"] == {"conditions": conditions}


def test_flattened_conditions_replace_the_conditions_on_update(update):
    conditions = [CONTAINS_CART, {"type": "url", "operator": "equals", "value": "http://a.b/"}]

    shown = update.assert_accepted({"settings.conditions": conditions})

    assert shown == {**CHECKOUT, "id": shown["id"], "settings": {"conditions": conditions}}


# Fields the API does not take ----------------------------------------------------------------


def test_unknown_fields_and_id_are_ignored_on_create(alice_api, checkout):
    body = {
        "id": checkout.id,
        "name": "Thanks page",
        "color": "red",
        "account": 999,
        "created_at": "2020-01-01T00:00:00Z",
        "settings": {"conditions": [{**CONTAINS_CART, "priority": 1}], "colour": "red"},
    }

    shown = Door(alice_api, "POST", GOALS).assert_accepted(body)

    assert shown["id"] != checkout.id
    assert shown["name"] == "Thanks page"
    assert shown["settings"] == {"conditions": [CONTAINS_CART]}
    assert alice_api.get(f"{GOALS}/{checkout.id}").json() == {**CHECKOUT, "id": checkout.id}


def test_id_in_an_update_body_does_not_change_the_id(update, checkout):
    shown = update.assert_accepted({"id": checkout.id + 100, "name": "Renamed", "color": "red"})

    assert shown == {**CHECKOUT, "id": checkout.id, "name": "Renamed"}
    assert list(Goal.objects.values_list("id", flat=True)) == [checkout.id]


# Several errors at once ----------------------------------------------------------------------


def test_several_invalid_values_are_reported_in_one_answer(door, spell):
    body = {
        "name": " ",
        "description": "x" * 1025,
        "attribution_model": "linear",
        "attribution_period": 0,
        **spell([{"operator": "equals", "value": "cart"}, {"operator": "contains"}]),
    }

    door.assert_refused(
        body,
        invalid(
            {
                "name": BLANK,
                "description": too_long(1025, 1024),
                "attribution_model": not_a_choice("linear", "first_touch", "last_touch"),
                "attribution_period": out_of_range(0),
                "settings.conditions[0].value": NOT_A_URL,
                "settings.conditions[1].value": REQUIRED,
            }
        ),
    )


def test_several_values_of_the_wrong_type_are_reported_in_one_answer(door):
    body = {
        "name": 1,
        "description": [],
        "enabled": "yes",
        "attribution_model": None,
        "attribution_period": "30",
        "settings": {"conditions": [{"operator": "contains", "value": "cart"}]},
    }

    door.assert_refused(
        body,
        invalid(
            {
                "name": NOT_A_STRING,
                "description": NOT_A_STRING,
                "enabled": NOT_A_FLAG,
                "attribution_model": NOT_NULL,
                "attribution_period": NOT_AN_INTEGER,
            }
        ),
    )


def test_wrong_types_are_reported_together_before_values_are_checked(door):
    # JSON types are checked first, all at once; the values' rules run on a body of the right
    # shape, so these values are reported once the types are mended.
    body = {
        "name": "",
        "description": 1,
        "enabled": 3,
        "attribution_model": "linear",
        "attribution_period": 0,
        "settings": {"conditions": [{"operator": "equals", "value": "cart"}]},
    }

    door.assert_refused(body, invalid({"description": NOT_A_STRING, "enabled": NOT_A_FLAG}))


# Updates -------------------------------------------------------------------------------------

VALID_CHANGES = {
    "name": "Renamed",
    "description": "Changed",
    "enabled": 0,
    "attribution_model": "first_touch",
    "attribution_period": 30,
    "settings": {"conditions": [CONTAINS_CART]},
}


@pytest.mark.parametrize(
    ("invalid_field", "errors"),
    [
        pytest.param({"name": ""}, {"name": BLANK}, id="name-blank"),
        pytest.param({"name": 5}, {"name": NOT_A_STRING}, id="name-type"),
        pytest.param({"enabled": "0"}, {"enabled": NOT_A_FLAG}, id="enabled"),
        pytest.param(
            {"settings": {"conditions": [CONTAINS_CART, {"operator": "equals", "value": "x"}]}},
            {"settings.conditions[1].value": NOT_A_URL},
            id="second-condition",
        ),
        pytest.param(
            {"settings": {"conditions": [CONTAINS_CART] * 21}},
            {"settings.conditions": ["A goal may have at most 20 conditions (it has 21)."]},
            id="too-many-conditions",
        ),
    ],
)
def test_an_invalid_field_among_valid_ones_changes_nothing(update, checkout, invalid_field, errors):
    update.assert_refused({**VALID_CHANGES, **invalid_field}, invalid(errors))

    assert update.api.get(f"{GOALS}/{checkout.id}").json() == {**CHECKOUT, "id": checkout.id}


def test_update_changes_only_the_fields_it_carries(update, checkout):
    shown = update.assert_accepted({"description": "Changed", "attribution_period": 30})

    assert shown == {
        **CHECKOUT,
        "id": checkout.id,
        "description": "Changed",
        "attribution_period": 30,
    }


@pytest.mark.parametrize("raw", ["", "{}"], ids=["no-body", "empty-object"])
def test_an_empty_update_keeps_the_goal_as_it_was(update, checkout, raw):
    shown = update.assert_accepted(None, raw=raw)

    assert shown == {**CHECKOUT, "id": checkout.id}


def test_given_conditions_replace_the_whole_list_in_their_order(update, checkout):
    conditions = [
        {"type": "url", "operator": "contains", "value": "zeta"},
        {"type": "url", "operator": "equals", "value": "https://shop.example/thanks"},
        {"type": "url", "operator": "contains", "value": "alpha"},
    ]

    shown = update.assert_accepted({"settings": {"conditions": conditions}})

    assert shown == {**CHECKOUT, "id": checkout.id, "settings": {"conditions": conditions}}
    assert list(
        Condition.objects.filter(goal=checkout).values_list("position", "operator", "value")
    ) == [(index, c["operator"], c["value"]) for index, c in enumerate(conditions)]
    assert Condition.objects.count() == 3


def test_an_empty_conditions_list_removes_every_condition(update, checkout):
    shown = update.assert_accepted({"settings": {"conditions": []}})

    assert shown == {**CHECKOUT, "id": checkout.id, "settings": {"conditions": []}}
    assert not Condition.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"name": "Renamed", "enabled": False}, id="fields"),
        pytest.param({"settings": {"conditions": [CONTAINS_CART]}}, id="conditions"),
        pytest.param({"name": "", "attribution_period": 0}, id="invalid"),
        pytest.param({"enabled": "1"}, id="wrong-type"),
    ],
)
def test_patch_answers_and_stores_exactly_what_put_does(alice_api, acme, make_goal, body):
    fields = {
        "name": CHECKOUT["name"],
        "description": CHECKOUT["description"],
        "attribution_model": CHECKOUT["attribution_model"],
        "attribution_period": CHECKOUT["attribution_period"],
        "conditions": CHECKOUT["settings"]["conditions"],
    }
    by_put, by_patch = make_goal(acme, **fields), make_goal(acme, **fields)

    put = alice_api.put(f"{GOALS}/{by_put.id}", body)
    patch = alice_api.patch(f"{GOALS}/{by_patch.id}", body)

    assert patch.status_code == put.status_code
    assert {**patch.json(), "id": None} == {**put.json(), "id": None}
    put_goal = alice_api.get(f"{GOALS}/{by_put.id}").json()
    patch_goal = alice_api.get(f"{GOALS}/{by_patch.id}").json()
    assert {**patch_goal, "id": None} == {**put_goal, "id": None}
