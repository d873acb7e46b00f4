"""The SDK's PostgreSQL test databases are emptied between tests whatever wrote the rows.

`payvand.sdk.testing` keeps one PostgreSQL database per worker and plugin set and, before each
test, deletes the rows of every table that holds any and sets back the sequences that moved.
It finds those tables by looking at the database, not by remembering what the test wrote, so
rows written by the ORM, by raw SQL, by `COPY`, by another thread and by another process are
all gone before the next test — and a table a migration adds is covered without a list to keep.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from typing import Any

import pytest
import sqlalchemy as sa

from payvand.sdk import testing


@pytest.fixture
def payvand_plugins() -> list[str]:
    """The sales plugin too, so its tables are among those checked."""
    return ["sales"]


def _public_tables(connection: sa.Connection) -> list[str]:
    return list(connection.execute(sa.text(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE 'alembic_version%'"
        " ORDER BY 1")).scalars())


def _rows(connection: sa.Connection, tables: list[str]) -> dict[str, int]:
    counts = {t: connection.execute(sa.text(f'SELECT count(*) FROM "{t}"')).scalar_one() for t in tables}
    return {t: n for t, n in counts.items() if n}


def _libpq(url: str) -> str:
    return sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def test_rows_written_every_way_never_reach_the_next_test(payvand_database, payvand_database_url, payvand_plugins,
                                                          runtime, make_customer, tmp_path) -> None:
    if payvand_database != "postgresql":
        pytest.skip("SQLite test databases are fresh copies of a template file")
    url = payvand_database_url
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        tables = _public_tables(connection)  # (the app wrote its permissions when it started)
    # every table of the schema, the sales plugin's and the outbox's included, is one the emptying looks at
    assert sorted(testing._pg_states[url].order) == tables

    make_customer(given_name="Orm")                                              # the ORM, this thread
    errors: list[BaseException] = []

    def in_a_thread() -> None:
        try:
            make_customer(given_name="Thread")                                   # another thread's connection
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    thread = threading.Thread(target=in_a_thread)
    thread.start()
    thread.join(60)
    assert not errors, errors
    with engine.begin() as connection:                                          # raw SQL, a self-referencing table
        connection.execute(sa.text("INSERT INTO sales_category (name) VALUES ('Parent')"))
        connection.execute(sa.text("INSERT INTO sales_category (name, parent_id)"
                                   " SELECT 'Child', id FROM sales_category WHERE name = 'Parent'"))
    raw: Any = engine.raw_connection()
    try:                                                                        # COPY
        with raw.driver_connection.cursor() as cursor, cursor.copy("COPY core_setting (key, value) FROM STDIN") as copy:
            copy.write_row(("test.copied", '"yes"'))
        raw.commit()
    finally:
        raw.close()
    script = ("import psycopg, sys\n"                                           # another process
              "with psycopg.connect(sys.argv[1]) as c:\n"
              "    c.execute(\"INSERT INTO core_outbox (hook, payload, created_at, attempts, next_attempt_at)"
              " VALUES ('test.hook', '{}', now(), 0, now())\")\n")
    subprocess.run([sys.executable, "-c", script, _libpq(url)], check=True, timeout=60)

    with engine.connect() as connection:
        written = _rows(connection, tables)
    assert {"core_customer", "sales_category", "core_setting", "core_outbox"} <= set(written), written
    assert written["core_customer"] >= 2
    runtime.engine.dispose()
    engine.dispose()

    # what the next test's `payvand_database_url` does: the same database, emptied
    assert testing._postgres_for_test(payvand_plugins, tmp_path / "migrate") == url
    with engine.connect() as connection:
        assert _rows(connection, tables) == {}
        assert testing._pg_sequences(connection) == testing._pg_states[url].sequences
        assert connection.execute(sa.text("SELECT nextval('core_customer_id_seq')")).scalar_one() == 1
    engine.dispose()


def test_a_changed_schema_is_migrated_afresh_for_the_next_test(payvand_database, payvand_database_url,
                                                              payvand_plugins, runtime, tmp_path) -> None:
    if payvand_database != "postgresql":
        pytest.skip("SQLite test databases are fresh copies of a template file")
    url = payvand_database_url
    runtime.engine.dispose()
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE stray (id serial PRIMARY KEY)"))
        connection.execute(sa.text("INSERT INTO stray DEFAULT VALUES"))
        connection.execute(sa.text("DROP TABLE sales_reason CASCADE"))
    engine.dispose()
    assert testing._postgres_for_test(payvand_plugins, tmp_path / "migrate") == url
    with engine.connect() as connection:
        tables = _public_tables(connection)
        assert "stray" not in tables and "sales_reason" in tables
        assert _rows(connection, tables) == {}
    engine.dispose()


def test_test_databases_commit_without_waiting_for_the_disk(payvand_database, payvand_database_url, runtime) -> None:
    """Every PostgreSQL test database (the worker's and each plugin set's) is set to
    `synchronous_commit = off`: a commit does not wait for an fsync (docs/dev/test-speed.md)."""
    if payvand_database != "postgresql":
        pytest.skip("a PostgreSQL setting")
    engine = sa.create_engine(payvand_database_url)
    try:
        with engine.connect() as connection:
            assert connection.execute(sa.text("SHOW synchronous_commit")).scalar_one() == "off"
    finally:
        engine.dispose()


def test_a_connection_kept_for_the_next_engine_carries_none_of_its_state(payvand_database, payvand_database_url,
                                                                         runtime) -> None:
    """A connection an engine closes is kept open for the next engine (a warm server process),
    reset: no setting, temporary table, advisory lock, listen, prepared statement or
    autocommit mode of the engine that used it before reaches the next (docs/dev/test-speed.md)."""
    if payvand_database != "postgresql":
        pytest.skip("PostgreSQL connections")
    used = sa.create_engine(payvand_database_url, isolation_level="AUTOCOMMIT")
    with used.connect() as connection:
        pid = connection.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        connection.execute(sa.text("SET statement_timeout = '1234ms'"))
        connection.execute(sa.text("SET synchronous_commit = on"))
        connection.execute(sa.text("CREATE TEMP TABLE leftover (id int)"))
        connection.execute(sa.text("SELECT pg_advisory_lock(4242)"))
        connection.execute(sa.text("LISTEN payvand_leftover"))
        connection.execute(sa.text("PREPARE leftover_plan AS SELECT 1"))
    used.dispose()
    following = sa.create_engine(payvand_database_url)
    try:
        with following.connect() as connection:
            assert connection.execute(sa.text("SELECT pg_backend_pid()")).scalar_one() == pid  # kept warm
            assert connection.execute(sa.text("SHOW statement_timeout")).scalar_one() == "0"
            assert connection.execute(sa.text("SHOW synchronous_commit")).scalar_one() == "off"  # the database's
            assert connection.execute(sa.text("SELECT to_regclass('pg_temp.leftover')")).scalar_one() is None
            assert connection.execute(sa.text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()")).scalar_one() == 0
            assert connection.execute(sa.text("SELECT count(*) FROM pg_listening_channels()")).scalar_one() == 0
            assert connection.execute(sa.text("SELECT count(*) FROM pg_prepared_statements")).scalar_one() == 0
            assert connection.connection.driver_connection.autocommit is False
            connection.execute(sa.text("INSERT INTO core_setting (key, value) VALUES ('leftover', '1')"))
            connection.rollback()
            assert connection.execute(sa.text("SELECT count(*) FROM core_setting WHERE key = 'leftover'")).scalar_one() == 0
    finally:
        following.dispose()


def test_test_apps_share_compiled_sql(payvand_database, payvand_database_url, runtime) -> None:
    """A statement compiled on one test app's engine is not compiled again on the next one's:
    the test kit keys the compiled-SQL cache by what the dialect compiles for (docs/dev/test-speed.md)."""
    from payvand.core.db import make_engine
    from payvand.core.models import Setting

    statement = sa.select(Setting.value).where(Setting.key == "payvand.test.shared")
    with runtime.engine.connect() as connection:
        connection.execute(statement).all()
    following = make_engine(payvand_database_url)
    testing._share_compiled_sql(following)
    try:
        with following.connect() as connection:
            result = connection.execute(statement)
            assert result.context.cache_hit == following.dialect.CACHE_HIT
            assert result.all() == []
    finally:
        following.dispose()
