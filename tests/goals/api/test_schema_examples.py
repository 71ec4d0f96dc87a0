"""The request bodies that the OpenAPI schema offers, sent as they are, do what they say.

Swagger UI's "Try it out" fills the body in with the operation's first example, or, for an
operation without examples, with a body it builds from the schema; a reader copies the others. Each
of them, sent by Alice to the operation's path (with one of her goals for {goal_id}), is accepted.
"""

import json
from collections.abc import Callable
from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer

from accounts.models import Account
from goals.models import Goal
from tests.helpers.api import Api

# The schema that /api/schema/ serves, made at collection to name each example's test.
SCHEMA = json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(public=True)))
METHODS_WITH_A_BODY = ("post", "put", "patch")


def operations_with_a_body() -> list[tuple[str, str, dict]]:
    """(method, path, the JSON media type of its request body) of each operation that has one."""
    return [
        (method.upper(), path, operation["requestBody"]["content"]["application/json"])
        for path, item in SCHEMA["paths"].items()
        for method, operation in item.items()
        if method in METHODS_WITH_A_BODY and "requestBody" in operation
    ]


def examples_of(media_type: dict) -> dict[str, Any]:
    """The media type's examples by name; a single `example` counts as one named "example"."""
    examples = {name: example["value"] for name, example in media_type.get("examples", {}).items()}
    if "example" in media_type:
        examples["example"] = media_type["example"]
    return examples


def resolved(schema: dict) -> dict:
    """The schema with its $ref followed and its allOf merged in, as Swagger UI sees it."""
    schema = dict(schema)
    if "$ref" in schema:
        name = schema.pop("$ref").removeprefix("#/components/schemas/")
        schema = {**resolved(SCHEMA["components"]["schemas"][name]), **schema}
    for part in schema.pop("allOf", []):
        schema = {**resolved(part), **schema}
    return schema


def swagger_ui_sample(schema: dict) -> Any:
    """The body that Swagger UI 5 builds from a schema (its JSON Schema 2020-12 sampler).

    An author's value first: the first of `examples`, then `default`, then `example`; otherwise the
    first of oneOf/anyOf and of an enum, every property that is not read-only, one item of an
    array, and for a bare type (the first of a list of types) "string", 0 (or the minimum) and
    true.
    """
    schema = resolved(schema)
    for keyword in ("examples", "default", "example"):
        if keyword in schema:
            return schema[keyword][0] if keyword == "examples" else schema[keyword]
    for keyword in ("oneOf", "anyOf"):
        if keyword in schema:
            return swagger_ui_sample({**schema.pop(keyword)[0], **schema})
    if "enum" in schema:
        return schema["enum"][0]
    # Of several types (OpenAPI 3.1's nullable fields among them), the sampler takes the first.
    types = schema.get("type", [])
    first_type = types[0] if isinstance(types, list) and types else types
    if first_type == "array":
        return [swagger_ui_sample(schema["items"])]
    if first_type == "object" or "properties" in schema:
        return {
            name: swagger_ui_sample(property_schema)
            for name, property_schema in schema.get("properties", {}).items()
            if not resolved(property_schema).get("readOnly")
        }
    return {"string": "string", "integer": max(0, schema.get("minimum", 0)), "boolean": True}[
        first_type
    ]


BODIES = operations_with_a_body()
EXAMPLES = [
    pytest.param(method, path, body, id=f"{method} {path}: {name}")
    for method, path, media_type in BODIES
    for name, body in examples_of(media_type).items()
]
SCHEMA_BUILT = [
    pytest.param(method, path, swagger_ui_sample(media_type["schema"]), id=f"{method} {path}")
    for method, path, media_type in BODIES
]


@pytest.fixture
def send_as_alice(
    alice_api: Api, acme: Account, make_goal: Callable[..., Goal]
) -> Callable[[str, str, Any], Any]:
    """Send a body to a documented path as Alice, with a goal of hers for {goal_id}."""
    goal = make_goal(
        acme,
        name="Pricing page",
        conditions=[{"type": "url", "operator": "contains", "value": "/pricing"}],
    )

    def send(method: str, path: str, body: Any) -> Any:
        return alice_api.request(method, path.replace("{goal_id}", str(goal.pk)), body)

    return send


def test_every_operation_with_a_body_offers_examples_for_swagger_ui_to_fill_in():
    without = [
        f"{method} {path}" for method, path, media_type in BODIES if not examples_of(media_type)
    ]

    assert BODIES
    assert without == []


@pytest.mark.parametrize(("method", "path", "body"), EXAMPLES)
def test_each_request_body_example_is_accepted_as_it_is(send_as_alice, method, path, body):
    response = send_as_alice(method, path, body)

    assert 200 <= response.status_code < 300, response.content


@pytest.mark.parametrize(("method", "path", "body"), SCHEMA_BUILT)
def test_the_body_swagger_ui_builds_from_the_schema_is_accepted(send_as_alice, method, path, body):
    response = send_as_alice(method, path, body)

    assert 200 <= response.status_code < 300, response.content
