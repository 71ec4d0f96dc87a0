"""Fixtures that several modules of the API's tests share."""

from typing import Any

import pytest

from goals.api.throttling import ApiRateThrottle
from tests.helpers.rates import RATE, Clock


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    stopped = Clock()
    monkeypatch.setattr(ApiRateThrottle, "timer", stopped)
    return stopped


@pytest.fixture
def small_rate(monkeypatch: pytest.MonkeyPatch, settings: Any, clock: Clock) -> int:
    """The API allows RATE requests a minute instead of 200."""
    rates = {"api": f"{RATE}/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    # DRF read the rates into the class when it was imported.
    monkeypatch.setattr(ApiRateThrottle, "THROTTLE_RATES", rates)
    return RATE
