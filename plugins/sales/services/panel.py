"""The sales panel of the customer 360 page: open deals, last orders and the balance due."""

from __future__ import annotations

import decimal
from typing import Any, cast

import sqlalchemy as sa
from flask import render_template

from payvand.plugins.sales import permissions as perm
from payvand.plugins.sales.models import Deal, Invoice, Order
from payvand.sdk import SYSTEM, Actor, Panel, lazy_gettext, restrict, session

OPEN_DEALS_SHOWN = 5
ORDERS_SHOWN = 5
#: Invoices that still ask for money.
_OWING = ("unpaid", "partially_paid")


def open_deals(customer_id: int, actor: Actor = SYSTEM) -> list[Any]:
    """The customer's open deals that `actor` may see (record rules), newest first."""
    query = restrict(cast(
        sa.Select[Any],
        sa.select(Deal.id, Deal.title, Deal.amount, Deal.currency, Deal.expected_close)
        .where(Deal.customer_id == customer_id, Deal.status == "open")), actor, Deal)
    return list(session().execute(query.order_by(Deal.id.desc()).limit(OPEN_DEALS_SHOWN)))


def last_orders(customer_id: int, actor: Actor = SYSTEM) -> list[Any]:
    """The customer's latest orders that `actor` may see (record rules)."""
    query = restrict(cast(
        sa.Select[Any],
        sa.select(Order.id, Order.number, Order.status, Order.total, Order.currency, Order.placed_at)
        .where(Order.customer_id == customer_id)), actor, Order)
    return list(session().execute(query.order_by(Order.placed_at.desc(), Order.id.desc()).limit(ORDERS_SHOWN)))


def balance_due(customer_id: int, actor: Actor = SYSTEM) -> dict[str, decimal.Decimal]:
    """What the customer still owes, per currency, over the unpaid and partly paid invoices `actor` may see."""
    rows = session().execute(restrict(cast(
        sa.Select[Any],
        sa.select(Invoice.currency, Invoice.total, Invoice.paid_total)
        .where(Invoice.customer_id == customer_id, Invoice.status.in_(_OWING))), actor, Invoice))
    owed: dict[str, decimal.Decimal] = {}
    for currency, total, paid in rows:  # summed in Python: exact decimals on every database
        owed[currency] = owed.get(currency, decimal.Decimal(0)) + total - paid
    return {currency: amount for currency, amount in owed.items() if amount}


def customer_panel(customer: Any, actor: Actor) -> Panel | None:
    """The 360 page's sales panel (three bounded queries), or None for an actor without sales access."""
    sees_deals = actor.can(perm.DEAL_VIEW)
    sees_documents = actor.can(perm.DOCUMENT_VIEW)
    if not (sees_deals or sees_documents):
        return None
    deals = open_deals(customer.id, actor) if sees_deals else None
    orders = last_orders(customer.id, actor) if sees_documents else None
    owed = balance_due(customer.id, actor) if sees_documents else None
    html = render_template("sales/customer_panel.html", deals=deals, orders=orders, owed=owed, customer=customer)
    return Panel(title=str(lazy_gettext("Sales")), html=html, order=20, key="sales")
