"""The core branch's Alembic revisions."""
