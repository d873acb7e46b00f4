"""Interactions: one row per customer-facing event, whatever its channel or intent."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from payvand.core.db import Base, BigId, ExactDecimal, JSONText, UTCDateTime, utcnow


class Direction(str, enum.Enum):
    """Who started the interaction."""

    inbound = "inbound"
    outbound = "outbound"
    internal = "internal"


#: Channels the core knows; plugins add more through `payvand_channels`.
CORE_CHANNELS: dict[str, str] = {
    "web": "Web",
    "email": "Email",
    "phone": "Phone",
    "sms": "SMS",
    "chat": "Chat",
    "social": "Social media",
    "in_person": "In person",
    "other": "Other",
}


class Interaction(Base):
    """A customer-facing event; the customer timeline is this table, newest first."""

    __tablename__ = "core_interaction"
    __table_args__ = (
        # The timeline's keyset order; channel and kind make the 360 page's key figures index-only.
        sa.Index(None, "customer_id", "occurred_at", "id", "channel", "kind"),
        sa.Index(None, "kind", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        BigId, sa.ForeignKey("core_customer.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(sa.String(64))
    channel: Mapped[str] = mapped_column(sa.String(32))
    direction: Mapped[str] = mapped_column(sa.String(16), default=Direction.inbound.value)
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    summary: Mapped[str] = mapped_column(sa.String(500), default="")
    value: Mapped[decimal.Decimal | None] = mapped_column(ExactDecimal())
    currency: Mapped[str | None] = mapped_column(sa.String(3))
    source_type: Mapped[str | None] = mapped_column(sa.String(64))
    source_id: Mapped[str | None] = mapped_column(sa.String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)
    created_by_id: Mapped[int | None] = mapped_column(
        BigId, sa.ForeignKey("core_user.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
