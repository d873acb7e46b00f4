"""service NPS send requests, per-year lunar holidays

Revision ID: service_0009_svcrest
Revises: service_0008
Create Date: 2026-12-07 13:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import payvand.sdk

revision = 'service_0009_svcrest'
down_revision = 'service_0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision: NPS send requests (a segment or a list, sent in the background), the
    per-year lunar holiday lists and the calendars' switch for them."""
    op.create_table('service_nps_send',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('campaign', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('filters', payvand.sdk.JSONText(), nullable=False),
    sa.Column('customer_ids', payvand.sdk.JSONText(), nullable=False),
    sa.Column('requested_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('requested_at', payvand.sdk.UTCDateTime(timezone=True), nullable=False),
    sa.Column('matching', sa.Integer(), nullable=False),
    sa.Column('sent', sa.Integer(), nullable=True),
    sa.Column('refused', sa.Integer(), nullable=True),
    sa.Column('skipped', sa.Integer(), nullable=True),
    sa.Column('finished_at', payvand.sdk.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['requested_by_id'], ['core_user.id'],
                            name=op.f('fk_service_nps_send_requested_by_id_core_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_nps_send'))
    )
    with op.batch_alter_table('service_nps_send', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_nps_send_requested_at'), ['requested_at'], unique=False)
    op.create_table('service_holiday_year',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('holidays', payvand.sdk.JSONText(), nullable=False),
    sa.Column('updated_at', payvand.sdk.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_holiday_year')),
    sa.UniqueConstraint('year', name=op.f('uq_service_holiday_year_year'))
    )
    with op.batch_alter_table('service_calendar', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lunar_holidays', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('service_calendar', schema=None) as batch_op:
        batch_op.drop_column('lunar_holidays')
    op.drop_table('service_holiday_year')
    with op.batch_alter_table('service_nps_send', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_nps_send_requested_at'))
    op.drop_table('service_nps_send')
