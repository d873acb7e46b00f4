"""core tables

Revision ID: 1452daee99fa
Revises: 
Create Date: 2026-11-26 08:07:23.726289
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import payvand.core.db

revision = '1452daee99fa'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the core tables."""

    op.create_table('core_outbox',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('hook', sa.String(length=64), nullable=False),
    sa.Column('payload', payvand.core.db.JSONText(), nullable=False),
    sa.Column('created_at', payvand.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', payvand.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', payvand.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('pending', payvand.core.db.JSONText(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_outbox'))
    )
    with op.batch_alter_table('core_outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_outbox_delivered_at_next_attempt_at'), ['delivered_at', 'next_attempt_at'], unique=False)

    op.create_table('core_permission',
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('plugin', sa.String(length=64), nullable=False),
    sa.Column('description', sa.String(length=250), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_core_permission'))
    )
    with op.batch_alter_table('core_permission', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_permission_plugin'), ['plugin'], unique=False)

    op.create_table('core_plugin_state',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('version', sa.String(length=32), nullable=True),
    sa.Column('installed_at', payvand.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('error_count', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('last_error_at', payvand.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('recent_errors', payvand.core.db.JSONText(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_core_plugin_state'))
    )
    op.create_table('core_role',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('description', sa.String(length=250), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_role')),
    sa.UniqueConstraint('name', name=op.f('uq_core_role_name'))
    )
    op.create_table('core_setting',
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('value', payvand.core.db.JSONText(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_core_setting'))
    )
    op.create_table('core_user',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('is_superuser', sa.Boolean(), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=True),
    sa.Column('created_at', payvand.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_user')),
    sa.UniqueConstraint('email', name=op.f('uq_core_user_email'))
    )
    op.create_table('core_api_token',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('scopes', payvand.core.db.JSONText(), nullable=False),
    sa.Column('created_at', payvand.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', payvand.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', payvand.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', payvand.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['core_user.id'], name=op.f('fk_core_api_token_user_id_core_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_api_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_core_api_token_token_hash'))
    )
    with op.batch_alter_table('core_api_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_api_token_user_id'), ['user_id'], unique=False)

    op.create_table('core_audit_log',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('at', payvand.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('actor_label', sa.String(length=254), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('object_type', sa.String(length=64), nullable=False),
    sa.Column('object_id', sa.String(length=64), nullable=True),
    sa.Column('before', payvand.core.db.JSONText(), nullable=True),
    sa.Column('after', payvand.core.db.JSONText(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['core_user.id'], name=op.f('fk_core_audit_log_actor_id_core_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_audit_log'))
    )
    with op.batch_alter_table('core_audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_audit_log_actor_id_at'), ['actor_id', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_audit_log_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_audit_log_object_type_object_id_at'), ['object_type', 'object_id', 'at'], unique=False)

    op.create_table('core_customer',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('given_name', sa.String(length=120), nullable=True),
    sa.Column('family_name', sa.String(length=120), nullable=True),
    sa.Column('organization_name', sa.String(length=200), nullable=True),
    sa.Column('display_name', sa.String(length=250), nullable=False),
    sa.Column('search_name', sa.String(length=250).with_variant(sa.String(length=250, collation='C'), 'postgresql'), nullable=False),
    sa.Column('search_name_alt', sa.String(length=250).with_variant(sa.String(length=250, collation='C'), 'postgresql'), nullable=False),
    sa.Column('birthday', sa.Date(), nullable=True),
    sa.Column('preferred_language', sa.String(length=8), nullable=True),
    sa.Column('preferred_channel', sa.String(length=32), nullable=True),
    sa.Column('lifecycle_stage', sa.String(length=16), nullable=False),
    sa.Column('owner_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('attributes', payvand.core.db.JSONText(), nullable=False),
    sa.Column('merged_into_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('erased_at', payvand.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', payvand.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', payvand.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['merged_into_id'], ['core_customer.id'], name=op.f('fk_core_customer_merged_into_id_core_customer'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_id'], ['core_user.id'], name=op.f('fk_core_customer_owner_id_core_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_customer'))
    )
    with op.batch_alter_table('core_customer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_customer_lifecycle_stage_id'), ['lifecycle_stage', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_customer_merged_into_id'), ['merged_into_id'], unique=False, sqlite_where=sa.text('merged_into_id IS NOT NULL'), postgresql_where=sa.text('merged_into_id IS NOT NULL'))
        batch_op.create_index(batch_op.f('ix_core_customer_owner_id_id'), ['owner_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_customer_search_name'), ['search_name'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_customer_search_name_alt'), ['search_name_alt'], unique=False)

    op.create_table('core_role_permission',
    sa.Column('role_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('permission', sa.String(length=120), nullable=False),
    sa.ForeignKeyConstraint(['role_id'], ['core_role.id'], name=op.f('fk_core_role_permission_role_id_core_role'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('role_id', 'permission', name=op.f('pk_core_role_permission'))
    )
    op.create_table('core_user_role',
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('role_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['role_id'], ['core_role.id'], name=op.f('fk_core_user_role_role_id_core_role'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['core_user.id'], name=op.f('fk_core_user_role_user_id_core_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'role_id', name=op.f('pk_core_user_role'))
    )
    op.create_table('core_customer_address',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('label', sa.String(length=32), nullable=True),
    sa.Column('line1', sa.String(length=250), nullable=False),
    sa.Column('line2', sa.String(length=250), nullable=True),
    sa.Column('city', sa.String(length=120), nullable=True),
    sa.Column('region', sa.String(length=120), nullable=True),
    sa.Column('postal_code', sa.String(length=20), nullable=True),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['core_customer.id'], name=op.f('fk_core_customer_address_customer_id_core_customer'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_customer_address'))
    )
    with op.batch_alter_table('core_customer_address', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_customer_address_customer_id'), ['customer_id'], unique=False)

    op.create_table('core_customer_consent',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('purpose', sa.String(length=32), nullable=False),
    sa.Column('granted', sa.Boolean(), nullable=False),
    sa.Column('recorded_at', payvand.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('source', sa.String(length=120), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['core_customer.id'], name=op.f('fk_core_customer_consent_customer_id_core_customer'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_customer_consent'))
    )
    with op.batch_alter_table('core_customer_consent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_customer_consent_customer_id_channel_purpose_recorded_at'), ['customer_id', 'channel', 'purpose', 'recorded_at'], unique=False)

    op.create_table('core_customer_email',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('email', sa.String(length=254).with_variant(sa.String(length=254, collation='C'), 'postgresql'), nullable=False),
    sa.Column('label', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['core_customer.id'], name=op.f('fk_core_customer_email_customer_id_core_customer'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_customer_email')),
    sa.UniqueConstraint('customer_id', 'email', name=op.f('uq_core_customer_email_customer_id_email'))
    )
    with op.batch_alter_table('core_customer_email', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_customer_email_email'), ['email'], unique=False)

    op.create_table('core_customer_merge',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('target_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('source_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('moves', payvand.core.db.JSONText(), nullable=False),
    sa.Column('target_before', payvand.core.db.JSONText(), nullable=False),
    sa.Column('merged_at', payvand.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('merged_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('undone_at', payvand.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['merged_by_id'], ['core_user.id'], name=op.f('fk_core_customer_merge_merged_by_id_core_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['source_id'], ['core_customer.id'], name=op.f('fk_core_customer_merge_source_id_core_customer'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['target_id'], ['core_customer.id'], name=op.f('fk_core_customer_merge_target_id_core_customer'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_customer_merge'))
    )
    with op.batch_alter_table('core_customer_merge', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_customer_merge_source_id'), ['source_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_customer_merge_target_id'), ['target_id'], unique=False)

    op.create_table('core_customer_phone',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('number', sa.String(length=20).with_variant(sa.String(length=20, collation='C'), 'postgresql'), nullable=False),
    sa.Column('label', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['core_customer.id'], name=op.f('fk_core_customer_phone_customer_id_core_customer'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_customer_phone')),
    sa.UniqueConstraint('customer_id', 'number', name=op.f('uq_core_customer_phone_customer_id_number'))
    )
    with op.batch_alter_table('core_customer_phone', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_customer_phone_number'), ['number'], unique=False)

    op.create_table('core_customer_tag',
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tag', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['core_customer.id'], name=op.f('fk_core_customer_tag_customer_id_core_customer'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('customer_id', 'tag', name=op.f('pk_core_customer_tag'))
    )
    with op.batch_alter_table('core_customer_tag', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_customer_tag_tag_customer_id'), ['tag', 'customer_id'], unique=False)

    op.create_table('core_interaction',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('direction', sa.String(length=16), nullable=False),
    sa.Column('occurred_at', payvand.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('summary', sa.String(length=500), nullable=False),
    sa.Column('value', payvand.core.db.ExactDecimal(precision=20, scale=4), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('source_type', sa.String(length=64), nullable=True),
    sa.Column('source_id', sa.String(length=64), nullable=True),
    sa.Column('payload', payvand.core.db.JSONText(), nullable=False),
    sa.Column('created_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', payvand.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['core_user.id'], name=op.f('fk_core_interaction_created_by_id_core_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['customer_id'], ['core_customer.id'], name=op.f('fk_core_interaction_customer_id_core_customer'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_interaction'))
    )
    with op.batch_alter_table('core_interaction', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_interaction_customer_id_occurred_at_id'), ['customer_id', 'occurred_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_interaction_kind_occurred_at'), ['kind', 'occurred_at'], unique=False)




def downgrade() -> None:
    """Drop the core tables."""

    with op.batch_alter_table('core_interaction', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_interaction_kind_occurred_at'))
        batch_op.drop_index(batch_op.f('ix_core_interaction_customer_id_occurred_at_id'))

    op.drop_table('core_interaction')
    with op.batch_alter_table('core_customer_tag', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_customer_tag_tag_customer_id'))

    op.drop_table('core_customer_tag')
    with op.batch_alter_table('core_customer_phone', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_customer_phone_number'))

    op.drop_table('core_customer_phone')
    with op.batch_alter_table('core_customer_merge', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_customer_merge_target_id'))
        batch_op.drop_index(batch_op.f('ix_core_customer_merge_source_id'))

    op.drop_table('core_customer_merge')
    with op.batch_alter_table('core_customer_email', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_customer_email_email'))

    op.drop_table('core_customer_email')
    with op.batch_alter_table('core_customer_consent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_customer_consent_customer_id_channel_purpose_recorded_at'))

    op.drop_table('core_customer_consent')
    with op.batch_alter_table('core_customer_address', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_customer_address_customer_id'))

    op.drop_table('core_customer_address')
    op.drop_table('core_user_role')
    op.drop_table('core_role_permission')
    with op.batch_alter_table('core_customer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_customer_search_name_alt'))
        batch_op.drop_index(batch_op.f('ix_core_customer_search_name'))
        batch_op.drop_index(batch_op.f('ix_core_customer_owner_id_id'))
        batch_op.drop_index(batch_op.f('ix_core_customer_merged_into_id'), sqlite_where=sa.text('merged_into_id IS NOT NULL'), postgresql_where=sa.text('merged_into_id IS NOT NULL'))
        batch_op.drop_index(batch_op.f('ix_core_customer_lifecycle_stage_id'))

    op.drop_table('core_customer')
    with op.batch_alter_table('core_audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_audit_log_object_type_object_id_at'))
        batch_op.drop_index(batch_op.f('ix_core_audit_log_at'))
        batch_op.drop_index(batch_op.f('ix_core_audit_log_actor_id_at'))

    op.drop_table('core_audit_log')
    with op.batch_alter_table('core_api_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_api_token_user_id'))

    op.drop_table('core_api_token')
    op.drop_table('core_user')
    op.drop_table('core_setting')
    op.drop_table('core_role')
    op.drop_table('core_plugin_state')
    with op.batch_alter_table('core_permission', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_permission_plugin'))

    op.drop_table('core_permission')
    with op.batch_alter_table('core_outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_outbox_delivered_at_next_attempt_at'))

    op.drop_table('core_outbox')

