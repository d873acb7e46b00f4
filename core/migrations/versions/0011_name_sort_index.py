"""name sort index: (search_name, id), including merged_into_id on PostgreSQL

Revision ID: 5ca1e0011a01
Revises: bdc63475a772
Create Date: 2026-12-07 11:05:00
"""

from __future__ import annotations

from alembic import op

revision = '5ca1e0011a01'
down_revision = 'bdc63475a772'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Rebuild the customer name index as the name sort's key, covering merged_into_id on PostgreSQL."""
    op.drop_index('ix_core_customer_search_name', table_name='core_customer')
    op.create_index('ix_core_customer_search_name', 'core_customer', ['search_name', 'id'], unique=False,
                    postgresql_include=['merged_into_id'])


def downgrade() -> None:
    """Back to the index on search_name alone."""
    op.drop_index('ix_core_customer_search_name', table_name='core_customer')
    op.create_index('ix_core_customer_search_name', 'core_customer', ['search_name'], unique=False)
