"""Small SQL expressions that differ between SQLite and PostgreSQL (JSON attributes), and month lists.

Local days and months of timestamps are in `local_days`."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from payvand.sdk import Customer, session


def dialect() -> str:
    """The current session's database dialect name (`sqlite`, `postgresql`)."""
    return session().get_bind().dialect.name


def attribute_number(key: str) -> Any:
    """A customer's `attributes[key]` as a number (0 when absent or not a number)."""
    if dialect() == "postgresql":
        text = Customer.attributes.op("->>", return_type=sa.String())(sa.literal(key))
        return sa.case((text.op("~", return_type=sa.Boolean())(r"^\s*[0-9]+(\.[0-9]+)?\s*$"), sa.cast(text, sa.Float)), else_=0.0)
    value = sa.func.json_extract(Customer.attributes, f'$."{key}"')
    return sa.func.coalesce(sa.cast(value, sa.Float), 0.0)


def attribute_present(key: str) -> Any:
    """True when a customer's `attributes` has `key`."""
    if dialect() == "postgresql":
        return Customer.attributes.op("?", return_type=sa.Boolean())(sa.literal(key))
    return sa.func.json_extract(Customer.attributes, f'$."{key}"').is_not(None)


def attribute_text(key: str) -> Any:
    """A customer's `attributes[key]` as text ('' when absent)."""
    if dialect() == "postgresql":
        return sa.func.coalesce(Customer.attributes.op("->>", return_type=sa.String())(sa.literal(key)), "")
    return sa.func.coalesce(sa.cast(sa.func.json_extract(Customer.attributes, f'$."{key}"'), sa.String), "")


def months(start: dt.date, end: dt.date) -> list[str]:
    """Every month `YYYY-MM` from `start`'s to `end`'s, in order."""
    out, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def month_bounds(month: str) -> tuple[dt.date, dt.date]:
    """The first and last day of month `YYYY-MM`."""
    year, number = int(month[:4]), int(month[5:7])
    first = dt.date(year, number, 1)
    following = dt.date(year + 1, 1, 1) if number == 12 else dt.date(year, number + 1, 1)
    return first, following - dt.timedelta(days=1)
