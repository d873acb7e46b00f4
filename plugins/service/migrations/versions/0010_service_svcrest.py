"""service NPS send requests, per-year lunar holidays, article versions

Revision ID: service_0009_svcrest
Revises: service_0009_inbox_perf
Create Date: 2026-12-07 13:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import payvand.sdk

revision = 'service_0009_svcrest'
down_revision = 'service_0009_inbox_perf'
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
    op.create_table('service_article_version',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('article_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('category', sa.String(length=120), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('public', sa.Boolean(), nullable=False),
    sa.Column('saved_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('saved_at', payvand.sdk.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['service_article.id'],
                            name=op.f('fk_service_article_version_article_id_service_article'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['saved_by_id'], ['core_user.id'],
                            name=op.f('fk_service_article_version_saved_by_id_core_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_article_version')),
    sa.UniqueConstraint('article_id', 'version', name=op.f('uq_service_article_version_article_id_version'))
    )
    # the articles written so far: their current text is their first recorded version
    op.execute("INSERT INTO service_article_version (article_id, version, language, title, body, category, status, "
               "public, saved_at) SELECT id, version, language, title, body, category, status, public, updated_at "
               "FROM service_article")


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table('service_article_version')
    with op.batch_alter_table('service_calendar', schema=None) as batch_op:
        batch_op.drop_column('lunar_holidays')
    op.drop_table('service_holiday_year')
    with op.batch_alter_table('service_nps_send', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_nps_send_requested_at'))
    op.drop_table('service_nps_send')
