"""service FAQ bot and live help

Revision ID: service_0007
Revises: service_0006
Create Date: 2026-12-07 11:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import payvand.sdk

revision = 'service_0007'
down_revision = 'service_0006'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    """Apply this revision."""
    op.create_table('service_bot_event',
    sa.Column('id', _ID, nullable=False),
    sa.Column('conversation_id', _ID, nullable=False),
    sa.Column('message_id', _ID, nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=True),
    sa.Column('article_id', _ID, nullable=True),
    sa.Column('confidence', sa.Float(), nullable=True),
    sa.Column('agent_id', _ID, nullable=True),
    sa.Column('team_id', _ID, nullable=True),
    sa.Column('ticket_id', _ID, nullable=True),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('transcript', sa.Text(), nullable=True),
    sa.Column('created_at', payvand.sdk.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['core_user.id'], name=op.f('fk_service_bot_event_agent_id_core_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['article_id'], ['service_article.id'], name=op.f('fk_service_bot_event_article_id_service_article'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['conversation_id'], ['core_chat_conversation.id'], name=op.f('fk_service_bot_event_conversation_id_core_chat_conversation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['service_team.id'], name=op.f('fk_service_bot_event_team_id_service_team'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['service_ticket.id'], name=op.f('fk_service_bot_event_ticket_id_service_ticket'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_bot_event'))
    )
    with op.batch_alter_table('service_bot_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_bot_event_conversation_id_id'), ['conversation_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_bot_event_created_at_kind'), ['created_at', 'kind'], unique=False)

    op.create_table('service_live_chat',
    sa.Column('conversation_id', _ID, nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('team_id', _ID, nullable=True),
    sa.Column('assignee_id', _ID, nullable=True),
    sa.Column('ticket_id', _ID, nullable=True),
    sa.Column('handed_over_at', payvand.sdk.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', payvand.sdk.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assignee_id'], ['core_user.id'], name=op.f('fk_service_live_chat_assignee_id_core_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['conversation_id'], ['core_chat_conversation.id'], name=op.f('fk_service_live_chat_conversation_id_core_chat_conversation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['service_team.id'], name=op.f('fk_service_live_chat_team_id_service_team'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['service_ticket.id'], name=op.f('fk_service_live_chat_ticket_id_service_ticket'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('conversation_id', name=op.f('pk_service_live_chat'))
    )
    with op.batch_alter_table('service_live_chat', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_live_chat_state_assignee_id'), ['state', 'assignee_id'], unique=False)


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table('service_live_chat', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_live_chat_state_assignee_id'))
    op.drop_table('service_live_chat')
    with op.batch_alter_table('service_bot_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_bot_event_created_at_kind'))
        batch_op.drop_index(batch_op.f('ix_service_bot_event_conversation_id_id'))
    op.drop_table('service_bot_event')
