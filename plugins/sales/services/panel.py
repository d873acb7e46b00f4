"""The sales panel of the customer 360 page: open deals, last orders and the balance due."""

from __future__ import annotations

import decimal
from typing import Any

import sqlalchemy as sa
from flask import render_template

from payvand.sdk import Panel, lazy_gettext, session

from payvand.plugins.sales import permissions as perm
from payvand.plugins.sales.models import Deal, Invoice, Order
from payvand.plugins.sales.services import rules

OPEN_DEALS_SHOWN = 5
ORDERS_SHOWN = 5
#: Invoices that still ask for money.
_OWING = ("unpaid", "partially_paid")


def open_deals(customer_id: int, caller: Any = None) -> list[Any]:
    """The customer's open deals that `caller` may see (`rules.py`), newest first."""
    query = rules.restrict(
        sa.select(Deal.id, Deal.title, Deal.amount, Deal.currency, Deal.expected_close)
        .where(Deal.customer_id == customer_id, Deal.status == "open"), Deal, caller)
    return list(session().execute(query.order_by(Deal.id.desc()).limit(OPEN_DEALS_SHOWN)))


def last_orders(customer_id: int, caller: Any = None) -> list[Any]:
    """The customer's latest orders that `caller` may see (`rules.py`)."""
    query = rules.restrict(
        sa.select(Order.id, Order.number, Order.status, Order.total, Order.currency, Order.placed_at)
        .where(Order.customer_id == customer_id), Order, caller)
    return list(session().execute(query.order_by(Order.placed_at.desc(), Order.id.desc()).limit(ORDERS_SHOWN)))


def balance_due(customer_id: int, caller: Any = None) -> dict[str, decimal.Decimal]:
    """What the customer still owes, per currency, over the unpaid and partly paid invoices `caller` may see."""
    rows = session().execute(rules.restrict(
        sa.select(Invoice.currency, Invoice.total, Invoice.paid_total)
        .where(Invoice.customer_id == customer_id, Invoice.status.in_(_OWING)), Invoice, caller))
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
    deals = open_deals(customer.id, user) if sees_deals else None
    orders = last_orders(customer.id, user) if sees_documents else None
    owed = balance_due(customer.id, user) if sees_documents else None
    html = render_template("sales/customer_panel.html", deals=deals, orders=orders, owed=owed, customer=customer)
    return Panel(title=str(lazy_gettext("Sales")), html=html, order=20, key="sales")
