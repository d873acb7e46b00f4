"""PostgreSQL's lock view, for tests that hold a lock and wait for another transaction to queue."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa


def someone_waits_for_a_lock(runtime: Any) -> bool:
    """True when a transaction of the test database waits for an advisory lock (PostgreSQL)."""
    with runtime.engine.connect() as connection:
        return bool(
            connection.execute(
                sa.text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                    "AND database = (SELECT oid FROM pg_database "
                    "WHERE datname = current_database())"
                )
            ).scalar()
        )
