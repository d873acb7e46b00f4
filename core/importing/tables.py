"""Set-based database work for imports: compiled executemany inserts, id blocks, owner lookups.

An insert is SQLAlchemy Core `insert(table)` compiled once for the connection's dialect and
run with the driver's executemany: SQLAlchemy's per-row parameter processing would cost more
than the database work itself on a million rows. Values whose type needs conversion
(timestamps, JSON, dates) are converted with the column type's own bind processor.
"""

from __future__ import annotations

import datetime as dt
import functools
import sqlite3
from collections.abc import Callable, Collection, Iterable, Sequence
from itertools import chain
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from payvand.core.db import json_dumps, table_of
from payvand.core.models import (
    Customer,
    CustomerAddress,
    CustomerConsent,
    CustomerEmail,
    CustomerPhone,
    CustomerTag,
)
from payvand.core.schemas import ADDRESS_FIELDS

LOOKUP_CHUNK = 5000
#: Parameters per multi-row INSERT: SQLite's default limit since 3.32 (older builds: 999).
MAX_PARAMETERS = 32766 if sqlite3.sqlite_version_info >= (3, 32) else 999
CUSTOMER_COLUMNS = (
    "id",
    "kind",
    "given_name",
    "family_name",
    "organization_name",
    "display_name",
    "search_name",
    "search_name_alt",
    "birthday",
    "preferred_language",
    "preferred_channel",
    "timezone",
    "lifecycle_stage",
    "attributes",
    "created_at",
    "updated_at",
    "version",
)
EMAIL_COLUMNS = ("customer_id", "email", "label")
PHONE_COLUMNS = ("customer_id", "number", "label")
TAG_COLUMNS = ("customer_id", "tag")
CONSENT_COLUMNS = ("customer_id", "channel", "purpose", "granted", "recorded_at", "source")
#: A customer's id, then the address's fields in order (an import's `Address`).
ADDRESS_COLUMNS = ("customer_id", *ADDRESS_FIELDS)


class BulkInsert:
    """An INSERT of fixed columns into one table, compiled for one dialect, for many rows.

    On PostgreSQL the rows go through `COPY ... FROM STDIN` (psycopg's `copy()`), in the
    caller's transaction, so a batch still commits or rolls back whole; COPY skips the
    per-row statement work that bounds executemany (measured: `benchmarks/import_customers.py`).
    On SQLite they go as multi-row `VALUES (...), (...)` statements of up to SQLite's
    parameter limit: one statement per chunk of rows instead of one execution per row.
    Elsewhere it is the driver's executemany.
    """

    def __init__(self, table: sa.Table, columns: Sequence[str], dialect: sa.Dialect) -> None:
        self.table = table
        self.columns = tuple(columns)
        compiled = sa.insert(table).compile(
            dialect=dialect, column_keys=list(columns), for_executemany=True
        )
        self.sql = compiled.string
        self.positional = bool(compiled.positional)
        head, values, group = self.sql.partition(" VALUES ")
        self._head = head
        self._group: str | None = None
        if dialect.name == "sqlite" and dialect.paramstyle == "qmark" and values:
            self._group = group
        self.chunk = max(1, MAX_PARAMETERS // len(self.columns))
        self._copy_sql: str | None = None
        if dialect.name == "postgresql" and dialect.driver == "psycopg":
            quote = dialect.identifier_preparer.quote
            self._copy_sql = (f"COPY {quote(table.name)} ({', '.join(quote(name) for name in self.columns)}) "
                              "FROM STDIN")
        self._sql_cache: dict[int, str] = {}
        order = (
            list(compiled.positiontup or self.columns) if self.positional else list(self.columns)
        )
        if tuple(order) != self.columns:
            index = [self.columns.index(name) for name in order]
            self._reorder: Callable[[tuple[Any, ...]], tuple[Any, ...]] | None = lambda row: tuple(
                row[i] for i in index
            )
        else:
            self._reorder = None

    @property
    def copies(self) -> bool:
        """Whether the rows go in through COPY (PostgreSQL with psycopg): values then as COPY text reads them."""
        return self._copy_sql is not None

    def _multirow_sql(self, count: int) -> str:
        sql = self._sql_cache.get(count)
        if sql is None:
            sql = f"{self._head} VALUES {', '.join([self._group] * count)}"  # type: ignore[list-item]
            if len(self._sql_cache) > 4:
                self._sql_cache.clear()
            self._sql_cache[count] = sql
        return sql

    def run(self, connection: Connection, rows: Sequence[tuple[Any, ...]]) -> None:
        """Insert `rows` (tuples in `columns` order)."""
        if not rows:
            return
        if self._copy_sql is not None:
            self._copy(connection, rows)
            return
        if self._group is not None:
            if self._reorder is not None:
                rows = [self._reorder(row) for row in rows]
            for start in range(0, len(rows), self.chunk):
                chunk = rows[start : start + self.chunk]
                connection.exec_driver_sql(
                    self._multirow_sql(len(chunk)), tuple(chain.from_iterable(chunk))
                )
            return
        if not self.positional:
            params: Any = [dict(zip(self.columns, row, strict=False)) for row in rows]
        elif self._reorder is not None:
            params = [self._reorder(row) for row in rows]
        else:
            params = rows
        connection.exec_driver_sql(self.sql, params)


    def run_text(self, connection: Connection, text: str) -> None:
        """COPY rows already written as COPY text (`copy_value`; one line a row, in `columns` order).

        The importing process then only joins strings: the text is built where there is CPU to
        spare (the forked reader), and psycopg sends it in one call instead of formatting each row.
        """
        if not text:
            return
        assert self._copy_sql is not None, "COPY text needs PostgreSQL with psycopg"
        raw: Any = connection.connection.dbapi_connection
        dbapi = connection.dialect.loaded_dbapi
        try:
            with raw.cursor() as cursor, cursor.copy(self._copy_sql) as copy:
                copy.write(text)
        except dbapi.Error as exc:
            raise sa.exc.DBAPIError.instance(self._copy_sql, None, exc, dbapi.Error) from exc

    def _copy(self, connection: Connection, rows: Sequence[tuple[Any, ...]]) -> None:
        """COPY `rows` into the table on the connection's own psycopg connection (same transaction)."""
        assert self._copy_sql is not None
        raw: Any = connection.connection.dbapi_connection
        dbapi = connection.dialect.loaded_dbapi
        try:
            with raw.cursor() as cursor, cursor.copy(self._copy_sql) as copy:
                for row in rows:
                    copy.write_row(row)
        except dbapi.Error as exc:  # as SQLAlchemy's own wrapping of a failed statement: IntegrityError, DataError, ...
            raise sa.exc.DBAPIError.instance(self._copy_sql, None, exc, dbapi.Error) from exc


#: COPY text's escapes; \x01 too, which the import uses to stand for a customer id not yet known.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\x01": "\\001"})
#: What COPY text reads as NULL.
COPY_NULL = "\\N"


def copy_value(value: str | None) -> str:
    """One value as COPY's text format reads it (`\\N` for None; backslash, tab, line ends escaped)."""
    if value is None:
        return COPY_NULL
    if value.isprintable() and "\\" not in value:  # the common case: nothing to escape
        return value
    return value.translate(_COPY_ESCAPES)


def processor(column: sa.Column[Any], dialect: sa.Dialect) -> Callable[[Any], Any]:
    """The column type's bind processor for `dialect` (identity when it has none)."""
    found = column.type.dialect_impl(dialect).bind_processor(dialect)
    return found if found is not None else (lambda value: value)


class ImportTables:
    """The inserts and converters an import needs on one dialect."""

    def __init__(self, dialect: sa.Dialect) -> None:
        self.dialect = dialect
        self.customer = BulkInsert(table_of(Customer), CUSTOMER_COLUMNS, dialect)
        self.email = BulkInsert(table_of(CustomerEmail), EMAIL_COLUMNS, dialect)
        self.phone = BulkInsert(table_of(CustomerPhone), PHONE_COLUMNS, dialect)
        self.tag = BulkInsert(table_of(CustomerTag), TAG_COLUMNS, dialect)
        self.consent = BulkInsert(table_of(CustomerConsent), CONSENT_COLUMNS, dialect)
        self.address = BulkInsert(table_of(CustomerAddress), ADDRESS_COLUMNS, dialect)
        columns = table_of(Customer).c
        self.timestamp = processor(columns.created_at, dialect)
        self.json = processor(columns.attributes, dialect)
        if self.customer.copies:  # COPY reads JSON as text: written here, the empty one once, not adapted per row
            self.json = json_dumps
        self.date = processor(columns.birthday, dialect)
        self.boolean = processor(table_of(CustomerConsent).c.granted, dialect)
        self.empty_attributes = self.json({})


def allocate_ids(connection: Connection, count: int) -> list[int] | None:
    """Reserve `count` new customer ids, or None when the dialect needs INSERT ... RETURNING.

    SQLite: the caller holds the write lock (BEGIN IMMEDIATE), so the ids after the current
    maximum are free. PostgreSQL: the ids come from the table's sequence.
    """
    if count == 0:
        return []
    if connection.dialect.name == "sqlite":
        top = connection.exec_driver_sql("SELECT max(id) FROM core_customer").scalar() or 0
        return list(range(top + 1, top + 1 + count))
    return sequence_ids(connection, table_of(Customer), count)


def sequence_ids(connection: Connection, table: sa.Table, count: int) -> list[int] | None:
    """`count` new ids of `table`'s integer primary key from its sequence (ascending), or None.

    PostgreSQL only (`nextval` of the column's serial or identity sequence, one statement): the
    ids are the caller's whatever happens to its transaction, so two writers never share one
    (a rolled-back batch leaves a gap, as any insert would). None on a database without
    sequences (SQLite): insert there without ids and read them back.
    """
    if connection.dialect.name != "postgresql":
        return None
    if count <= 0:
        return []
    (key,) = table.primary_key.columns
    # One row back: the range when the ids are contiguous (no other writer took one meanwhile,
    # the usual case), else every id in an array: fetching 40,000 one-column rows cost the
    # importing process more CPU than the database's nextval calls.
    query = sa.text(
        "SELECT min(v), max(v), CASE WHEN max(v) - min(v) + 1 = count(*) THEN NULL"
        " ELSE array_agg(v ORDER BY v) END"
        " FROM (SELECT nextval(pg_get_serial_sequence(:table, :column)) AS v FROM generate_series(1, :n)) AS ids"
    )
    name = f"{table.schema}.{table.name}" if table.schema else table.name
    low, high, scattered = connection.execute(query, {"table": name, "column": key.name, "n": count}).one()
    return list(scattered) if scattered is not None else list(range(low, high + 1))


_MISSING = object()


def _is_json(kind: sa.types.TypeEngine[Any]) -> bool:
    """Whether a column type is JSON (directly, or a TypeDecorator over it such as `JSONText`)."""
    return isinstance(getattr(kind, "impl_instance", kind), sa.JSON) if isinstance(kind, sa.TypeDecorator) \
        else isinstance(kind, sa.JSON)


@functools.lru_cache(maxsize=1024)
def _json_of_items(items: tuple[tuple[str, Any], ...]) -> str:
    return json_dumps(dict(items))


def _json_text(value: Any) -> str:
    """A JSON value as COPY text reads it; small dicts of strings (a file repeats its UTM dicts) remembered.

    Only strings: 1, 1.0 and True are equal keys but different JSON.
    """
    if type(value) is dict:
        if len(value) <= 8 and all(type(item) is str for item in value.values()):
            return _json_of_items(tuple(value.items()))
        return json_dumps(value)
    if type(value) is list and not value:
        return "[]"
    return json_dumps(value)
#: Value types whose conversions `bulk_insert` remembers (equal values convert equally).
_REMEMBERED = frozenset({bool, int, str, dt.datetime, dt.date})
#: `BulkInsert`s already compiled, by table, columns and dialect (a plugin's import reuses its own).
_INSERTS: dict[tuple[sa.Table, tuple[str, ...], sa.Dialect], tuple[BulkInsert, list[tuple[int, Any]]]] = {}


def bulk_insert(connection: Connection, table: sa.Table, columns: Sequence[str],
                rows: Iterable[Sequence[Any]]) -> int:
    """Insert `rows` (Python values in `columns` order) into `table` in the connection's transaction.

    The values are converted by each column type's own bind processor, as SQLAlchemy would
    (JSON, aware timestamps, exact decimals), remembering the conversion of repeated scalars;
    then the rows go in through `BulkInsert`: `COPY` on PostgreSQL, multi-row INSERTs on
    SQLite. Nothing is returned from the database: give the primary key in the rows (from
    `sequence_ids`) when the caller needs it. Returns the number of rows.
    """
    key = (table, tuple(columns), connection.dialect)
    found = _INSERTS.get(key)
    if found is None:
        dialect = connection.dialect
        insert = BulkInsert(table, columns, dialect)
        processors = []
        for index, name in enumerate(columns):
            if insert.copies and _is_json(table.c[name].type):  # COPY reads JSON as text: no driver wrapper
                processors.append((index, _json_text))
            elif (process := table.c[name].type.dialect_impl(dialect).bind_processor(dialect)) is not None:
                processors.append((index, process))
        if len(_INSERTS) > 64:
            _INSERTS.clear()
        found = _INSERTS[key] = (insert, processors)
    insert, processors = found
    if processors:
        remembered: dict[tuple[int, type, Any], Any] = {}
        converted: list[tuple[Any, ...]] = []
        for row in rows:
            values = list(row)
            for index, process in processors:
                value = values[index]
                if value is None:
                    continue
                kind = type(value)
                if kind not in _REMEMBERED:  # JSON documents, decimals (1.0 == 1.00): each converted
                    values[index] = process(value)
                    continue
                memo = (index, kind, value)
                done = remembered.get(memo, _MISSING)
                if done is _MISSING:
                    done = remembered[memo] = process(value)
                values[index] = done
            converted.append(tuple(values))
    else:
        converted = [tuple(row) for row in rows]
    insert.run(connection, converted)
    return len(converted)


@functools.lru_cache(maxsize=64)
def _postgresql_dialect() -> sa.Dialect:
    """A psycopg PostgreSQL dialect (no connection): the column types' bind processors for COPY text."""
    from sqlalchemy.dialects.postgresql import psycopg

    return psycopg.dialect()


def _copy_converter(column: sa.Column[Any]) -> Callable[[Any], str]:
    """One non-None value of `column` as COPY text: JSON as its text, booleans t/f, timestamps ISO."""
    if _is_json(column.type):
        return lambda value: copy_value(_json_text(value))
    dialect = _postgresql_dialect()
    bind = column.type.dialect_impl(dialect).bind_processor(dialect)

    def convert(value: Any) -> str:
        if bind is not None:
            value = bind(value)
        if value is None:
            return COPY_NULL
        if value is True or value is False:
            return "t" if value else "f"
        if isinstance(value, (dt.datetime, dt.date)):
            return value.isoformat()
        return copy_value(value if isinstance(value, str) else str(value))

    return convert


def copy_formatter(table: sa.Table, columns: Sequence[str]) -> Callable[[Sequence[Any]], str]:
    """A function writing one row of Python values (in `columns` order) as one line of PostgreSQL
    COPY text, without its line end: each value as the column's type would bind it (`None` as
    NULL, JSON as compact text, aware timestamps in ISO form, text escaped).

    Needs no connection, so an import's forked reader can format its rows (`BulkInsert.run_text`
    then sends them); strings and booleans that repeat are converted once.
    """
    handlers = [_copy_handler(table.c[name]) for name in columns]

    def line(values: Sequence[Any]) -> str:
        return "\t".join([handle(value) for handle, value in zip(handlers, values, strict=True)])

    return line


def _plain_text(value: Any) -> str:
    """A value of a text column as COPY text (a string as it is when nothing needs escaping)."""
    if value is None:
        return COPY_NULL
    if type(value) is str:
        return value if value.isprintable() and "\\" not in value else value.translate(_COPY_ESCAPES)
    return copy_value(str(value))


def _copy_handler(column: sa.Column[Any]) -> Callable[[Any], str]:
    """What `copy_formatter` does with one column's values: text escaped as it is; other values
    converted by the column's type, equal scalars (a file repeats its booleans, timestamps and
    small JSON documents) converted once."""
    if isinstance(column.type, sa.String) and not _is_json(column.type):
        return _plain_text
    convert = _copy_converter(column)
    remembered: dict[tuple[type, Any], str] = {}

    def handle(value: Any) -> str:
        if value is None:
            return COPY_NULL
        kind = type(value)
        if kind not in _REMEMBERED:
            return convert(value)
        key = (kind, value)
        done = remembered.get(key)
        if done is None:
            if len(remembered) > 10_000:
                remembered.clear()
            done = remembered[key] = convert(value)
        return done

    return handle


_TEXT_INSERTS: dict[tuple[sa.Table, tuple[str, ...], sa.Dialect], BulkInsert] = {}


def bulk_insert_text(connection: Connection, table: sa.Table, columns: Sequence[str], lines: Sequence[str]) -> int:
    """COPY rows already written as COPY text lines (`copy_formatter`) into `table` (PostgreSQL with psycopg).

    Raises RuntimeError on any other database: use `bulk_insert` there. Returns the number of rows.
    """
    key = (table, tuple(columns), connection.dialect)
    insert = _TEXT_INSERTS.get(key)
    if insert is None:
        if len(_TEXT_INSERTS) > 64:
            _TEXT_INSERTS.clear()
        insert = _TEXT_INSERTS[key] = BulkInsert(table, columns, connection.dialect)
    if not insert.copies:
        raise RuntimeError("COPY text needs PostgreSQL through psycopg")
    if lines:
        insert.run_text(connection, "\n".join(lines) + "\n")
    return len(lines)


def insert_returning_ids(connection: Connection, rows: list[dict[str, Any]]) -> list[int]:
    """Insert customers without ids and return the new ids in the order of `rows`."""
    table = table_of(Customer)
    statement = sa.insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return list(connection.execute(statement, rows).scalars())


def owners(
    connection: Connection, column: sa.Column[Any], values: Collection[str]
) -> dict[str, int]:
    """`{value: customer id}` for the given emails or phone numbers already in the database.

    One `IN (...)` query per chunk over the column's index (no join: on SQLite a join lets the
    planner pick the customer table's `merged_into_id` index and scan), then one primary-key
    query to leave out merged-away and erased customers (which no door may change). When customers share a value the oldest wins.
    """
    result: dict[str, int] = {}
    if not values:
        return result
    table = column.table
    items = list(values)
    for start in range(0, len(items), LOOKUP_CHUNK):
        query = sa.select(column, table.c.customer_id).where(
            column.in_(items[start : start + LOOKUP_CHUNK])
        )
        for value, customer_id in connection.execute(query):
            if value not in result or customer_id < result[value]:
                result[value] = customer_id
    if result:
        customer = Customer.__table__
        ids = list(set(result.values()))
        merged: set[int] = set()
        for start in range(0, len(ids), LOOKUP_CHUNK):
            merged.update(
                connection.execute(
                    sa.select(customer.c.id).where(
                        customer.c.id.in_(ids[start : start + LOOKUP_CHUNK]),
                        # merged-away or erased: changed by no door (see services.customers.CustomerInactive)
                        sa.or_(customer.c.merged_into_id.is_not(None), customer.c.erased_at.is_not(None)),
                    )
                ).scalars()
            )
        if merged:
            result = {value: owner for value, owner in result.items() if owner not in merged}
    return result


def among(connection: Connection, column: sa.ColumnElement[Any], values: Iterable[Any]) -> sa.ColumnElement[bool]:
    """`column IN (values)`; on PostgreSQL `column = ANY(:array)`: one parameter, however many values
    (an IN list of thousands costs the client its compilation and the server its parsing, per batch)."""
    items = list(values)
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import ARRAY

        return column == sa.any_(sa.bindparam(None, items, type_=ARRAY(column.type)))
    return column.in_(items)


#: PostgreSQL: a batch's merge targets' emails, phones, tags and consent channels in one statement.
_CHILDREN_SQL = """
SELECT 0, customer_id, email, id FROM core_customer_email WHERE customer_id = ANY(%(ids)s)
UNION ALL SELECT 1, customer_id, number, id FROM core_customer_phone WHERE customer_id = ANY(%(ids)s)
UNION ALL SELECT 2, customer_id, tag, 0 FROM core_customer_tag WHERE customer_id = ANY(%(ids)s)
UNION ALL SELECT 3, customer_id, channel, id FROM core_customer_consent WHERE customer_id = ANY(%(ids)s)
ORDER BY 1, 2, 4, 3
"""


def children_by_customer(connection: Connection, ids: Collection[int]) -> list[dict[int, list[Any]]]:
    """`rows_by_customer` of the emails, phones, tags and consent channels of `ids`, in that order.

    On PostgreSQL one statement (one array bind, rows fetched at once), elsewhere four.
    """
    if connection.dialect.name != "postgresql":
        return [rows_by_customer(connection, table_of(model), column, ids) for model, column in
                ((CustomerEmail, "email"), (CustomerPhone, "number"), (CustomerTag, "tag"), (CustomerConsent, "channel"))]
    found: list[dict[int, list[Any]]] = [{}, {}, {}, {}]
    for which, customer_id, value, _ in connection.exec_driver_sql(_CHILDREN_SQL, {"ids": list(ids)}).fetchall():
        found[which].setdefault(customer_id, []).append(value)
    return found


def address_dict(address: tuple[str | None, ...]) -> dict[str, str | None]:
    """An address's values (`ADDRESS_FIELDS` order) as the API, the export and the audit log show it."""
    return dict(zip(ADDRESS_FIELDS, address, strict=True))


def addresses_by_customer(connection: Connection, ids: Iterable[int]) -> dict[int, list[tuple[str | None, ...]]]:
    """`{customer id: [address]}` of `ids`, each address the values of `ADDRESS_COLUMNS` after the
    customer's id, in the order they were added (one query)."""
    table = table_of(CustomerAddress)
    query = (
        sa.select(table.c.customer_id, *(table.c[name] for name in ADDRESS_FIELDS))
        .where(among(connection, table.c.customer_id, ids))
        .order_by(table.c.customer_id, table.c.id)
    )
    found: dict[int, list[tuple[str | None, ...]]] = {}
    for customer_id, *address in connection.execute(query):
        found.setdefault(customer_id, []).append(tuple(address))
    return found


def rows_by_customer(
    connection: Connection, table: sa.Table, value_column: str, ids: Iterable[int]
) -> dict[int, list[Any]]:
    """`{customer id: [values]}` of one child table for a set of customers (one query)."""
    found: dict[int, list[Any]] = {}
    order = table.c.id if "id" in table.c else table.c[value_column]
    query = (
        sa.select(table.c.customer_id, table.c[value_column])
        .where(among(connection, table.c.customer_id, ids))
        .order_by(table.c.customer_id, order)
    )
    for customer_id, value in connection.execute(query):
        found.setdefault(customer_id, []).append(value)
    return found
