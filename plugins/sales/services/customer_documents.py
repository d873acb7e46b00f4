"""The customer hooks of the sales documents: merge (move the rows), export (the rows the actor
may see) and erase (blank the free text, keep the numbers and amounts), all set-based."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, cast

import sqlalchemy as sa

from payvand.plugins.sales.models import (
    Invoice,
    Order,
    OrderLine,
    Payment,
    Product,
    Quote,
    QuoteLine,
)
from payvand.sdk import SYSTEM, Actor, Customer, MovedRows, restrict
from payvand.sdk import session as current_session
from payvand.sdk.documents import plain


def merge_customer(target: Customer, source: Customer) -> list[MovedRows]:
    """Move the source customer's quotes, orders and invoices to the target (`payvand_customer_merge`)."""
    session = current_session()
    moved: list[MovedRows] = []
    for model in (Quote, Order, Invoice):
        ids = list(session.scalars(sa.select(model.id).where(model.customer_id == source.id)))
        if ids:
            session.execute(sa.update(model).where(model.id.in_(ids)).values(customer_id=target.id))
            moved.append(MovedRows(model.__tablename__, "customer_id", ids))
    return moved


def customer_export(customer: Customer, actor: Actor = SYSTEM) -> dict[str, Any]:
    """The customer's quotes, orders, invoices and payments that `actor` may see (record rules),
    for a data export (`payvand_customer_export`)."""
    session = current_session()

    def value(v: Any) -> Any:
        return plain(v) if isinstance(v, Decimal) else v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else v

    def rows(model: Any, *columns: str) -> list[dict[str, Any]]:
        query = restrict(sa.select(model).where(model.customer_id == customer.id), actor, model)
        return [{c: value(getattr(row, c)) for c in columns} for row in session.scalars(query.order_by(model.id))]

    common = ("number", "status", "currency", "subtotal", "discount_total", "tax_total", "total", "created_at")
    payments = session.execute(restrict(cast(
        sa.Select[Any],
        sa.select(Payment.id, Invoice.number.label("invoice"), Payment.amount, Payment.method, Payment.reference,
                  Payment.paid_at)
        .join(Invoice, Invoice.id == Payment.invoice_id).where(Invoice.customer_id == customer.id)), actor, Payment)
        .order_by(Payment.id)).all()
    return {
        "quotes": rows(Quote, *common, "valid_until", "reject_reason"),
        "orders": rows(Order, *common, "channel", "placed_at"),
        "invoices": rows(Invoice, *common, "issued_at", "due_at", "paid_total", "void_reason"),
        "payments": [{k: value(v) for k, v in row._asdict().items() if k != "id"} for row in payments],
    }


def customer_erase(customer: Customer) -> dict[str, list[int]]:
    """Blank the free text of the customer's quotes, orders, invoices and payments (`payvand_customer_erase`):
    line descriptions become the product's name (or "Line N"), reasons and payment references go;
    numbers, amounts, taxes and dates stay. Set-based; returns the ids per audit object type."""
    session = current_session()
    ids = {model: list(session.scalars(sa.select(model.id).where(model.customer_id == customer.id)))
           for model in (Quote, Order, Invoice)}
    for line, parent, column in ((QuoteLine, Quote, QuoteLine.quote_id), (OrderLine, Order, OrderLine.order_id)):
        if ids[parent]:
            product_name = sa.select(Product.name).where(Product.id == line.product_id).scalar_subquery()
            session.execute(sa.update(line).where(column.in_(ids[parent]))
                            .values(description=sa.func.coalesce(product_name, sa.literal("Line ")
                                                                 + sa.cast(line.position + 1, sa.String)))
                            .execution_options(synchronize_session=False))
    if ids[Quote]:
        session.execute(sa.update(Quote).where(Quote.id.in_(ids[Quote])).values(reject_reason=None)
                        .execution_options(synchronize_session=False))
    if ids[Invoice]:
        session.execute(sa.update(Invoice).where(Invoice.id.in_(ids[Invoice])).values(void_reason=None)
                        .execution_options(synchronize_session=False))
        session.execute(sa.update(Payment).where(Payment.invoice_id.in_(ids[Invoice])).values(reference=None)
                        .execution_options(synchronize_session=False))
    return {model.__tablename__: found for model, found in ids.items()}
