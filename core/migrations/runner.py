"""Running migrations: the core branch first, then each plugin's, in dependency order.

Each branch has its own version table, so disabling or removing a plugin never confuses
Alembic about the others.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

from payvand.core.plugins import InstalledPlugin, dependency_order

CORE_DIR = Path(__file__).parent


def branch_config(connection: Connection | None, plugin: InstalledPlugin | None = None) -> Config:
    """An Alembic config for the core branch or one plugin's branch."""
    config = Config()
    config.set_main_option("script_location", str(CORE_DIR))
    config.set_main_option("path_separator", "os")
    if plugin is None:
        config.set_main_option("version_locations", str(CORE_DIR / "versions"))
        config.attributes["version_table"] = "alembic_version"
    else:
        assert plugin.package_dir is not None
        config.set_main_option("version_locations", str(plugin.package_dir / "migrations" / "versions"))
        config.attributes["version_table"] = f"alembic_version_{plugin.name}"
        config.attributes["table_prefix"] = f"{plugin.name}_"
    config.attributes["connection"] = connection
    return config


def has_migrations(plugin: InstalledPlugin) -> bool:
    """True when the plugin ships a `migrations/versions` folder with revisions."""
    folder = plugin.package_dir / "migrations" / "versions" if plugin.package_dir else None
    return bool(folder and folder.is_dir() and any(folder.glob("*.py")))


_heads: dict[tuple[str, tuple[tuple[str, int, int], ...]], frozenset[str]] = {}


def script_heads(config: Config) -> frozenset[str]:
    """The head revisions of a branch's migration scripts.

    Alembic reads and imports every script of the branch to know its heads: remembered per
    process for as long as no file of the branch's folder changes (its names, sizes and
    modification times are the key), so building another app in the same process (a test's,
    a job's) does not read them again.
    """
    folder = Path(config.get_main_option("version_locations") or "")
    files = tuple(sorted((f.name, (st := f.stat()).st_size, st.st_mtime_ns) for f in folder.glob("*.py"))) \
        if folder.is_dir() else ()
    key = (str(folder), files)
    heads = _heads.get(key)
    if heads is None:
        heads = _heads[key] = frozenset(ScriptDirectory.from_config(config).get_heads())
    return heads


def _at_head(connection: Connection, config: Config) -> bool:
    context = MigrationContext.configure(connection, opts={"version_table": config.attributes["version_table"]})
    return set(context.get_current_heads()) == script_heads(config)


def applied_heads(engine: Engine, installed: dict[str, InstalledPlugin]) -> dict[str, bool]:
    """For each plugin with migrations, whether its branch is at head in this database."""
    result: dict[str, bool] = {}
    with engine.connect() as connection:
        for name, plugin in installed.items():
            if plugin.obj is not None and has_migrations(plugin):
                result[name] = _at_head(connection, branch_config(connection, plugin))
    return result


def core_at_head(engine: Engine) -> bool:
    """True when the core branch is fully applied."""
    with engine.connect() as connection:
        return _at_head(connection, branch_config(connection))


class ForeignKeyViolation(RuntimeError):
    """A migration left rows whose foreign keys point nowhere (SQLite): it was rolled back."""


@contextlib.contextmanager
def migrating(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction for running one branch's migrations.

    On SQLite the foreign keys are off while the migrations run: Alembic's batch mode changes a
    table by copying it and dropping the original, and with the keys on that drop deletes (or
    empties the keys of) every row of other tables that refers to it — a ticket table rebuilt
    would take every ticket entry with it. Before the commit, `PRAGMA foreign_key_check` must find
    nothing (else ForeignKeyViolation, and the transaction rolls back); then the keys are on again.
    """
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:  # outside any transaction: the pragma is ignored inside one
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            with connection.begin():
                yield connection
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise ForeignKeyViolation(f"rows with broken foreign keys: {broken[:5]}")
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


def upgrade(engine: Engine, plugins: Iterable[InstalledPlugin] = ()) -> list[str]:
    """Upgrade the core and then each given plugin's branch to head; return the branches run."""
    ran = ["core"]
    with migrating(engine) as connection:
        command.upgrade(branch_config(connection), "heads")
    for plugin in dependency_order(p for p in plugins if p.obj is not None and has_migrations(p)):
        with migrating(engine) as connection:
            command.upgrade(branch_config(connection, plugin), "heads")
        ran.append(plugin.name)
    return ran


def revision(message: str, plugin: InstalledPlugin | None, engine: Engine, *, autogenerate: bool = True) -> None:
    """Write a new revision for the core or a plugin (autogenerated against `engine`)."""
    with engine.begin() as connection:
        config = branch_config(connection, plugin)
        if plugin is not None:
            versions = plugin.package_dir / "migrations" / "versions"  # type: ignore[operator]
            versions.mkdir(parents=True, exist_ok=True)
            head = ScriptDirectory.from_config(config).get_heads()
            command.revision(
                config, message=message, autogenerate=autogenerate,
                head="heads" if head else "base",
                branch_label=None if head else plugin.name,
                version_path=str(versions),
            )
        else:
            command.revision(config, message=message, autogenerate=autogenerate)
