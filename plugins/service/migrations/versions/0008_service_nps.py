"""service NPS responses, inbox saved views

Revision ID: service_0008
Revises: service_0007
Create Date: 2026-12-07 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import payvand.sdk

revision = 'service_0008'
down_revision = 'service_0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision: the NPS invitations and answers, the inbox's saved views."""
    op.create_table('service_nps_response',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('campaign', sa.String(length=64), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('message_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('sent_at', payvand.sdk.UTCDateTime(timezone=True), nullable=False),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('answered_at', payvand.sdk.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['core_customer.id'],
                            name=op.f('fk_service_nps_response_customer_id_core_customer'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_nps_response')),
    sa.UniqueConstraint('campaign', 'customer_id', name=op.f('uq_service_nps_response_campaign_customer_id'))
    )
    with op.batch_alter_table('service_nps_response', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_nps_response_answered_at'), ['answered_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_nps_response_customer_id'), ['customer_id'], unique=False)
    op.create_table('service_saved_view',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('owner_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('shared', sa.Boolean(), nullable=False),
    sa.Column('query', sa.String(length=2000), nullable=False),
    sa.Column('created_at', payvand.sdk.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['core_user.id'], name=op.f('fk_service_saved_view_owner_id_core_user'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_saved_view'))
    )
    with op.batch_alter_table('service_saved_view', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_saved_view_owner_id'), ['owner_id'], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('service_saved_view', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_saved_view_owner_id'))
    op.drop_table('service_saved_view')
    with op.batch_alter_table('service_nps_response', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_nps_response_customer_id'))
        batch_op.drop_index(batch_op.f('ix_service_nps_response_answered_at'))
    op.drop_table('service_nps_response')
