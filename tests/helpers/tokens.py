"""Getting OAuth 2 bearer tokens as a program would, and the API's messages about them."""

import base64
import hashlib
from typing import Any

from django.test import Client
from oauth2_provider.models import AccessToken

from accounts import services
from tests.helpers.api import Api

TOKEN_URL = "/oauth2/token"
INVALID_TOKEN = "The bearer token is not valid: it is unknown, expired or revoked."
NOT_AN_ADMINISTRATOR = "Only administrators of the account may manage its goals."


def basic(user_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{user_id}:{secret}".encode()).decode()


def request_token(
    client_id: str, secret: str, scope: str | None = "read write", http: Client | None = None
) -> Any:
    """POST /oauth2/token with the client's id and secret by HTTP Basic."""
    data = {"grant_type": "client_credentials"}
    if scope is not None:
        data["scope"] = scope
    return (http or Client()).post(
        TOKEN_URL, data, headers={"Authorization": basic(client_id, secret)}
    )


def token_of(new_client: services.NewApiClient, scope: str | None = "read write") -> str:
    response = request_token(new_client.application.client_id, new_client.secret, scope)
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


def stored_token(token: str) -> AccessToken:
    """The stored token: only a SHA-256 checksum of it is kept (RFC 9700)."""
    return AccessToken.objects.get(token_checksum=hashlib.sha256(token.encode()).hexdigest())


def bearer_api(schema: dict, token: str) -> Api:
    """The schema-checking API client of tests/helpers/api.py, signed in with a bearer token."""
    api = Api(schema)
    api.headers = {"Authorization": f"Bearer {token}"}
    return api
