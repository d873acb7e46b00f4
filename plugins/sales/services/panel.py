"""The sales panel of the customer 360 page: open deals, last orders and the balance due."""

from __future__ import annotations

import decimal
from typing import Any

import sqlalchemy as sa
from flask import render_template

from payvand.sdk import Panel, lazy_gettext, session

from payvand.plugins.sales import permissions as perm
from payvand.plugins.sales.models import Deal, Invoice, Order

OPEN_DEALS_SHOWN = 5
ORDERS_SHOWN = 5
#: Invoices that still ask for money.
_OWING = ("unpaid", "partially_paid")


def open_deals(customer_id: int, owner_id: int | None) -> list[Any]:
    """The customer's open deals, newest first; only `owner_id`'s when given (the record rule)."""
    query = (
        sa.select(Deal.id, Deal.title, Deal.amount, Deal.currency, Deal.expected_close)
        .where(Deal.customer_id == customer_id, Deal.status == "open")
        .order_by(Deal.id.desc()).limit(OPEN_DEALS_SHOWN)
    )
    if owner_id is not None:
        query = query.where(Deal.owner_id == owner_id)
    return list(session().execute(query))


def last_orders(customer_id: int) -> list[Any]:
    """The customer's latest orders."""
    return list(session().execute(
        sa.select(Order.id, Order.number, Order.status, Order.total, Order.currency, Order.placed_at)
        .where(Order.customer_id == customer_id)
        .order_by(Order.placed_at.desc(), Order.id.desc()).limit(ORDERS_SHOWN)
    ))


def balance_due(customer_id: int) -> dict[str, decimal.Decimal]:
    """What the customer still owes, per currency, over their unpaid and partly paid invoices."""
    rows = session().execute(
        sa.select(Invoice.currency, Invoice.total, Invoice.paid_total)
        .where(Invoice.customer_id == customer_id, Invoice.status.in_(_OWING))
    )
    owed: dict[str, decimal.Decimal] = {}
    for currency, total, paid in rows:  # summed in Python: exact decimals on every database
        owed[currency] = owed.get(currency, decimal.Decimal(0)) + total - paid
    return {currency: amount for currency, amount in owed.items() if amount}


def customer_panel(customer: Any, user: Any) -> Panel | None:
    """The 360 page's sales panel (three bounded queries), or None for a user without sales access."""
    if user is None:
        return None
    sees_deals = user.can(perm.DEAL_VIEW)
    sees_documents = user.can(perm.DOCUMENT_VIEW)
    if not (sees_deals or sees_documents):
        return None
    deals = open_deals(customer.id, None if user.can(perm.MANAGE) else user.id) if sees_deals else None
    orders = last_orders(customer.id) if sees_documents else None
    owed = balance_due(customer.id) if sees_documents else None
    html = render_template("sales/customer_panel.html", deals=deals, orders=orders, owed=owed, customer=customer)
    return Panel(title=str(lazy_gettext("Sales")), html=html, order=20, key="sales")
