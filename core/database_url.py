"""Database URLs: which ones Payvand supports, how to show them, where a SQLite file lives."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

#: What to tell someone whose URL names a database or driver Payvand cannot use.
SUPPORTED = (
    "Payvand supports SQLite (sqlite:////path/to/payvand.sqlite3, nothing to install) and "
    "PostgreSQL (postgresql+psycopg://user:password@host:5432/name, driver: "
    "pip install 'payvand[postgres]')"
)

#: Backend name -> how to get a driver when its DBAPI module is missing.
_DRIVERS = {
    "sqlite": "use a Python built with its sqlite3 module",
    "postgresql": "use postgresql+psycopg://... and pip install 'payvand[postgres]'",
}


class DatabaseUrlError(ValueError):
    """A database URL Payvand cannot use; the message says which ones it can."""


def display_url(url: str) -> str:
    """A database URL fit to print: the password hidden."""
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def check_database_url(url: str) -> sa.URL:
    """Parse `url` and make sure its database and driver are supported and installed.

    Raises DatabaseUrlError naming the supported databases (and the driver to install)
    instead of the driver's ModuleNotFoundError.
    """
    try:
        parsed = sa.make_url(url)
    except ArgumentError:
        raise DatabaseUrlError(f"{url!r} is not a database URL; {SUPPORTED}") from None
    backend = parsed.get_backend_name()
    shown = parsed.render_as_string(hide_password=True)
    if backend not in _DRIVERS:
        raise DatabaseUrlError(f"{shown}: {backend} databases are not supported; {SUPPORTED}")
    try:
        dialect = parsed.get_dialect()
    except NoSuchModuleError:
        raise DatabaseUrlError(f"{shown}: unknown {backend} driver {parsed.get_driver_name()!r}; {SUPPORTED}") from None
    try:
        dialect.import_dbapi()
    except ImportError as exc:
        raise DatabaseUrlError(
            f"{shown}: the {backend} driver {dialect.driver!r} is not installed ({exc}); {_DRIVERS[backend]}"
        ) from None
    return parsed


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL points at (None for other databases and in-memory SQLite)."""
    try:
        parsed = sa.make_url(url)
    except ArgumentError:
        return None
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    if parsed.database.startswith("file:"):  # a URI filename (?uri=true)
        return None
    return Path(parsed.database).resolve()
