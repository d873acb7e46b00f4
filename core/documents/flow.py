"""A declarative status flow: states, allowed transitions, translated labels, and `transition`.

    ORDER = StatusFlow("order", {"placed": ("paid", "cancelled"), "paid": ()},
                       labels={"placed": _l("Placed"), "paid": _l("Paid"), "cancelled": _l("Cancelled")})

`transition` locks the document's row (`locking.lock_row`), checks the move against the flow
(409 when the current state does not allow it, 422 for an unknown state), writes the audit
entry (action `status` unless told otherwise) and, when given a timeline kind, records the
interaction on the document's customer — all in the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from payvand.core.documents.errors import DocumentError
from payvand.core.documents.locking import lock_row


@dataclass(frozen=True)
class StatusFlow:
    """The states of one document type, in display order, each with the states it may move to.

    `noun` names the document in messages ("Order O-1405-000001 is paid: …"); `labels` maps a
    state to its (lazily) translated label; `column` is the document's status column."""

    noun: str
    moves: Mapping[str, tuple[str, ...]]
    labels: Mapping[str, Any] = field(default_factory=dict)
    column: str = "status"

    def __post_init__(self) -> None:
        unknown = {target for targets in self.moves.values() for target in targets} - set(self.moves)
        if unknown:
            raise ValueError(f"{self.noun}: transitions to undeclared states {sorted(unknown)}")
        missing = set(self.labels) - set(self.moves)
        if missing:
            raise ValueError(f"{self.noun}: labels of undeclared states {sorted(missing)}")

    @property
    def states(self) -> tuple[str, ...]:
        """Every state, in declaration order."""
        return tuple(self.moves)

    def label(self, state: str) -> str:
        """The translated label of `state` (the state itself when it has none)."""
        return str(self.labels.get(state, state))

    def allowed(self, state: str) -> tuple[str, ...]:
        """The states a document in `state` may move to (none for a final or unknown state)."""
        return self.moves.get(state, ())

    def check(self, number: str, current: str, target: str) -> None:
        """Raise DocumentError 422 (field `status`) for an unknown `target`, 409 when `current` may not become it."""
        if target not in self.moves:
            raise DocumentError(f"Unknown status; use one of: {', '.join(self.states)}.", field="status")
        allowed = self.allowed(current)
        if target not in allowed:
            then = f"it can only become {' or '.join(allowed)}" if allowed else "its status is final"
            raise DocumentError(f"{self.noun.capitalize()} {number} is {current}: {then}, not {target}.",
                                status=409, field="status")


def transition(session: Session, document: Any, flow: StatusFlow, target: str, *, action: str = "status",
               stamp: str | None = None, timeline: str | None = None, channel: str = "other",
               summary: str | None = None, payload: Mapping[str, Any] | None = None,
               audit_extra: Mapping[str, Any] | None = None, now: dt.datetime | None = None) -> str:
    """Move `document` to `target` along `flow`: lock its row, check the move, audit it, record it.

    The document needs `id`, `number` and the flow's status column; `customer_id`, `total` and
    `currency` too when `timeline` (an interaction kind, e.g. `service.repair_done`) is given.
    `stamp` names a timestamp column set to now (`status_changed_at`). An unknown target is
    refused before the row is locked. The document is refreshed in place (`lock_row`); returns
    the state it left. The caller commits."""
    from payvand.core.db import utcnow

    if target not in flow.moves:
        flow.check(getattr(document, "number", "?"), "", target)
    lock_row(session, document)  # the same instance, reloaded under the lock
    current = getattr(document, flow.column)
    flow.check(document.number, current, target)
    table = type(document).__tablename__
    write_audit(session, action, table, document.id,
                before={flow.column: current}, after={flow.column: target, **(audit_extra or {})})
    setattr(document, flow.column, target)
    if stamp:
        setattr(document, stamp, now or utcnow())
    if timeline:
        record_on_timeline(session, document, timeline, summary or f"{flow.noun.capitalize()} "
                           f"{document.number} {target}", channel=channel,
                           payload={"number": document.number, "status": target,
                                    **(payload or {})})
    session.flush()
    return str(current)


def write_audit(session: Session, action: str, object_type: str, object_id: Any, *,
                before: dict[str, Any] | None = None, after: dict[str, Any] | None = None) -> None:
    """An audit entry as the current actor (the request's caller, else the system), in `session`."""
    from payvand.core.actor import current_actor
    from payvand.core.audit import record

    record(session, current_actor(), action, object_type, None if object_id is None else str(object_id),
           before=before, after=after)


def record_on_timeline(session: Session, document: Any, kind: str, summary: str, *, channel: str = "other",
                       direction: str = "internal", payload: Mapping[str, Any] | None = None) -> Any:
    """Record `kind` on the document's customer's timeline, valued at its total, pointing at it."""
    from flask import current_app, has_app_context

    from payvand.core.services.interactions import build_interaction, record

    channels = current_app.extensions["payvand"].channels() \
        if has_app_context() and "payvand" in current_app.extensions else None
    values = build_interaction(document.customer_id, kind, channel, summary, channels=channels, direction=direction,
                               value=document.total, currency=document.currency,
                               source=(f"{type(document).__tablename__.replace('_', '.', 1)}", document.id),
                               payload=dict(payload or {}))
    return record(session, values)
