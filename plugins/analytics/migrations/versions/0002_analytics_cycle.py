"""analytics: the e-CRM cycle snapshot (analytics_customer_stage)

Revision ID: analytics_0002
Revises: analytics_0001
Create Date: 2026-12-07 11:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'analytics_0002'
down_revision = 'analytics_0001'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    """Apply this revision."""
    op.create_table('analytics_customer_stage',
    sa.Column('run_id', _ID, nullable=False),
    sa.Column('customer_id', _ID, nullable=False),
    sa.Column('stage', sa.String(length=16), nullable=False),
    sa.Column('purchase_days', sa.Integer(), nullable=False),
    sa.Column('products', sa.Integer(), nullable=False),
    sa.Column('spend_last_year', sa.Float(), nullable=False),
    sa.Column('spend_year_before', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['core_customer.id'],
                            name=op.f('fk_analytics_customer_stage_customer_id_core_customer'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['analytics_run.id'],
                            name=op.f('fk_analytics_customer_stage_run_id_analytics_run'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('run_id', 'customer_id', name=op.f('pk_analytics_customer_stage'))
    )
    with op.batch_alter_table('analytics_customer_stage', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_analytics_customer_stage_run_id_stage'), ['run_id', 'stage'], unique=False)
        batch_op.create_index(batch_op.f('ix_analytics_customer_stage_customer_id'), ['customer_id'], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table('analytics_customer_stage')
