"""consent grants index

Revision ID: f4f07331c001
Revises: 6b0c7711e308
Create Date: 2026-11-26 09:55:53.084379
"""

from __future__ import annotations

from alembic import op

revision = 'f4f07331c001'
down_revision = '6b0c7711e308'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Index consent grants by channel and purpose, for the customer list's consent filter."""
    with op.batch_alter_table('core_customer_consent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_customer_consent_channel_purpose_granted_customer_id'), ['channel', 'purpose', 'granted', 'customer_id'], unique=False)



def downgrade() -> None:
    """Drop the consent grants index."""
    with op.batch_alter_table('core_customer_consent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_customer_consent_channel_purpose_granted_customer_id'))

