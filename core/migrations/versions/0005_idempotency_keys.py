"""idempotency keys

Revision ID: 13265aff31d9
Revises: f4f07331c001
Create Date: 2026-12-06 19:31:38.228701
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import payvand.core.db

revision = '13265aff31d9'
down_revision = 'f4f07331c001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the table of idempotency keys (`Idempotency-Key` on API writes)."""
    op.create_table('core_idempotency_key',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('principal', sa.String(length=64), nullable=False),
    sa.Column('method', sa.String(length=8), nullable=False),
    sa.Column('path', sa.String(length=1000), nullable=False),
    sa.Column('idem_key', sa.String(length=255), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('lock_token', sa.String(length=32), nullable=True),
    sa.Column('locked_at', payvand.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.Integer(), nullable=True),
    sa.Column('headers', payvand.core.db.JSONText(), nullable=True),
    sa.Column('body', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', payvand.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_idempotency_key')),
    sa.UniqueConstraint('principal', 'idem_key', 'method', 'path', name=op.f('uq_core_idempotency_key_principal_idem_key_method_path'))
    )
    with op.batch_alter_table('core_idempotency_key', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_idempotency_key_created_at'), ['created_at'], unique=False)



def downgrade() -> None:
    """Drop the table of idempotency keys."""
    with op.batch_alter_table('core_idempotency_key', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_idempotency_key_created_at'))

    op.drop_table('core_idempotency_key')
