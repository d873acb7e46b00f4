"""Sales reports in SQL: revenue by month, product and owner, win rate, sales cycle, lead conversion.

Every report is one `GROUP BY` over indexed columns, so it stays in the database on millions
of rows. Money is summed exactly on both databases (`sums.exact_sum`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from payvand.plugins.sales.models import Deal, Lead, Order, OrderLine
from payvand.plugins.sales.services.local_time import Calendar, as_date, local_day, midnight, month_of
from payvand.plugins.sales.services.rollup import COUNTED, plain_quantity, product_revenue
from payvand.plugins.sales.services.rollup import is_current as rollup_is_current
from payvand.plugins.sales.services.sums import currencies_to_sum, dialect, exact_sum, to_decimal
from payvand.sdk import local_zone, session

#: Orders that count as revenue.
REVENUE_STATUSES = COUNTED


@dataclasses.dataclass(frozen=True)
class Period:
    """A half-open time range [start, end) in UTC."""

    start: dt.datetime
    end: dt.datetime


def _currencies(column: Any, where: Iterable[Any]) -> list[str]:
    return currencies_to_sum(sa.select(column).where(*where))


def revenue_by_month(period: Period, calendar: Calendar = "gregorian") -> list[dict[str, Any]]:
    """Order revenue per local month (Gregorian or Jalali, in the site's time zone) and currency.

    [{month: "YYYY-MM" of that calendar, year, month_number, currency, orders, revenue}]. SQL
    groups by local day and currency (at most a few hundred groups a year); the days are folded
    into months exactly in Python.
    """
    where = [Order.status.in_(REVENUE_STATUSES), Order.placed_at >= period.start, Order.placed_at < period.end]
    currencies = _currencies(Order.currency, where)
    day = local_day(Order.placed_at, local_zone(), period.start, period.end).label("day")
    rows = session().execute(
        sa.select(day, Order.currency, sa.func.count(), exact_sum(Order.total, Order.currency, currencies))
        .where(*where).group_by(day, Order.currency)
    )
    months: dict[tuple[tuple[int, int], str], list[Any]] = {}
    for d, currency, count, total in rows:
        entry = months.setdefault((month_of(as_date(d), calendar), currency), [0, decimal.Decimal(0)])
        entry[0] += count
        entry[1] += to_decimal(total, currency)
    return [{"month": f"{year:04d}-{month:02d}", "year": year, "month_number": month, "currency": currency,
             "orders": count, "revenue": revenue}
            for ((year, month), currency), (count, revenue) in sorted(months.items())]


def local_period(first_day: dt.date, last_day: dt.date) -> Period:
    """The period of whole local days from `first_day` to `last_day` (inclusive) in the site's zone."""
    return Period(midnight(first_day), midnight(last_day + dt.timedelta(days=1)))


def _whole_days(period: Period) -> tuple[dt.date, dt.date] | None:
    """The first and last local day of a period made of whole local days, else None."""
    zone = local_zone()
    start, end = period.start.astimezone(zone), period.end.astimezone(zone)
    if any((x.hour, x.minute, x.second, x.microsecond) != (0, 0, 0, 0) for x in (start, end)):
        return None
    return start.date(), end.date() - dt.timedelta(days=1)


def revenue_by_product(period: Period, limit: int = 20) -> list[dict[str, Any]]:
    """The best-selling products in the period: [{product_id, currency, quantity, revenue}], by revenue.

    Whole local days are read from the daily rollup (`services.rollup`) while it is in the
    site's time zone; other periods from the order lines.
    """
    days = _whole_days(period)
    if days is not None and rollup_is_current():
        return product_revenue(days[0], days[1], limit)
    where = [Order.status.in_(REVENUE_STATUSES), Order.placed_at >= period.start, Order.placed_at < period.end,
             OrderLine.product_id.is_not(None)]
    joined = OrderLine.__table__.join(Order.__table__, Order.id == OrderLine.order_id)
    currencies = currencies_to_sum(sa.select(Order.currency).select_from(joined).where(*where))
    revenue = exact_sum(OrderLine.total, Order.currency, currencies).label("revenue")
    rows = session().execute(
        sa.select(OrderLine.product_id, Order.currency, sa.func.sum(OrderLine.quantity), revenue)
        .select_from(joined).where(*where)
        .group_by(OrderLine.product_id, Order.currency).order_by(revenue.desc(), OrderLine.product_id).limit(limit)
    )
    return [{"product_id": p, "currency": c, "quantity": plain_quantity(q), "revenue": to_decimal(total, c)}
            for p, c, q, total in rows]


def revenue_by_owner(period: Period) -> list[dict[str, Any]]:
    """Order revenue per owner of the sale (the rep who owned it when the order was placed) and currency."""
    where = [Order.status.in_(REVENUE_STATUSES), Order.placed_at >= period.start, Order.placed_at < period.end]
    currencies = _currencies(Order.currency, where)
    rows = session().execute(
        sa.select(Order.owner_id, Order.currency, sa.func.count(Order.id),
                  exact_sum(Order.total, Order.currency, currencies))
        .where(*where).group_by(Order.owner_id, Order.currency).order_by(Order.owner_id, Order.currency)
    )
    return [{"owner_id": o, "currency": c, "orders": n, "revenue": to_decimal(total, c)} for o, c, n, total in rows]


def win_rate(period: Period) -> list[dict[str, Any]]:
    """Deals closed in the period per owner: won, lost and the win rate in percent (None when none closed)."""
    won = sa.func.sum(sa.case((Deal.status == "won", 1), else_=0))
    lost = sa.func.sum(sa.case((Deal.status == "lost", 1), else_=0))
    rows = session().execute(
        sa.select(Deal.owner_id, won, lost)
        .where(Deal.status.in_(("won", "lost")), Deal.closed_at >= period.start, Deal.closed_at < period.end)
        .group_by(Deal.owner_id).order_by(Deal.owner_id)
    )
    result = []
    for owner, w, lo in rows:
        closed = int(w or 0) + int(lo or 0)
        rate = (decimal.Decimal(int(w or 0) * 100) / closed).quantize(decimal.Decimal("0.1")) if closed else None
        result.append({"owner_id": owner, "won": int(w or 0), "lost": int(lo or 0), "win_rate": rate})
    return result


def sales_cycle_days(period: Period) -> decimal.Decimal | None:
    """The average days from creation to winning, over deals won in the period (None when none)."""
    if dialect() == "sqlite":
        days = sa.func.julianday(Deal.closed_at) - sa.func.julianday(Deal.created_at)
    else:
        days = sa.func.extract("epoch", Deal.closed_at - Deal.created_at) / 86400
    value = session().scalar(
        sa.select(sa.func.avg(days))
        .where(Deal.status == "won", Deal.closed_at >= period.start, Deal.closed_at < period.end)
    )
    return None if value is None else decimal.Decimal(str(value)).quantize(decimal.Decimal("0.1"))


def lead_conversion(period: Period) -> list[dict[str, Any]]:
    """Leads created in the period per source: how many, how many converted, the rate in percent."""
    converted = sa.func.sum(sa.case((Lead.status == "converted", 1), else_=0))
    rows = session().execute(
        sa.select(Lead.source, sa.func.count(), converted)
        .where(Lead.created_at >= period.start, Lead.created_at < period.end)
        .group_by(Lead.source).order_by(Lead.source)
    )
    return [{"source": s, "leads": n, "converted": int(c or 0),
             "rate": (decimal.Decimal(int(c or 0) * 100) / n).quantize(decimal.Decimal("0.1")) if n else None}
            for s, n, c in rows]
