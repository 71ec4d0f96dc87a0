"""Fixtures of the conversions API's tests: Alice's bearer tokens, a goal that visitors meet
on the thank-you page, and a stopped clock for the moments conversions are stamped with.

Every test here ends by counting the stored conversions and touches again: the daily totals
that the reports read must agree with them, whatever the test did."""

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from accounts import services
from accounts.models import Account, User
from conversions import totals
from goals.models import Goal
from tests.helpers.api import Api
from tests.helpers.conversions import bearer
from tests.helpers.tokens import token_of


@pytest.fixture(autouse=True)
def totals_agree_with_the_stored_rows(request: pytest.FixtureRequest) -> Iterator[None]:
    database = next(
        (name for name in ("transactional_db", "db") if name in request.fixturenames), None
    )
    if database is None:
        yield
        return
    # Asked for here, the database is set up before this fixture and torn down after it.
    request.getfixturevalue(database)
    yield
    for account_id in Account.objects.values_list("pk", flat=True):
        assert totals.differences(account_id) == []


@pytest.fixture
def bearer_as(openapi_schema: dict, db: None) -> Callable[[str], Api]:
    return lambda token: bearer(openapi_schema, token)


@pytest.fixture
def writer(bearer_as: Callable[[str], Api], shop_sync: services.NewApiClient) -> Api:
    """Alice's API client with a token of scope "write" alone."""
    return bearer_as(token_of(shop_sync, "write"))


@pytest.fixture
def reader(bearer_as: Callable[[str], Api], shop_sync: services.NewApiClient) -> Api:
    """Alice's API client with a token of scope "read" alone."""
    return bearer_as(token_of(shop_sync, "read"))


@pytest.fixture
def bob_api(api_as: Callable[[User], Api], bob: User) -> Api:
    return api_as(bob)


@pytest.fixture
def thanks_goal(acme: Account, alice: User, make_goal: Callable[..., Goal]) -> Goal:
    """Acme's goal "Paid": a visit to the checkout's thank-you page, last touch, 30 days."""
    return make_goal(
        acme,
        name="Paid",
        conditions=[{"type": "url", "operator": "contains", "value": "/checkout/thanks"}],
        attribution_model="last_touch",
        attribution_period=30,
    )


class StoppedClock:
    """The service's time (django.utils.timezone.now): it moves only when told."""

    def __init__(self) -> None:
        self.moment = datetime(2026, 11, 3, 8, 0, 0, 250000, tzinfo=UTC)

    def now(self) -> datetime:
        return self.moment

    def tick(self, seconds: float = 1) -> None:
        self.moment += timedelta(seconds=seconds)

    def later(self) -> None:
        """Ten minutes on, as a client polls: past any latest moments that an export might hold
        back while their writes may still be committing."""
        self.tick(600)

    @property
    def second(self) -> int:
        """The moment in whole seconds since the epoch, as the incremental export counts."""
        return int(self.moment.timestamp())


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch, settings: Any) -> StoppedClock:
    """The service's time stopped: conversions are stamped (update_timestamp) with the second
    the clock shows, on which the incremental export's order and cursor depend; real seconds
    would tick at random. The whole service sees it, and the export holds back the last
    seconds by it as in production (tests/conftest.py turns that off for tests without it)."""
    stopped = StoppedClock()
    monkeypatch.setattr(timezone, "now", stopped.now)
    settings.CONVERSIONS_EXPORT_DELAY = 30
    return stopped
