"""The OpenAPI schema: it generates cleanly, is served, and describes the real shapes."""

import json
import re

import pytest
from django.core.management import call_command

from tests.helpers.api import assert_matches_schema


def test_schema_generates_and_validates_without_warnings(tmp_path):
    target = tmp_path / "schema.json"

    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--format",
        "openapi-json",
        "--file",
        str(target),
    )

    assert json.loads(target.read_text())["openapi"] == "3.1.0"


def test_schema_is_served_to_anyone_as_json(client, db):
    response = client.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    paths = {
        "/goals",
        "/goals/{goal_id}",
        "/goals/{goal_id}/conversions",
        "/page_views",
        "/chats",
        "/chats/{chat_id}",
        "/incremental/conversions",
    }
    assert set(json.loads(response.content)["paths"]) == {
        f"/api/v2{base}{path}" for base in ("", "/chat") for path in paths
    }


def test_swagger_ui_loads_only_the_project_own_assets(client, db):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert not re.findall(r"""(?:src|href)=["'](?:https?:)?//""", page)


def test_response_checker_catches_a_boolean_enabled(openapi_schema):
    wrong = {
        "id": 1,
        "name": "Goal 1",
        "description": "",
        "enabled": True,
        "attribution_model": "first_touch",
        "attribution_period": 30,
        "settings": {"conditions": []},
    }

    with pytest.raises(Exception, match="True"):
        assert_matches_schema(
            openapi_schema, "GET", "/api/v2/goals/1", 200, json.dumps(wrong).encode()
        )


def test_response_checker_catches_an_undocumented_status(openapi_schema):
    with pytest.raises(AssertionError, match="does not document"):
        assert_matches_schema(openapi_schema, "GET", "/api/v2/goals", 418, b"{}")
