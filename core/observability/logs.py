"""Structured logs: one JSON object per line (or readable text), each carrying the request id.

A request takes its id from a well-formed `X-Request-ID` header (a proxy's) or gets a new one;
the response echoes it, every log line written while the request runs carries it, and one
access line per request records method, route, status, duration and who acted — never the
query string, headers or body, which may hold personal data or secrets.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from collections.abc import Mapping
from typing import Any

import structlog
from flask import Flask, g, request
from flask.wrappers import Response

#: The header a proxy may set and the response echoes.
REQUEST_ID_HEADER = "X-Request-ID"
#: What an incoming request id may look like (anything else is replaced, so logs stay clean).
_WELL_FORMED = re.compile(r"[A-Za-z0-9._:-]{1,128}")
#: The logger of the access lines.
access_log = logging.getLogger("payvand.access")

_SHARED_PROCESSORS: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def configure_logging(config: Mapping[str, Any], *, stream: Any = None) -> None:
    """Send every logger's records to `stream` (stderr) as JSON lines or text, at the configured level.

    `PAYVAND_LOG_FORMAT` is `json` (one object per line: timestamp, level, logger, event, the
    request id and the record's extra fields) or `text`; `PAYVAND_LOG_LEVEL` the threshold.
    Library loggers (SQLAlchemy, gunicorn's error log) go through the same formatter.
    """
    renderer: Any
    if str(config.get("PAYVAND_LOG_FORMAT") or "text").lower() == "json":
        renderer = structlog.processors.JSONRenderer(sort_keys=False)
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=False)
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*_SHARED_PROCESSORS, structlog.stdlib.ExtraAdder()],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info, renderer],
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in list(root.handlers):  # this handler replaces the CLI's plain one: each line is written once
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(str(config.get("PAYVAND_LOG_LEVEL") or "INFO").upper())
    for chatty in ("alembic", "sqlalchemy.engine"):  # a line per migration check or statement is noise at INFO
        logging.getLogger(chatty).setLevel(max(root.level, logging.WARNING))
    structlog.configure(
        processors=[*_SHARED_PROCESSORS, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def request_id() -> str | None:
    """The id of the request being served (None outside a request)."""
    return g.get("payvand_request_id")


def _incoming_id() -> str:
    offered = request.headers.get(REQUEST_ID_HEADER, "")
    return offered if _WELL_FORMED.fullmatch(offered) else uuid.uuid4().hex


def route_of_request() -> str:
    """The matched route's rule (`/customers/<int:customer_id>`), not the path: few values, no personal data."""
    rule = request.url_rule
    return rule.rule if rule is not None else "<unmatched>"


def actor_reference(actor: Any) -> str | None:
    """Who acted, as `kind:id` (`user:3`, `token:12`, `customer:40`) — an id, never a name or email."""
    if actor is None:
        return None
    ident = {"token": actor.token_id, "customer": actor.customer_id}.get(actor.kind, actor.user_id)
    return f"{actor.kind}:{ident}" if ident is not None else actor.kind


def install(app: Flask) -> None:
    """Give each request an id (echoed in `X-Request-ID`, bound to its log lines) and an access line."""

    @app.before_request
    def _start() -> None:
        g.payvand_request_id = _incoming_id()
        g.payvand_request_started = time.perf_counter()
        structlog.contextvars.bind_contextvars(request_id=g.payvand_request_id)

    @app.after_request
    def _finish(response: Response) -> Response:
        rid = g.get("payvand_request_id")
        if rid is not None:
            response.headers[REQUEST_ID_HEADER] = rid
        if app.config.get("PAYVAND_ACCESS_LOG") and access_log.isEnabledFor(logging.INFO):
            started = g.get("payvand_request_started")
            actor = g.get("payvand_actor")
            access_log.info("request", extra={
                "method": request.method, "route": route_of_request(), "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2) if started else None,
                "actor": actor_reference(actor),
            })
        return response

    @app.teardown_request
    def _unbind(_: BaseException | None) -> None:
        structlog.contextvars.unbind_contextvars("request_id")
