"""analytics dashboard: personal and shared KPI dashboard layouts (with the scheduled mail), KPI snapshots

Revision ID: analytics_0004_dashboard
Revises: analytics_0004_costs
Create Date: 2026-12-07 13:50:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import payvand.sdk

revision = 'analytics_0004_dashboard'
down_revision = 'analytics_0004_costs'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table('analytics_dashboard_layout',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('widgets', payvand.sdk.JSONText(), nullable=False),
    sa.Column('period', sa.String(length=16), nullable=False),
    sa.Column('comparison', sa.String(length=16), nullable=False),
    sa.Column('mail_frequency', sa.String(length=8), nullable=False),
    sa.Column('mail_next_at', payvand.sdk.UTCDateTime(timezone=True), nullable=True),
    sa.Column('mail_last_at', payvand.sdk.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', payvand.sdk.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['core_user.id'], name=op.f('fk_analytics_dashboard_layout_user_id_core_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_analytics_dashboard_layout')),
    sa.UniqueConstraint('user_id', name=op.f('uq_analytics_dashboard_layout_user_id'))
    )
    with op.batch_alter_table('analytics_dashboard_layout', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_analytics_dashboard_layout_mail_next_at'), ['mail_next_at'], unique=False)

    op.create_table('analytics_kpi_snapshot',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('cache_key', sa.String(length=64), nullable=False),
    sa.Column('widget', sa.String(length=120), nullable=False),
    sa.Column('computed_at', payvand.sdk.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', payvand.sdk.UTCDateTime(timezone=True), nullable=False),
    sa.Column('data', payvand.sdk.JSONText(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_analytics_kpi_snapshot')),
    sa.UniqueConstraint('cache_key', name=op.f('uq_analytics_kpi_snapshot_cache_key'))
    )
    with op.batch_alter_table('analytics_kpi_snapshot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_analytics_kpi_snapshot_expires_at'), ['expires_at'], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('analytics_kpi_snapshot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_analytics_kpi_snapshot_expires_at'))

    op.drop_table('analytics_kpi_snapshot')
    with op.batch_alter_table('analytics_dashboard_layout', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_analytics_dashboard_layout_mail_next_at'))

    op.drop_table('analytics_dashboard_layout')
