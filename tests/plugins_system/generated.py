"""Write small plugin packages into a folder and install them through real entry points."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path

from plugins_system.entrypoints import installed

MIGRATION = '''
"""{name}: create {name}_thing."""

import sqlalchemy as sa
from alembic import op

revision = "{revision}"
down_revision = None
branch_labels = ("{name}",)
depends_on = None


def upgrade():
    op.create_table("{name}_thing", sa.Column("id", sa.Integer, primary_key=True))


def downgrade():
    op.drop_table("{name}_thing")
'''


def write_plugin(folder: Path, name: str, source: str, *, migration: str | None = None,
                 modules: dict[str, str] | None = None) -> None:
    """Write package `name` (its `__init__.py` is `source`, other `modules` by file name), with one
    migration when `migration` is a revision id."""
    package = folder / name
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(source, encoding="utf-8")
    for filename, text in (modules or {}).items():
        (package / filename).write_text(text, encoding="utf-8")
    if migration:
        versions = package / "migrations" / "versions"
        versions.mkdir(parents=True)
        (versions / f"{migration}_thing.py").write_text(MIGRATION.format(name=name, revision=migration), encoding="utf-8")


@contextlib.contextmanager
def plugins_installed(folder: Path, sources: dict[str, str], *, migrations: dict[str, str] | None = None,
                      entry_names: dict[str, str] | None = None,
                      modules: dict[str, dict[str, str]] | None = None) -> Iterator[None]:
    """Write each plugin package and install them all as entry points; forget them afterwards.

    `entry_names` maps a package to another entry-point name (to test a mismatch); `modules`
    gives a package more modules (`{"owner": {"hookspecs.py": "..."}}`).
    """
    code = folder / "code"
    for name, source in sources.items():
        write_plugin(code, name, source, migration=(migrations or {}).get(name), modules=(modules or {}).get(name))
    entry_points = {(entry_names or {}).get(name, name): name for name in sources}
    try:
        with installed(folder / "dist", entry_points, code_paths=[code]):
            yield
    finally:
        for name in sources:
            for module in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
                del sys.modules[module]
