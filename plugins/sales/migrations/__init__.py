"""Alembic migrations of the sales plugin (its own branch and version table)."""
