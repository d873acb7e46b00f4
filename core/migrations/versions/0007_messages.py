"""messages: the send queue and inbox of every channel, attachments, receipts, suppressed addresses

Revision ID: 6b9d38ab1688
Revises: 6a1b7c0d9e26
Create Date: 2026-12-07 04:00:59.827123
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import payvand.core.db

revision = '6b9d38ab1688'
down_revision = '6a1b7c0d9e26'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the message tables (issue 12)."""
    op.create_table('core_suppression',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('address', sa.String(length=320), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('created_at', payvand.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_suppression')),
    sa.UniqueConstraint('channel', 'address', name=op.f('uq_core_suppression_channel_address'))
    )
    op.create_table('core_message',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('interaction_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('direction', sa.String(length=16), nullable=False),
    sa.Column('purpose', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('address', sa.String(length=320), nullable=False),
    sa.Column('subject', sa.String(length=500), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('html', sa.Text(), nullable=True),
    sa.Column('language', sa.String(length=16), nullable=True),
    sa.Column('reference', sa.String(length=255), nullable=False),
    sa.Column('provider_id', sa.String(length=255), nullable=True),
    sa.Column('reply_to_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('thread_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('source_type', sa.String(length=64), nullable=True),
    sa.Column('source_id', sa.String(length=64), nullable=True),
    sa.Column('idempotency_key', sa.String(length=200), nullable=True),
    sa.Column('headers', payvand.core.db.JSONText(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', payvand.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('claimed_until', payvand.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.Column('created_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', payvand.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', payvand.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('status_at', payvand.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['core_user.id'], name=op.f('fk_core_message_created_by_id_core_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['customer_id'], ['core_customer.id'], name=op.f('fk_core_message_customer_id_core_customer'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['interaction_id'], ['core_interaction.id'], name=op.f('fk_core_message_interaction_id_core_interaction'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['reply_to_id'], ['core_message.id'], name=op.f('fk_core_message_reply_to_id_core_message'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_message')),
    sa.UniqueConstraint('channel', 'direction', 'reference', name=op.f('uq_core_message_channel_direction_reference')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_core_message_idempotency_key'))
    )
    with op.batch_alter_table('core_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_message_channel_provider_id'), ['channel', 'provider_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_message_customer_id_created_at_id'), ['customer_id', 'created_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_message_source_type_source_id'), ['source_type', 'source_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_message_status_next_attempt_at'), ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_message_thread_id'), ['thread_id'], unique=False)

    op.create_table('core_message_attachment',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('message_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=127), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('content_id', sa.String(length=255), nullable=True),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['core_message.id'], name=op.f('fk_core_message_attachment_message_id_core_message'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_message_attachment'))
    )
    with op.batch_alter_table('core_message_attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_message_attachment_message_id'), ['message_id'], unique=False)

    op.create_table('core_message_receipt',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('message_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('occurred_at', payvand.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['core_message.id'], name=op.f('fk_core_message_receipt_message_id_core_message'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_message_receipt'))
    )
    with op.batch_alter_table('core_message_receipt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_message_receipt_message_id_occurred_at'), ['message_id', 'occurred_at'], unique=False)



def downgrade() -> None:
    """Drop the message tables."""
    with op.batch_alter_table('core_message_receipt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_message_receipt_message_id_occurred_at'))

    op.drop_table('core_message_receipt')
    with op.batch_alter_table('core_message_attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_message_attachment_message_id'))

    op.drop_table('core_message_attachment')
    with op.batch_alter_table('core_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_message_thread_id'))
        batch_op.drop_index(batch_op.f('ix_core_message_status_next_attempt_at'))
        batch_op.drop_index(batch_op.f('ix_core_message_source_type_source_id'))
        batch_op.drop_index(batch_op.f('ix_core_message_customer_id_created_at_id'))
        batch_op.drop_index(batch_op.f('ix_core_message_channel_provider_id'))

    op.drop_table('core_message')
    op.drop_table('core_suppression')
