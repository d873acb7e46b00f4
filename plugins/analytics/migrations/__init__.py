"""Alembic migrations of the analytics plugin (its own branch and version table)."""
