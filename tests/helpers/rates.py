"""The API's rate limit and the lockouts, as the tests drive them.

The fixtures that stop the throttle's clock (`clock`) and make the rate small (`small_rate`, RATE
requests a minute) are in tests/goals/api/conftest.py.
"""

import time
from collections.abc import Callable
from typing import Any

from accounts.models import User
from tests.helpers.api import Api

RATE = 3
WRONG_PASSWORD = "not-the-password-at-all"


class Clock:
    """The throttle's time, stopped in the middle of a minute so that no test straddles two."""

    def __init__(self) -> None:
        self.now = time.time() // 60 * 60 + 30

    def __call__(self) -> float:
        return self.now


def use_up(api: Api, times: int = RATE) -> list[int]:
    return [api.get("/api/v2/goals").status_code for _ in range(times)]


def assert_too_many_requests(response: Any) -> None:
    assert response.status_code == 429, response.content
    body = response.json()
    assert body["error"] == "Too many requests", body
    assert body["description"]
    assert 0 < int(response["Retry-After"]) <= 60


def fail_basic(api_as: Callable[..., Api], user: User, times: int) -> list[int]:
    wrong = api_as(user)
    wrong.authenticate(user.email, WRONG_PASSWORD)
    return [wrong.get("/api/v2/goals").status_code for _ in range(times)]


def assert_locked_out(response: Any) -> None:
    assert response.status_code == 429, response.content
    body = response.json()
    assert body["error"] == "Locked out", body
    assert "locked" in body["description"]
    assert int(response["Retry-After"]) > 0
