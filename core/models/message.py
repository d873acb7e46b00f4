"""Messages: every message sent or received on a channel, its attachments, receipts and suppressed addresses."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from payvand.core.db import Base, BigId, JSONText, UTCDateTime, utcnow


class Message(Base):
    """One message on a channel, outbound (queued by `send_message`) or inbound (received).

    Outbound rows are the send queue: the dispatcher claims due rows (`status` queued,
    `next_attempt_at` reached) with a lease (`claimed_until`), hands them to the channel and
    records the result. `reference` is our stable id of the message (an email's `Message-ID`)
    or, inbound, its id at the source; one row per channel, direction and reference, so a
    message read twice is recorded once. `idempotency_key` makes a repeated `send_message`
    return the first message. Each message is also a core interaction (`interaction_id`).
    """

    __tablename__ = "core_message"
    __table_args__ = (
        sa.UniqueConstraint("channel", "direction", "reference"),
        sa.UniqueConstraint("idempotency_key"),
        sa.Index(None, "status", "next_attempt_at"),  # the dispatcher's due queue
        sa.Index(None, "channel", "provider_id"),  # receipts find their message
        sa.Index(None, "customer_id", "created_at", "id"),
        sa.Index(None, "source_type", "source_id"),
        sa.Index(None, "thread_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("core_customer.id", ondelete="CASCADE"))
    interaction_id: Mapped[int | None] = mapped_column(
        BigId, sa.ForeignKey("core_interaction.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(sa.String(32))
    direction: Mapped[str] = mapped_column(sa.String(16))  # outbound, inbound
    purpose: Mapped[str] = mapped_column(sa.String(64), default="service")
    status: Mapped[str] = mapped_column(sa.String(16), default="queued")
    address: Mapped[str] = mapped_column(sa.String(320), default="")
    subject: Mapped[str] = mapped_column(sa.String(500), default="")
    body: Mapped[str] = mapped_column(sa.Text, default="")
    html: Mapped[str | None] = mapped_column(sa.Text)  # sanitised before it is stored
    language: Mapped[str | None] = mapped_column(sa.String(16))
    reference: Mapped[str] = mapped_column(sa.String(255))
    provider_id: Mapped[str | None] = mapped_column(sa.String(255))
    reply_to_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("core_message.id", ondelete="SET NULL"))
    thread_id: Mapped[int | None] = mapped_column(BigId)  # the first message of the conversation
    source_type: Mapped[str | None] = mapped_column(sa.String(64))
    source_id: Mapped[str | None] = mapped_column(sa.String(64))
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(200))
    headers: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    claimed_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(sa.String(500))
    created_by_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("core_user.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    status_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class MessageAttachment(Base):
    """A file sent or received with a message (type checked from its bytes, size-limited)."""

    __tablename__ = "core_message_attachment"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    message_id: Mapped[int] = mapped_column(
        BigId, sa.ForeignKey("core_message.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(127))
    size: Mapped[int] = mapped_column(sa.Integer)
    content_id: Mapped[str | None] = mapped_column(sa.String(255))  # an inline image's Content-ID
    content: Mapped[bytes] = mapped_column(sa.LargeBinary)


class MessageReceipt(Base):
    """One status change a provider reported for a message (delivered, opened, bounced, ...)."""

    __tablename__ = "core_message_receipt"
    __table_args__ = (sa.Index(None, "message_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    message_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("core_message.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(sa.String(16))
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    reason: Mapped[str] = mapped_column(sa.String(500), default="")


class Suppression(Base):
    """An address no message may go to on a channel (a hard bounce, a complaint, a staff decision)."""

    __tablename__ = "core_suppression"
    __table_args__ = (sa.UniqueConstraint("channel", "address"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(sa.String(32))
    address: Mapped[str] = mapped_column(sa.String(320))
    reason: Mapped[str] = mapped_column(sa.String(500), default="")
    source: Mapped[str] = mapped_column(sa.String(64), default="bounce")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
