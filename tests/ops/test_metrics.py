"""`/metrics`: only for the token holder; request latency by route; the outbox's depth and lag;
delivery and job failures counted."""

from __future__ import annotations

import re
from typing import Any

import pytest

from payvand.sdk import JobSpec, PluginMeta, Subscription, hookimpl

TOKEN = "scrape-me-0123456789"


class Failing:
    """Subscribes to customer creation and has a job; both raise."""

    meta = PluginMeta("metrics_failing", "1.0")

    @hookimpl
    def payvand_subscriptions(self) -> list[Subscription]:
        """Fail on every new customer."""
        return [Subscription("core.customer_created", self.fail)]

    @hookimpl
    def payvand_jobs(self) -> list[JobSpec]:
        """A job that fails."""
        return [JobSpec("metrics_failing.job", self.boom, 60)]

    @staticmethod
    def fail(events: list[Any]) -> None:
        """Raise."""
        raise RuntimeError("subscriber exploded")

    @staticmethod
    def boom() -> None:
        """Raise."""
        raise RuntimeError("job exploded")


@pytest.fixture
def payvand_plugins() -> list[Any]:
    """The failing plugin."""
    return [Failing()]


@pytest.fixture
def payvand_config() -> dict[str, Any]:
    """A scrape token."""
    return {"PAYVAND_METRICS_TOKEN": TOKEN}


def _scrape(app: Any) -> str:
    answer = app.test_client().get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200
    assert answer.content_type.startswith("text/plain")
    return answer.get_data(as_text=True)


def _value(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    for line in text.splitlines():
        match = re.fullmatch(rf"{name}(?:\{{(.*)\}})? (\S+)", line)
        if match and ",".join(sorted((match.group(1) or "").split(","))) == wanted:
            return float(match.group(2))
    return 0.0


@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Basic {TOKEN}", f"Bearer {TOKEN}x"])
def test_without_the_token_there_is_no_metrics_route(app: Any, header: str | None) -> None:
    answer = app.test_client().get("/metrics", headers={"Authorization": header} if header else {})
    assert answer.status_code == 404


def test_no_token_configured_means_no_metrics_even_with_an_empty_bearer(app: Any) -> None:
    app.config["PAYVAND_METRICS_TOKEN"] = None
    assert app.test_client().get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404


def test_requests_are_timed_by_route_not_by_path(app: Any, web: Any, make_customer: Any) -> None:
    before = _value(_scrape(app), "payvand_http_request_duration_seconds_count",
                    method="GET", route="/customers/<int:customer_id>", status="200")
    for _ in range(3):
        assert web.get(f"/customers/{make_customer().id}").status_code == 200
    text = _scrape(app)
    assert _value(text, "payvand_http_request_duration_seconds_count",
                  method="GET", route="/customers/<int:customer_id>", status="200") == before + 3
    assert "/customers/1" not in text.replace("/customers/<int:customer_id>", "")


def test_queue_depth_lag_and_failures_are_counted(app: Any, make_customer: Any, run_jobs: Any, runtime: Any) -> None:
    failures = _value(_scrape(app), "payvand_event_delivery_failures_total", plugin="metrics_failing")
    make_customer()
    text = _scrape(app)
    assert _value(text, "payvand_outbox_pending_events") >= 1
    assert _value(text, "payvand_event_delivery_lag_seconds") >= 0
    run_jobs()
    text = _scrape(app)
    assert _value(text, "payvand_event_delivery_failures_total", plugin="metrics_failing") >= failures + 1
    assert _value(text, "payvand_outbox_failing_events") >= 1  # kept for a retry, never dropped
    assert _value(text, "payvand_job_failures_total", job="metrics_failing.job") >= 1
