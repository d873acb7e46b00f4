"""Operations: request ids and structured logs, Prometheus metrics, health and readiness checks.

`install(app)` wires all three into the app; `payvand serve` (gunicorn) and `payvand worker`
configure logging and the metrics' process model. The admin guide's "Operations" section
explains the endpoints, the log format and the metrics.
"""

from __future__ import annotations

from flask import Flask


def install(app: Flask) -> None:
    """Request ids and access logs, `/metrics` (when a token is configured), `/healthz` and `/readyz`."""
    from payvand.core.observability import health, logs, metrics

    logs.install(app)
    metrics.install(app)
    health.install(app)
