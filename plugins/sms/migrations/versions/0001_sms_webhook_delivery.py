"""sms webhook deliveries

Revision ID: sms_0001
Revises:
Create Date: 2026-12-07 04:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import payvand.sdk

revision = 'sms_0001'
down_revision = None
branch_labels = ('sms',)
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table('sms_webhook_delivery',
    sa.Column('webhook_id', sa.String(length=200), nullable=False),
    sa.Column('received_at', payvand.sdk.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('webhook_id', name=op.f('pk_sms_webhook_delivery'))
    )
    with op.batch_alter_table('sms_webhook_delivery', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sms_webhook_delivery_received_at'), ['received_at'], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('sms_webhook_delivery', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sms_webhook_delivery_received_at'))
    op.drop_table('sms_webhook_delivery')
