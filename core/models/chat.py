"""Web chat conversations: one row per visitor conversation started from the chat widget."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from payvand.core.db import Base, BigId, UTCDateTime, utcnow


class ChatConversation(Base):
    """A conversation of a web chat visitor (the widget) with staff.

    `public_id` is what the visitor's signed token names; `address` (`chat:<public_id>`) is
    the message address of replies, so the chat channel knows whose widget shows them.
    `customer_id` is set by the first message (matched by the given email or phone, else a new
    prospect) or at once for a signed-in portal customer; `thread_id` is the core thread
    (`core_message.thread_id`) all its messages share. Staff list open ones by `last_activity_at`.
    """

    __tablename__ = "core_chat_conversation"
    __table_args__ = (
        sa.UniqueConstraint("public_id"),
        sa.Index(None, "status", "last_activity_at", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    public_id: Mapped[str] = mapped_column(sa.String(40))
    customer_id: Mapped[int | None] = mapped_column(
        BigId, sa.ForeignKey("core_customer.id", ondelete="SET NULL"), index=True)
    thread_id: Mapped[int | None] = mapped_column(BigId)
    last_inbound_id: Mapped[int | None] = mapped_column(BigId)
    name: Mapped[str] = mapped_column(sa.String(120), default="")
    email: Mapped[str] = mapped_column(sa.String(320), default="")
    phone: Mapped[str] = mapped_column(sa.String(32), default="")
    language: Mapped[str] = mapped_column(sa.String(16), default="fa")
    origin: Mapped[str] = mapped_column(sa.String(255), default="")
    page: Mapped[str] = mapped_column(sa.String(500), default="")
    status: Mapped[str] = mapped_column(sa.String(16), default="open")  # open, closed
    unread: Mapped[int] = mapped_column(sa.Integer, default=0)  # visitor messages since staff last answered
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_activity_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def address(self) -> str:
        """The chat address of this conversation's visitor (`chat:<public_id>`)."""
        return f"chat:{self.public_id}"
