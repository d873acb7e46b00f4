"""pytest fixtures for Payvand and its plugins (registered through the `pytest11` entry point).

Choose the plugins of a test module by overriding `payvand_plugins`::

    @pytest.fixture
    def payvand_plugins():
        return ["my_plugin"]            # entry-point names, or plugin modules/objects

Then use `app`, `client`, `api` (a superuser's authenticated API client), `api_as`
(a client holding only the given permissions), `make_customer`, `make_interaction`,
`make_user` and `run_jobs` (delivers the outbox and runs due jobs, synchronously). For the
staff UI: `web` (a superuser logged in through the login form), `web_as(permissions)` and
`count_queries` (the SQL statements a block runs). For concurrency: `race` fires N requests at
once at a real threaded server of the app (use it on the PostgreSQL run to prove money paths).
For security: `assert_security_headers(response)` checks one response's headers (CSP, nosniff,
no-store on the API, Retry-After on 429) and that a page holds no inline code, and `walk_pages`
runs it over every GET route of the app as a superuser. For uploads: `sample_upload(kind)`
makes a small valid PDF, PNG, JPEG, WebP or CSV, and `hostile_uploads()` the disguised files an
upload must refuse.

For record rules: `assert_rows_isolated(app, {"a": ActorRows(...), "b": ActorRows(...)},
unwalkable=...)` walks every staff page and API GET operation as each actor with the other's ids
and proves none of the other's rows shows (see `tests/test_visibility_walk.py`).

For erasure: `assert_nowhere_in_database(strings)` dumps the whole test database (SQLite
`iterdump`, PostgreSQL `pg_dump`; `database_dump()` gives the text) and fails on any string
still in it.

For bad input: `extreme_dates()` sends far dates (year 1, 9999, 0, 10000, ±14 h offsets) to every
date and date-time input of the OpenAPI document and reports any that was not refused with a 4xx.

For text and files: `assert_text_kept(send, read)` proves an entry point stores free text
(Persian, with Persian digits: `PERSIAN_FREE_TEXT`) unchanged, and
`assert_csv_round_trip(export, load, reset=...)` that an export imports back cell for cell
(seed it with `FORMULA_VALUES`).

Every test runs on a fresh SQLite database; when `PAYVAND_TEST_DATABASE_URL` points at a
PostgreSQL database, every test using `app` runs a second time there.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import hashlib
import itertools
import os
import re
import shutil
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, cast

import jinja2
import jinja2.bccache
import pytest
import sqlalchemy as sa

POSTGRES_ENV = "PAYVAND_TEST_DATABASE_URL"
_templates: dict[tuple[str, ...], Path] = {}
_counter = itertools.count(1)


def pytest_configure(config: pytest.Config) -> None:
    """Register the `sqlite_only` marker."""
    config.addinivalue_line("markers", "sqlite_only: the test runs on SQLite only")


def _database_params() -> list[Any]:
    params: list[Any] = ["sqlite"]
    if os.environ.get(POSTGRES_ENV):
        params.append(pytest.param("postgresql", marks=pytest.mark.postgres))
    return params


@pytest.fixture(params=_database_params())
def payvand_database(request: pytest.FixtureRequest) -> str:
    """The database kind this test runs on: `sqlite`, then `postgresql` when configured."""
    if request.param == "postgresql" and request.node.get_closest_marker("sqlite_only"):
        pytest.skip("SQLite-only test")
    return str(request.param)


@pytest.fixture
def payvand_plugins() -> list[Any]:
    """The plugins to enable: entry-point names and/or plugin objects. Override per module."""
    return []


@pytest.fixture
def payvand_config() -> dict[str, Any]:
    """Extra configuration for the test app. Override per module."""
    return {}


def _plugin_key(plugins: list[Any]) -> tuple[str, ...]:
    return tuple(sorted(p if isinstance(p, str) else p.meta.name for p in plugins))


def _make_config(plugins: list[Any], url: str, instance: Path, extra: dict[str, Any]) -> dict[str, Any]:
    names = [p if isinstance(p, str) else p.meta.name for p in plugins]
    return {
        "PAYVAND_INSTANCE": str(instance),
        "PAYVAND_DATABASE_URL": url,
        "PAYVAND_PLUGINS": names,
        "PAYVAND_EXTRA_PLUGINS": [p for p in plugins if not isinstance(p, str)],
        "PAYVAND_PASSWORD_PROFILE": "fast",
        "PAYVAND_DEFAULT_LOCALE": "en",  # pages in English unless a test switches (deployments default to fa)
        "PAYVAND_JOBS": "off",
        # marketing is not held back by the clock: a test's outcome must not depend on the hour it
        # runs at (tests of quiet hours set PAYVAND_QUIET_HOURS themselves)
        "PAYVAND_QUIET_HOURS": "off",
        "SECRET_KEY": "test-secret-key",
        "TESTING": True,
        **extra,
    }


def _migrate(url: str, plugins: list[Any], instance: Path) -> None:
    from payvand.core.db import make_engine
    from payvand.core.migrations.runner import upgrade
    from payvand.core.runtime import Runtime

    runtime = Runtime(_make_config(plugins, url, instance, {}))
    wanted = set(_plugin_key(plugins))
    upgrade(runtime.engine, [p for n, p in runtime.plugins.installed.items() if n in wanted])
    runtime.engine.dispose()
    del make_engine


@functools.cache
def _worker_url(url: str) -> str:
    """This process's PostgreSQL test database: under pytest-xdist each worker gets its own
    (created on demand); either way it commits without waiting for the disk."""
    base = sa.make_url(url)
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    name = f"{base.database}_{worker}" if worker else str(base.database)
    engine = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        if worker:
            exists = connection.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                        {"n": name}).first()
            if not exists:
                connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        _commit_without_waiting_for_disk(connection, name)
    engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def _commit_without_waiting_for_disk(connection: sa.Connection, name: str) -> None:
    """Set `synchronous_commit = off` on a test database (new sessions take it).

    A commit then returns before its WAL record reaches the disk: a crash of the *server*
    could lose the last few hundred milliseconds of commits, which a throwaway test database
    does not mind; atomicity, isolation, locks and every constraint are unchanged, and a
    killed *client* (the kill -9 tests) loses nothing it was told was committed. Tests commit
    thousands of small transactions, each otherwise waiting for an fsync. A user who may not
    alter the database keeps the server's default.
    """
    with contextlib.suppress(sa.exc.DBAPIError):
        connection.execute(sa.text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))


def _reset_postgres(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA public CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


def _pg_database_for(key: tuple[str, ...]) -> str:
    """This worker's PostgreSQL database for one set of plugins (created on demand).

    The core alone uses the worker's database; every other plugin set gets its own database
    (the worker's database name and a digest of the set), migrated once per test session, so
    tests of different plugin sets can alternate without migrating again. When the user may
    not create databases, every set shares the worker's database (migrated again whenever
    the set's schema differs from the last one's).
    """
    url = _worker_url(os.environ[POSTGRES_ENV])
    if key:
        base = sa.make_url(url)
        digest = hashlib.sha1("\0".join(key).encode()).hexdigest()[:8]
        named = base.set(database=f"{(base.database or 'payvand')[:50]}_{digest}")
        url = _created(named.render_as_string(hide_password=False), url)
    _WARM.databases.add(str(sa.make_url(url).database))
    return url


@functools.cache
def _created(url: str, fallback: str) -> str:
    """`url`, its database created when missing; `fallback` when it cannot be created."""
    target = sa.make_url(url)
    engine = sa.create_engine(sa.make_url(fallback), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            exists = connection.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                        {"n": target.database}).first()
            if not exists:
                connection.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
            _commit_without_waiting_for_disk(connection, str(target.database))
    except sa.exc.DBAPIError:
        return fallback
    finally:
        engine.dispose()
    return url


class _WarmConnections:
    """PostgreSQL connections of the test databases kept open across tests (server processes
    with warm caches), handed to the next engine that connects to the same database.

    Every test builds an app with its own engine, so every test used to start new server
    processes; a new PostgreSQL backend loads the catalog entries of each table it touches
    afresh (finding the tables holding rows took ~10 ms on a warm connection and ~70 ms on a
    new one). A connection an engine closes (a disposed pool, `NullPool`, a test's teardown) is
    instead reset — rolled back, `DISCARD ALL` (settings, prepared statements, temporary
    tables, advisory locks, listens, cursors), the client's transaction characteristics set
    back to psycopg's defaults — and kept idle; the next engine asking for a connection with
    the same parameters gets it, as if newly opened. A connection that is broken, or that the
    reset fails on, is closed for real. At most `PER_KEY` idle connections per set of
    parameters and `TOTAL` in all are kept (the oldest closed first), so a worker holds a
    handful of idle connections whatever the number of plugin-set databases. Only databases
    the test kit created or chose (`_pg_database_for`) are kept warm; closed when the session
    ends.
    """

    PER_KEY = 3
    TOTAL = 6

    def __init__(self) -> None:
        import threading

        self.idle: list[tuple[tuple[Any, ...], Any]] = []
        self.databases: set[str] = set()
        self.keys: dict[int, tuple[Any, ...]] = {}  # id(connection) -> key, while open
        self.lock = threading.Lock()
        self.connection_class: Any = None

    def key(self, dialect: Any, cargs: tuple[Any, ...], cparams: dict[str, Any]) -> tuple[Any, ...] | None:
        """The parameters that make two connections interchangeable, or None (not a test database)."""
        if dialect.driver != "psycopg" or getattr(dialect, "is_async", False):
            return None
        if cparams.get("dbname") not in self.databases or os.environ.get("PAYVAND_TEST_COLD_CONNECTIONS"):
            return None
        params = tuple(sorted((k, repr(v)) for k, v in cparams.items() if k != "context"))
        return (tuple(map(repr, cargs)), params, getattr(dialect, "_json_serializer", None),
                getattr(dialect, "_json_deserializer", None))

    def connect(self, dialect: Any, cargs: tuple[Any, ...], cparams: dict[str, Any]) -> Any:
        """An idle connection for these parameters, or a new one that will be kept when closed;
        None when the database is not a test database (the dialect connects as usual)."""
        key = self.key(dialect, cargs, cparams)
        if key is None:
            return None
        with self.lock:
            for index in range(len(self.idle) - 1, -1, -1):
                if self.idle[index][0] == key:
                    connection = self.idle.pop(index)[1]
                    self.keys[id(connection)] = key
                    return connection
        connection = self._class().connect(*cargs, **cparams)
        with self.lock:
            self.keys[id(connection)] = key
        return connection

    def _class(self) -> Any:
        if self.connection_class is None:
            import psycopg

            warm = self

            class WarmConnection(psycopg.Connection):
                """A psycopg connection that goes back to the test kit's idle list when closed."""

                def close(self) -> None:
                    if not warm.keep(self):
                        super().close()

                def really_close(self) -> None:
                    """Close the connection to the server."""
                    super().close()

            self.connection_class = WarmConnection
        return self.connection_class

    def keep(self, connection: Any) -> bool:
        """Reset `connection` and keep it idle; False when it must be closed for real."""
        import psycopg

        with self.lock:
            key = self.keys.pop(id(connection), None)
        if key is None or connection.closed or connection.broken:
            return False
        try:
            if connection.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                connection.rollback()
            connection.autocommit = True
            connection.execute("DISCARD ALL")
            # psycopg forgets its prepared statements on DISCARD ALL but queues a DEALLOCATE ALL for
            # the next command; sent inside the next user's first pipeline (an executemany) it
            # would drop a statement that pipeline just prepared ("prepared statement _pg3_N does
            # not exist"). The server holds none now, so the queue is emptied too.
            prepared = getattr(connection, "_prepared", None)
            if prepared is not None:
                prepared.clear()
                getattr(prepared, "_to_flush", []).clear()
            connection.autocommit = False
            connection.isolation_level = None
            connection.read_only = None
            connection.deferrable = None
            connection._notice_handlers.clear()  # each engine adds its own when it gets the connection
            connection._notify_handlers.clear()
        except Exception:
            return False
        with self.lock:
            self.idle.append((key, connection))
            same = [i for i, (k, _) in enumerate(self.idle) if k == key]
            extra = [self.idle[i][1] for i in same[:-self.PER_KEY]] if len(same) > self.PER_KEY else []
            self.idle = [(k, c) for k, c in self.idle if all(c is not e for e in extra)]
            while len(self.idle) > self.TOTAL:
                extra.append(self.idle.pop(0)[1])
        for old in extra:
            old.really_close()
        return True

    def close_all(self) -> None:
        """Close every idle connection (end of the session)."""
        with self.lock:
            idle, self.idle = self.idle, []
        for _, connection in idle:
            with contextlib.suppress(Exception):
                connection.really_close()


_WARM = _WarmConnections()


@sa.event.listens_for(sa.Engine, "do_connect")
def _warm_connect(dialect: Any, conn_rec: Any, cargs: tuple[Any, ...], cparams: dict[str, Any]) -> Any:
    """Give an engine connecting to a test database an idle, warm connection (`_WarmConnections`)."""
    return _WARM.connect(dialect, cargs, cparams)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Close the idle test database connections kept for the next test."""
    _WARM.close_all()


@functools.cache
def _pg_engine(url: str) -> sa.Engine:
    """One engine per test database for the fixtures' own housekeeping, keeping no idle
    connection (a worker meets many plugin sets, each with its own database: pooled
    connections to each would add up past the server's limit)."""
    from sqlalchemy.pool import NullPool

    return sa.create_engine(url, poolclass=NullPool, connect_args={"prepare_threshold": None})


class _PgState:
    """How a PostgreSQL test database looked right after migrating (to empty it back to that)."""

    def __init__(self, shape: tuple[Any, ...], order: list[str], sequences: dict[str, tuple[int, bool]]) -> None:
        self.shape = shape          # every relation of the schema, and the rows of the migration version tables
        self.order = order          # the tables, each referring table before the tables it refers to
        self.sequences = sequences  # each sequence's value and is_called


_pg_states: dict[str, _PgState] = {}
_seeds: dict[tuple[Any, ...], tuple[Any, Any]] = {}  # payvand_seed: (module, name, kind, plugins, url) -> (copy, value)


def _pg_shape(connection: sa.Connection) -> tuple[Any, ...]:
    relations = connection.execute(sa.text(
        "SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = 'public' ORDER BY c.relname")).all()
    versions = [name for name, kind in relations if kind == "r" and name.startswith("alembic_version")]
    rows: Any = []
    if versions:
        rows = connection.execute(sa.text(" UNION ALL ".join(
            f"SELECT '{name}', version_num FROM \"{name}\"" for name in versions) + " ORDER BY 1, 2")).all()
    return (tuple(map(tuple, relations)), tuple(map(tuple, rows)))


def _pg_sequences(connection: sa.Connection) -> dict[str, tuple[int, bool]]:
    rows = connection.execute(sa.text(
        "SELECT sequencename, COALESCE(last_value, start_value), last_value IS NOT NULL FROM pg_sequences"
        " WHERE schemaname = 'public'")).all()
    return {name: (value, called) for name, value, called in rows}


def _pg_delete_order(connection: sa.Connection, tables: list[str]) -> list[str]:
    """`tables` with every referring table before the tables it refers to (a cycle: any order)."""
    edges = connection.execute(sa.text(
        "SELECT c.conrelid::regclass::text, c.confrelid::regclass::text FROM pg_constraint c"
        " JOIN pg_namespace n ON n.oid = c.connamespace WHERE c.contype = 'f' AND n.nspname = 'public'")).all()
    children: dict[str, set[str]] = {t: set() for t in tables}
    for child, parent in edges:
        child, parent = child.strip('"'), parent.strip('"')
        if child != parent and parent in children and child in children:
            children[parent].add(child)
    order: list[str] = []

    def place(table: str, path: frozenset[str]) -> None:
        if table in order or table in path:
            return
        for child in sorted(children[table]):
            place(child, path | {table})
        order.append(table)

    for table in sorted(tables):
        place(table, frozenset())
    return order


def _pg_migrate_fresh(url: str, plugins: list[Any], instance: Path) -> None:
    """Drop everything in the database, migrate it for `plugins` and remember how it looks."""
    _pg_engine(url).dispose()
    _reset_postgres(url)
    for key in [key for key in _seeds if key[-1] == url]:
        del _seeds[key]  # kept aside from the schema before; built again when next asked for
    _migrate(url, plugins, instance)
    with _pg_engine(url).connect() as connection:
        shape = _pg_shape(connection)
        tables = [name for name, kind in shape[0] if kind in ("r", "p") and not name.startswith("alembic_version")]
        _pg_states[url] = _PgState(shape, _pg_delete_order(connection, tables), _pg_sequences(connection))
    _empty_postgres(url)  # a migration that inserted rows: emptied like after any test


def _empty_postgres(url: str) -> bool:
    """Delete every row a test left (version tables aside) and set back the sequences it moved.

    Only tables holding rows are touched (one query finds them), referring tables first, and
    only sequences that moved are set back: on a schema of a few dozen tables this takes
    milliseconds where a `TRUNCATE` of every table takes most of a second. Returns False,
    changing nothing, when the schema is no longer the one migrated (a test dropped or added
    tables, or applied a plugin's migrations): the caller migrates afresh.
    """
    state = _pg_states[url]
    with _pg_engine(url).begin() as connection:
        if _pg_shape(connection) != state.shape:
            return False
        holding = set(connection.execute(sa.text(" UNION ALL ".join(
            f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM \"{t}\")" for t in state.order))).scalars()) if state.order else set()
        for table in state.order:
            if table in holding:
                connection.execute(sa.text(f'DELETE FROM "{table}"'))
        for name, now in _pg_sequences(connection).items():
            if state.sequences.get(name, now) != now:
                value, called = state.sequences[name]
                connection.execute(sa.text("SELECT setval(:s, :v, :c)"), {"s": f'"{name}"', "v": value, "c": called})
    return True


def _postgres_for_test(plugins: list[Any], instance: Path) -> str:
    """A migrated, empty PostgreSQL database for the plugin set of one test."""
    url = _pg_database_for(_plugin_key(plugins))
    if url not in _pg_states or not _empty_postgres(url):
        _pg_migrate_fresh(url, plugins, instance)
    return url


@pytest.fixture
def payvand_database_url(payvand_database: str, payvand_plugins: list[Any], tmp_path: Path,
                         tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated, empty database for this test.

    SQLite: a copy of a template file migrated once per worker and plugin set. PostgreSQL: the
    worker's database for this plugin set, migrated once per session and emptied before each
    test (rows deleted, sequences set back; migrated afresh if a test changed the schema).
    """
    key = _plugin_key(payvand_plugins)
    if payvand_database == "postgresql":
        return _postgres_for_test(payvand_plugins, tmp_path / "migrate")
    template = _templates.get(key)
    if template is None:
        folder = tmp_path_factory.mktemp("payvand-template")
        template = folder / "template.sqlite3"
        _migrate(f"sqlite:///{template}", payvand_plugins, folder)
        _templates[key] = template
    target = tmp_path / f"payvand-{next(_counter)}.sqlite3"
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


def _share_url_builders() -> None:
    """Compile each URL rule's builder once per worker instead of once per test's app.

    Werkzeug compiles two small Python functions for every URL rule of every app (about half
    of the time it takes to create an app with a plugin's routes). The code depends only on
    the rule's parsed parts and the names of its defaults (unless a default fills a part of
    the URL: those rules are compiled as usual), so a function compiled for the same rule in
    an earlier test's app is bound to the new rule instead. The URLs built are the same.
    """
    from werkzeug.routing.rules import Rule

    compile_builder = Rule._compile_builder
    if getattr(compile_builder, "payvand_shared", False):
        return
    compiled: dict[tuple[Any, ...], Any] = {}

    def shared(self: Any, append_unknown: bool = True) -> Any:
        defaults = self.defaults or {}
        if defaults and any(dynamic and part in defaults for dynamic, part in self._trace):
            return compile_builder(self, append_unknown)
        key = (self.rule, tuple(self._trace), tuple(map(str, defaults)), append_unknown)
        if key not in compiled:
            compiled[key] = compile_builder(self, append_unknown)
        return compiled[key]

    shared.payvand_shared = True  # type: ignore[attr-defined]
    Rule._compile_builder = shared  # type: ignore[method-assign]


def _share_rule_parsing() -> None:
    """Parse each URL rule's string once per worker instead of once per test's app.

    Werkzeug parses every rule of every app with regular expressions (about a third of what
    is left of building an app). The parts, the trace and the converters' names and arguments
    depend only on the rule's strings and the converter classes, so a rule seen in an earlier
    test's app takes the parsed parts from it and gets new converter objects of the same
    classes for its own map. The rules and URLs matched and built are the same.
    """
    from werkzeug.routing.rules import Rule

    compile_rule = Rule.compile
    if getattr(compile_rule, "payvand_shared", False):
        return
    parsed: dict[tuple[Any, ...], tuple[Any, ...]] = {}

    def shared(self: Any) -> None:
        assert self.map is not None, "rule not bound"
        key = (self.rule, self.host if self.map.host_matching else self.subdomain, self.map.host_matching,
               self.merge_slashes)
        found = parsed.get(key)
        if found is not None and all(self.map.converters.get(name) is kind for _, name, _, _, kind in found[2]):
            parts, trace, converters = found
            self._parts, self._trace = list(parts), list(trace)
            self._converters = {}
            for variable, name, args, kwargs, _ in converters:
                self._converters[variable] = self.get_converter(variable, name, args, kwargs)
                self.arguments.add(variable)
            self._build = self._compile_builder(False).__get__(self, None)
            self._build_unknown = self._compile_builder(True).__get__(self, None)
            return
        calls: list[tuple[Any, ...]] = []
        get_converter = self.get_converter

        def recording(variable: str, name: str, args: tuple[Any, ...], kwargs: Any) -> Any:
            calls.append((variable, name, args, dict(kwargs), self.map.converters.get(name)))
            return get_converter(variable, name, args, kwargs)

        self.get_converter = recording
        try:
            compile_rule(self)
        finally:
            del self.get_converter
        parsed[key] = (tuple(self._parts), tuple(self._trace), tuple(calls))

    shared.payvand_shared = True  # type: ignore[attr-defined]
    Rule.compile = shared  # type: ignore[method-assign]


def _dialect_signature(dialect: Any) -> tuple[Any, ...]:
    """What the SQL a dialect compiles depends on: its class, server and configuration."""
    return (type(dialect), dialect.server_version_info, dialect.paramstyle, dialect.positional,
            dialect.label_length, dialect.max_identifier_length, dialect.default_schema_name,
            getattr(dialect, "_json_serializer", None), getattr(dialect, "_json_deserializer", None),
            dialect.insert_returning, dialect.update_returning, dialect.delete_returning,
            dialect.use_insertmanyvalues, dialect.insertmanyvalues_page_size, dialect.supports_native_boolean,
            dialect.supports_native_decimal, dialect.supports_statement_cache,
            getattr(dialect, "_backslash_escapes", None))


class _SharedCompiledCache:
    """A compiled-SQL cache keyed by what the dialect compiles for, not by the dialect object.

    SQLAlchemy caches compiled statements per engine (and, for the ORM's flushes, per mapper),
    keyed by the engine's dialect object; every test builds an app with a new engine, so every
    statement was compiled again in every test (about a tenth of a web test's CPU). Engines whose
    dialects compile alike (`_dialect_signature`: the same class, server version and
    configuration — every test app's engine on the same database kind) share one cache. The
    statement's own cache key is SQLAlchemy's, so the SQL and parameters run are unchanged.
    """

    SIZE = 5000

    def __init__(self, store: Any) -> None:
        self.store = store

    @staticmethod
    def _key(key: Any) -> Any:
        return (_dialect_signature(key[0]), *key[1:])

    def get(self, key: Any, default: Any = None) -> Any:
        """The compiled statement for `key`, else `default`."""
        return self.store.get(self._key(key), default)

    def __setitem__(self, key: Any, value: Any) -> None:
        self.store[self._key(key)] = value

    def __getitem__(self, key: Any) -> Any:
        return self.store[self._key(key)]

    def __contains__(self, key: Any) -> bool:
        return self._key(key) in self.store

    def __len__(self) -> int:
        return len(self.store)

    def clear(self) -> None:
        """Forget every compiled statement."""
        self.store.clear()


_COMPILED: dict[str, Any] = {}  # "engines" and each mapper's name: the shared LRU caches


def _share_compiled_sql(engine: sa.Engine) -> None:
    """Give `engine`, and every mapper's flush statements, the worker's shared compiled-SQL caches."""
    from sqlalchemy.orm import Mapper
    from sqlalchemy.util import LRUCache

    if os.environ.get("PAYVAND_TEST_NO_SHARED_SQL"):
        return
    if not isinstance(engine._compiled_cache, _SharedCompiledCache):
        store = _COMPILED.setdefault("engines", LRUCache(_SharedCompiledCache.SIZE))
        engine._compiled_cache = cast(Any, _SharedCompiledCache(store))
    from payvand.core.db import Base

    for mapper in Base.registry.mappers:
        base: Mapper[Any] = mapper.base_mapper
        if not isinstance(base.__dict__.get("_compiled_cache"), _SharedCompiledCache):
            base.__dict__["_compiled_cache"] = _SharedCompiledCache(LRUCache(base._compiled_cache_size))


class _TemplateCode(jinja2.BytecodeCache):
    """Compiled Jinja templates kept for the whole test session, shared by every test's app.

    Each test builds its own app, whose Jinja environment would parse and compile again every
    template it renders; the code is the same for the same source (Jinja checks the source's
    checksum), so each template is compiled once per worker instead.
    """

    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        """Give the bucket the code compiled earlier, if any."""
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        """Keep the code the bucket now holds."""
        self.code[bucket.key] = bucket.bytecode_to_string()


_TEMPLATE_CODE = _TemplateCode()


@pytest.fixture
def app(payvand_database_url: str, payvand_plugins: list[Any], payvand_config: dict[str, Any], tmp_path: Path) -> Iterator[Any]:
    """A Payvand app on a fresh database with the chosen plugins enabled."""
    from payvand.core.app import create_app

    _share_url_builders()
    _share_rule_parsing()
    application = create_app(_make_config(payvand_plugins, payvand_database_url, tmp_path / "instance", payvand_config))
    application.jinja_env.bytecode_cache = _TEMPLATE_CODE
    _share_compiled_sql(application.extensions["payvand"].engine)
    yield application
    application.extensions["payvand"].engine.dispose()


@pytest.fixture(autouse=True)
def _payvand_close_engines() -> Iterator[None]:
    """After each test, close the pooled connections of every engine made during it (apps, CLI
    commands, second runtimes), so a long run never holds more connections than a test needs."""
    from payvand.core.db import live_engines

    before = set(live_engines())
    yield
    for engine in live_engines():
        if engine not in before:
            engine.dispose()


@pytest.fixture
def runtime(app: Any) -> Any:
    """The app's Runtime (engine, sessions, plugin manager, job runner)."""
    return app.extensions["payvand"]


@pytest.fixture
def db_session(runtime: Any) -> Iterator[Any]:
    """A session on the test database, made current for SDK calls; closed after the test."""
    from payvand.core.db import bind_session

    session = runtime.sessionmaker()
    with bind_session(session):
        yield session
    session.rollback()
    session.close()


# --------------------------------------------------------------------------- data built once per module

def _sqlite_copy(source: str, target: str) -> None:
    import sqlite3

    with contextlib.closing(sqlite3.connect(source)) as src, contextlib.closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


def _pg_columns(connection: sa.Connection, table: str) -> list[str]:
    return list(connection.execute(sa.text(
        "SELECT attname FROM pg_attribute WHERE attrelid = CAST(:t AS regclass) AND attnum > 0"
        " AND NOT attisdropped AND attgenerated = '' ORDER BY attnum"), {"t": f'public."{table}"'}).scalars())


def _pg_snapshot(url: str, schema: str) -> tuple[list[tuple[str, list[str]]], dict[str, tuple[int, bool]]]:
    """Copy every table holding rows into `schema` (unlogged tables); keep the sequences' values."""
    state = _pg_states[url]
    with _pg_engine(url).begin() as connection:
        connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        holding = set(connection.execute(sa.text(" UNION ALL ".join(
            f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM \"{t}\")" for t in state.order))).scalars()) if state.order else set()
        copied = []
        for table in reversed(state.order):  # the tables referred to first: the order to insert them back
            if table in holding:
                columns = _pg_columns(connection, table)
                names = ", ".join(f'"{c}"' for c in columns)
                connection.execute(sa.text(f'CREATE UNLOGGED TABLE "{schema}"."{table}" AS SELECT {names} FROM public."{table}"'))
                copied.append((table, columns))
        return copied, _pg_sequences(connection)


def _pg_restore(url: str, schema: str, copied: list[tuple[str, list[str]]], sequences: dict[str, tuple[int, bool]]) -> None:
    if not _empty_postgres(url):
        raise RuntimeError("payvand_seed: the test database's schema is not the migrated one")
    with _pg_engine(url).begin() as connection:
        for table, columns in copied:
            names = ", ".join(f'"{c}"' for c in columns)
            connection.execute(sa.text(f'INSERT INTO public."{table}" ({names}) OVERRIDING SYSTEM VALUE'
                                       f' SELECT {names} FROM "{schema}"."{table}"'))
        for name, (value, called) in sequences.items():
            connection.execute(sa.text("SELECT setval(:s, :v, :c)"), {"s": f'"{name}"', "v": value, "c": called})


@pytest.fixture
def payvand_seed(request: pytest.FixtureRequest, payvand_database: str, payvand_database_url: str,
                 payvand_plugins: list[Any], runtime: Any,
                 tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, Callable[[], Any]], Any]:
    """`payvand_seed(name, build)`: data built once per test module, copied into each test's database.

    The first test of a module (per worker, database kind and plugin set) that asks for `name`
    runs `build()` on its own fresh database; the rows it left are then kept aside, and every
    later test asking for the same `name` gets its own copy of them (and a copy of what
    `build` returned) instead of building again. Tests stay isolated: each may change its
    copy freely. `build` may only write to the database (files, mail or Redis are not copied),
    must not depend on the test (its arguments are the same for every test), and must commit
    what it writes. The copy replaces the whole database, so ask for it before fixtures that
    write rows (`api`, `web`, `make_*` outside `build`): it refuses to run after them. SQLite
    copies with the backup API, PostgreSQL with `INSERT ... SELECT` from a snapshot schema in
    the same database.
    """
    import copy

    def seed(name: str, build: Callable[[], Any]) -> Any:
        from payvand.core.models import ApiToken, Customer, User

        with runtime.sessionmaker() as session:
            if any(session.scalar(sa.select(sa.literal(1)).select_from(model).limit(1)) for model in (User, ApiToken, Customer)):
                raise RuntimeError("payvand_seed: the test database already holds users, tokens or customers: request"
                                   " the fixture that calls payvand_seed before `api`, `web` or `make_*` write them")
        key = (request.module.__name__, name, payvand_database, _plugin_key(payvand_plugins),
               payvand_database_url if payvand_database == "postgresql" else None)
        if key not in _seeds:
            value = build()
            if payvand_database == "postgresql":
                schema = "payvand_seed_" + hashlib.sha1(repr(key).encode()).hexdigest()[:12]
                snapshot: Any = (schema, *_pg_snapshot(payvand_database_url, schema))
            else:
                snapshot = str(tmp_path_factory.mktemp("payvand-seed") / "seed.sqlite3")
                runtime.engine.dispose()
                _sqlite_copy(str(sa.make_url(payvand_database_url).database), snapshot)
            _seeds[key] = (snapshot, copy.deepcopy(value))
            return value
        snapshot, value = _seeds[key]
        runtime.engine.dispose()
        if payvand_database == "postgresql":
            _pg_restore(payvand_database_url, *snapshot)
        else:
            _sqlite_copy(snapshot, str(sa.make_url(payvand_database_url).database))
        return copy.deepcopy(value)

    return seed


@pytest.fixture
def client(app: Any) -> Any:
    """Flask's test client (unauthenticated)."""
    return app.test_client()


class ApiClient:
    """A test client that sends a bearer token and JSON bodies."""

    def __init__(self, client: Any, token: str, user_id: int) -> None:
        self.client = client
        self.token = token
        self.user_id = user_id

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        if not path.startswith("/"):
            path = "/api/v1/" + path
        return self.client.open(path, method=method, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> Any:
        """GET with the token."""
        return self._call("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        """POST with the token (`json=` for a body)."""
        return self._call("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Any:
        """PATCH with the token."""
        return self._call("PATCH", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Any:
        """PUT with the token."""
        return self._call("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        """DELETE with the token."""
        return self._call("DELETE", path, **kwargs)


@pytest.fixture
def make_user(runtime: Any) -> Callable[..., Any]:
    """Create a staff user: `make_user(email=..., permissions=[...], superuser=False, password=...)`."""
    from payvand.core.services.users import create_user

    def factory(email: str | None = None, *, permissions: list[str] | None = None, superuser: bool = False,
                password: str | None = "correct horse battery staple", name: str = "Test User") -> Any:
        with runtime.sessionmaker.begin() as session:
            user = create_user(session, email or f"user{next(_counter)}@example.com", password=password,
                               name=name, superuser=superuser, permissions=permissions or [],
                               profile="fast")
            session.flush()
            session.expunge(user)
            return user

    return factory


@pytest.fixture
def api_as(app: Any, runtime: Any, make_user: Callable[..., Any]) -> Callable[..., ApiClient]:
    """An API client for a new user with exactly `permissions` (and token `scopes`)."""
    from payvand.core.auth import create_token
    from payvand.core.models import User

    def factory(permissions: list[str] | None = None, *, superuser: bool = False, scopes: list[str] | None = None) -> ApiClient:
        user = make_user(permissions=permissions or [], superuser=superuser)
        with runtime.sessionmaker.begin() as session:
            _, secret = create_token(session, session.get(User, user.id), "test", scopes or ["*"])
        return ApiClient(app.test_client(), secret, user.id)

    return factory


@pytest.fixture
def api(api_as: Callable[..., ApiClient]) -> ApiClient:
    """An API client authenticated as a superuser."""
    return api_as(superuser=True)


@pytest.fixture
def make_customer(runtime: Any) -> Callable[..., Any]:
    """Create a customer through the service layer: `make_customer(given_name=..., emails=[...])`."""
    from payvand.core.audit import SYSTEM
    from payvand.core.schemas import CustomerIn
    from payvand.core.services.customers import create_customer

    def factory(**fields: Any) -> Any:
        n = next(_counter)
        fields.setdefault("given_name", f"Customer{n}")
        fields.setdefault("family_name", "Test")
        data = CustomerIn(region="IR", declared=runtime.customer_fields()).load(fields)
        with runtime.sessionmaker.begin() as session:
            customer = create_customer(session, data, SYSTEM, source="test")
            session.flush()
            customer_id = customer.id
        from payvand.core.services.customers import get_customer

        with runtime.sessionmaker() as session:
            found = get_customer(session, customer_id)
            session.expunge_all()
            return found

    return factory


@pytest.fixture
def make_interaction(runtime: Any) -> Callable[..., Any]:
    """Record an interaction: `make_interaction(customer_id, kind="core.note", channel="phone", ...)`."""
    from payvand.core.services.interactions import build_interaction, record

    def factory(customer_id: int, kind: str = "core.note", channel: str = "phone", summary: str = "A note", **kwargs: Any) -> Any:
        kwargs.setdefault("occurred_at", dt.datetime.now(dt.UTC))
        with runtime.sessionmaker.begin() as session:
            interaction = record(session, build_interaction(customer_id, kind, channel, summary, **kwargs))
            session.flush()
            session.expunge(interaction)
            return interaction

    return factory


@pytest.fixture
def run_jobs(runtime: Any) -> Callable[[], int]:
    """Deliver every due outbox event and run due jobs now; return how many events were handled."""
    return runtime.job_runner.run_pending


_CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
_CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


class WebClient:
    """A test client logged in to the staff UI; `post` adds the form's CSRF token itself."""

    def __init__(self, client: Any, user: Any) -> None:
        self.client = client
        self.user = user
        self.user_id = user.id if user is not None else None
        self._token: str | None = None

    def csrf_token(self) -> str:
        """A valid CSRF token of this session (read once from a page)."""
        if self._token is None:
            page = self.client.get("/login", follow_redirects=True)  # the start page once logged in
            found = _CSRF_META.search(page.text) or _CSRF_INPUT.search(page.text)
            assert found, "no CSRF token on the login page"
            self._token = found.group(1)
        return self._token

    def sign_in(self) -> None:
        """Start a logged-in session for `user` the way the login form ends, without its round trips.

        Runs Flask-Login's `login_user` and Flask-WTF's `generate_csrf` inside a request context
        of the app, stores the session through the app's own session interface (database or
        Redis) and gives the client its cookie: what the form does after the password check,
        minus three requests and a hash. `login` still posts the real form (tests of signing in
        use it).
        """
        from flask import session
        from flask_login import login_user
        from flask_wtf.csrf import generate_csrf

        from payvand.core.db import current_session
        from payvand.core.web.access import load_staff_user
        from payvand.core.web.sessions import COOKIE_NAME

        app = self.client.application
        assert self.user_id is not None, "no user to sign in"
        # The client's own REMOTE_ADDR and User-Agent, so Flask-Login's session identifier matches.
        with app.test_request_context("/login", environ_base=dict(self.client.environ_base)):
            staff = load_staff_user(current_session().connection(), self.user_id)
            assert staff is not None, "the user cannot sign in (inactive?)"
            login_user(staff)
            token = generate_csrf()
            app.session_interface.save_session(app, session, app.response_class())
            key = session.key  # type: ignore[attr-defined]
        self.client.set_cookie(COOKIE_NAME, key)
        self._token = token

    def login(self, email: str, password: str) -> Any:
        """Log in through the login form; returns the response (302 on success)."""
        response = self.post("/login", data={"email": email, "password": password})
        self._token = None  # the session was regenerated
        return response

    def get(self, path: str, **kwargs: Any) -> Any:
        """GET a page."""
        return self.client.get(path, **kwargs)

    def post(self, path: str, data: dict[str, Any] | None = None, *, csrf: bool = True, **kwargs: Any) -> Any:
        """POST a form, with this session's CSRF token unless `csrf=False`."""
        data = dict(data or {})
        if csrf:
            data.setdefault("csrf_token", self.csrf_token())
        return self.client.post(path, data=data, **kwargs)


@pytest.fixture
def web_as(app: Any, make_user: Callable[..., Any]) -> Callable[..., WebClient]:
    """A staff-UI client signed in as a new user holding exactly `permissions` (or a superuser).

    The session is written directly (`WebClient.sign_in`); the user's password is
    "correct horse battery staple" for tests that post the login form themselves.
    """

    def factory(permissions: list[str] | None = None, *, superuser: bool = False, **user_fields: Any) -> WebClient:
        password = "correct horse battery staple"
        user = make_user(permissions=permissions or [], superuser=superuser, password=password, **user_fields)
        web = WebClient(app.test_client(), user)
        web.sign_in()
        return web

    return factory


@pytest.fixture
def web(web_as: Callable[..., WebClient]) -> WebClient:
    """A staff-UI client logged in as a superuser."""
    return web_as(superuser=True)


@pytest.fixture
def count_queries(runtime: Any) -> Callable[[], Any]:
    """`with count_queries() as queries: ...` collects the SQL statements run on the app's engine.

    The periodic look for plugins enabled elsewhere (one query every few seconds, not part of
    any page) is paused inside the block, so counts do not depend on timing.
    """

    @contextlib.contextmanager
    def counter() -> Iterator[list[str]]:
        statements: list[str] = []

        def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            statements.append(statement)

        interval = runtime.config.get("PAYVAND_PLUGIN_REFRESH_SECONDS")
        runtime.config["PAYVAND_PLUGIN_REFRESH_SECONDS"] = float("inf")
        sa.event.listen(runtime.engine, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            sa.event.remove(runtime.engine, "before_cursor_execute", record)
            runtime.config["PAYVAND_PLUGIN_REFRESH_SECONDS"] = interval

    return counter


# --------------------------------------------------------------------------- security headers


class _InlineCode(HTMLParser):
    """Collects what a Content-Security-Policy without 'unsafe-inline' would block in a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        # A data block (`type="application/json"`) is never run, so the policy does not apply to it.
        if tag == "script" and not named.get("src") and (named.get("type") or "").lower() != "application/json":
            self.found.append("an inline <script> element")
        if tag == "style":
            self.found.append("a <style> element")
        for name, value in attrs:
            if name.startswith("on") or name.startswith("hx-on"):
                self.found.append(f"an event-handler attribute {name}= on <{tag}>")
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"a javascript: URL in {name}= on <{tag}>")


def inline_code(html: str) -> list[str]:
    """What in `html` needs 'unsafe-inline' or 'unsafe-eval' to run: inline scripts, `<style>`
    elements, `on…=`/`hx-on…=` handlers and `javascript:` URLs (empty when the page has none)."""
    parser = _InlineCode()
    parser.feed(html)
    parser.close()
    return parser.found


def _policy(header: str) -> dict[str, list[str]]:
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives.setdefault(words[0].lower(), words[1:])
    return directives


def assert_security_headers(response: Any, *, path: str | None = None) -> None:
    """Assert the headers every Payvand response must carry, by kind of response.

    All: `X-Content-Type-Options: nosniff`; a 429 says `Retry-After` (whole seconds). API
    responses (`/api/…`): `Cache-Control: no-store`. HTML: a Content-Security-Policy that runs
    only the app's own scripts (`script-src 'self'`, no 'unsafe-inline' or 'unsafe-eval' for
    scripts or style elements), with `object-src 'none'`, `base-uri`, `form-action` and
    `frame-ancestors`, and a body with no inline code (`inline_code`). `response` is a Flask
    test response (its request gives the path) or anything with `.headers` and `status_code`.
    """
    where = path or cast(str, getattr(getattr(response, "request", None), "path", "?"))  # a Flask request's path
    headers = response.headers
    status = getattr(response, "status_code", None) or getattr(response, "status", None)
    assert headers.get("X-Content-Type-Options") == "nosniff", f"{where}: no X-Content-Type-Options: nosniff"
    if status == 429:
        retry = headers.get("Retry-After", "")
        assert retry.isdigit() and int(retry) >= 1, f"{where}: a 429 without a Retry-After in seconds ({retry!r})"
    if where.startswith("/api/"):
        assert "no-store" in headers.get("Cache-Control", ""), f"{where}: an API response without Cache-Control: no-store"
    mimetype = (headers.get("Content-Type") or "").split(";")[0].strip()
    if mimetype != "text/html":
        return
    header = headers.get("Content-Security-Policy")
    assert header, f"{where}: an HTML response without a Content-Security-Policy"
    policy = _policy(header)
    scripts = policy.get("script-src", policy.get("default-src"))
    assert scripts is not None, f"{where}: the policy does not restrict scripts: {header}"
    assert not {"'unsafe-inline'", "'unsafe-eval'", "*", "data:"} & set(scripts), f"{where}: scripts not restricted: {header}"
    styles = policy.get("style-src-elem", policy.get("style-src", policy.get("default-src"))) or []
    assert "'unsafe-inline'" not in styles, f"{where}: <style> elements allowed: {header}"
    assert policy.get("object-src") == ["'none'"], f"{where}: no object-src 'none': {header}"
    for directive in ("base-uri", "form-action", "frame-ancestors"):
        assert directive in policy, f"{where}: no {directive}: {header}"
    body = response.get_data(as_text=True) if hasattr(response, "get_data") else getattr(response, "text", "")
    found = inline_code(body)
    assert not found, f"{where}: the page holds code the policy blocks: {found}"


def page_paths(app: Any, *, values: dict[str, Any] | None = None, prefix: str = "/") -> list[str]:
    """The paths of every GET route of `app` under `prefix` whose URL arguments `values` gives.

    Routes with other arguments (and the static files) are left out; `values` maps argument
    names to values (e.g. `{"customer_id": 1, "deal_id": 7}`).
    """
    from werkzeug.routing import BuildError

    values = values or {}
    paths: set[str] = set()
    adapter = app.url_map.bind("localhost")
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.endpoint == "static" or rule.endpoint.endswith(".static"):
            continue
        if not set(rule.arguments) <= set(values):
            continue
        try:
            path = adapter.build(rule.endpoint, {name: values[name] for name in rule.arguments}, method="GET")
        except BuildError:
            continue
        if path.startswith(prefix):
            paths.add(path.split("?")[0])
    return sorted(paths)


@pytest.fixture
def walk_pages(app: Any, web: WebClient, api: ApiClient) -> Callable[..., list[tuple[str, int]]]:
    """`walk_pages(values={...}, prefix="/")` GETs every GET route of the app (`page_paths`) as a
    superuser — pages through the logged-in `web` client, `/api/…` with the `api` token — and
    asserts on each response `assert_security_headers` and that it is not a 5xx.

    Returns `(path, status)` of every route walked. Plugin authors call it with the ids of a few
    rows they created, so their pages with arguments are walked too.
    """

    def walk(values: dict[str, Any] | None = None, prefix: str = "/") -> list[tuple[str, int]]:
        walked: list[tuple[str, int]] = []
        for path in page_paths(app, values=values, prefix=prefix):
            response = api.get(path) if path.startswith("/api/") else web.get(path)
            assert response.status_code < 500, f"GET {path} answered {response.status_code}"
            assert_security_headers(response, path=path)
            walked.append((path, response.status_code))
        return walked

    return walk


# --------------------------------------------------------------------------- record rules: the visibility walk


@dataclasses.dataclass
class ActorRows:
    """One actor of `assert_rows_isolated`: its clients and the rows only it may see.

    `ruled` maps URL arguments to the id of one of its rows of a model under record rules
    (`{"deal_id": 7}`): another actor's get by that id must answer 404. `open` maps URL
    arguments to its rows that other actors may open (a customer it owns): their pages are
    walked, and must show none of its `markers` (texts found only in its ruled rows: titles,
    subjects, document numbers). `summaries` are the markers a shared record repeats (the
    customer's timeline says "order O-1 placed"): they may show on the routes
    `assert_rows_isolated(summaries_allowed=...)` names, and nowhere else.
    """

    web: Any
    api: Any
    ruled: dict[str, int]
    markers: list[str]
    open: dict[str, Any] = dataclasses.field(default_factory=dict)
    summaries: list[str] = dataclasses.field(default_factory=list)


def _text(response: Any) -> str:
    """A response body as text; a PDF's text when pypdf can read it (else its raw bytes)."""
    data = response.get_data()
    if response.mimetype == "application/pdf":
        with contextlib.suppress(Exception):
            import io

            from pypdf import PdfReader

            return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)
    return data.decode("utf-8", "replace")


def _get_routes(app: Any, api: Any) -> list[tuple[str, str, list[str]]]:
    """(kind, template, arguments) of every staff page (GET routes of `app.url_map` outside
    `/api/`) and every API GET operation (from the OpenAPI document)."""
    routes: list[tuple[str, str, list[str]]] = []
    for rule in app.url_map.iter_rules():
        if ("GET" in (rule.methods or ()) and not rule.endpoint.endswith("static") and not rule.rule.startswith("/api/")):
            routes.append(("page", rule.rule, sorted(rule.arguments)))
    document = api.get("/api/v1/openapi.json").get_json()
    for path, operations in document["paths"].items():
        if "get" in operations:
            routes.append(("api", "/api/v1" + path if not path.startswith("/api/") else path,
                           sorted(re.findall(r"{(\w+)}", path))))
    return sorted(set((kind, template, tuple(args)) for kind, template, args in routes))  # type: ignore[misc]


def _build(template: str, values: dict[str, Any]) -> str:
    """`template` (a Werkzeug rule or an OpenAPI path) with its arguments filled from `values`."""
    path = re.sub(r"<(?:[^:<>]+:)?(\w+)>", lambda m: str(values[m.group(1)]), template)
    return re.sub(r"{(\w+)}", lambda m: str(values[m.group(1)]), path)


def assert_rows_isolated(app: Any, actors: dict[str, ActorRows], *, unwalkable: dict[str, str],
                         shared: dict[str, Any] | None = None, summaries_allowed: dict[str, str] | None = None,
                         search: str = "q") -> dict[str, int]:
    """Walk every route as each actor and prove that no row of another actor shows.

    The routes are found, not listed: every GET route of `app.url_map` (staff pages, through the
    actor's `web` client) and every GET operation of the OpenAPI document (through its `api`
    token). Each is requested as each actor with its URL arguments filled from each OTHER
    actor's rows (`ActorRows.ruled`, `.open`, then `shared`); a route without arguments is
    requested plainly and searched (`?<search>=` the other's first marker less its last letter). Asserts that no
    response is a 5xx, that a route reading another actor's ruled row answers 404, and that no
    body (HTML, JSON, CSV, PDF text) holds another actor's markers or a link to one of its
    ruled rows' pages. A route with an argument nobody fills must be named in `unwalkable`
    (template -> why), and every name there must still be a route: a new route is walked, or
    the walk fails until it is. `summaries_allowed` (template -> why) names the routes that show
    a shared record repeating another actor's `summaries`. Returns the number of requests per kind.
    """
    shared, summaries_allowed = shared or {}, summaries_allowed or {}
    first = next(iter(actors.values()))
    routes = _get_routes(app, first.api)
    fillable = set(shared) | {key for rows in actors.values() for key in (*rows.ruled, *rows.open)}
    templates = {template for _kind, template, _args in routes}
    stale = sorted(set(unwalkable) - templates)
    assert not stale, f"unwalkable routes that no longer exist: {stale}"
    missing = sorted(template for _kind, template, args in routes if not set(args) <= fillable and template not in unwalkable)
    assert not missing, f"routes the visibility walk cannot fill (give their arguments, or list them as unwalkable): {missing}"
    counts = {"page": 0, "api": 0}
    for viewer_name, viewer in actors.items():
        for owner_name, owner in actors.items():
            if owner_name == viewer_name:
                continue
            values = {**shared, **owner.open, **owner.ruled}
            links = [_build(template, values) for kind, template, args in routes
                     if kind == "page" and args and set(args) <= set(values) and set(args) & set(owner.ruled)]
            for kind, template, args in routes:
                if template in unwalkable or not set(args) <= set(values):
                    continue
                client = viewer.web if kind == "page" else viewer.api
                path = _build(template, values)
                # searched by a prefix of the marker: found by a prefix search, and the echoed query is not the marker
                paths = [path] if args else [path, f"{path}?{search}={owner.markers[0][:-1]}"]
                for url in paths:
                    response = client.get(url)
                    counts[kind] += 1
                    where = f"{viewer_name} GET {url} (rows of {owner_name})"
                    assert response.status_code < 500, f"{where}: {response.status_code}"
                    if set(args) & set(owner.ruled):
                        assert response.status_code == 404, f"{where}: {response.status_code}, not 404"
                    text = _text(response)
                    exempt = owner.summaries if template in summaries_allowed else []
                    shown = [marker for marker in owner.markers if marker in text and marker not in exempt]
                    assert not shown, f"{where} shows {shown}"
                    linked = [link for link in links if link != path and not path.startswith(f"{link}/")  # its own address
                              and (f'{link}"' in text or f"{link}/" in text or f"{link}?" in text)]
                    assert not linked, f"{where} links to {linked}"
    return counts


# --------------------------------------------------------------------------- uploads


def sample_upload(kind: str, *, padding: int = 0, text: bytes = b"") -> bytes:
    """A small file that is wholly of `kind` ("pdf", "png", "jpeg", "webp" or "csv"), as
    `payvand.sdk.check_upload` accepts it; `padding` bytes of filler (a PDF comment, a PNG
    ancillary chunk, CSV rows) make it bigger, and `text` goes inside it (a PNG `tEXt` chunk, a
    PDF comment, a CSV row) — for testing what a checker finds inside a file."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    if kind == "png":
        body = chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0))
        if text:
            body += chunk(b"tEXt", b"Comment\x00" + text)
        if padding:
            body += chunk(b"zzPd", b"0" * padding)
        return b"\x89PNG\r\n\x1a\n" + body + chunk(b"IDAT", zlib.compress(b"\x00\x00\x00\x00\x00")) + chunk(b"IEND", b"")
    if kind == "pdf":
        head = b"%PDF-1.4\n" + (b"%" + text + b"\n" if text else b"") + (b"%" + b"0" * padding + b"\n" if padding else b"")
        objects = [b"1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n", b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"]
        offsets, body = [], head
        for obj in objects:
            offsets.append(len(body))
            body += obj
        xref = len(body)
        table = b"xref\n0 3\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offsets)
        return body + table + b"trailer<</Size 3/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % xref
    if kind == "jpeg":
        app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
        comment = b"\xff\xfe" + struct.pack(">H", len(text) + 2) + text if text else b""
        return b"\xff\xd8" + app0 + comment + b"\x00" * padding + b"\xff\xd9"
    if kind == "webp":
        payload = b"VP8L" + struct.pack("<I", 5) + b"\x2f\x00\x00\x00\x00" + b"\x00"
        payload += (b"ZZPD" + struct.pack("<I", padding) + b"0" * padding + b"\x00" * (padding % 2)) if padding else b""
        return b"RIFF" + struct.pack("<I", 4 + len(payload)) + b"WEBP" + payload
    if kind == "csv":
        return b"name,email\r\nSara,sara@example.com\r\n" + (text + b"\r\n" if text else b"") + b"x," * (padding // 2)
    raise ValueError(f"no sample of {kind!r}")


def hostile_uploads() -> dict[str, tuple[bytes, str]]:
    """Files an upload must refuse, by description: `(bytes, file name)` — HTML behind a PDF or
    PNG signature, HTML appended to a whole file, script inside one, a whole file under an
    `.html` name, HTML and SVG renamed to an image or PDF."""
    page = b"<html><body><script>alert(document.cookie)</script></body></html>"
    return {
        "pdf signature, then a page": (b"%PDF-1.4\n" + page, "brochure.pdf"),
        "pdf signature, then a page, html name": (b"%PDF-1.4\n" + page, "brochure.html"),
        "whole pdf, page appended": (sample_upload("pdf") + page, "brochure.pdf"),
        "whole pdf, script in a comment": (sample_upload("pdf", text=b"<script>alert(1)</script>"), "brochure.pdf"),
        "whole pdf, html name": (sample_upload("pdf"), "brochure.html"),
        "png signature, then a page": (b"\x89PNG\r\n\x1a\n" + page, "pen.png"),
        "whole png, page appended": (sample_upload("png") + page, "pen.png"),
        "whole png, script in a text chunk": (sample_upload("png", text=page), "pen.png"),
        "whole png, html name": (sample_upload("png"), "pen.html"),
        "jpeg signature, then a page": (b"\xff\xd8\xff\xe0" + page, "pen.jpg"),
        "whole jpeg, html name": (sample_upload("jpeg"), "pen.htm"),
        "a page renamed pdf": (page, "brochure.pdf"),
        "an svg renamed png": (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "pen.png"),
    }


class MailSink:
    """A real SMTP server (aiosmtpd) on a free local port that keeps every message it receives."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[Any] = []
        self._stopped = False
        sink = self

        class _Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
                import email
                import email.policy

                message = email.message_from_bytes(envelope.content, policy=email.policy.default)
                sink.messages.append(message)
                return "250 OK"

        import socket

        with socket.socket() as probe:  # a free port (aiosmtpd checks its port by connecting to it)
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._controller = Controller(_Handler(), hostname="127.0.0.1", port=self.port)

    def start(self) -> str:
        """Start the server; return its `smtp://` URL."""
        self._controller.start()
        return f"smtp://127.0.0.1:{self.port}"

    def stop(self) -> None:
        """Stop the server (once; later calls do nothing): a test may stop it to see a mail failure."""
        if not self._stopped:
            self._stopped = True
            self._controller.stop()

    def to(self, address: str) -> list[Any]:
        """The messages received for `address`."""
        return [m for m in self.messages if address in str(m["To"])]


@pytest.fixture
def mail_sink(runtime: Any, app: Any) -> Iterator[MailSink]:
    """A local SMTP server the app sends to (`PAYVAND_SMTP_URL` set); `.messages` holds what arrived."""
    sink = MailSink()
    url = sink.start()
    runtime.config["PAYVAND_SMTP_URL"] = url
    app.config["PAYVAND_SMTP_URL"] = url
    try:
        yield sink
    finally:
        runtime.config.pop("PAYVAND_SMTP_URL", None)
        app.config.pop("PAYVAND_SMTP_URL", None)
        sink.stop()


class RaceResult:
    """One response of a `race`: its status, headers and body (parsed as JSON when it is JSON)."""

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.status_code = status
        self.headers = headers
        self.body = body

    @property
    def json(self) -> Any:
        """The body parsed as JSON (None when it is not JSON)."""
        import json

        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def __repr__(self) -> str:
        return f"<RaceResult {self.status} {self.body[:120]!r}>"


class Race:
    """Fires N HTTP requests at the same instant at a real, threaded server of the test app.

    The app is served by Werkzeug's threaded WSGI server on 127.0.0.1 (started on first use,
    stopped after the test); each request runs in its own thread on its own connection, opened
    before a barrier releases them all together, so the database sees truly concurrent
    transactions. Use it with the PostgreSQL run of a test (`payvand_database == "postgresql"`)
    to prove that a money or state change is correct under any interleaving; it works on SQLite
    too, where writers queue.

    `race(n, method, path, ...)` sends the same request n times; `race.mixed([...])` sends
    different ones at once (a void against a payment, a reject against an accept).
    """

    def __init__(self, app: Any) -> None:
        self.app = app
        self._server: Any = None
        self._thread: Any = None

    @property
    def base_url(self) -> str:
        """The server's address (`http://127.0.0.1:PORT`), starting it if needed."""
        if self._server is None:
            import threading

            from werkzeug.serving import make_server

            self._server = make_server("127.0.0.1", 0, self.app, threaded=True)
            self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
            self._thread.start()
        return f"http://127.0.0.1:{self._server.server_port}"

    def __call__(self, n: int, method: str, path: str, *, client: Any = None, token: str | None = None,
                 json: Any = None, jsons: list[Any] | None = None, headers: dict[str, str] | None = None,
                 header_list: list[dict[str, str]] | None = None, timeout: float = 60.0) -> list[RaceResult]:
        """Send `n` requests at once and return their results in request order.

        `client` is an `ApiClient` (its bearer token is used) or give `token` directly. Every
        request sends `json` and `headers`, unless `jsons` / `header_list` give one per request.
        `path` may be relative to `/api/v1/`.
        """
        bodies = jsons if jsons is not None else [json] * n
        extra = header_list if header_list is not None else [dict(headers or {})] * n
        if len(bodies) != n or len(extra) != n:
            raise ValueError("jsons and header_list must hold one entry per request")
        calls = [(method, path, body, head) for body, head in zip(bodies, extra, strict=True)]
        return self.mixed(calls, client=client, token=token, timeout=timeout)

    def mixed(self, calls: list[tuple[Any, ...]], *, client: Any = None, token: str | None = None,
              headers: dict[str, str] | None = None, timeout: float = 60.0) -> list[RaceResult]:
        """Send different requests at once; return their results in the order of `calls`.

        Each call is `(method, path)`, `(method, path, json)` or `(method, path, json, headers)`;
        `headers` are added to every request, and `client` / `token` authenticate them all.
        """
        import http.client
        import json as jsonlib
        import threading

        if not calls:
            return []
        secret = token or (client.token if client is not None else None)
        base = self.base_url
        port = self._server.server_port
        prepared: list[tuple[str, str, bytes | None, dict[str, str]]] = []
        for call in calls:
            method, path, body, head = (tuple(call) + (None, None))[:4]
            if not path.startswith("/"):
                path = "/api/v1/" + path
            request_headers = {"Accept": "application/json", **(headers or {}), **(head or {})}
            if secret:
                request_headers["Authorization"] = f"Bearer {secret}"
            data = None
            if body is not None:
                data = jsonlib.dumps(body).encode()
                request_headers.setdefault("Content-Type", "application/json")
            prepared.append((method.upper(), path, data, request_headers))
        n = len(prepared)
        barrier = threading.Barrier(n)
        results: list[RaceResult | None] = [None] * n
        errors: list[BaseException] = []

        def fire(index: int) -> None:
            method, path, data, request_headers = prepared[index]
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
            try:
                connection.connect()  # connected before the barrier: the requests leave together
                barrier.wait(timeout)
                connection.request(method, path, body=data, headers=request_headers)
                response = connection.getresponse()
                results[index] = RaceResult(response.status, dict(response.getheaders()), response.read())
            except BaseException as exc:  # reported below, with the test's traceback
                errors.append(exc)
                barrier.abort()
            finally:
                connection.close()

        threads = [threading.Thread(target=fire, args=(i,)) for i in range(n)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout * 2)
        if errors:
            raise errors[0]
        missing = [i for i, r in enumerate(results) if r is None]
        if missing:
            raise TimeoutError(f"requests {missing} to {base} got no answer within {timeout} s")
        return [r for r in results if r is not None]

    def close(self) -> None:
        """Stop the server."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


@pytest.fixture
def race(app: Any) -> Iterator[Race]:
    """`race(n, "POST", path, client=api, json=...)` fires `n` requests at once at a real threaded
    server of the app and returns their `RaceResult`s (status, headers, body, json);
    `race.mixed([("POST", path_a, body_a), ("POST", path_b), ...], client=api)` fires different ones."""
    kit = Race(app)
    try:
        yield kit
    finally:
        kit.close()


# --------------------------------------------------------------------------- idempotency keys


def table_counts(app: Any) -> dict[str, int]:
    """How many rows each table of the app's database holds (Alembic's version tables aside)."""
    engine = app.extensions["payvand"].engine
    names = sorted(n for n in sa.inspect(engine).get_table_names() if not n.startswith("alembic_version"))
    counts = sa.union_all(*(sa.select(sa.literal(name).label("name"), sa.func.count().label("n"))
                            .select_from(sa.table(name)) for name in names))
    with engine.connect() as connection:
        return {name: n for name, n in connection.execute(counts)}


def _changed(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {name: after.get(name, 0) - before.get(name, 0) for name in after if after.get(name, 0) != before.get(name, 0)}


def assert_idempotent(api: ApiClient, path: str, json: Any, *, race: Race | None = None, n: int = 8) -> Any:
    """Check that a creating POST route honours `Idempotency-Key`; return the first answer's JSON.

    `json` is the body, or a callable returning a fresh valid body for each check (when one
    body cannot be acted on twice, e.g. invoicing one order). Checks that:

    - a request with a new key succeeds (2xx); the same key and body answers the same status,
      body and `Location`, marked `Idempotent-Replayed: true`, and changes no table's row count;
    - the same key with another body is refused with 422 (field `Idempotency-Key`) and changes
      nothing;
    - with `race` (the fixture), `n` simultaneous requests with one new key act once: every
      table's row count changes as much as one more request with its own key changes it, and
      every successful answer is the same (others may only be 409 `idempotency_in_progress`).
      The body must then be acceptable several times, or `json` a callable.
    """
    import uuid

    app = api.client.application
    body = json() if callable(json) else json
    key = f"kit-{uuid.uuid4()}"
    first = api.post(path, json=body, headers={"Idempotency-Key": key})
    assert 200 <= first.status_code < 300, f"POST {path} answered {first.status_code}: {first.get_json()}"
    assert first.headers.get("Idempotent-Replayed") is None
    after_first = table_counts(app)
    again = api.post(path, json=body, headers={"Idempotency-Key": key})
    assert again.headers.get("Idempotent-Replayed") == "true", f"POST {path} acted again: {again.status_code}"
    assert (again.status_code, again.get_data()) == (first.status_code, first.get_data())
    assert again.headers.get("Location") == first.headers.get("Location")
    assert again.headers.get("Content-Type") == first.headers.get("Content-Type")
    other = {**body, "idempotency_probe": True} if isinstance(body, dict) else [body]
    reused = api.post(path, json=other, headers={"Idempotency-Key": key})
    assert reused.status_code == 422, f"POST {path} with a reused key and another body: {reused.status_code}"
    assert "Idempotency-Key" in reused.get_json()["error"]["fields"]
    assert _changed(after_first, table_counts(app)) == {}, "a replay or a refused reuse changed the database"

    if race is not None:  # what one more request changes (a day's rollup row is made only once, ...)
        body = json() if callable(json) else json
        before = table_counts(app)
        single = api.post(path, json=body, headers={"Idempotency-Key": f"kit-{uuid.uuid4()}"})
        assert 200 <= single.status_code < 300, f"POST {path} again answered {single.status_code}: {single.get_json()}"
        acted = _changed(before, table_counts(app))
        body = json() if callable(json) else json
        before = table_counts(app)
        results = race(n, "POST", path, client=api, json=body, headers={"Idempotency-Key": f"kit-{uuid.uuid4()}"})
        succeeded = [r for r in results if 200 <= r.status < 300]
        assert succeeded, f"no request of the race succeeded: {results}"
        assert all(r.status == 409 and r.json["error"]["code"] == "idempotency_in_progress"
                   for r in results if r not in succeeded), results
        assert {(r.status, r.body) for r in succeeded} == {(succeeded[0].status, succeeded[0].body)}
        changed = _changed(before, table_counts(app))
        assert changed == acted, f"{n} requests with one key changed {changed}, one request {acted}"
    return first.get_json()

# --------------------------------------------------------------------------- erase: nothing left behind


def dump_database(url: str) -> str:
    """The whole database at `url` as SQL text: SQLite's `iterdump` of the file, or `pg_dump` for PostgreSQL.

    Only what is committed is in it. Use it to prove that an erase left no trace
    (`assert_nowhere_in_database`).
    """
    import sqlite3
    import subprocess

    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        connection = sqlite3.connect(str(parsed.database))
        try:
            return "\n".join(connection.iterdump())
        finally:
            connection.close()
    if parsed.get_backend_name() == "postgresql":
        libpq = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        binary = shutil.which("pg_dump") or "/usr/bin/pg_dump"
        done = subprocess.run([binary, "--no-owner", "--no-privileges", "--dbname", libpq],
                              capture_output=True, check=True, timeout=300)
        return done.stdout.decode("utf-8")
    raise ValueError(f"no dump for {parsed.get_backend_name()} databases")


def _forms(text: str) -> set[str]:
    """The ways `text` may be written in a dump: as is, JSON-escaped (`\\uXXXX`), with SQL quotes doubled."""
    import json

    return {form.casefold() for form in (text, json.dumps(text)[1:-1], json.dumps(text, ensure_ascii=False)[1:-1],
                                         text.replace("'", "''"))}


def traces_in(dump: str, strings: list[str] | tuple[str, ...] | set[str]) -> dict[str, str]:
    """Which of `strings` occur in `dump` (case-insensitively, in any form a dump writes them), each with
    the dump line where it was found."""
    lines = dump.casefold().splitlines()
    found: dict[str, str] = {}
    for text in strings:
        forms = _forms(text)
        for line in lines:
            if any(form in line for form in forms):
                found[text] = line[:300]
                break
    return found


@pytest.fixture
def database_dump(runtime: Any) -> Callable[[], str]:
    """`database_dump()` returns the test database as SQL text (SQLite `iterdump`, PostgreSQL `pg_dump`)."""
    url = runtime.engine.url.render_as_string(hide_password=False)
    return lambda: dump_database(url)


@pytest.fixture
def assert_nowhere_in_database(database_dump: Callable[[], str]) -> Callable[..., None]:
    """`assert_nowhere_in_database(strings)` fails, naming each string and the dump line holding it, when
    any of `strings` is still anywhere in the test database: the proof that an erase left nothing.

    Commit first: the dump sees only committed rows. Choose distinctive strings (at least six
    characters) so that no unrelated value matches."""

    def check(strings: list[str] | tuple[str, ...] | set[str]) -> None:
        short = [s for s in strings if len(s) < 6]
        assert not short, f"too short to search for safely: {short}"
        found = traces_in(database_dump(), strings)
        assert not found, "still in the database after the erase:\n" + "\n".join(
            f"  {text!r} in: {line}" for text, line in found.items())

    return check

# --------------------------------------------------------------------------- extreme dates

#: Dates no business uses, at and beyond what Python and the databases hold, and strings no
#: date parser should survive (year 0, year 10000).
EXTREME_DATES = ("0001-01-01", "9999-12-31", "1899-12-31", "2200-01-01", "0000-01-01", "10000-01-01")
#: The same as times, with the farthest offsets on both sides (they overflow on conversion).
EXTREME_DATETIMES = ("9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59.999999Z",
                     "0001-01-01T00:00:00Z", "9999-12-31T23:59:59+14:00", "0001-01-01T00:00:00-12:00",
                     "0000-01-01T00:00:00Z", "10000-01-01T00:00:00Z")
_NORMAL = {"date": "2020-06-15", "date-time": "2020-06-15T10:30:00+03:30"}


class DateTarget:
    """One date or date-time input of an operation: a query parameter or a body field (`path` of keys)."""

    def __init__(self, method: str, url: str, where: str, path: tuple[Any, ...], fmt: str) -> None:
        self.method, self.url, self.where, self.path, self.format = method, url, where, path, fmt

    def __repr__(self) -> str:
        return f"{self.method} {self.url} {self.where}:{'.'.join(map(str, self.path))} ({self.format})"


class DateProbe:
    """What `probe_extreme_dates` sent: every (target, value, status), and each target's baseline."""

    def __init__(self) -> None:
        self.results: list[tuple[DateTarget, str, int]] = []
        self.baselines: dict[str, int] = {}

    @property
    def failures(self) -> list[tuple[DateTarget, str, int]]:
        """Requests with an extreme value that were not refused with a 4xx (a 5xx, or accepted)."""
        return [(t, v, s) for t, v, s in self.results if not 400 <= s < 500]

    @property
    def reached(self) -> list[DateTarget]:
        """Targets whose request with a normal date was accepted (so the extremes reached the field)."""
        seen: dict[str, DateTarget] = {}
        for target, _value, _status in self.results:
            seen.setdefault(repr(target), target)
        return [t for key, t in seen.items() if self.baselines.get(key, 500) < 400]


def _resolve(schema: Any, document: dict[str, Any]) -> Any:
    while isinstance(schema, dict) and "$ref" in schema:
        node: Any = document
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def _types(schema: dict[str, Any]) -> list[str]:
    kind = schema.get("type", [])
    return [t for t in ([kind] if isinstance(kind, str) else kind) if t != "null"]


def _date_fields(schema: Any, document: dict[str, Any], path: tuple[Any, ...],
                 depth: int = 0) -> Iterator[tuple[tuple[Any, ...], str]]:
    schema = _resolve(schema, document)
    if not isinstance(schema, dict) or depth > 6:
        return
    if schema.get("format") in ("date", "date-time"):
        yield path, schema["format"]
    for key, sub in (schema.get("properties") or {}).items():
        yield from _date_fields(sub, document, (*path, key), depth + 1)
    if "items" in schema:
        yield from _date_fields(schema["items"], document, (*path, 0), depth + 1)
    for combined in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(combined, []):
            yield from _date_fields(sub, document, path, depth + 1)


def date_targets(document: dict[str, Any], include: str | None = None) -> list[DateTarget]:
    """Every date and date-time input (query parameters and JSON body fields) of an OpenAPI document."""
    found = []
    for url, operations in document.get("paths", {}).items():
        if include and not re.search(include, url):
            continue
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete") or not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                parameter = _resolve(parameter, document)
                schema = _resolve(parameter.get("schema", {}), document)
                if parameter.get("in") == "query" and schema.get("format") in ("date", "date-time"):
                    found.append(DateTarget(method.upper(), url, "query", (parameter["name"],), schema["format"]))
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            if body is not None:
                found += [DateTarget(method.upper(), url, "body", path, fmt) for path, fmt in _date_fields(body, document, ())]
    return found


def _sample(schema: Any, document: dict[str, Any], path_value: int, depth: int = 0) -> Any:
    """A small valid-looking value of `schema`: its example, default or first choice, else the simplest."""
    schema = _resolve(schema, document)
    if not isinstance(schema, dict) or depth > 6:
        return None
    for key in ("example", "default"):
        if key in schema and schema[key] is not None:
            return schema[key]
    if schema.get("examples"):
        return schema["examples"][0]
    if schema.get("enum"):
        return schema["enum"][0]
    if schema.get("format") in _NORMAL:
        return _NORMAL[schema["format"]]
    for combined in ("anyOf", "oneOf", "allOf"):
        if schema.get(combined):
            return _sample(schema[combined][0], document, path_value, depth + 1)
    kinds = _types(schema) or ["object" if "properties" in schema else "string"]
    if kinds[0] == "object":
        properties = schema.get("properties") or {}
        return {key: _sample(properties[key], document, path_value, depth + 1)
                for key in schema.get("required", []) if key in properties}
    if kinds[0] == "array":
        return [_sample(schema.get("items", {}), document, path_value, depth + 1)
                for _ in range(max(1, schema.get("minItems", 0)))]
    if kinds[0] in ("integer", "number"):
        return max(path_value, schema.get("minimum", path_value))
    if kinds[0] == "boolean":
        return False
    if schema.get("format") == "email":
        return "probe@example.com"
    return "x" * max(1, schema.get("minLength", 1))


def _put(body: Any, path: tuple[Any, ...], value: Any) -> Any:
    """`body` with `value` at `path` (creating objects and one-item lists on the way)."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(head, int):
        items = list(body) if isinstance(body, list) and body else [{}]
        items[0] = _put(items[0], rest, value)
        return items
    result = dict(body) if isinstance(body, dict) else {}
    result[head] = _put(result.get(head), rest, value)
    return result


def probe_extreme_dates(api: ApiClient, *, include: str | None = None, path_value: int = 1,
                        bodies: dict[tuple[str, str], dict[str, Any]] | None = None) -> DateProbe:
    """Send far dates to every date and date-time input of the app's OpenAPI document.

    For each target (see `date_targets`; `include` is a regular expression on the path) a
    request is built: path parameters set to `path_value`, the body from `bodies[(METHOD, url)]`
    when given, else a minimal body made of the schema's required fields. It is sent once with
    a normal date (the baseline, telling whether the field was reached) and once per value of
    `EXTREME_DATES` or `EXTREME_DATETIMES`. Returns a `DateProbe`: `failures` lists every
    extreme value that got a 5xx or was accepted; a passing API has none.
    """
    document = api.get("openapi.json").get_json()
    probe = DateProbe()
    for target in date_targets(document, include):
        operation = document["paths"][target.url][target.method.lower()]
        url = re.sub(r"\{[^}]+\}", str(path_value), target.url).removeprefix("/api/v1/")
        base: Any = None
        if "requestBody" in operation:
            schema = operation["requestBody"]["content"]["application/json"]["schema"]
            base = (bodies or {}).get((target.method, target.url)) or _sample(schema, document, path_value)
        values = EXTREME_DATES if target.format == "date" else EXTREME_DATETIMES
        for value in (_NORMAL[target.format], *values):
            kwargs: dict[str, Any] = {}
            if target.where == "query":
                kwargs["query_string"] = {target.path[0]: value}
            if base is not None:
                kwargs["json"] = _put(base, target.path, value) if target.where == "body" else base
            status = api._call(target.method, url, **kwargs).status_code
            if value == _NORMAL[target.format]:
                probe.baselines[repr(target)] = status
            else:
                probe.results.append((target, value, status))
    return probe


@pytest.fixture
def extreme_dates(api: ApiClient) -> Callable[..., DateProbe]:
    """`extreme_dates(include=r"^/api/v1/myplugin/")` probes every date input of the app's API with
    far dates as a superuser (see `probe_extreme_dates`); assert `.failures == []`."""
    return functools.partial(probe_extreme_dates, api)

# --------------------------------------------------------------------------- text kept, CSV round trips

#: Free text as a person types it in Persian: Persian and Arabic-Indic digits, a ZWNJ, a
#: thousands separator and punctuation. Entry points must store it exactly as sent.
PERSIAN_FREE_TEXT = "پیگیری سفارش ۱۲ و فاکتور ٣٤ — مبلغ ۱٬۲۵۰٬۰۰۰ ریال، تحویل‌شده (نسخه 2)"
#: Values a spreadsheet would run as formulas, and a value that starts with the guard itself:
#: an export must guard them and its import must give them back unchanged.
FORMULA_VALUES = ("=HYPERLINK(\"http://example.com\",\"x\")", "+1+1", "-2-2", "@SUM(A1)", "'quoted", "''twice")


def assert_text_kept(send: Callable[[str], Any], read: Callable[[Any], Any], text: str = PERSIAN_FREE_TEXT) -> None:
    """Assert that free text goes through an entry point unchanged (digits, letters, spaces).

    `send(text)` posts the text through a form or an API route and returns what identifies the
    stored row (e.g. the response); `read(that)` returns the stored text. Use it for every
    free-text field a person writes (summaries, notes, messages)::

        assert_text_kept(lambda t: api.post(url, json={"summary": t}).json,
                         lambda body: db_session.get(Interaction, body["id"]).summary)
    """
    stored = read(send(text))
    assert stored == text, f"free text was rewritten: sent {text!r}, stored {stored!r}"


def csv_cells(text: str, ignore: tuple[str, ...] = ()) -> list[dict[str, str]]:
    """The rows of a CSV text as `{header: cell}` dicts (a BOM dropped), without the `ignore` columns."""
    import csv
    import io

    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline="")))
    if not rows:
        return []
    header = rows[0]
    return [{h: cell for h, cell in zip(header, row, strict=False) if h not in ignore} for row in rows[1:]]


def assert_csv_round_trip(export: Callable[[], str], load: Callable[[str], Any], *,
                          reset: Callable[[], Any] | None = None, ignore: tuple[str, ...] = ()) -> str:
    """Assert that a CSV export imports back into the same data: export, `reset()` (e.g. empty
    the tables, as a fresh database), `load(text)` (the import), export again; the two files must
    be identical cell for cell, apart from the `ignore` columns (ids and times the database
    assigns). Returns the first export. Seed the data with `FORMULA_VALUES` and
    `PERSIAN_FREE_TEXT` so the formula guard and the digits are checked too."""
    first = export()
    if reset is not None:
        reset()
    load(first)
    second = export()
    before, after = csv_cells(first, ignore), csv_cells(second, ignore)
    assert len(before) == len(after), f"{len(before)} rows exported, {len(after)} after the round trip"
    for number, (old, new) in enumerate(zip(before, after, strict=False), start=1):
        for column, value in old.items():
            assert new.get(column) == value, (
                f"row {number}, column {column!r}: exported {value!r}, after the round trip {new.get(column)!r}")
    if not ignore:
        assert first == second, "the second export differs from the first"
    return first

# --------------------------------------------------------------------------- page checks
# Checks of rendered pages in both languages (user text isolated, one number format, no English
# left in Persian pages); pure functions, documented in `payvand.sdk.page_checks`.
from payvand.sdk.page_checks import (  # noqa: E402  (re-exported for tests: `from payvand.sdk.testing import ...`)
    assert_isolated as assert_isolated,
)
from payvand.sdk.page_checks import english_words as english_words  # noqa: E402
from payvand.sdk.page_checks import foreign_number_formats as foreign_number_formats  # noqa: E402
from payvand.sdk.page_checks import isolate as isolate  # noqa: E402
from payvand.sdk.page_checks import unisolated as unisolated  # noqa: E402
from payvand.sdk.page_checks import visible_text as visible_text  # noqa: E402

# --------------------------------------------------------------------------- number fields of staff forms

#: 1250 as people type it: Persian and Arabic-Indic digits, with and without grouping separators.
TYPED_NUMBERS = ("۱٬۲۵۰", "1,250", "١٬٢٥٠", "۱۲۵۰", "١،٢٥٠", " ۱٬۲۵۰ ")
#: Texts every number field refuses with the number rule's message: a comma that may be a decimal
#: mark, separators out of place, two decimal marks.
AMBIGUOUS_NUMBERS = ("1,5", "۱٬۲۵", "12,50", "1,2,3", "1٫2٫3", "1,2500")


def form_schemas(*packages: str) -> list[Any]:
    """Every staff-form schema class (a marshmallow Schema named `…Form`) defined in the modules of
    `packages` (e.g. "payvand.plugins.sales.views"), imported and found by walking them."""
    import importlib
    import inspect
    import pkgutil

    from marshmallow import Schema

    found: dict[str, Any] = {}
    for package_name in packages:
        package = importlib.import_module(package_name)
        names = [package_name] + [info.name for info in pkgutil.walk_packages(
            getattr(package, "__path__", []), prefix=package_name + ".")]
        for name in names:
            module = importlib.import_module(name)
            for _attr, cls in inspect.getmembers(module, inspect.isclass):
                if issubclass(cls, Schema) and cls.__module__ == name and cls.__name__.endswith("Form"):
                    found[f"{name}.{cls.__name__}"] = cls
    return [found[key] for key in sorted(found)]


def assert_number_fields_read(app: Any, schema: Any, *, plain: str = "1250",
                              typed: tuple[str, ...] = TYPED_NUMBERS,
                              refused: tuple[str, ...] = AMBIGUOUS_NUMBERS) -> list[str]:
    """Check every number field of the staff-form `schema` (found by `numeric_fields`) as
    `parse_form` reads it: each text of `typed` gives the same data and errors as `plain`, and each
    of `refused` gets the number rule's message (`NUMBER_MESSAGE`) on that field. Returns the
    names of the fields checked."""
    from payvand.core.web.forms import NUMBER_MESSAGE, numeric_fields, parse_form

    names = sorted(numeric_fields(schema))
    for name in names:
        def read(text: str, name: str = name) -> Any:
            with app.test_request_context("/", method="POST", data={name: text}):
                return parse_form(schema)

        expected = read(plain)
        for text in typed:
            got = read(text)
            assert (got.data, got.errors) == (expected.data, expected.errors), (type(schema).__name__, name, text)
        for text in refused:
            with app.test_request_context("/", method="POST", data={name: text}):
                message = str(NUMBER_MESSAGE)
                got = parse_form(schema)
            assert got.errors.get(name) == [message], (type(schema).__name__, name, text, got.errors)
    return names
