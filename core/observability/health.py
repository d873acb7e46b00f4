"""`/healthz` (liveness: the database and Redis answer) and `/readyz` (readiness: also the core
and every enabled plugin migrated). Both answer 200 or 503 with JSON, need no
login and say nothing beyond ok/unavailable, a duration and an error type."""

from __future__ import annotations

import time
from typing import Any

from flask import Flask, current_app, jsonify

from payvand.core.services import operations

#: How long a readiness answer about migrations is reused (reading the migration scripts is slow).
MIGRATIONS_TTL_SECONDS = 10.0

def _checks() -> dict[str, operations.Check]:
    runtime = current_app.extensions["payvand"]
    checks = {"database": operations.check_database(runtime.engine)}
    for role, url in operations.redis_urls(current_app.config).items():
        checks[f"redis_{role}"] = operations.check_redis(url)
    return checks


def _answer(checks: dict[str, operations.Check], extra: dict[str, Any] | None = None) -> Any:
    ok = all(check.ok for check in checks.values()) and not (extra or {}).get("problems")
    body: dict[str, Any] = {"status": "ok" if ok else "unavailable",
                            "checks": {name: check.as_json() for name, check in checks.items()}}
    body.update(extra or {})
    response = jsonify(body)
    response.status_code = 200 if ok else 503
    response.headers["Cache-Control"] = "no-store"
    return response


def install(app: Flask) -> None:
    """Add `/healthz` and `/readyz` to the app."""
    cache: dict[str, Any] = {}

    def healthz() -> Any:
        return _answer(_checks())

    def readyz() -> Any:
        checks = _checks()
        problems: list[str] = []
        if checks["database"].ok:
            now = time.monotonic()
            if cache.get("until", 0.0) < now:
                runtime = current_app.extensions["payvand"]
                try:
                    cache["unmigrated"] = operations.unmigrated(runtime)
                except Exception as exc:  # noqa: BLE001 - an unreadable schema is "not ready", with the type
                    cache["unmigrated"] = [f"unreadable ({type(exc).__name__})"]
                cache["until"] = now + MIGRATIONS_TTL_SECONDS
            problems += [f"migrations not applied: {name}" for name in cache["unmigrated"]]
        return _answer(checks, {"problems": problems})

    for rule, view in (("/healthz", healthz), ("/readyz", readyz)):
        view.__payvand_public__ = True  # type: ignore[attr-defined]  # probes carry no login
        app.add_url_rule(rule, f"payvand_{view.__name__}", view, methods=["GET"])
