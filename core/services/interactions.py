"""Recording interactions, one at a time or in bulk, with their events."""

from __future__ import annotations

import datetime as dt
import decimal
import re
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from payvand.core import events
from payvand.core.db import utcnow
from payvand.core.models import Direction, Interaction
from payvand.core.services.customers import check_active_ids, inactive_customers

KIND_RE = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_.]*$")
Source = tuple[str, Any] | str | None


class InteractionError(ValueError):
    """An interaction that cannot be recorded; the message says which argument is wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


#: Interaction amounts fit NUMERIC(20, 4): below 10^16 with at most 4 decimals.
MAX_VALUE = decimal.Decimal("1e16")
VALUE_PLACES = 4


def _source_part(value: Any) -> str | None:
    return None if value is None else (str(value)[:64] or None)


def _split_source(source: Source) -> tuple[str | None, str | None]:
    if source is None:
        return None, None
    if isinstance(source, tuple):
        return _source_part(source[0]), _source_part(source[1] if len(source) > 1 else None)
    kind, _, ident = str(source).partition(":")
    return kind[:64] or None, ident[:64] or None


def _check_value(value: decimal.Decimal | int | str) -> decimal.Decimal:
    try:
        number = decimal.Decimal(str(value))
    except decimal.InvalidOperation:
        raise InteractionError("value", "not a number") from None
    if not number.is_finite():
        raise InteractionError("value", "not a finite number")
    if abs(number) >= MAX_VALUE:
        raise InteractionError("value", "too large (at most 16 integer digits)")
    if number != number.quantize(decimal.Decimal(1).scaleb(-VALUE_PLACES)):
        raise InteractionError("value", f"use at most {VALUE_PLACES} decimal places")
    return number


def build_interaction(
    customer_id: int,
    kind: str,
    channel: str,
    summary: str = "",
    *,
    channels: Iterable[str] | None = None,
    direction: str = Direction.inbound.value,
    value: decimal.Decimal | int | str | None = None,
    currency: str | None = None,
    occurred_at: dt.datetime | None = None,
    payload: dict[str, Any] | None = None,
    source: Source = None,
    created_by_id: int | None = None,
) -> dict[str, Any]:
    """Check the arguments of one interaction and return its column values."""
    if not KIND_RE.match(kind or "") or len(kind) > 64:
        raise InteractionError("kind", "use a namespaced kind such as 'sales.order_placed'")
    if channels is not None and channel not in channels:
        raise InteractionError("channel", f"unknown channel {channel!r}")
    if direction not in {d.value for d in Direction}:
        raise InteractionError("direction", "use inbound, outbound or internal")
    if value is not None:
        value = _check_value(value)
        if not currency:
            raise InteractionError("currency", "a value needs a currency")
    if occurred_at is not None and occurred_at.tzinfo is None:
        raise InteractionError("occurred_at", "give an aware datetime (with a time zone)")
    source_type, source_id = _split_source(source)
    now = utcnow()
    return {
        "customer_id": customer_id,
        "kind": kind,
        "channel": channel,
        "direction": direction,
        "summary": (summary or "")[:500],
        "value": value,
        "currency": currency,
        "occurred_at": occurred_at or now,
        "payload": payload or {},
        "source_type": source_type,
        "source_id": source_id,
        "created_by_id": created_by_id,
        "created_at": now,
    }


def record(session: Session, values: dict[str, Any]) -> Interaction:
    """Insert one interaction built by `build_interaction`; queue its event.

    Raises CustomerInactive (nothing inserted) when the customer was merged away or erased.
    """
    check_active_ids(session, [values["customer_id"]])
    interaction = Interaction(**values)
    session.add(interaction)
    session.flush()
    events.emit(session, "payvand_interaction_recorded", [interaction.id])
    return interaction


def record_many(session: Session, rows: Sequence[dict[str, Any]], *, skip_inactive: bool = False) -> list[int]:
    """Bulk-insert interactions built by `build_interaction`; one event for the whole batch.

    Raises CustomerInactive (nothing inserted) when any of the customers was merged away or
    erased; with `skip_inactive` the rows of those customers are left out instead (for a batch
    job whose other rows must still be recorded).
    """
    if not rows:
        return []
    if skip_inactive:
        inactive = inactive_customers(session, (row["customer_id"] for row in rows))
        rows = [row for row in rows if row["customer_id"] not in inactive]
        if not rows:
            return []
    else:
        check_active_ids(session, (row["customer_id"] for row in rows))
    # A Core insert on the table: the ORM bulk path splits the rows into a batch per run of
    # identical None-columns (e.g. value set or not) and re-splices RETURNING quadratically.
    table = Interaction.__table__
    ids = list(session.scalars(sa.insert(table).returning(table.c.id, sort_by_parameter_order=True), list(rows)))  # type: ignore[arg-type]
    events.emit(session, "payvand_interaction_recorded", ids)
    return ids
