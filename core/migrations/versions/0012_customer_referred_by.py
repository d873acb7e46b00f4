"""customer referred by: `core_customer.referred_by_id`, who referred whom (issue 14, social value)

A self-reference to `core_customer` (SET NULL when the referrer row is deleted) with a partial
index on the rows that have a referrer.

Revision ID: c0e12referredby
Revises: 5ca1e0011a01
Create Date: 2026-12-07 13:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'c0e12referredby'
down_revision = '5ca1e0011a01'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the column, its foreign key and its partial index."""
    with op.batch_alter_table('core_customer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('referred_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                                      nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_core_customer_referred_by_id_core_customer'), 'core_customer',
                                    ['referred_by_id'], ['id'], ondelete='SET NULL')
    op.create_index('ix_core_customer_referred_by_id', 'core_customer', ['referred_by_id'], unique=False,
                    sqlite_where=sa.text('referred_by_id IS NOT NULL'),
                    postgresql_where=sa.text('referred_by_id IS NOT NULL'))


def downgrade() -> None:
    """Drop the index, the foreign key and the column."""
    op.drop_index('ix_core_customer_referred_by_id', table_name='core_customer',
                  sqlite_where=sa.text('referred_by_id IS NOT NULL'),
                  postgresql_where=sa.text('referred_by_id IS NOT NULL'))
    with op.batch_alter_table('core_customer', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_core_customer_referred_by_id_core_customer'), type_='foreignkey')
        batch_op.drop_column('referred_by_id')
