"""The cast's password, and an API client that checks every answer against the schema."""

import base64
import json
import re
from typing import Any

import jsonschema
from django.test import Client

from accounts.models import Account, User

PASSWORD = "correct-horse-battery-staple"


def make_user(email: str, account: Account, role: str) -> User:
    return User.objects.create_user(email, PASSWORD, account=account, role=role)


def schema_path(path: str) -> str:
    """The documented path of a request's path: no query, no trailing slash, and the ids as
    {goal_id} and {chat_id} ("/api/v2/goals/{goal_id}/conversions")."""
    path = path.split("?")[0].rstrip("/")
    path = re.sub(r"/goals/[0-9]+(/conversions)?$", r"/goals/{goal_id}\1", path)
    return re.sub(r"/chats/.+$", "/chats/{chat_id}", path)


def assert_matches_schema(schema: dict, method: str, path: str, status: int, body: bytes) -> None:
    operation = schema["paths"].get(schema_path(path), {}).get(method.lower())
    if operation is None:
        return  # not a documented operation, such as an unknown address
    documented = operation["responses"].get(str(status))
    assert documented, f"{method} {path} answered {status}, which the schema does not document"
    content = documented.get("content")
    if content is None:
        assert body == b"", f"{method} {path} answered {status} with a body it does not document"
        return
    body_schema = {**content["application/json"]["schema"], "components": schema["components"]}
    jsonschema.validate(json.loads(body), body_schema, cls=jsonschema.Draft202012Validator)


class Api:
    """A client of the goals API: JSON in, JSON out, every answer checked against the schema."""

    def __init__(self, schema: dict, user: User | None = None, password: str = PASSWORD) -> None:
        self.schema = schema
        self.client = Client(raise_request_exception=False)
        self.headers = {}
        if user is not None:
            self.authenticate(user.email, password)

    def authenticate(self, email: str, password: str) -> None:
        token = base64.b64encode(f"{email}:{password}".encode()).decode()
        self.headers = {"Authorization": f"Basic {token}"}

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        raw: bytes | str | None = None,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> Any:
        data = raw if raw is not None else ("" if body is None else json.dumps(body))
        response = self.client.generic(
            method,
            path,
            data,
            content_type=content_type,
            headers={**self.headers, **(headers or {})},
        )
        assert_matches_schema(self.schema, method, path, response.status_code, response.content)
        return response

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self.request("POST", path, body, **kwargs)

    def put(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self.request("PUT", path, body, **kwargs)

    def patch(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self.request("PATCH", path, body, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.request("DELETE", path, **kwargs)
