"""`/healthz`, `/readyz`, request ids and the JSON access log, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
import os
from typing import Any

import pytest
import sqlalchemy as sa

from payvand.core.observability.logs import configure_logging

DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture
def payvand_config() -> dict[str, Any]:
    """Redis for sessions when the suite has one (its check then shows), and the access log on."""
    config: dict[str, Any] = {"PAYVAND_ACCESS_LOG": True}
    if os.environ.get("PAYVAND_TEST_REDIS_URL"):
        config["PAYVAND_SESSION_REDIS_URL"] = os.environ["PAYVAND_TEST_REDIS_URL"]
    return config


def test_healthz_answers_ok_when_the_database_answers_with_no_login(app: Any) -> None:
    answer = app.test_client().get("/healthz")
    assert answer.status_code == 200, answer.json
    assert answer.json["status"] == "ok"
    assert answer.json["checks"]["database"]["status"] == "ok"
    assert answer.headers["Cache-Control"] == "no-store"
    if os.environ.get("PAYVAND_TEST_REDIS_URL"):
        assert answer.json["checks"]["redis_sessions"]["status"] == "ok"


def test_an_unreachable_redis_makes_both_checks_fail_without_telling_its_address(app: Any) -> None:
    app.config["PAYVAND_RATELIMIT_STORAGE_URI"] = DEAD_REDIS
    for path in ("/healthz", "/readyz"):
        answer = app.test_client().get(path)
        assert answer.status_code == 503, path
        check = answer.json["checks"]["redis_rate_limits"]
        assert check["status"] == "unavailable" and check["error"] == "ConnectionError"
        assert "127.0.0.1" not in answer.get_data(as_text=True)


def test_readyz_is_ok_at_head_and_names_the_branch_whose_migrations_are_missing(app: Any, runtime: Any) -> None:
    answer = _fresh_readyz(app)
    assert answer.status_code == 200 and answer.json["problems"] == []
    with runtime.engine.begin() as connection:
        applied = connection.scalar(sa.text("SELECT version_num FROM alembic_version"))
        connection.execute(sa.text("UPDATE alembic_version SET version_num = 'older'"))
    try:
        answer = _fresh_readyz(app)
        assert answer.status_code == 503
        assert answer.json["status"] == "unavailable" and answer.json["checks"]["database"]["status"] == "ok"
        assert answer.json["problems"] == ["migrations not applied: core"]
    finally:
        with runtime.engine.begin() as connection:
            connection.execute(sa.text("UPDATE alembic_version SET version_num = :v"), {"v": applied})
    assert _fresh_readyz(app).status_code == 200


def _fresh_readyz(app: Any) -> Any:
    """`/readyz` with its cache of the migration check (10 s) expired."""
    import payvand.core.observability.health as health

    ttl, health.MIGRATIONS_TTL_SECONDS = health.MIGRATIONS_TTL_SECONDS, 0.0
    try:
        app.test_client().get("/readyz")  # expires an answer cached with the old TTL
        return app.test_client().get("/readyz")
    finally:
        health.MIGRATIONS_TTL_SECONDS = ttl


@pytest.mark.parametrize("offered, kept", [("abc-123", True), ("proxy.req:9_x", True), ("", False),
                                           ("has space", False), ("x" * 129, False), ("naïve", False)])
def test_a_well_formed_request_id_is_echoed_and_anything_else_replaced(app: Any, offered: str, kept: bool) -> None:
    answer = app.test_client().get("/healthz", headers={"X-Request-ID": offered} if offered else {})
    echoed = answer.headers["X-Request-ID"]
    assert (echoed == offered) is kept
    assert 1 <= len(echoed) <= 128


def test_the_access_log_is_one_json_line_per_request_with_route_status_and_actor_but_no_query(
        app: Any, web: Any, make_customer: Any) -> None:
    customer = make_customer(given_name="Sara")
    stream = io.StringIO()
    configure_logging({"PAYVAND_LOG_FORMAT": "json", "PAYVAND_LOG_LEVEL": "INFO"}, stream=stream)
    try:
        answer = web.get(f"/customers/{customer.id}?note=secret%40example.com", headers={"X-Request-ID": "rid-42"})
        assert answer.status_code == 200
    finally:
        configure_logging({"PAYVAND_LOG_FORMAT": "text", "PAYVAND_LOG_LEVEL": "WARNING"})
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    access = [line for line in lines if line["logger"] == "payvand.access"]
    assert len(access) == 1, lines
    line = access[0]
    assert line["request_id"] == "rid-42" and line["event"] == "request" and line["level"] == "info"
    assert line["method"] == "GET" and line["status"] == 200 and line["route"] == "/customers/<int:customer_id>"
    assert line["actor"].startswith("user:") and line["duration_ms"] >= 0 and line["timestamp"].endswith("Z")
    assert "secret" not in stream.getvalue() and "Sara" not in stream.getvalue()
