"""phone prefix index: (number, customer_id), so a phone-prefix search reads the index alone

Revision ID: c0e13phoneprefix
Revises: c0e12referredby
Create Date: 2026-12-07 15:00:00
"""

from __future__ import annotations

from alembic import op

revision = 'c0e13phoneprefix'
down_revision = 'c0e12referredby'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Rebuild the phone number index with the customer id as its second column."""
    op.drop_index('ix_core_customer_phone_number', table_name='core_customer_phone')
    op.create_index('ix_core_customer_phone_number', 'core_customer_phone', ['number', 'customer_id'], unique=False)


def downgrade() -> None:
    """Back to the index on the number alone."""
    op.drop_index('ix_core_customer_phone_number', table_name='core_customer_phone')
    op.create_index('ix_core_customer_phone_number', 'core_customer_phone', ['number'], unique=False)
