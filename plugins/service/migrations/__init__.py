"""Alembic migrations of the service plugin (its own branch and version table)."""
