"""service macros, article slugs

Revision ID: service_0004
Revises: service_0003
Create Date: 2026-12-07 11:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import payvand.sdk

revision = 'service_0004'
down_revision = 'service_0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision: the macro table and the knowledge-base articles' import slug."""
    op.create_table('service_macro',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('team_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('language', sa.String(length=8), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('set_status', sa.String(length=16), nullable=True),
    sa.Column('set_priority', sa.String(length=16), nullable=True),
    sa.Column('add_tags', payvand.sdk.JSONText(), nullable=False),
    sa.Column('created_at', payvand.sdk.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', payvand.sdk.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['service_team.id'], name=op.f('fk_service_macro_team_id_service_team'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_macro'))
    )
    with op.batch_alter_table('service_macro', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_macro_team_id_name'), ['team_id', 'name'], unique=False)
    with op.batch_alter_table('service_article', schema=None) as batch_op:
        batch_op.add_column(sa.Column('slug', sa.String(length=200), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_service_article_slug'), ['slug'])


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('service_article', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_service_article_slug'), type_='unique')
        batch_op.drop_column('slug')
    with op.batch_alter_table('service_macro', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_macro_team_id_name'))
    op.drop_table('service_macro')
