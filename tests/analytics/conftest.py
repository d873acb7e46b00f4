"""The analytics tests run with the sales plugin (the purchase facts) and the analytics plugin enabled."""

from __future__ import annotations

from typing import Any

import pytest

import payvand.plugins.analytics as analytics
import payvand.plugins.sales as sales


@pytest.fixture
def payvand_plugins() -> list[Any]:
    """Sales (purchases) and analytics."""
    return [sales, analytics]


@pytest.fixture
def in_app(app: Any) -> Any:
    """An app context for tests that call the services directly (hooks need the app)."""
    with app.app_context():
        yield app


@pytest.fixture
def deliver(runtime: Any) -> Any:
    """Deliver the due outbox events now (the dashboard's background computations), without
    running the scheduled jobs (the nightly refresh would mark every snapshot stale)."""
    return runtime.job_runner.deliver_due
