"""Net Promoter Score invitations and answers: `service_nps_response`.

One row per customer invited in a campaign (unique per campaign and customer): when the
invitation went out, and once answered the score (0..10), the comment and the time.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from payvand.sdk import Base, BigId, UTCDateTime, utcnow


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
