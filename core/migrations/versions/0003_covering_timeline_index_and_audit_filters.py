"""covering timeline index and audit filters

Revision ID: 6b0c7711e308
Revises: 9bd256392e0d
Create Date: 2026-11-26 09:51:51.396805
"""

from __future__ import annotations

from alembic import op

revision = '6b0c7711e308'
down_revision = '9bd256392e0d'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Widen the timeline index to cover channel and kind; index audit filters by type and action."""
    with op.batch_alter_table('core_audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_audit_log_action_at'), ['action', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_audit_log_object_type_at'), ['object_type', 'at'], unique=False)

    with op.batch_alter_table('core_interaction', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_interaction_customer_id_occurred_at_id'))
        batch_op.create_index(batch_op.f('ix_core_interaction_customer_id_occurred_at_id_channel_kind'), ['customer_id', 'occurred_at', 'id', 'channel', 'kind'], unique=False)



def downgrade() -> None:
    """Restore the narrower timeline index; drop the audit filter indexes."""
    with op.batch_alter_table('core_interaction', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_interaction_customer_id_occurred_at_id_channel_kind'))
        batch_op.create_index(batch_op.f('ix_core_interaction_customer_id_occurred_at_id'), ['customer_id', 'occurred_at', 'id'], unique=False)

    with op.batch_alter_table('core_audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_audit_log_object_type_at'))
        batch_op.drop_index(batch_op.f('ix_core_audit_log_action_at'))

