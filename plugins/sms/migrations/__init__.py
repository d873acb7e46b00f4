"""Alembic migrations of the SMS plugin (its own branch and version table)."""
