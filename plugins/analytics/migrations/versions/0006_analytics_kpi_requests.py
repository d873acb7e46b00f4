"""analytics KPI requests: shared dashboard widgets computed in the background (one per snapshot key)

Revision ID: analytics_0006_kpi_requests
Revises: analytics_0004_dashboard
Create Date: 2026-12-07 16:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import payvand.sdk

revision = 'analytics_0006_kpi_requests'
down_revision = 'analytics_0004_dashboard'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table('analytics_kpi_request',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('cache_key', sa.String(length=64), nullable=False),
    sa.Column('plugin', sa.String(length=80), nullable=False),
    sa.Column('widget', sa.String(length=120), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('calendar', sa.String(length=16), nullable=False),
    sa.Column('first_day', sa.Date(), nullable=False),
    sa.Column('last_day', sa.Date(), nullable=False),
    sa.Column('comparison_first', sa.Date(), nullable=True),
    sa.Column('comparison_last', sa.Date(), nullable=True),
    sa.Column('requested_at', payvand.sdk.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_analytics_kpi_request')),
    sa.UniqueConstraint('cache_key', name=op.f('uq_analytics_kpi_request_cache_key'))
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table('analytics_kpi_request')
