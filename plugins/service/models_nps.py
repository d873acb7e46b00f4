"""Net Promoter Score invitations and answers (`service_nps_response`) and send requests (`service_nps_send`).

One row per customer invited in a campaign (unique per campaign and customer): when the
invitation went out, and once answered the score (0..10), the comment and the time.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from payvand.sdk import Base, BigId, JSONText, UTCDateTime, utcnow


class NpsResponse(Base):
    """A customer's NPS invitation in one campaign and, once given, the answer."""

    __tablename__ = "service_nps_response"
    __table_args__ = (sa.UniqueConstraint("campaign", "customer_id"), sa.Index(None, "answered_at"),
                      sa.Index(None, "customer_id"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    campaign: Mapped[str] = mapped_column(sa.String(64))
    customer_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("core_customer.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(sa.String(32), default="email")
    message_id: Mapped[int | None] = mapped_column(BigId)
    sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    score: Mapped[int | None] = mapped_column(sa.Integer)
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class NpsSend(Base):
    """One request to send a campaign's survey: to the customers matching the customer list's
    filters (`filters`, as the Customers page takes them) or to a list of ids; sent in the
    background (`services/nps.py`), the counts filled in when done."""

    __tablename__ = "service_nps_send"
    __table_args__ = (sa.Index(None, "requested_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    campaign: Mapped[str] = mapped_column(sa.String(64))
    channel: Mapped[str] = mapped_column(sa.String(32), default="email")
    filters: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)
    customer_ids: Mapped[list[int]] = mapped_column(JSONText, default=list)
    requested_by_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("core_user.id", ondelete="SET NULL"))
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    matching: Mapped[int] = mapped_column(sa.Integer, default=0)  # the preview count when requested
    sent: Mapped[int | None] = mapped_column(sa.Integer)
    refused: Mapped[int | None] = mapped_column(sa.Integer)
    skipped: Mapped[int | None] = mapped_column(sa.Integer)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
