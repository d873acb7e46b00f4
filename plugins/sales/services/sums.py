"""Exact money sums in SQL on both databases, for the reports and the product roll-up.

PostgreSQL sums `NUMERIC`; SQLite keeps exact decimals as text, so each amount is turned into
an integer count of the currency's minor units before summing (a float sum would drift) and
divided back with `Decimal`. A module of its own so that `reports` and `rollup` both depend on
it and not on each other.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from payvand.plugins.sales.pricing import currency_places
from payvand.sdk import session


def dialect() -> str:
    """The name of the current session's database dialect (`postgresql`, `sqlite`)."""
    return session().get_bind().dialect.name


def exact_sum(amount: Any, currency: Any, currencies: Iterable[str]) -> Any:
    """A SUM of `amount` that is exact on both databases (see the module docstring).

    On SQLite the result is an integer of minor units; `to_decimal` turns it back.
    """
    if dialect() != "sqlite":
        return sa.func.sum(amount)
    currencies = list(currencies)
    if not currencies:  # nothing to sum: no CASE without branches
        return sa.func.sum(sa.cast(sa.func.round(amount), sa.BigInteger))
    scaled = sa.case(
        *[(currency == code, sa.func.round(amount * 10 ** currency_places(code))) for code in currencies],
        else_=sa.func.round(amount),
    )
    return sa.func.sum(sa.cast(scaled, sa.BigInteger))


def currencies_to_sum(query: sa.Select[Any]) -> list[str]:
    """The currencies `exact_sum` needs for the rows of `query` (a SELECT of one currency column):
    its distinct values on SQLite; none on PostgreSQL, which sums NUMERIC exactly and ignores
    them (so the extra pass over the rows is not made: seconds a report at a million orders)."""
    if dialect() != "sqlite":
        return []
    return [c for (c,) in session().execute(query.distinct()) if c]


def to_decimal(value: Any, currency: str) -> decimal.Decimal:
    """The exact amount of a value summed by `exact_sum`."""
    if value is None:
        return decimal.Decimal(0)
    places = currency_places(currency)
    if dialect() != "sqlite":  # NUMERIC sums carry the column's scale: show the currency's
        return decimal.Decimal(value).quantize(decimal.Decimal(1).scaleb(-places))
    return decimal.Decimal(int(value)).scaleb(-places)
