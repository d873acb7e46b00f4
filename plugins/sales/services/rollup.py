"""Daily sales per product, kept exact and current so the product report stays fast.

`count_order(order_id, sign)` adds (+1) or removes (-1) an order's lines from
`sales_product_day` in the order's own transaction: call it when an order starts to count as
revenue (placed) and when it stops (cancelled, returned). Days are local days in the rollup's
time zone — the site's zone when the rollup was first written or last rebuilt, kept in
`sales_rollup_state` — so any run of whole local days (a Gregorian or Jalali month, a year) is
read from the rollup. After the site's time zone changes, the product report reads the order
lines (exact, slower) until `payvand sales rebuild-rollups` rebuilds the rollup in the new zone.

Amounts are kept as integers (quantity in thousandths, revenue in minor units), so sums are
exact and cheap on both databases; rows are locked on PostgreSQL so two orders of the same
product and day cannot lose each other's update.
"""

from __future__ import annotations

import collections
import datetime as dt
import decimal
from typing import Any, cast
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from payvand.plugins.sales.models import Order, OrderLine, ProductDay, RollupState
from payvand.plugins.sales.pricing import currency_places
from payvand.plugins.sales.services.local_time import as_date, local_day
from payvand.plugins.sales.services.sums import currencies_to_sum, exact_sum, to_decimal
from payvand.sdk import local_zone, session, utcnow

#: Order statuses counted as revenue (also used by the reports).
COUNTED = ("placed", "paid", "shipped", "delivered")
NAME = "product_day"

Key = tuple[int, str, dt.date]


def _zone_name() -> str:
    return getattr(local_zone(), "key", "UTC")


def rollup_zone() -> str | None:
    """The time zone the rollup's days are in (None before anything was counted)."""
    return session().scalar(sa.select(RollupState.zone).where(RollupState.name == NAME))


def is_current() -> bool:
    """True when the rollup's days are in the site's present time zone (so reports may read it)."""
    zone = rollup_zone()
    return zone is None or zone == _zone_name()


def _zone_for_writing() -> ZoneInfo:
    zone = rollup_zone()
    if zone is None:
        zone = _zone_name()
        session().execute(sa.insert(RollupState).values(name=NAME, zone=zone))
    return ZoneInfo(zone)


def writing_zone() -> ZoneInfo:
    """The zone new rollup days are counted in (recorded on first use), for callers adding deltas."""
    return _zone_for_writing()


def add_deltas(deltas: dict[Key, tuple[int, int]]) -> None:
    """Add many (quantity in thousandths, revenue in minor units) deltas at once, keyed by
    (product, currency, local day) in `writing_zone()` — what an import of many orders counts.

    One upsert executemany (`INSERT … ON CONFLICT DO UPDATE` adding to the day's figures, on
    PostgreSQL and SQLite alike): each day's row is read and written by the database in one
    step, never looked up first from here.
    """
    if not deltas:
        return
    table = cast(sa.Table, ProductDay.__table__)
    name = session().get_bind().dialect.name
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    else:  # pragma: no cover - the two databases Payvand runs on
        raise RuntimeError(f"the daily rollup has no upsert on {name}")
    statement = insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.product_id, table.c.currency, table.c.day],
        set_={"quantity_milli": table.c.quantity_milli + statement.excluded.quantity_milli,
              "revenue_minor": table.c.revenue_minor + statement.excluded.revenue_minor})
    rows = [{"product_id": product, "currency": currency, "day": day, "quantity_milli": quantity,
             "revenue_minor": revenue} for (product, currency, day), (quantity, revenue) in deltas.items()]
    for start in range(0, len(rows), 5000):
        session().execute(statement, rows[start:start + 5000])


def minor_units(amount: decimal.Decimal, currency: str) -> int:
    """An exact amount as an integer count of the currency's minor units (rials: 1, dollars: cents)."""
    return int(amount.scaleb(currency_places(currency)).to_integral_value())


def from_minor(units: int, currency: str) -> decimal.Decimal:
    """The amount of an integer count of minor units."""
    return decimal.Decimal(int(units)).scaleb(-currency_places(currency))


def _deltas(order_id: int) -> dict[Key, list[int]]:
    order = session().get(Order, order_id)
    if order is None:
        return {}
    lines = session().execute(
        sa.select(OrderLine.product_id, OrderLine.quantity, OrderLine.total)
        .where(OrderLine.order_id == order_id, OrderLine.product_id.is_not(None))
    ).all()
    if not lines:
        return {}
    day = order.placed_at.astimezone(_zone_for_writing()).date()
    found: dict[Key, list[int]] = collections.defaultdict(lambda: [0, 0])
    for product_id, quantity, total in lines:
        entry = found[(cast(int, product_id), order.currency, day)]  # the query keeps lines with a product
        entry[0] += int((quantity * 1000).to_integral_value())
        entry[1] += minor_units(total, order.currency)
    return found


def count_order(order_id: int, sign: int) -> None:
    """Add (`sign=1`) or take away (`sign=-1`) one order's lines in the daily rollup."""
    if sign not in (1, -1):
        raise ValueError("sign must be 1 or -1")
    deltas = _deltas(order_id)
    if not deltas:
        return
    table = cast(sa.Table, ProductDay.__table__)
    (_, currency, day), = {(0, key[1], key[2]) for key in deltas}  # one order: one currency, one day
    query = sa.select(table).where(table.c.product_id.in_([key[0] for key in deltas]),  # the primary key's prefix
                                   table.c.currency == currency, table.c.day == day)
    if session().get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    existing = {(row.product_id, row.currency, row.day): row for row in session().execute(query)}
    for key, (quantity, revenue) in deltas.items():
        row = existing.get(key)
        if row is None:
            session().execute(sa.insert(table).values(product_id=key[0], currency=key[1], day=key[2],
                                                      quantity_milli=sign * quantity, revenue_minor=sign * revenue))
        else:
            session().execute(
                sa.update(table)
                .where(table.c.product_id == key[0], table.c.currency == key[1], table.c.day == key[2])
                .values(quantity_milli=row.quantity_milli + sign * quantity,
                        revenue_minor=row.revenue_minor + sign * revenue)
            )


def rebuild() -> int:
    """Recompute the rollup in the site's present time zone in one GROUP BY; return the rows written.

    Exact on both databases: the sums go through `sums.exact_sum` (integer minor units on
    SQLite); quantities (at most 3 decimals) are summed as thousandths the same way.
    """
    joined = OrderLine.__table__.join(Order.__table__, Order.id == OrderLine.order_id)
    where = (Order.status.in_(COUNTED), OrderLine.product_id.is_not(None))
    currencies = currencies_to_sum(sa.select(Order.currency).select_from(joined).where(*where))
    first, last = session().execute(sa.select(sa.func.min(Order.placed_at), sa.func.max(Order.placed_at))).one()
    zone = ZoneInfo(_zone_name())
    rows: list[dict[str, Any]] = []
    if first is not None:
        if isinstance(first, str):  # SQLite's MIN over the stored text
            first, last = (dt.datetime.fromisoformat(v).replace(tzinfo=dt.UTC) for v in (first, last))
        day = local_day(Order.placed_at, zone, first, last + dt.timedelta(seconds=1)).label("day")
        quantity: sa.ColumnElement[Any]
        if session().get_bind().dialect.name == "sqlite":
            quantity = sa.func.sum(sa.cast(sa.func.round(OrderLine.quantity * 1000), sa.BigInteger))
        else:
            quantity = sa.func.sum(OrderLine.quantity)
        grouped = session().execute(
            sa.select(OrderLine.product_id, Order.currency, day, quantity,
                      exact_sum(OrderLine.total, Order.currency, currencies))
            .select_from(joined).where(*where).group_by(OrderLine.product_id, Order.currency, day)
        ).all()
        sqlite = session().get_bind().dialect.name == "sqlite"
        rows = [{"product_id": p, "currency": c, "day": as_date(d),
                 "quantity_milli": int(q) if sqlite else int((decimal.Decimal(q) * 1000).to_integral_value()),
                 "revenue_minor": minor_units(to_decimal(r, c), c)} for p, c, d, q, r in grouped]
    session().execute(sa.delete(ProductDay))
    for start in range(0, len(rows), 10_000):
        session().execute(sa.insert(ProductDay), rows[start:start + 10_000])
    session().execute(sa.delete(RollupState).where(RollupState.name == NAME))
    session().execute(sa.insert(RollupState).values(name=NAME, zone=zone.key, rebuilt_at=utcnow()))
    return len(rows)


def product_revenue(first_day: dt.date, last_day: dt.date, limit: int) -> list[dict[str, Any]]:
    """Revenue per product and currency over whole local days (inclusive), best first, from the rollup.

    Ranked by revenue in minor units within each currency's scale (rials and cents are not
    converted into each other).
    """
    revenue = sa.func.sum(ProductDay.revenue_minor).label("revenue")
    quantity = sa.func.sum(ProductDay.quantity_milli).label("quantity")
    rows = session().execute(
        sa.select(ProductDay.product_id, ProductDay.currency, quantity, revenue)
        .where(ProductDay.day >= first_day, ProductDay.day <= last_day)
        .group_by(ProductDay.product_id, ProductDay.currency)
        .having(sa.or_(quantity != 0, revenue != 0))
        .order_by(revenue.desc(), ProductDay.product_id, ProductDay.currency).limit(limit)
    )
    return [{"product_id": p, "currency": c, "quantity": plain_quantity(decimal.Decimal(int(q)).scaleb(-3)),
             "revenue": from_minor(r, c)} for p, c, q, r in rows]


def plain_quantity(value: Any) -> decimal.Decimal:
    """A summed quantity as an exact Decimal: whole numbers without decimals (4, not 4.000)."""
    number = decimal.Decimal(str(value))
    return number.quantize(decimal.Decimal(1)) if number == number.to_integral() else number.normalize()
