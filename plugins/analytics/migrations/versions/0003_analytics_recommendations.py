"""analytics recommendations: the products of a fit and their kept neighbours

Revision ID: analytics_0003
Revises: analytics_0002
Create Date: 2026-12-07 10:50:35.431770
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'analytics_0003'
down_revision = 'analytics_0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table('analytics_item_neighbour',
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('product_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('neighbour_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['analytics_run.id'], name=op.f('fk_analytics_item_neighbour_run_id_analytics_run'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('run_id', 'product_id', 'neighbour_id', name=op.f('pk_analytics_item_neighbour'))
    )
    op.create_table('analytics_item_stat',
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('product_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('buyers', sa.Integer(), nullable=False),
    sa.Column('popularity_rank', sa.Integer(), nullable=False),
    sa.Column('unit_price', sa.Float(), nullable=True),
    sa.Column('category', sa.String(length=120), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['analytics_run.id'], name=op.f('fk_analytics_item_stat_run_id_analytics_run'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('run_id', 'product_id', name=op.f('pk_analytics_item_stat'))
    )
    with op.batch_alter_table('analytics_item_stat', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_analytics_item_stat_run_id_popularity_rank'), ['run_id', 'popularity_rank'], unique=False)



def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('analytics_item_stat', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_analytics_item_stat_run_id_popularity_rank'))

    op.drop_table('analytics_item_stat')
    op.drop_table('analytics_item_neighbour')
