"""What every CLI module shares: the lazily built Runtime and a clean error type."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from sqlalchemy.exc import SQLAlchemyError

from payvand.core.current import set_cli_runtime

F = TypeVar("F", bound=Callable[..., Any])


class CliError(click.ClickException):
    """A user-facing error: printed as one line, exit status 1."""


class CliEnv:
    """The configuration and Runtime of one CLI invocation, built on first use.

    Commands only read unless they are marked with `creates_database` (`init`, `demo`,
    `db upgrade`): a reading command never makes the instance folder, a secret key or a
    SQLite file, and says so when there is no database. Every command that opens the
    database prints which one on standard error ("Database: ...", password hidden).
    """

    def __init__(self, overrides: dict[str, Any]) -> None:
        self.overrides = overrides
        self.creates = False
        self._runtime: Any = None
        self._config: dict[str, Any] | None = None

    @property
    def config(self) -> dict[str, Any]:
        """The merged configuration (defaults, environment, command-line options)."""
        if self._config is None:
            from payvand.core.config import build_config

            self._config = build_config(self.overrides, create_instance=False)
        return self._config

    @property
    def database_url(self) -> str:
        """The URL of this invocation's database."""
        return str(self.config["PAYVAND_DATABASE_URL"])

    def missing_database(self) -> Path | None:
        """The SQLite file this invocation would use when it does not exist yet, else None."""
        from payvand.core.database_url import sqlite_file

        path = sqlite_file(self.database_url)
        return path if path is not None and not path.exists() else None

    def allow_create(self) -> None:
        """Let this invocation make the instance folder, its secret key and the database."""
        self.creates = True

    @property
    def runtime(self) -> Any:
        """The Runtime (engine, plugins) with the enabled plugins active."""
        if self._runtime is None:
            from payvand.core.database_url import DatabaseUrlError, check_database_url, display_url
            from payvand.core.runtime import Runtime

            try:
                check_database_url(self.database_url)
            except DatabaseUrlError as exc:
                raise CliError(str(exc)) from None
            missing = self.missing_database()
            if missing is not None and not self.creates:
                raise CliError(no_database_message(missing))
            if self.creates:  # the URL is sound: now make the instance folder and its secret key
                from payvand.core.config import build_config

                self._config = build_config(self.overrides, create_instance=True)
                if missing is not None:
                    missing.parent.mkdir(parents=True, exist_ok=True)
            click.echo(f"Database: {display_url(self.database_url)}", err=True)
            self._runtime = Runtime(self.config)
            self._runtime.activate_plugins()
        return self._runtime

    def require_schema(self) -> None:
        """Fail with a clear message when the database has not been migrated yet."""
        if not self.runtime.schema_ready():
            raise CliError("the database is not initialised: run `payvand init` (or `payvand db upgrade`) first")


def no_database_message(path: Path) -> str:
    """What a reading command says when the SQLite file it would read does not exist."""
    return (f"no database at {path}: run `payvand init` to create one there, or point to an existing one "
            "with --instance / PAYVAND_INSTANCE or --database-url / PAYVAND_DATABASE_URL")


def creates_database(function: F) -> F:
    """Mark a command (taking the CliEnv first) as one that may create the instance and database."""

    @functools.wraps(function)
    def wrapper(env: CliEnv, *args: Any, **kwargs: Any) -> Any:
        env.allow_create()
        return function(env, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def get_env(ctx: click.Context) -> CliEnv:
    """The CliEnv of this invocation, created from the root group's options."""
    root = ctx.find_root()
    if root.obj is None:
        root.obj = {"overrides": {}}
    env = root.obj.get("env")
    if env is None:
        env = root.obj["env"] = CliEnv(root.obj.get("overrides", {}))
    return env


set_cli_runtime(lambda ctx: get_env(ctx).runtime)  # SDK calls inside a command find its Runtime


def pass_env(function: F) -> F:
    """Decorator: pass the CliEnv as the first argument."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return function(get_env(click.get_current_context()), *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def one_line(exc: BaseException) -> str:
    """The first meaningful line of an exception (database errors span several)."""
    original = getattr(exc, "orig", None) or exc
    text = str(original).strip() or type(original).__name__
    return text.splitlines()[0].strip()


def friendly_errors(function: F) -> F:
    """Turn database and OS errors of a command (taking the CliEnv first) into one-line
    `CliError`s, and close the command's database connections when it ends."""

    @functools.wraps(function)
    def wrapper(env: CliEnv, *args: Any, **kwargs: Any) -> Any:
        try:
            return function(env, *args, **kwargs)
        except SQLAlchemyError as exc:
            raise CliError(f"database error: {one_line(exc)}") from None
        except OSError as exc:
            raise CliError(one_line(exc)) from None
        finally:
            runtime = getattr(env, "_runtime", None)
            if runtime is not None:
                runtime.engine.dispose()

    return wrapper  # type: ignore[return-value]


def require_ready(env: CliEnv) -> None:
    """Refuse to go on unless the database is migrated to the core's head."""
    from payvand.core.migrations.runner import core_at_head

    env.require_schema()
    if not core_at_head(env.runtime.engine):
        raise CliError("the database needs migrating: run `payvand db upgrade` first")
