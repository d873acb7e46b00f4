"""The service plugin's returns and complaints tables (`service_return*`, `service_complaint*`).

A return (`ReturnRequest`) belongs to a ticket (one per ticket) and names the purchased items
sent back (`ReturnItem`): opaque references of the selling plugin's lines (`sales.order_line:12`)
with the quantity, its share of the amount paid and a label, copied when picked — or free text when
no plugin answers `payvand_returnable_items`. Complaints are tickets of type `complaint` with a
root cause (`ComplaintCause`) recorded in `Complaint`.
"""

from __future__ import annotations

import datetime as dt
import decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from payvand.sdk import Base, BigId, ExactDecimal, UTCDateTime, utcnow

RETURN_STATUSES = ("requested", "approved", "rejected", "received", "refunded", "replaced")
RESOLUTIONS = ("refund", "replace")


class ReturnRequest(Base):
    """A customer's request to send purchased items back, moved along `services/returns.py`'s flow."""

    __tablename__ = "service_return"
    __table_args__ = (sa.Index(None, "customer_id", "id"), sa.Index(None, "status", "id"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("service_ticket.id", ondelete="CASCADE"), unique=True)
    customer_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("core_customer.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(sa.String(16), default="requested")  # RETURN_STATUSES
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    decision_note: Mapped[str | None] = mapped_column(sa.String(500))
    total: Mapped[decimal.Decimal] = mapped_column(ExactDecimal, default=decimal.Decimal(0))  # the refundable amount
    currency: Mapped[str | None] = mapped_column(sa.String(3))
    created_by_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("core_user.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    status_changed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    items: Mapped[list[ReturnItem]] = relationship(back_populates="request", cascade="all, delete-orphan",
                                                   order_by="ReturnItem.id")

    @property
    def number(self) -> str:
        """The return's name in messages and audit (`R-12`)."""
        return f"R-{self.id}"


class ReturnItem(Base):
    """One item of a return: a purchased line (opaque `source`) or free text, and how many."""

    __tablename__ = "service_return_item"
    __table_args__ = (sa.Index(None, "return_id"), sa.Index(None, "source"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    return_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("service_return.id", ondelete="CASCADE"))
    source: Mapped[str | None] = mapped_column(sa.String(120))  # e.g. sales.order_line:12
    document: Mapped[str | None] = mapped_column(sa.String(120))  # e.g. sales.order:4
    label: Mapped[str] = mapped_column(sa.String(300), default="")
    quantity: Mapped[decimal.Decimal] = mapped_column(ExactDecimal, default=decimal.Decimal(1))
    amount: Mapped[decimal.Decimal | None] = mapped_column(ExactDecimal)  # what these units cost the customer

    request: Mapped[ReturnRequest] = relationship(back_populates="items")


class ComplaintCause(Base):
    """A root cause complaints are filed under (e.g. late delivery, rude staff, billing error)."""

    __tablename__ = "service_complaint_cause"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    description: Mapped[str] = mapped_column(sa.String(500), default="")
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)


class Complaint(Base):
    """The root cause of a complaint ticket (one row per ticket of type `complaint` that has one)."""

    __tablename__ = "service_complaint"
    __table_args__ = (sa.Index(None, "cause_id"),)

    ticket_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("service_ticket.id", ondelete="CASCADE"),
                                           primary_key=True)
    cause_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("service_complaint_cause.id",
                                                                      ondelete="SET NULL"))
    set_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
