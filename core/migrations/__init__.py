"""Alembic migrations: the core's branch here, each plugin's in its own `migrations/`."""
