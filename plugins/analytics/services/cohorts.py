"""Cohort retention by first-purchase month, in the Jalali or the Gregorian calendar.

A customer's cohort is the month of their first purchase; they are retained in month offset k
when they bought in the k-th month after it. Set-based: the database lists the distinct
purchase days; each day's calendar month is worked out here (Jalali months cannot be computed
in SQL portably) and sent back as a VALUES common table expression, which the database joins to group customers
by (cohort, offset). Days are the site's local days (`local_days.local_date`: a purchase at
00:30 Tehran time on 1 Farvardin is in Farvardin, though it is still Esfand in UTC).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Literal

import sqlalchemy as sa

from payvand.plugins.analytics.services import facts, local_days
from payvand.sdk import session, to_jalali

Calendar = Literal["jalali", "gregorian"]


@dataclasses.dataclass(frozen=True)
class Cohort:
    """One first-purchase month: its label, its size and the customers retained per month offset."""

    label: str
    size: int
    retained: list[int]

    @property
    def rates(self) -> list[float]:
        """Retained share per offset (offset 0 is 1.0)."""
        return [n / self.size if self.size else 0.0 for n in self.retained]


def month_index(day: dt.date, calendar: Calendar) -> int:
    """Months since year 0 of the calendar: consecutive months differ by one."""
    if calendar == "jalali":
        year, month, _ = to_jalali(day)
    else:
        year, month = day.year, day.month
    return year * 12 + month - 1


def month_label(index: int) -> str:
    """`1403/01` or `2024/01` (the year and month of a month index)."""
    return f"{index // 12}/{index % 12 + 1:02d}"


def retention(calendar: Calendar = "gregorian", last_cohorts: int = 12) -> list[Cohort]:
    """The retention matrix of the newest `last_cohorts` cohorts (two queries, whatever the data size)."""
    subquery = facts.purchase_facts()
    if subquery is None:
        return []
    db = session()
    day = local_days.local_date(subquery.c.occurred_at)
    days = [local_days.as_date(d) for d in db.scalars(sa.select(day).distinct())]
    if not days:
        return []
    pairs = [(d, month_index(d, calendar)) for d in days]
    newest = max(month for _, month in pairs)  # the last month with data: the matrix's right edge
    months = sa.values(sa.column("day", sa.Date), sa.column("month", sa.Integer), name="day_month").data(
        pairs).cte("day_month")  # WITH day_month(day, month) AS (VALUES ...)
    activity = (sa.select(subquery.c.customer_id, months.c.month)
                .join(months, months.c.day == day).distinct().subquery("activity"))
    first = (sa.select(activity.c.customer_id, sa.func.min(activity.c.month).label("cohort"))
             .group_by(activity.c.customer_id).subquery("first"))
    offset = (activity.c.month - first.c.cohort).label("offset")
    rows = db.execute(
        sa.select(first.c.cohort, offset, sa.func.count().label("customers"))
        .join(first, first.c.customer_id == activity.c.customer_id)
        .where(first.c.cohort > newest - last_cohorts)
        .group_by(first.c.cohort, offset))
    table: dict[int, dict[int, int]] = {}
    for cohort, k, customers in rows:
        table.setdefault(int(cohort), {})[int(k)] = int(customers)
    cohorts = []
    for cohort in sorted(table):
        span = newest - cohort + 1
        counts = table[cohort]
        cohorts.append(Cohort(month_label(cohort), counts.get(0, 0), [counts.get(k, 0) for k in range(span)]))
    return cohorts
