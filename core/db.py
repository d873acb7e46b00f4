"""Database plumbing: the declarative base, column types, engines and the current session.

One `MetaData` with a naming convention serves the core and every plugin, so Alembic
names constraints the same way on SQLite and PostgreSQL.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import decimal
import json
import weakref
from collections.abc import Iterator
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

#: Primary and foreign keys: 64-bit on PostgreSQL, SQLite's rowid integer there.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

def search_key(length: int) -> sa.types.TypeEngine[str]:
    """A string compared by code point (`COLLATE "C"` on PostgreSQL), as prefix search needs.

    Prefix search is a range (`>= q AND < q || U+FFFF`); under a linguistic collation that
    range misses matches, and the btree index could not serve it.
    """
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


#: The largest id a path or filter may carry; larger values are simply "not found".
MAX_ID = 2**63 - 1


class Base(DeclarativeBase):
    """Declarative base shared by the core and all plugins."""

    metadata = metadata


def table_of(model: type[Base]) -> sa.Table:
    """The `Table` of a mapped class: SQLAlchemy types `__table__` as the wider `FromClause`."""
    return cast(sa.Table, model.__table__)


def utcnow() -> dt.datetime:
    """The current time as an aware UTC datetime."""
    return dt.datetime.now(dt.UTC)


class UTCDateTime(sa.TypeDecorator[dt.datetime]):
    """A timestamp stored in UTC and always returned timezone-aware.

    SQLite has no time zones and returns naive values; this type makes both databases
    hand back aware UTC datetimes, and refuses naive input so no local time slips in.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; Payvand stores aware UTC timestamps")
        value = value.astimezone(dt.UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class ExactDecimal(sa.TypeDecorator[decimal.Decimal]):
    """An exact decimal: NUMERIC on PostgreSQL, canonical text on SQLite.

    SQLite stores NUMERIC as a binary float, which loses cents on large Rial amounts; text
    keeps every digit. SQL aggregates over it on SQLite are approximate, Python sums exact.
    """

    impl = sa.Numeric(20, 4)
    cache_ok = True

    def __init__(self, precision: int = 20, scale: int = 4) -> None:
        super().__init__()
        self.precision = precision
        self.scale = scale

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.String(self.precision + 2))
        return dialect.type_descriptor(sa.Numeric(self.precision, self.scale, asdecimal=True))

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        value = decimal.Decimal(value)
        if dialect.name == "sqlite":
            return format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")
        return value

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> decimal.Decimal | None:
        if value is None:
            return None
        return decimal.Decimal(str(value))


class JSONText(sa.TypeDecorator[Any]):
    """JSON stored as JSONB on PostgreSQL and as compact text on SQLite."""

    impl = sa.JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import JSONB

            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(sa.JSON())


def json_dumps(value: Any) -> str:
    """Serialise to compact JSON, keeping Persian text readable."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


_ENGINES: weakref.WeakSet[Engine] = weakref.WeakSet()


def live_engines() -> list[Engine]:
    """Every engine `make_engine` made that is still alive (the test kit closes a test's own)."""
    return list(_ENGINES)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for `url`, tuned for SQLite (WAL, foreign keys) when it is one.

    Raises `DatabaseUrlError` (a ValueError naming the supported databases and the driver to
    install) for a database or driver Payvand cannot use.
    """
    from payvand.core.database_url import check_database_url

    check_database_url(url)
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, json_serializer=json_dumps, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        kwargs.setdefault("pool_pre_ping", True)
        engine = sa.create_engine(url, json_serializer=json_dumps, **kwargs)
    _ENGINES.add(engine)
    return engine


# --------------------------------------------------------------------------- current session

_current_session: contextvars.ContextVar[Session | None] = contextvars.ContextVar(
    "payvand_session", default=None
)


def current_session() -> Session:
    """The session of the current request, job or `session_scope` block."""
    session = _current_session.get()
    if session is None:
        from flask import g, has_app_context

        if has_app_context():
            session = g.get("payvand_session")
            if session is None:
                from flask import current_app

                session = current_app.extensions["payvand"].sessionmaker()
                g.payvand_session = session
            return session
        raise RuntimeError("no Payvand session: use session_scope() outside a request")
    return session


@contextlib.contextmanager
def bind_session(session: Session) -> Iterator[Session]:
    """Make `session` the current one for the duration of the block."""
    token = _current_session.set(session)
    try:
        yield session
    finally:
        _current_session.reset(token)


@contextlib.contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Open a session, make it current, commit on success and roll back on error."""
    session = factory()
    try:
        with bind_session(session):
            yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
