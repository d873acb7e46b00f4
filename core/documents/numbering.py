"""Document numbers per fiscal year ("Q-1405-000001"), safe under concurrency.

A plugin keeps one counter table (`CounterMixin`: kind, year, last) and takes numbers with
`next_number`, which bumps the counter with one `INSERT … ON CONFLICT DO UPDATE … RETURNING`:
PostgreSQL locks the counter row until the transaction ends (as SELECT … FOR UPDATE would),
SQLite holds its write lock, so two documents never get the same number, and a rolled-back
document gives its number back — the committed numbers of a kind and year have no gaps.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from payvand.core.documents.pricing import fiscal_year, invoice_number


class CounterMixin:
    """Columns of a counter table: the last number given per document `kind` and fiscal `year`.

    A plugin declares `class Counter(CounterMixin, Base): __tablename__ = "loyalty_counter"`
    (and creates the table in its migration)."""

    kind: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    year: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    last: Mapped[int] = mapped_column(sa.Integer, default=0)


def next_number(session: Session, counter: Any, kind: str, prefix: str, day: dt.date,
                calendar: Literal["jalali", "gregorian"] = "jalali") -> tuple[int, int, str]:
    """Take the next number of `kind` in the fiscal year of `day`: (year, sequence, "PREFIX-year-seq").

    `counter` is the plugin's counter model (`CounterMixin`). The counter row stays locked until
    the caller's transaction ends, so take the number last, just before the document is flushed."""
    year = fiscal_year(day, calendar)
    table = counter.__table__
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = (insert(table).values(kind=kind, year=year, last=1)
                 .on_conflict_do_update(index_elements=[table.c.kind, table.c.year], set_={"last": table.c.last + 1})
                 .returning(table.c.last))
    seq = int(session.execute(statement).scalar_one())
    return year, seq, invoice_number(year, seq, prefix)
