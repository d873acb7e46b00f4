"""Monthly sales per product, kept exact and current so the product report stays fast.

`count_order(order_id, sign)` adds (+1) or removes (-1) an order's lines from
`sales_product_month` in the order's own transaction: call it when an order starts to count
as revenue (placed) and when it stops (cancelled, returned). `rebuild()` recomputes the whole
table from the orders (after an import, or to check). Sums are done with `Decimal` in Python on
the few rows an order touches, so they are exact on SQLite too; rows are locked on PostgreSQL
so two orders of the same product and month cannot lose each other's update.
"""

from __future__ import annotations

import collections
import decimal
from typing import Any

import sqlalchemy as sa

from payvand.sdk import session

from payvand.plugins.sales.models import Order, OrderLine, ProductMonth
from payvand.plugins.sales.pricing import round_money

#: Order statuses counted as revenue (also used by the reports).
COUNTED = ("placed", "paid", "shipped", "delivered")

Key = tuple[str, int, str]


def month_of(order: Any) -> str:
    """The order's month as `YYYY-MM` (UTC)."""
    return order.placed_at.strftime("%Y-%m")


def _deltas(order_id: int) -> tuple[dict[Key, list[decimal.Decimal]], bool]:
    order = session().get(Order, order_id)
    if order is None:
        return {}, False
    lines = session().execute(
        sa.select(OrderLine.product_id, OrderLine.quantity, OrderLine.total)
        .where(OrderLine.order_id == order_id, OrderLine.product_id.is_not(None))
    )
    found: dict[Key, list[decimal.Decimal]] = collections.defaultdict(lambda: [decimal.Decimal(0), decimal.Decimal(0)])
    for product_id, quantity, total in lines:
        entry = found[(month_of(order), product_id, order.currency)]
        entry[0] += quantity
        entry[1] += total
    return found, True


def count_order(order_id: int, sign: int) -> None:
    """Add (`sign=1`) or take away (`sign=-1`) one order's lines in the monthly rollup."""
    if sign not in (1, -1):
        raise ValueError("sign must be 1 or -1")
    deltas, found = _deltas(order_id)
    if not found or not deltas:
        return
    table = ProductMonth.__table__
    keys = list(deltas)
    query = sa.select(table).where(sa.tuple_(table.c.month, table.c.product_id, table.c.currency).in_(keys))
    if session().get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    existing = {(row.month, row.product_id, row.currency): row for row in session().execute(query)}
    for key, (quantity, revenue) in deltas.items():
        row = existing.get(key)
        if row is None:
            session().execute(sa.insert(table).values(month=key[0], product_id=key[1], currency=key[2],
                                                      quantity=sign * quantity, revenue=sign * revenue))
        else:
            session().execute(
                sa.update(table)
                .where(table.c.month == key[0], table.c.product_id == key[1], table.c.currency == key[2])
                .values(quantity=row.quantity + sign * quantity, revenue=row.revenue + sign * revenue)
            )


def rebuild() -> int:
    """Recompute the rollup from every counted order in one GROUP BY; return the rows written.

    Exact on both databases: the sums go through `reports.exact_sum` (integer minor units on
    SQLite); quantities (at most 3 decimals) are summed as thousandths the same way.
    """
    from payvand.plugins.sales.services.reports import _month, exact_sum, to_decimal

    joined = OrderLine.__table__.join(Order.__table__, Order.id == OrderLine.order_id)
    where = (Order.status.in_(COUNTED), OrderLine.product_id.is_not(None))
    currencies = [c for (c,) in session().execute(sa.select(Order.currency).select_from(joined).where(*where).distinct())]
    month = _month(Order.placed_at).label("month")
    if session().get_bind().dialect.name == "sqlite":
        quantity = sa.func.sum(sa.cast(sa.func.round(OrderLine.quantity * 1000), sa.BigInteger))
    else:
        quantity = sa.func.sum(OrderLine.quantity)
    grouped = session().execute(
        sa.select(month, OrderLine.product_id, Order.currency, quantity,
                  exact_sum(OrderLine.total, Order.currency, currencies))
        .select_from(joined).where(*where).group_by(month, OrderLine.product_id, Order.currency)
    ).all()
    sqlite = session().get_bind().dialect.name == "sqlite"
    rows = [{"month": m, "product_id": p, "currency": c,
             "quantity": decimal.Decimal(int(q)).scaleb(-3) if sqlite else decimal.Decimal(q),
             "revenue": to_decimal(r, c)} for m, p, c, q, r in grouped]
    session().execute(sa.delete(ProductMonth))
    if rows:
        session().execute(sa.insert(ProductMonth), rows)
    return len(rows)


def product_revenue(first_month: str, last_month: str, limit: int) -> list[dict[str, Any]]:
    """Revenue per product and currency over whole months, best first, from the rollup."""
    rows = session().execute(
        sa.select(ProductMonth.product_id, ProductMonth.currency, ProductMonth.quantity, ProductMonth.revenue)
        .where(ProductMonth.month >= first_month, ProductMonth.month <= last_month)
    )
    totals: dict[tuple[int, str], list[decimal.Decimal]] = collections.defaultdict(
        lambda: [decimal.Decimal(0), decimal.Decimal(0)])
    for product_id, currency, quantity, revenue in rows:
        entry = totals[(product_id, currency)]
        entry[0] += quantity
        entry[1] += revenue
    ranked = sorted(totals.items(), key=lambda item: (-item[1][1], item[0]))
    return [{"product_id": p, "currency": c, "quantity": plain_quantity(q), "revenue": round_money(r, c)}
            for (p, c), (q, r) in ranked[:limit] if q or r]


def plain_quantity(value: Any) -> decimal.Decimal:
    """A summed quantity as an exact Decimal: whole numbers without decimals (4, not 4.000)."""
    number = decimal.Decimal(str(value))
    return number.quantize(decimal.Decimal(1)) if number == number.to_integral() else number.normalize()
