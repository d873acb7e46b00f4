"""Orders: placed from an accepted quote or directly (online, API, staff), priced from a price
list, counted for an owner, moved along `ORDER` (placed→paid→shipped→delivered→returned,
placed→cancelled) by the kit's locking `transition`, and read by analytics as purchase facts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from payvand.plugins.sales import events
from payvand.plugins.sales.models import Category, Deal, Order, OrderLine, Product
from payvand.plugins.sales.services import rollup
from payvand.plugins.sales.services.document_base import (
    ACTING,
    ORDER,
    LineIn,
    acting_user_id,
    active_customer,
    check_deal,
    core_currency,
    get_document,
    next_number,
    price_lines,
    price_list_or_default,
    require_visible,
)
from payvand.sdk import Customer, record_interaction, utcnow
from payvand.sdk.documents import transition

#: Interaction channel per order channel (staff orders are taken in person or by phone).
_INTERACTION_CHANNEL = {"staff": "other", "web": "web", "api": "web"}


def order_owner(session: Session, customer_id: int, deal_id: int | None = None) -> int | None:
    """Who an order counts for: its deal's owner, else the customer's owner, else the acting staff user."""
    deal = session.get(Deal, deal_id) if deal_id is not None else None
    if deal is not None and deal.owner_id is not None:
        return deal.owner_id
    customer = session.get(Customer, customer_id)  # loaded already by the caller: no query
    if customer is not None and customer.owner_id is not None:
        return customer.owner_id
    return acting_user_id()


def place(session: Session, customer_id: int, currency: str, lines: list[OrderLine], totals: Any, *,
          channel: str, quote_id: int | None = None, deal_id: int | None = None) -> Order:
    """Number and store an order of priced lines with the totals of `totals`; counted and recorded
    as `sales.order_placed`. An IntegrityError (a second order of one quote) reaches the caller."""
    _, _, number = next_number(session, "order", "O")
    order = Order(number=number, customer_id=customer_id, currency=currency, status="placed", channel=channel,
                  quote_id=quote_id, owner_id=order_owner(session, customer_id, deal_id),
                  placed_at=utcnow(), lines=lines, subtotal=totals.subtotal,
                  discount_total=totals.discount_total, tax_total=totals.tax_total, total=totals.total)
    session.add(order)
    session.flush()
    rollup.count_order(order.id, 1)
    record_interaction(customer_id, "sales.order_placed", _INTERACTION_CHANNEL.get(channel, "other"),
                       f"Order {number} placed", value=order.total, currency=currency,
                       source=("sales.order", order.id), payload={"number": number, "channel": channel})
    events.order_placed(order)
    return order


def place_order(session: Session, customer_id: int, lines: Sequence[LineIn], *, channel: str = "api",
                price_list_id: int | None = None, deal_id: int | None = None) -> Order:
    """Place an order for a customer (online, through the API, or by staff), priced from the price list;
    it counts for the deal's owner (when given), else the customer's owner, else the acting user.
    A deal the acting user may not see is refused as a missing one (`rules.py`)."""
    active_customer(session, customer_id)
    check_deal(session, deal_id)
    price_list = price_list_or_default(session, price_list_id)
    currency = price_list.currency if price_list else core_currency()
    rows, totals = price_lines(session, lines, price_list, currency)
    order = place(session, customer_id, currency, [OrderLine(**row) for row in rows], totals, channel=channel,
                  deal_id=deal_id)
    order.created_by_id = acting_user_id()
    return order


def get_order(session: Session, order_id: int, actor: Any = ACTING) -> Order:
    """The order with this id if `actor` (default: the request's) may see it; DocumentError 404 otherwise."""
    return get_document(session, Order, order_id, actor)


def change_order_status(session: Session, order: Order, status: str) -> Order:
    """Move an order along its flow (placed→paid→shipped→delivered, placed→cancelled, shipped or delivered→returned).

    The kit's `transition` locks the order's row before its status is checked (of concurrent
    changes one wins: 409 for the others), audits the change and stamps `status_changed_at`.
    A cancelled or returned order leaves the revenue reports; one moving back in joins them."""
    require_visible(session, order)
    was = transition(session, order, ORDER, status, stamp="status_changed_at")
    was_counted = was in rollup.COUNTED
    if was_counted != (status in rollup.COUNTED):  # cancelled or returned: out of the revenue reports
        rollup.count_order(order.id, 1 if status in rollup.COUNTED else -1)
    return order


def purchase_facts() -> sa.Select[int, int | None, dt.datetime, Decimal, Decimal, str]:
    """Purchases for analytics (the `payvand_purchase_facts` hook): one row per order line of
    orders neither cancelled nor returned: (customer_id, product_id, occurred_at, quantity, amount, currency),
    `amount` the exact line total (tax included)."""
    return (
        sa.select(
            Order.customer_id.label("customer_id"),
            OrderLine.product_id.label("product_id"),
            Order.placed_at.label("occurred_at"),
            OrderLine.quantity.label("quantity"),
            OrderLine.total.label("amount"),
            Order.currency.label("currency"),
        )
        .join(Order, Order.id == OrderLine.order_id)
        .where(Order.status.not_in(("cancelled", "returned")))
    )


def product_facts() -> sa.Select[int, str, str | None, bool]:
    """The catalog for analytics (the `payvand_product_facts` hook): (product_id, name, category,
    active) of every product, `category` the name of its category (NULL without one)."""
    return (
        sa.select(
            Product.id.label("product_id"),
            Product.name.label("name"),
            Category.name.label("category"),
            Product.active.label("active"),
        )
        .outerjoin(Category, Category.id == Product.category_id)
    )
