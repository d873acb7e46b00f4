"""Customer analytics fields written set-based: one `UPDATE customer ... FROM <snapshot>` per run.

A run's per-customer rows are already in the database (e.g. `analytics_customer_rfm`), so the
fields are merged into `Customer.attributes` by one statement that reads them there, instead of
reading every customer's attributes into Python and writing them back by executemany (half of an
RFM run at a million customers). The JSON merge is the database's: `json_set` on SQLite,
`jsonb ||` on PostgreSQL; other keys of `attributes` are kept. The customers' `version` moves on,
as with any save, so a form opened before the run refuses its stale save; the read and the write
are one statement, so a save made in between is never overwritten with old attributes.
Segments, templates and the 360 page read the fields through the same field API as before.
Only customers whose stored values differ are written: a nightly scoring changes few customers'
segments, and an unchanged customer keeps its version (a form open across the refresh still
saves) and costs no new row version or index entries on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import sqlalchemy as sa

from payvand.sdk import Customer, session


def _merged(table: sa.Table, values: Mapping[str, Any], dialect: str) -> Any:
    """The attributes with `values` (field name → SQL expression) merged in, in the dialect's JSON."""
    if dialect == "postgresql":
        pairs: list[Any] = []
        for name, expression in values.items():
            pairs += [sa.cast(sa.literal(name), sa.Text), expression]
        empty: Any = sa.literal_column("'{}'::jsonb")
        return sa.func.coalesce(table.c.attributes, empty).op("||")(sa.func.jsonb_build_object(*pairs))
    arguments: list[Any] = []
    for name, expression in values.items():
        arguments += [sa.literal('$."' + name.replace('"', "") + '"'), expression]
    return sa.func.json_set(sa.func.coalesce(table.c.attributes, "{}"), *arguments)


def fixed(expression: Any, places: int) -> Any:
    """SQL: a float as text with `places` decimals ("12.30"), on either database."""
    if session().get_bind().dialect.name == "postgresql":
        return sa.cast(sa.func.round(sa.cast(expression, sa.Numeric), places), sa.Text)
    return sa.func.printf(f"%.{int(places)}f", expression)


def date_text(expression: Any) -> Any:
    """SQL: a date as ISO text ("2026-12-07"), NULL kept."""
    if session().get_bind().dialect.name == "postgresql":
        return sa.func.to_char(expression, "YYYY-MM-DD")
    return sa.cast(expression, sa.Text)


def _differs(table: sa.Table, values: Mapping[str, Any], dialect: str) -> Any:
    """SQL: any of the text `values` differs from the one stored (a missing key differs)."""
    if dialect == "postgresql":
        stored = [table.c.attributes.op("->>")(sa.literal(name, sa.Text)) for name in values]
        return sa.or_(*(old.is_distinct_from(sa.cast(new, sa.Text)) for old, new in zip(stored, values.values(),
                                                                                         strict=True)))
    return sa.or_(*(sa.func.json_extract(table.c.attributes, '$."' + name.replace('"', "") + '"').is_not(new)
                    for name, new in values.items()))


def write_fields(customer_id: Any, values: Mapping[str, Any], *where: Any) -> int:
    """Merge `values` (customer field name → SQL text expression over a snapshot table) into the
    attributes of the customers whose id is `customer_id` (that table's column), for the rows
    matching `where` whose stored values differ; one statement. Returns how many customers were
    written."""
    table = cast(sa.Table, Customer.__table__)
    dialect = session().get_bind().dialect.name
    statement = (table.update().where(table.c.id == customer_id, _differs(table, values, dialect), *where)
                 .values(attributes=_merged(table, values, dialect), version=table.c.version + 1))
    result: Any = session().execute(statement)
    return int(result.rowcount or 0)
