"""analytics costs: costs, cost rates, customer profit and social value

Revision ID: analytics_0004_costs
Revises: analytics_0003
Create Date: 2026-12-07 13:22:33.783579
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import payvand.sdk

revision = 'analytics_0004_costs'
down_revision = 'analytics_0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table('analytics_cost',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('channel', sa.String(length=64), nullable=False),
    sa.Column('campaign', sa.String(length=120), nullable=False),
    sa.Column('amount', payvand.sdk.ExactDecimal(precision=20, scale=4), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('created_at', payvand.sdk.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', payvand.sdk.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_analytics_cost')),
    sa.UniqueConstraint('purpose', 'channel', 'campaign', 'period_start', 'period_end', 'currency', name='uq_analytics_cost_key')
    )
    with op.batch_alter_table('analytics_cost', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_analytics_cost_period_start_id'), ['period_start', 'id'], unique=False)

    op.create_table('analytics_cost_rate',
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('channel', sa.String(length=64), nullable=False),
    sa.Column('campaign', sa.String(length=120), nullable=False),
    sa.Column('customers', sa.Integer(), nullable=False),
    sa.Column('cost', sa.Float(), nullable=False),
    sa.Column('per_customer', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['analytics_run.id'], name=op.f('fk_analytics_cost_rate_run_id_analytics_run'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('run_id', 'month', 'purpose', 'channel', 'campaign', name=op.f('pk_analytics_cost_rate'))
    )
    op.create_table('analytics_customer_profit',
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('revenue', sa.Float(), nullable=False),
    sa.Column('margin', sa.Float(), nullable=False),
    sa.Column('tickets', sa.Integer(), nullable=False),
    sa.Column('service_cost', sa.Float(), nullable=False),
    sa.Column('acquisition_cost', sa.Float(), nullable=False),
    sa.Column('retention_cost', sa.Float(), nullable=False),
    sa.Column('profit', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['core_customer.id'], name=op.f('fk_analytics_customer_profit_customer_id_core_customer'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['analytics_run.id'], name=op.f('fk_analytics_customer_profit_run_id_analytics_run'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('run_id', 'customer_id', name=op.f('pk_analytics_customer_profit'))
    )
    with op.batch_alter_table('analytics_customer_profit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_analytics_customer_profit_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_analytics_customer_profit_run_id_rank'), ['run_id', 'rank'], unique=False)

    op.create_table('analytics_customer_social',
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('referrals', sa.Integer(), nullable=False),
    sa.Column('second_level', sa.Integer(), nullable=False),
    sa.Column('reach', sa.Float(), nullable=False),
    sa.Column('engagement', sa.Integer(), nullable=False),
    sa.Column('influence', sa.Float(), nullable=False),
    sa.Column('referrals_score', sa.Float(), nullable=False),
    sa.Column('reach_score', sa.Float(), nullable=False),
    sa.Column('engagement_score', sa.Float(), nullable=False),
    sa.Column('influence_score', sa.Float(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['core_customer.id'], name=op.f('fk_analytics_customer_social_customer_id_core_customer'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['analytics_run.id'], name=op.f('fk_analytics_customer_social_run_id_analytics_run'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('run_id', 'customer_id', name=op.f('pk_analytics_customer_social'))
    )
    with op.batch_alter_table('analytics_customer_social', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_analytics_customer_social_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_analytics_customer_social_run_id_rank'), ['run_id', 'rank'], unique=False)



def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('analytics_customer_social', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_analytics_customer_social_run_id_rank'))
        batch_op.drop_index(batch_op.f('ix_analytics_customer_social_customer_id'))

    op.drop_table('analytics_customer_social')
    with op.batch_alter_table('analytics_customer_profit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_analytics_customer_profit_run_id_rank'))
        batch_op.drop_index(batch_op.f('ix_analytics_customer_profit_customer_id'))

    op.drop_table('analytics_customer_profit')
    op.drop_table('analytics_cost_rate')
    with op.batch_alter_table('analytics_cost', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_analytics_cost_period_start_id'))

    op.drop_table('analytics_cost')
