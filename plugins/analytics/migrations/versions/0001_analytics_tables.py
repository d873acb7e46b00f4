"""analytics tables

Revision ID: analytics_0001
Revises: 
Create Date: 2026-12-07 04:48:41.799276
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import payvand.sdk

revision = 'analytics_0001'
down_revision = None
branch_labels = ('analytics',)
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table('analytics_run',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('created_at', payvand.sdk.UTCDateTime(timezone=True), nullable=False),
    sa.Column('options', payvand.sdk.JSONText(), nullable=False),
    sa.Column('results', payvand.sdk.JSONText(), nullable=False),
    sa.Column('report', payvand.sdk.JSONText(), nullable=False),
    sa.Column('customers', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_analytics_run'))
    )
    with op.batch_alter_table('analytics_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_analytics_run_kind_id'), ['kind', 'id'], unique=False)

    op.create_table('analytics_customer_clv',
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('frequency', sa.Integer(), nullable=False),
    sa.Column('recency', sa.Float(), nullable=False),
    sa.Column('age', sa.Float(), nullable=False),
    sa.Column('monetary', sa.Float(), nullable=False),
    sa.Column('p_alive', sa.Float(), nullable=False),
    sa.Column('expected_purchases', sa.Float(), nullable=False),
    sa.Column('expected_spend', sa.Float(), nullable=False),
    sa.Column('clv', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['core_customer.id'], name=op.f('fk_analytics_customer_clv_customer_id_core_customer'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['analytics_run.id'], name=op.f('fk_analytics_customer_clv_run_id_analytics_run'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('run_id', 'customer_id', name=op.f('pk_analytics_customer_clv'))
    )
    with op.batch_alter_table('analytics_customer_clv', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_analytics_customer_clv_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_analytics_customer_clv_run_id_clv'), ['run_id', 'clv'], unique=False)

    op.create_table('analytics_customer_rfm',
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('recency_days', sa.Integer(), nullable=False),
    sa.Column('frequency', sa.Integer(), nullable=False),
    sa.Column('monetary', sa.Float(), nullable=False),
    sa.Column('r', sa.SmallInteger(), nullable=False),
    sa.Column('f', sa.SmallInteger(), nullable=False),
    sa.Column('m', sa.SmallInteger(), nullable=False),
    sa.Column('segment', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['core_customer.id'], name=op.f('fk_analytics_customer_rfm_customer_id_core_customer'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['analytics_run.id'], name=op.f('fk_analytics_customer_rfm_run_id_analytics_run'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('run_id', 'customer_id', name=op.f('pk_analytics_customer_rfm'))
    )
    with op.batch_alter_table('analytics_customer_rfm', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_analytics_customer_rfm_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_analytics_customer_rfm_run_id_segment'), ['run_id', 'segment'], unique=False)



def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('analytics_customer_rfm', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_analytics_customer_rfm_run_id_segment'))
        batch_op.drop_index(batch_op.f('ix_analytics_customer_rfm_customer_id'))

    op.drop_table('analytics_customer_rfm')
    with op.batch_alter_table('analytics_customer_clv', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_analytics_customer_clv_run_id_clv'))
        batch_op.drop_index(batch_op.f('ix_analytics_customer_clv_customer_id'))

    op.drop_table('analytics_customer_clv')
    with op.batch_alter_table('analytics_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_analytics_run_kind_id'))

    op.drop_table('analytics_run')
