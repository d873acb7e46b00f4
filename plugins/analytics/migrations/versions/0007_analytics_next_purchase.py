"""analytics next purchase: each customer's expected next purchase day in a CLV run

Revision ID: analytics_0007_next_purchase
Revises: analytics_0006_kpi_requests
Create Date: 2026-12-07 19:45:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'analytics_0007_next_purchase'
down_revision = 'analytics_0006_kpi_requests'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table('analytics_customer_clv') as batch:
        batch.add_column(sa.Column('next_purchase_on', sa.Date(), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('analytics_customer_clv') as batch:
        batch.drop_column('next_purchase_on')
