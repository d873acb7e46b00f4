"""The bulk path of the customer import on SQLite: secondary indexes deferred to the end.

A B-tree index costs a random page write per row while it grows past the page cache; built at
the end from sorted data it costs a fraction of that. So a first import into an empty or small
SQLite database (automatic: at most `AUTO_MAX_CUSTOMERS` customers and a file of at least
`AUTO_MIN_BYTES`; forced with `ImportOptions(bulk=True)` / `payvand import customers --bulk`):

1. takes the bulk lock, an exclusive `flock` on `<database>.bulk-lock` held for the whole load
   (the operating system releases it when the process dies, even on `kill -9`);
2. in one transaction, records the indexes it is about to drop — name and the exact `CREATE
   INDEX` text from `sqlite_master`, i.e. what the migrations created — in the setting
   `SETTING_KEY`, and drops them;
3. loads batch by batch exactly as the normal path does (each batch its own transaction, so a
   crash leaves whole batches), with the WAL bounded (the importer's `wal_autocheckpoint` at
   each commit; a passive checkpoint between batches should the WAL outgrow
   `journal_size_limit`, the size it is truncated back to);
4. recreates every recorded index from its recorded text, runs `ANALYZE` on the import's
   tables (`analysis_limit` keeps it short) and deletes the setting, in one transaction; then
   truncates the WAL and releases the lock.

Deferred: every non-unique index of the customer, tag and consent tables. Kept: the unique
constraints (`(customer_id, email)`, `(customer_id, number)`, the tag key) and the indexes the
import itself reads while it loads — `email`, `number` (the dedupe lookups) and consents by
customer (merges read a customer's consents) — so deduplication and merging are exactly the
normal path's.

After a crash the setting is still there and nobody holds the lock: `recover` (called by the
next import that is not a bulk one, `payvand db upgrade` and the web application's start)
recreates the recorded indexes that are missing and deletes the setting; a next bulk import
takes the record over instead (the indexes stay dropped and are built once, at its end).
While a bulk load runs (the lock held) another import is refused with `BulkImportRunning`;
the web application keeps serving (its reads are correct, only slower on the unindexed
columns, and its writes take turns with the batches under SQLite's write lock).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import fcntl
import json
import logging
import os
import time
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from payvand.core.locks import transaction_lock

log = logging.getLogger(__name__)

#: The setting that records the indexes a bulk load dropped (deleted when they are rebuilt).
SETTING_KEY = "import.sqlite_bulk.deferred_indexes"
#: The tables whose secondary indexes a bulk load defers.
TABLES = (
    "core_customer",
    "core_customer_email",
    "core_customer_phone",
    "core_customer_tag",
    "core_customer_consent",
)
#: Indexes the import reads while it loads (dedupe lookups, merges): never deferred.
KEPT_INDEXES = frozenset(
    {
        "ix_core_customer_email_email",
        "ix_core_customer_phone_number",
        "ix_core_customer_consent_customer_id_channel_purpose_recorded_at",
    }
)
#: Automatic bulk path: the database has at most this many customers ...
AUTO_MAX_CUSTOMERS = 10_000
#: ... and the file is at least this big (about 10,000 rows; below, rebuilding gains nothing).
AUTO_MIN_BYTES = 1 << 20
#: Rows per batch of a bulk load when the caller kept the default batch size.
BULK_BATCH = 10_000
#: Upper bound of the rows per batch of a bulk load, whatever `--batch-size` asks: peak RSS
#: grows with it (1,000,000 rows at 10,000 a batch: 371 MB under `/usr/bin/time -v`; the
#: budget is 400 MB).
MAX_BULK_BATCH = 10_000
#: The WAL file is truncated back to this size after a checkpoint (bytes).
JOURNAL_SIZE_LIMIT = 64 * 2**20
#: Rows `ANALYZE` samples per index (SQLite's `analysis_limit`): seconds, not minutes, on 10M rows.
ANALYSIS_LIMIT = 1000


class BulkImportRunning(RuntimeError):
    """Another bulk import holds this database's bulk lock; nothing was written."""


@dataclasses.dataclass(frozen=True)
class DeferredIndex:
    """An index dropped for a bulk load: its name, table and exact `CREATE INDEX` text."""

    name: str
    table: str
    sql: str


def database_file(connection: Connection | Engine) -> Path | None:
    """The SQLite database file of `connection`, or None (another database, or in memory)."""
    engine = connection if isinstance(connection, Engine) else connection.engine
    if engine.dialect.name != "sqlite":
        return None
    name = engine.url.database
    if not name or name == ":memory:" or name.startswith("file:"):
        return None
    return Path(name).resolve()


def lock_file(database: Path) -> Path:
    """The file whose `flock` is the bulk lock of `database`."""
    return database.with_name(database.name + ".bulk-lock")


class _Lock:
    """The bulk lock: an exclusive, non-blocking `flock` (released by the OS if the process dies)."""

    def __init__(self, database: Path) -> None:
        self.path = lock_file(database)
        self._handle: IO[str] | None = None

    def acquire(self) -> bool:
        """Take the lock; False when another process (or connection) holds it."""
        handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - closed by release()
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._handle = handle
        return True

    def release(self) -> None:
        """Let the lock go (the file stays: removing it could race with another taker)."""
        handle, self._handle = self._handle, None
        if handle is not None:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            handle.close()


def deferrable_indexes(connection: Connection) -> list[DeferredIndex]:
    """The indexes a bulk load drops: non-unique, explicit, on `TABLES`, not in `KEPT_INDEXES`."""
    marks = ", ".join("?" * len(TABLES))
    rows = connection.exec_driver_sql(
        "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        f"AND tbl_name IN ({marks}) ORDER BY name",
        TABLES,
    ).all()
    return [
        DeferredIndex(name, table, sql)
        for name, table, sql in rows
        if name not in KEPT_INDEXES and not sql.lstrip().upper().startswith("CREATE UNIQUE")
    ]


def recorded(connection: Connection) -> list[DeferredIndex] | None:
    """The indexes a bulk load recorded as dropped (None when no bulk load is pending)."""
    value = connection.exec_driver_sql(
        "SELECT value FROM core_setting WHERE key = ?", (SETTING_KEY,)
    ).scalar()
    if value is None:
        return None
    data = json.loads(value) if isinstance(value, str) else value
    return [DeferredIndex(i["name"], i["table"], i["sql"]) for i in data.get("indexes", [])]


def _existing(connection: Connection) -> set[str]:
    return set(
        connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'index'").scalars()
    )


def _rebuild(connection: Connection, indexes: list[DeferredIndex]) -> list[str]:
    """In the caller's transaction: create the missing recorded indexes, analyse, forget them."""
    present = _existing(connection)
    made = []
    for index in indexes:
        if index.name not in present:
            connection.exec_driver_sql(index.sql)
            made.append(index.name)
    connection.exec_driver_sql(f"PRAGMA analysis_limit = {ANALYSIS_LIMIT}")
    for table in sorted({i.table for i in indexes}):
        connection.exec_driver_sql(f"ANALYZE {table}")
    connection.exec_driver_sql("DELETE FROM core_setting WHERE key = ?", (SETTING_KEY,))
    return made


def running(connection: Connection) -> bool:
    """True while a bulk load of this database holds its lock (in any process)."""
    database = database_file(connection)
    if database is None:
        return False
    lock = _Lock(database)
    if lock.acquire():
        lock.release()
        return False
    return True


def recover(connection: Connection) -> list[str]:
    """Rebuild the indexes an interrupted bulk load left dropped; return the names recreated.

    Does nothing when no bulk load is recorded. Raises `BulkImportRunning` when one is
    recorded and still running (its lock held): its indexes come back when it ends.
    """
    database = database_file(connection)
    if database is None:
        return []
    if connection.in_transaction():
        connection.commit()
    if recorded(connection) is None:
        connection.rollback()
        return []
    connection.rollback()
    lock = _Lock(database)
    if not lock.acquire():
        raise BulkImportRunning(_running_message())
    try:
        transaction_lock(connection, SETTING_KEY)
        indexes = recorded(connection)  # again, under the write lock
        if indexes is None:
            connection.rollback()
            return []
        made = _rebuild(connection, indexes)
        connection.commit()
        log.warning("rebuilt %d indexes an interrupted bulk import had dropped: %s",
                    len(made), ", ".join(made) or "none missing")
        return made
    except BaseException:
        connection.rollback()
        raise
    finally:
        lock.release()


def recover_engine(engine: Engine) -> list[str]:
    """`recover` on a connection of `engine`, for start-up: a database not yet migrated, or a
    bulk load still running elsewhere, is left alone (logged)."""
    if database_file(engine) is None:
        return []
    try:
        with engine.connect() as connection:
            return recover(connection)
    except BulkImportRunning:
        log.warning("a bulk import is running: its indexes are rebuilt when it ends")
    except sa.exc.OperationalError as exc:  # e.g. no core_setting table yet
        log.debug("bulk import recovery skipped: %s", exc)
    return []


def _running_message() -> str:
    return (
        "a bulk import into this database is running (its secondary indexes are dropped until "
        "it ends); start this import when it has finished"
    )


def wanted(connection: Connection, requested: bool | None, file_bytes: int | None) -> bool:
    """Whether this import takes the bulk path: `requested`, or automatically when None."""
    if requested is False or connection.dialect.name != "sqlite":
        return False
    if database_file(connection) is None:
        return False
    if requested:
        return True
    if file_bytes is not None and file_bytes < AUTO_MIN_BYTES:
        return False
    customers = connection.exec_driver_sql(
        f"SELECT count(*) FROM (SELECT 1 FROM core_customer LIMIT {AUTO_MAX_CUSTOMERS + 1})"
    ).scalar_one()
    connection.rollback()
    return customers <= AUTO_MAX_CUSTOMERS


def batch_size(requested: int, default: int) -> int:
    """The batch size of a bulk load: `BULK_BATCH` for the default, else the caller's, bounded."""
    return min(BULK_BATCH if requested == default else requested, MAX_BULK_BATCH)


class BulkLoad:
    """One bulk load on the importer's connection: `start()` before the batches, `finish()` after.

    `after_batch()` is called after each committed batch (a passive checkpoint keeps the WAL
    bounded).
    """

    def __init__(self, connection: Connection) -> None:
        database = database_file(connection)
        if database is None:
            raise ValueError("the bulk path needs a SQLite database file")
        self.connection = connection
        self.wal = database.with_name(database.name + "-wal")
        self.checkpoints = 0
        self.lock = _Lock(database)
        self.dropped: list[DeferredIndex] = []
        self._restore: dict[str, Any] = {}
        self.rebuild_seconds = 0.0

    def start(self) -> None:
        """Take the lock, record and drop the indexes (with those an interrupted load left dropped)."""
        if not self.lock.acquire():
            raise BulkImportRunning(_running_message())
        connection = self.connection
        try:
            if connection.in_transaction():
                connection.commit()
            transaction_lock(connection, SETTING_KEY)
            # an earlier load died: its indexes stay dropped and are rebuilt with this load's
            stale = recorded(connection) or []
            present = deferrable_indexes(connection)
            self.dropped = sorted({i.name: i for i in [*stale, *present]}.values(), key=lambda i: i.name)
            connection.exec_driver_sql("DELETE FROM core_setting WHERE key = ?", (SETTING_KEY,))
            value = {
                "indexes": [dataclasses.asdict(i) for i in self.dropped],
                "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "pid": os.getpid(),
            }
            connection.exec_driver_sql(
                "INSERT INTO core_setting (key, value) VALUES (?, ?)",
                (SETTING_KEY, json.dumps(value, ensure_ascii=False)),
            )
            for index in present:
                connection.exec_driver_sql(f'DROP INDEX "{index.name}"')
            connection.commit()
            for name, setting in (("journal_size_limit", JOURNAL_SIZE_LIMIT),):
                self._restore[name] = connection.exec_driver_sql(f"PRAGMA {name}").scalar()
                connection.exec_driver_sql(f"PRAGMA {name} = {int(setting)}")
            connection.commit()  # no transaction left open: each batch's session commits its own
        except BaseException:
            if connection.in_transaction():
                connection.rollback()
            self.lock.release()
            raise

    def after_batch(self) -> None:
        """Between batches: checkpoint when the WAL has outgrown `JOURNAL_SIZE_LIMIT`.

        SQLite already checkpoints at each commit past the importer's `wal_autocheckpoint`
        pages (about 40 MB), which writes a page changed by many batches once; a reader holding
        an old snapshot can hold that back, so past the limit a checkpoint is asked again here.
        """
        if self.wal.exists() and self.wal.stat().st_size > JOURNAL_SIZE_LIMIT:
            self.connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
            self.connection.commit()
            self.checkpoints += 1

    def finish(self) -> None:
        """Recreate the dropped indexes, analyse, forget the record; truncate the WAL; unlock.

        If the database fails here the record stays, and `recover` finishes the work later.
        """
        connection = self.connection
        started = time.perf_counter()
        try:
            if connection.in_transaction():
                connection.rollback()
            transaction_lock(connection, SETTING_KEY)
            indexes = recorded(connection)
            if indexes is not None:
                _rebuild(connection, indexes)
            connection.commit()
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            for name, value in self._restore.items():
                connection.exec_driver_sql(f"PRAGMA {name} = {int(value)}")
            connection.commit()
        except BaseException:
            if connection.in_transaction():
                connection.rollback()
            raise
        finally:
            self.rebuild_seconds = time.perf_counter() - started
            self.lock.release()
