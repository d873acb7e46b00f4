"""The bot's migration (service_0007) creates exactly the tables its models declare."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from payvand.core.db import metadata

BOT_TABLES = ("service_bot_event", "service_live_chat")


def test_the_bot_migration_matches_the_models(runtime):
    with runtime.engine.connect() as connection:
        only = {"compare_type": True,
                "include_object": lambda obj, name, type_, reflected, compare_to: type_ != "table" or name in BOT_TABLES}
        context = MigrationContext.configure(connection, opts=only)
        diff = [d for d in compare_metadata(context, metadata) if any(t in repr(d) for t in BOT_TABLES)]
    assert diff == []
