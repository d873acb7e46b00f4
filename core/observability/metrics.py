"""Prometheus metrics: request latency by route, queue depth, event delivery lag, failures.

`/metrics` answers only with `Authorization: Bearer <PAYVAND_METRICS_TOKEN>` (404 while no
token is configured), in Prometheus' text format. Under gunicorn every web process counts
into the shared folder `PROMETHEUS_MULTIPROC_DIR` (`payvand serve` sets one up), and a scrape
of any process reads all of them; the queue figures are read from the database at scrape
time, so they are the same whichever process answers and count the work of every worker.
"""

from __future__ import annotations

import datetime as dt
import hmac
import os
import time
from collections.abc import Iterator
from typing import Any

from flask import Flask, Response, abort, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

#: Latency buckets in seconds (pages answer in milliseconds; exports and imports take longer).
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

# Not in prometheus_client's global registry: each app's scrape registry adds them (one process),
# or reads every process's files (`PROMETHEUS_MULTIPROC_DIR`).
REQUEST_SECONDS = Histogram("payvand_http_request_duration_seconds", "Time to answer a request, by route.",
                            ("method", "route", "status"), buckets=BUCKETS, registry=None)
JOB_FAILURES = Counter("payvand_job_failures_total", "Scheduled jobs that raised, by job.", ("job",), registry=None)
DELIVERY_FAILURES = Counter("payvand_event_delivery_failures_total",
                            "Event deliveries to a plugin that raised (retried later), by plugin.", ("plugin",),
                            registry=None)
EVENTS_DELIVERED = Counter("payvand_events_delivered_total", "Events delivered to every subscribed plugin, by event.",
                           ("event",), registry=None)
PROCESS_METRICS = (REQUEST_SECONDS, JOB_FAILURES, DELIVERY_FAILURES, EVENTS_DELIVERED)


def job_failed(job: str) -> None:
    """Count a scheduled job that raised."""
    JOB_FAILURES.labels(job=job).inc()


def delivery_failed(plugin: str) -> None:
    """Count an event delivery to `plugin` that raised."""
    DELIVERY_FAILURES.labels(plugin=plugin).inc()


def events_delivered(event: str, count: int = 1) -> None:
    """Count events of type `event` fully delivered."""
    if count:
        EVENTS_DELIVERED.labels(event=event).inc(count)


def use_shared_folder(folder: str) -> None:
    """Count into `folder`, shared by every process of a server (before any process counts).

    prometheus_client picks its value store when imported; every Payvand metric has labels,
    so its values are made on first use, after this switch (and after a server's fork).
    """
    from prometheus_client import values

    os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
    values.ValueClass = values.get_value_class()


class QueueCollector(Collector):
    """The outbox read at scrape time: undelivered events, those failing, and the oldest one's wait."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """Gauges `payvand_outbox_pending_events`, `payvand_outbox_failing_events`, `payvand_event_delivery_lag_seconds`."""
        from payvand.core.services.operations import outbox_state

        with self.app.app_context():
            state = outbox_state(dt.datetime.now(dt.UTC))
        yield GaugeMetricFamily("payvand_outbox_pending_events", "Events written but not yet delivered to every plugin.",
                                value=state.pending)
        yield GaugeMetricFamily("payvand_outbox_failing_events", "Undelivered events whose last delivery attempt failed.",
                                value=state.failing)
        yield GaugeMetricFamily("payvand_event_delivery_lag_seconds",
                                "How long the oldest undelivered event has waited since it was written (0: none).",
                                value=state.oldest_wait_seconds)


def _registry(app: Flask) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=True)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        for metric in PROCESS_METRICS:
            registry.register(metric)
    registry.register(QueueCollector(app))
    return registry


def _authorised() -> bool:
    token = current_app.config.get("PAYVAND_METRICS_TOKEN")
    if not token:
        return False
    scheme, _, offered = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(offered.strip().encode(), str(token).encode())


def install(app: Flask) -> None:
    """Time every request by route, and serve `/metrics` to a scraper holding the token."""
    registry: list[CollectorRegistry] = []

    @app.before_request
    def _clock() -> None:
        g.payvand_metrics_started = time.perf_counter()

    @app.after_request
    def _observe(response: Any) -> Any:
        started = g.get("payvand_metrics_started")
        if started is not None and request.endpoint != "payvand_metrics":
            rule = request.url_rule
            REQUEST_SECONDS.labels(method=request.method, route=rule.rule if rule is not None else "<unmatched>",
                                   status=str(response.status_code)).observe(time.perf_counter() - started)
        return response

    def metrics() -> Response:
        if not _authorised():
            abort(404)  # not 401: a deployment without a token has no metrics route to find
        if not registry:
            registry.append(_registry(app))
        return Response(generate_latest(registry[0]), mimetype=CONTENT_TYPE_LATEST)

    metrics.__payvand_public__ = True  # type: ignore[attr-defined]  # its own bearer token, no staff login
    app.add_url_rule("/metrics", "payvand_metrics", metrics, methods=["GET"])
