"""Named locks held until the current transaction ends: one writer at a time for a piece of work.

`transaction_lock(session_or_connection, "payvand.import.customers")` makes every other
transaction asking for the same name wait until this one commits or rolls back, so a
check-then-insert done after it (look a key up, insert it when missing) sees everything the
previous holder committed.

- PostgreSQL: `pg_advisory_xact_lock` on a 64-bit key derived from the name (stable across
  processes and machines); other transactions and other names are not held up.
- SQLite has one writer for the whole database: the lock is its write lock, taken at once
  (`BEGIN IMMEDIATE` when no transaction is open, else a write that changes nothing). Every
  other writer waits for it, whatever name it asks for.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

__all__ = ["lock_key", "transaction_lock"]


def lock_key(name: str) -> int:
    """The signed 64-bit key of a lock name (the first 8 bytes of its BLAKE2b digest)."""
    digest = hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def transaction_lock(target: Session | Connection, name: str) -> None:
    """Wait for, then hold, the lock `name` until the current transaction of `target` ends.

    Call it before the reads that decide a write. Holding it twice in one transaction is
    harmless. On SQLite the wait is bounded by the connection's busy timeout.
    """
    connection = target.connection() if isinstance(target, Session) else target
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(name)})
        return
    if connection.dialect.name == "sqlite":
        raw = connection.connection.dbapi_connection
        if raw is not None and not getattr(raw, "in_transaction", True):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:  # a transaction is open (maybe only reading): a write takes the write lock now
            connection.exec_driver_sql("UPDATE core_setting SET key = key WHERE 0")
