"""Columns every document and every document line has, as declarative mixins.

    class RepairInvoice(DocumentMixin, Base):
        __tablename__ = "repairs_invoice"
        status: Mapped[str] = mapped_column(sa.String(16), default="draft")

    class RepairLine(LineMixin, Base):
        __tablename__ = "repairs_invoice_line"
        invoice_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("repairs_invoice.id", ondelete="CASCADE"))

Money is `ExactDecimal` (NUMERIC on PostgreSQL, canonical text on SQLite), 0 by default.
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from payvand.core.db import BigId, ExactDecimal, UTCDateTime, utcnow


def money_column(**kwargs: Any) -> Any:
    """An exact money column, 0 by default."""
    return mapped_column(ExactDecimal, default=decimal.Decimal(0), **kwargs)


class DocumentMixin:
    """A document's number, customer, currency and totals (`lines.set_totals` fills them)."""

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(32), unique=True)
    customer_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("core_customer.id"), index=True)
    currency: Mapped[str] = mapped_column(sa.String(3), default="IRR")
    subtotal: Mapped[decimal.Decimal] = money_column()
    discount_total: Mapped[decimal.Decimal] = money_column()
    tax_total: Mapped[decimal.Decimal] = money_column()
    total: Mapped[decimal.Decimal] = money_column()
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class LineMixin:
    """A line as priced by `pricing.compute_line`: what the lines table of the PDF prints."""

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    position: Mapped[int] = mapped_column(sa.Integer, default=0)
    description: Mapped[str] = mapped_column(sa.String(500))
    quantity: Mapped[decimal.Decimal] = mapped_column(ExactDecimal)
    unit_price: Mapped[decimal.Decimal] = money_column()
    discount: Mapped[decimal.Decimal] = money_column()
    tax_rate: Mapped[decimal.Decimal] = mapped_column(ExactDecimal, default=decimal.Decimal(0))
    net: Mapped[decimal.Decimal] = money_column()
    tax: Mapped[decimal.Decimal] = money_column()
    total: Mapped[decimal.Decimal] = money_column()
