"""The service plugin's migrations create exactly the tables its models declare."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from payvand.core.db import metadata


def _full_text_index(name: str | None) -> bool:
    """The knowledge base's full-text objects, made by migration service_0006 only (the FTS5
    tables on SQLite, the generated tsvector column and its GIN index on PostgreSQL)."""
    return bool(name) and (name.startswith("service_article_fts") or name in ("search_tsv",
                                                                              "ix_service_article_search_tsv"))


def test_service_migrations_match_the_models(runtime):
    assert "service" in runtime.plugins.enabled
    with runtime.engine.connect() as connection:
        service_only = {
            "compare_type": True,
            "include_object": lambda obj, name, type_, reflected, compare_to: (
                (type_ != "table" or name.startswith("service_")) and not _full_text_index(name)),
        }
        context = MigrationContext.configure(connection, opts=service_only)
        diff = [d for d in compare_metadata(context, metadata) if "service_" in repr(d)]
    assert diff == []
