"""What operations ask of a running deployment: can it reach its database and Redis, is its
schema migrated, how deep is the event queue. Used by `/healthz`, `/readyz` and `/metrics`."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Callable, Mapping
from typing import Any

import sqlalchemy as sa

from payvand.core.db import current_session
from payvand.core.models import OutboxEvent

#: How long a Redis or database probe may take before it counts as down.
PROBE_TIMEOUT_SECONDS = 2.0


@dataclasses.dataclass(frozen=True)
class Check:
    """One probe's outcome: ok or not, how long it took, and (when not ok) the error's type only."""

    ok: bool
    ms: float
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The check as the health endpoints show it (no messages: they may carry addresses)."""
        shown: dict[str, Any] = {"status": "ok" if self.ok else "unavailable", "ms": round(self.ms, 2)}
        if self.error:
            shown["error"] = self.error
        return shown


def probe(action: Callable[[], Any]) -> Check:
    """Run `action`; a Check of whether it raised and how long it took."""
    started = time.perf_counter()
    try:
        action()
    except Exception as exc:  # noqa: BLE001 - any failure means "unavailable"; the type is reported
        return Check(False, (time.perf_counter() - started) * 1000, type(exc).__name__)
    return Check(True, (time.perf_counter() - started) * 1000)


def check_database(engine: sa.Engine) -> Check:
    """A `SELECT 1` on a fresh connection from the pool."""
    def select_one() -> None:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))

    return probe(select_one)


def redis_urls(config: Mapping[str, Any]) -> dict[str, str]:
    """The Redis servers this deployment uses, by role (sessions, rate limits)."""
    urls = {"sessions": config.get("PAYVAND_SESSION_REDIS_URL"), "rate_limits": config.get("PAYVAND_RATELIMIT_STORAGE_URI")}
    return {role: str(url) for role, url in urls.items() if url and str(url).startswith(("redis://", "rediss://", "unix://"))}


_REDIS_CLIENTS: dict[str, Any] = {}


def check_redis(url: str) -> Check:
    """A PING with a short timeout (clients kept per URL, so a probe reuses its connection)."""
    def ping() -> None:
        client = _REDIS_CLIENTS.get(url)
        if client is None:
            import redis

            client = _REDIS_CLIENTS.setdefault(url, redis.Redis.from_url(
                url, socket_timeout=PROBE_TIMEOUT_SECONDS, socket_connect_timeout=PROBE_TIMEOUT_SECONDS))
        client.ping()

    return probe(ping)


def unmigrated(runtime: Any) -> list[str]:
    """The branches whose migrations are not applied: `core` and enabled plugins (empty when ready)."""
    from payvand.core.migrations.runner import applied_heads, core_at_head

    if not core_at_head(runtime.engine):
        return ["core"]
    heads = applied_heads(runtime.engine, runtime.plugins.installed)
    return sorted(name for name in runtime.wanted_plugins() if not heads.get(name, True))


@dataclasses.dataclass(frozen=True)
class OutboxState:
    """The event queue: undelivered events, those whose last attempt failed, the oldest one's wait."""

    pending: int
    failing: int
    oldest_wait_seconds: float


def outbox_state(now: dt.datetime) -> OutboxState:
    """The outbox read in one statement (the `(delivered_at, next_attempt_at)` index serves it)."""
    row = current_session().execute(
        sa.select(sa.func.count(), sa.func.count().filter(OutboxEvent.attempts > 0), sa.func.min(OutboxEvent.created_at))
        .where(OutboxEvent.delivered_at.is_(None))
    ).one()
    oldest = row[2]
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=dt.UTC)
    wait = max((now - oldest).total_seconds(), 0.0) if oldest is not None else 0.0
    return OutboxState(int(row[0]), int(row[1]), wait)
