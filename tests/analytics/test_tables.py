"""The analytics plugin's migrations create exactly the tables its models declare."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from payvand.core.db import metadata


def test_analytics_migrations_match_the_models(runtime):
    assert "analytics" in runtime.plugins.enabled
    with runtime.engine.connect() as connection:
        analytics_only = {
            "compare_type": True,
            "include_object": lambda obj, name, type_, reflected, compare_to: type_ != "table" or name.startswith("analytics_"),
        }
        context = MigrationContext.configure(connection, opts=analytics_only)
        diff = [d for d in compare_metadata(context, metadata) if "analytics_" in repr(d)]
    assert diff == []

