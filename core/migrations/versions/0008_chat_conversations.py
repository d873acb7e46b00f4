"""chat conversations: the web chat widget's visitor conversations (issue 12)

Revision ID: de0bcf085995
Revises: 6b9d38ab1688
Create Date: 2026-12-07 04:37:01.979438
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import payvand.core.db

revision = 'de0bcf085995'
down_revision = '6b9d38ab1688'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the chat conversation table."""
    op.create_table('core_chat_conversation',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('public_id', sa.String(length=40), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('thread_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('last_inbound_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('origin', sa.String(length=255), nullable=False),
    sa.Column('page', sa.String(length=500), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('unread', sa.Integer(), nullable=False),
    sa.Column('created_at', payvand.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_activity_at', payvand.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['core_customer.id'], name=op.f('fk_core_chat_conversation_customer_id_core_customer'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_chat_conversation')),
    sa.UniqueConstraint('public_id', name=op.f('uq_core_chat_conversation_public_id'))
    )
    with op.batch_alter_table('core_chat_conversation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_chat_conversation_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_chat_conversation_status_last_activity_at_id'), ['status', 'last_activity_at', 'id'], unique=False)



def downgrade() -> None:
    """Drop the chat conversation table."""
    with op.batch_alter_table('core_chat_conversation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_chat_conversation_status_last_activity_at_id'))
        batch_op.drop_index(batch_op.f('ix_core_chat_conversation_customer_id'))

    op.drop_table('core_chat_conversation')
