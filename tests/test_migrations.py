"""The migrations create exactly what the models declare, on SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from payvand.core.db import metadata


def test_core_migrations_match_the_models(runtime):
    with runtime.engine.connect() as connection:
        core_only = {  # plugin tables loaded by other tests (with FKs to core_*) are not the core's
            "compare_type": True,
            "include_object": lambda obj, name, type_, reflected, compare_to: type_ != "table" or name.startswith("core_"),
        }
        context = MigrationContext.configure(connection, opts=core_only)
        diff = [
            d for d in compare_metadata(context, metadata)
            if "core_" in repr(d)
        ]
    assert diff == []


def test_upgrade_is_idempotent(runtime):
    from payvand.core.migrations.runner import core_at_head, upgrade

    assert core_at_head(runtime.engine)
    upgrade(runtime.engine)
    assert core_at_head(runtime.engine)
