"""sales tables

Revision ID: sales_0001
Revises: 
Create Date: 2026-12-07 13:39:41.758292
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import payvand.sdk

revision = 'sales_0001'
down_revision = None
branch_labels = ('sales',)
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table('sales_category',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('parent_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.ForeignKeyConstraint(['parent_id'], ['sales_category.id'], name=op.f('fk_sales_category_parent_id_sales_category'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_category'))
    )
    op.create_table('sales_counter',
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('kind', 'year', name=op.f('pk_sales_counter'))
    )
    op.create_table('sales_pipeline',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_pipeline')),
    sa.UniqueConstraint('name', name=op.f('uq_sales_pipeline_name'))
    )
    op.create_table('sales_price_list',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_price_list')),
    sa.UniqueConstraint('name', name=op.f('uq_sales_price_list_name'))
    )
    op.create_table('sales_reason',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('outcome', sa.String(length=8), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_reason')),
    sa.UniqueConstraint('outcome', 'name', name=op.f('uq_sales_reason_outcome_name'))
    )
    op.create_table('sales_rollup_state',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('zone', sa.String(length=64), nullable=False),
    sa.Column('rebuilt_at', payvand.sdk.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_sales_rollup_state'))
    )
    op.create_table('sales_scoring_rule',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('field', sa.String(length=64), nullable=False),
    sa.Column('operator', sa.String(length=16), nullable=False),
    sa.Column('value', sa.String(length=200), nullable=True),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', payvand.sdk.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_scoring_rule'))
    )
    op.create_table('sales_product',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('category_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('unit', sa.String(length=32), nullable=False),
    sa.Column('tax_class', sa.String(length=32), nullable=False),
    sa.Column('in_stock', sa.Boolean(), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=True),
    sa.Column('created_at', payvand.sdk.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['sales_category.id'], name=op.f('fk_sales_product_category_id_sales_category'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_product')),
    sa.UniqueConstraint('sku', name=op.f('uq_sales_product_sku'))
    )
    with op.batch_alter_table('sales_product', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sales_product_active_name'), ['active', 'name'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_product_category_id_id'), ['category_id', 'id'], unique=False)

    op.create_table('sales_stage',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('pipeline_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('probability', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=8), nullable=False),
    sa.ForeignKeyConstraint(['pipeline_id'], ['sales_pipeline.id'], name=op.f('fk_sales_stage_pipeline_id_sales_pipeline'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_stage')),
    sa.UniqueConstraint('pipeline_id', 'name', name=op.f('uq_sales_stage_pipeline_id_name'))
    )
    with op.batch_alter_table('sales_stage', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sales_stage_pipeline_id'), ['pipeline_id'], unique=False)

    op.create_table('sales_attachment',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('product_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('stored_path', sa.String(length=500), nullable=False),
    sa.Column('created_at', payvand.sdk.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['sales_product.id'], name=op.f('fk_sales_attachment_product_id_sales_product'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_attachment'))
    )
    with op.batch_alter_table('sales_attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sales_attachment_product_id'), ['product_id'], unique=False)

    op.create_table('sales_customer_key',
    sa.Column('external_id', sa.String(length=64), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['core_customer.id'], name=op.f('fk_sales_customer_key_customer_id_core_customer'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('external_id', name=op.f('pk_sales_customer_key'))
    )
    with op.batch_alter_table('sales_customer_key', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sales_customer_key_customer_id'), ['customer_id'], unique=False)

    op.create_table('sales_lead',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('given_name', sa.String(length=120), nullable=True),
    sa.Column('family_name', sa.String(length=120), nullable=True),
    sa.Column('organization_name', sa.String(length=200), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('campaign', sa.String(length=120), nullable=True),
    sa.Column('referrer', sa.String(length=500), nullable=True),
    sa.Column('utm', payvand.sdk.JSONText(), nullable=False),
    sa.Column('utm_source', sa.String(length=120), nullable=True),
    sa.Column('utm_medium', sa.String(length=120), nullable=True),
    sa.Column('utm_campaign', sa.String(length=120), nullable=True),
    sa.Column('consent', sa.Boolean(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('score_details', payvand.sdk.JSONText(), nullable=False),
    sa.Column('scored_at', payvand.sdk.UTCDateTime(timezone=True), nullable=True),
    sa.Column('owner_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', payvand.sdk.UTCDateTime(timezone=True), nullable=False),
    sa.Column('converted_at', payvand.sdk.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['core_customer.id'], name=op.f('fk_sales_lead_customer_id_core_customer'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_id'], ['core_user.id'], name=op.f('fk_sales_lead_owner_id_core_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_lead'))
    )
    with op.batch_alter_table('sales_lead', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sales_lead_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_lead_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_lead_family_name'), ['family_name'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_lead_given_name'), ['given_name'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_lead_organization_name'), ['organization_name'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_lead_owner_id_id'), ['owner_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_lead_phone'), ['phone'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_lead_score_id'), ['score', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_lead_source_id'), ['source', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_lead_status_id'), ['status', 'id'], unique=False)

    op.create_table('sales_price',
    sa.Column('price_list_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('product_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('unit_price', payvand.sdk.ExactDecimal(precision=20, scale=4), nullable=False),
    sa.ForeignKeyConstraint(['price_list_id'], ['sales_price_list.id'], name=op.f('fk_sales_price_price_list_id_sales_price_list'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['sales_product.id'], name=op.f('fk_sales_price_product_id_sales_product'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('price_list_id', 'product_id', name=op.f('pk_sales_price'))
    )
    with op.batch_alter_table('sales_price', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sales_price_product_id'), ['product_id'], unique=False)

    op.create_table('sales_product_day',
    sa.Column('product_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('quantity_milli', sa.BigInteger(), nullable=False),
    sa.Column('revenue_minor', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['sales_product.id'], name=op.f('fk_sales_product_day_product_id_sales_product'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('product_id', 'currency', 'day', name=op.f('pk_sales_product_day')),
    sqlite_with_rowid=False
    )
    op.create_table('sales_deal',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('pipeline_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('stage_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('lead_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('owner_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('amount', payvand.sdk.ExactDecimal(precision=20, scale=4), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('expected_close', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('reason_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', payvand.sdk.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', payvand.sdk.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['core_customer.id'], name=op.f('fk_sales_deal_customer_id_core_customer'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['lead_id'], ['sales_lead.id'], name=op.f('fk_sales_deal_lead_id_sales_lead'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_id'], ['core_user.id'], name=op.f('fk_sales_deal_owner_id_core_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['pipeline_id'], ['sales_pipeline.id'], name=op.f('fk_sales_deal_pipeline_id_sales_pipeline')),
    sa.ForeignKeyConstraint(['reason_id'], ['sales_reason.id'], name=op.f('fk_sales_deal_reason_id_sales_reason'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['stage_id'], ['sales_stage.id'], name=op.f('fk_sales_deal_stage_id_sales_stage')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_deal'))
    )
    with op.batch_alter_table('sales_deal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sales_deal_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_deal_lead_id'), ['lead_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_deal_owner_id_status_expected_close'), ['owner_id', 'status', 'expected_close'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_deal_stage_id_position_currency_amount'), ['stage_id', 'position', 'currency', 'amount'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_deal_status_closed_at'), ['status', 'closed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_deal_status_expected_close_currency_stage_id_amount'), ['status', 'expected_close', 'currency', 'stage_id', 'amount'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_deal_status_owner_id_currency_stage_id_amount'), ['status', 'owner_id', 'currency', 'stage_id', 'amount'], unique=False)

    op.create_table('sales_activity',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('deal_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('lead_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('owner_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('due_at', payvand.sdk.UTCDateTime(timezone=True), nullable=True),
    sa.Column('remind_at', payvand.sdk.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reminded_at', payvand.sdk.UTCDateTime(timezone=True), nullable=True),
    sa.Column('done_at', payvand.sdk.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', payvand.sdk.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['core_customer.id'], name=op.f('fk_sales_activity_customer_id_core_customer'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['deal_id'], ['sales_deal.id'], name=op.f('fk_sales_activity_deal_id_sales_deal'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['lead_id'], ['sales_lead.id'], name=op.f('fk_sales_activity_lead_id_sales_lead'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['owner_id'], ['core_user.id'], name=op.f('fk_sales_activity_owner_id_core_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_activity'))
    )
    with op.batch_alter_table('sales_activity', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sales_activity_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_activity_deal_id'), ['deal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_activity_done_at_due_at'), ['done_at', 'due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_activity_lead_id'), ['lead_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_activity_owner_id_done_at_due_at'), ['owner_id', 'done_at', 'due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_activity_remind_at'), ['remind_at'], unique=False)

    op.create_table('sales_deal_product',
    sa.Column('deal_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('product_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('quantity', payvand.sdk.ExactDecimal(precision=20, scale=4), nullable=False),
    sa.Column('unit_price', payvand.sdk.ExactDecimal(precision=20, scale=4), nullable=False),
    sa.ForeignKeyConstraint(['deal_id'], ['sales_deal.id'], name=op.f('fk_sales_deal_product_deal_id_sales_deal'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['sales_product.id'], name=op.f('fk_sales_deal_product_product_id_sales_product')),
    sa.PrimaryKeyConstraint('deal_id', 'product_id', name=op.f('pk_sales_deal_product'))
    )
    op.create_table('sales_deal_stage_change',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('deal_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('from_stage_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('to_stage_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('changed_at', payvand.sdk.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['deal_id'], ['sales_deal.id'], name=op.f('fk_sales_deal_stage_change_deal_id_sales_deal'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['from_stage_id'], ['sales_stage.id'], name=op.f('fk_sales_deal_stage_change_from_stage_id_sales_stage'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['to_stage_id'], ['sales_stage.id'], name=op.f('fk_sales_deal_stage_change_to_stage_id_sales_stage'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['core_user.id'], name=op.f('fk_sales_deal_stage_change_user_id_core_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_deal_stage_change'))
    )
    with op.batch_alter_table('sales_deal_stage_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sales_deal_stage_change_deal_id_id'), ['deal_id', 'id'], unique=False)

    op.create_table('sales_quote',
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('deal_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('price_list_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('sent_at', payvand.sdk.UTCDateTime(timezone=True), nullable=True),
    sa.Column('accepted_at', payvand.sdk.UTCDateTime(timezone=True), nullable=True),
    sa.Column('rejected_at', payvand.sdk.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reject_reason', sa.String(length=500), nullable=True),
    sa.Column('expired_at', payvand.sdk.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('subtotal', payvand.sdk.ExactDecimal(precision=20, scale=4), nullable=False),
    sa.Column('discount_total', payvand.sdk.ExactDecimal(precision=20, scale=4), nullable=False),
    sa.Column('tax_total', payvand.sdk.ExactDecimal(precision=20, scale=4), nullable=False),
    sa.Column('total', payvand.sdk.ExactDecimal(precision=20, scale=4), nullable=False),
    sa.Column('created_at', payvand.sdk.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['core_user.id'], name=op.f('fk_sales_quote_created_by_id_core_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['customer_id'], ['core_customer.id'], name=op.f('fk_sales_quote_customer_id_core_customer')),
    sa.ForeignKeyConstraint(['deal_id'], ['sales_deal.id'], name=op.f('fk_sales_quote_deal_id_sales_deal'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['price_list_id'], ['sales_price_list.id'], name=op.f('fk_sales_quote_price_list_id_sales_price_list'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_quote')),
    sa.UniqueConstraint('number', name=op.f('uq_sales_quote_number'))
    )
    with op.batch_alter_table('sales_quote', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sales_quote_created_by_id'), ['created_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_quote_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_quote_deal_id'), ['deal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_quote_status_id'), ['status', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_quote_status_valid_until'), ['status', 'valid_until'], unique=False)

    op.create_table('sales_order',
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('quote_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('owner_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('placed_at', payvand.sdk.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status_changed_at', payvand.sdk.UTCDateTime(timezone=True), nullable=True),
    sa.Column('external_number', sa.String(length=64), nullable=True),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('subtotal', payvand.sdk.ExactDecimal(precision=20, scale=4), nullable=False),
    sa.Column('discount_total', payvand.sdk.ExactDecimal(precision=20, scale=4), nullable=False),
    sa.Column('tax_total', payvand.sdk.ExactDecimal(precision=20, scale=4), nullable=False),
    sa.Column('total', payvand.sdk.ExactDecimal(precision=20, scale=4), nullable=False),
    sa.Column('created_at', payvand.sdk.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['core_user.id'], name=op.f('fk_sales_order_created_by_id_core_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['customer_id'], ['core_customer.id'], name=op.f('fk_sales_order_customer_id_core_customer')),
    sa.ForeignKeyConstraint(['owner_id'], ['core_user.id'], name=op.f('fk_sales_order_owner_id_core_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['quote_id'], ['sales_quote.id'], name=op.f('fk_sales_order_quote_id_sales_quote'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_order')),
    sa.UniqueConstraint('external_number', name=op.f('uq_sales_order_external_number')),
    sa.UniqueConstraint('number', name=op.f('uq_sales_order_number')),
    sa.UniqueConstraint('quote_id', name=op.f('uq_sales_order_quote_id'))
    )
    with op.batch_alter_table('sales_order', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sales_order_created_by_id'), ['created_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_order_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_order_owner_id_id'), ['owner_id', 'id'], unique=False)
        batch_op.create_index('ix_sales_order_revenue', ['status', 'placed_at', 'currency', 'total', 'owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_order_status_id'), ['status', 'id'], unique=False)

    op.create_table('sales_quote_line',
    sa.Column('quote_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('product_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('quantity', payvand.sdk.ExactDecimal(precision=20, scale=4), nullable=False),
    sa.Column('unit_price', payvand.sdk.ExactDecimal(precision=20, scale=4), nullable=False),
    sa.Column('discount', payvand.sdk.ExactDecimal(precision=20, scale=4), nullable=False),
    sa.Column('tax_rate', payvand.sdk.ExactDecimal(precision=20, scale=4), nullable=False),
    sa.Column('net', payvand.sdk.ExactDecimal(precision=20, scale=4), nullable=False),
    sa.Column('tax', payvand.sdk.ExactDecimal(precision=20, scale=4), nullable=False),
    sa.Column('total', payvand.sdk.ExactDecimal(precision=20, scale=4), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['sales_product.id'], name=op.f('fk_sales_quote_line_product_id_sales_product'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['quote_id'], ['sales_quote.id'], name=op.f('fk_sales_quote_line_quote_id_sales_quote'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_quote_line'))
    )
    with op.batch_alter_table('sales_quote_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sales_quote_line_quote_id'), ['quote_id'], unique=False)

    op.create_table('sales_invoice',
    sa.Column('order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('issued_at', payvand.sdk.UTCDateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.Date(), nullable=True),
    sa.Column('paid_total', payvand.sdk.ExactDecimal(precision=20, scale=4), nullable=False),
    sa.Column('voided_at', payvand.sdk.UTCDateTime(timezone=True), nullable=True),
    sa.Column('void_reason', sa.String(length=500), nullable=True),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('subtotal', payvand.sdk.ExactDecimal(precision=20, scale=4), nullable=False),
    sa.Column('discount_total', payvand.sdk.ExactDecimal(precision=20, scale=4), nullable=False),
    sa.Column('tax_total', payvand.sdk.ExactDecimal(precision=20, scale=4), nullable=False),
    sa.Column('total', payvand.sdk.ExactDecimal(precision=20, scale=4), nullable=False),
    sa.Column('created_at', payvand.sdk.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['core_customer.id'], name=op.f('fk_sales_invoice_customer_id_core_customer')),
    sa.ForeignKeyConstraint(['order_id'], ['sales_order.id'], name=op.f('fk_sales_invoice_order_id_sales_order'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_invoice')),
    sa.UniqueConstraint('number', name=op.f('uq_sales_invoice_number'))
    )
    with op.batch_alter_table('sales_invoice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sales_invoice_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_invoice_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_invoice_status_due_at'), ['status', 'due_at'], unique=False)
        batch_op.create_index('uq_sales_invoice_live_order_id', ['order_id'], unique=True, postgresql_where=sa.text("status <> 'void'"), sqlite_where=sa.text("status <> 'void'"))

    op.create_table('sales_order_line',
    sa.Column('order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('product_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('quantity', payvand.sdk.ExactDecimal(precision=20, scale=4), nullable=False),
    sa.Column('unit_price', payvand.sdk.ExactDecimal(precision=20, scale=4), nullable=False),
    sa.Column('discount', payvand.sdk.ExactDecimal(precision=20, scale=4), nullable=False),
    sa.Column('tax_rate', payvand.sdk.ExactDecimal(precision=20, scale=4), nullable=False),
    sa.Column('net', payvand.sdk.ExactDecimal(precision=20, scale=4), nullable=False),
    sa.Column('tax', payvand.sdk.ExactDecimal(precision=20, scale=4), nullable=False),
    sa.Column('total', payvand.sdk.ExactDecimal(precision=20, scale=4), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['sales_order.id'], name=op.f('fk_sales_order_line_order_id_sales_order'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['sales_product.id'], name=op.f('fk_sales_order_line_product_id_sales_product'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_order_line'))
    )
    with op.batch_alter_table('sales_order_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sales_order_line_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_order_line_product_id_order_id'), ['product_id', 'order_id'], unique=False)

    op.create_table('sales_order_line_return',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('order_line_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('reference', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('quantity', payvand.sdk.ExactDecimal(precision=20, scale=4), nullable=False),
    sa.Column('replacement_order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', payvand.sdk.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['sales_order.id'], name=op.f('fk_sales_order_line_return_order_id_sales_order'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['order_line_id'], ['sales_order_line.id'], name=op.f('fk_sales_order_line_return_order_line_id_sales_order_line'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['replacement_order_id'], ['sales_order.id'], name=op.f('fk_sales_order_line_return_replacement_order_id_sales_order'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_order_line_return')),
    sa.UniqueConstraint('order_line_id', 'reference', name=op.f('uq_sales_order_line_return_order_line_id_reference'))
    )
    with op.batch_alter_table('sales_order_line_return', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sales_order_line_return_order_id'), ['order_id'], unique=False)

    op.create_table('sales_payment',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('invoice_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('amount', payvand.sdk.ExactDecimal(precision=20, scale=4), nullable=False),
    sa.Column('method', sa.String(length=32), nullable=False),
    sa.Column('reference', sa.String(length=120), nullable=True),
    sa.Column('paid_at', payvand.sdk.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['invoice_id'], ['sales_invoice.id'], name=op.f('fk_sales_payment_invoice_id_sales_invoice'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_payment'))
    )
    with op.batch_alter_table('sales_payment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sales_payment_invoice_id'), ['invoice_id'], unique=False)



def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('sales_payment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sales_payment_invoice_id'))

    op.drop_table('sales_payment')
    with op.batch_alter_table('sales_order_line_return', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sales_order_line_return_order_id'))

    op.drop_table('sales_order_line_return')
    with op.batch_alter_table('sales_order_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sales_order_line_product_id_order_id'))
        batch_op.drop_index(batch_op.f('ix_sales_order_line_order_id'))

    op.drop_table('sales_order_line')
    with op.batch_alter_table('sales_invoice', schema=None) as batch_op:
        batch_op.drop_index('uq_sales_invoice_live_order_id', postgresql_where=sa.text("status <> 'void'"), sqlite_where=sa.text("status <> 'void'"))
        batch_op.drop_index(batch_op.f('ix_sales_invoice_status_due_at'))
        batch_op.drop_index(batch_op.f('ix_sales_invoice_order_id'))
        batch_op.drop_index(batch_op.f('ix_sales_invoice_customer_id'))

    op.drop_table('sales_invoice')
    with op.batch_alter_table('sales_quote_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sales_quote_line_quote_id'))

    op.drop_table('sales_quote_line')
    with op.batch_alter_table('sales_order', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sales_order_status_id'))
        batch_op.drop_index('ix_sales_order_revenue')
        batch_op.drop_index(batch_op.f('ix_sales_order_owner_id_id'))
        batch_op.drop_index(batch_op.f('ix_sales_order_customer_id'))
        batch_op.drop_index(batch_op.f('ix_sales_order_created_by_id'))

    op.drop_table('sales_order')
    with op.batch_alter_table('sales_quote', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sales_quote_status_valid_until'))
        batch_op.drop_index(batch_op.f('ix_sales_quote_status_id'))
        batch_op.drop_index(batch_op.f('ix_sales_quote_deal_id'))
        batch_op.drop_index(batch_op.f('ix_sales_quote_customer_id'))
        batch_op.drop_index(batch_op.f('ix_sales_quote_created_by_id'))

    op.drop_table('sales_quote')
    with op.batch_alter_table('sales_deal_stage_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sales_deal_stage_change_deal_id_id'))

    op.drop_table('sales_deal_stage_change')
    op.drop_table('sales_deal_product')
    with op.batch_alter_table('sales_activity', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sales_activity_remind_at'))
        batch_op.drop_index(batch_op.f('ix_sales_activity_owner_id_done_at_due_at'))
        batch_op.drop_index(batch_op.f('ix_sales_activity_lead_id'))
        batch_op.drop_index(batch_op.f('ix_sales_activity_done_at_due_at'))
        batch_op.drop_index(batch_op.f('ix_sales_activity_deal_id'))
        batch_op.drop_index(batch_op.f('ix_sales_activity_customer_id'))

    op.drop_table('sales_activity')
    with op.batch_alter_table('sales_deal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sales_deal_status_owner_id_currency_stage_id_amount'))
        batch_op.drop_index(batch_op.f('ix_sales_deal_status_expected_close_currency_stage_id_amount'))
        batch_op.drop_index(batch_op.f('ix_sales_deal_status_closed_at'))
        batch_op.drop_index(batch_op.f('ix_sales_deal_stage_id_position_currency_amount'))
        batch_op.drop_index(batch_op.f('ix_sales_deal_owner_id_status_expected_close'))
        batch_op.drop_index(batch_op.f('ix_sales_deal_lead_id'))
        batch_op.drop_index(batch_op.f('ix_sales_deal_customer_id'))

    op.drop_table('sales_deal')
    op.drop_table('sales_product_day')
    with op.batch_alter_table('sales_price', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sales_price_product_id'))

    op.drop_table('sales_price')
    with op.batch_alter_table('sales_lead', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sales_lead_status_id'))
        batch_op.drop_index(batch_op.f('ix_sales_lead_source_id'))
        batch_op.drop_index(batch_op.f('ix_sales_lead_score_id'))
        batch_op.drop_index(batch_op.f('ix_sales_lead_phone'))
        batch_op.drop_index(batch_op.f('ix_sales_lead_owner_id_id'))
        batch_op.drop_index(batch_op.f('ix_sales_lead_organization_name'))
        batch_op.drop_index(batch_op.f('ix_sales_lead_given_name'))
        batch_op.drop_index(batch_op.f('ix_sales_lead_family_name'))
        batch_op.drop_index(batch_op.f('ix_sales_lead_email'))
        batch_op.drop_index(batch_op.f('ix_sales_lead_customer_id'))

    op.drop_table('sales_lead')
    with op.batch_alter_table('sales_customer_key', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sales_customer_key_customer_id'))

    op.drop_table('sales_customer_key')
    with op.batch_alter_table('sales_attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sales_attachment_product_id'))

    op.drop_table('sales_attachment')
    with op.batch_alter_table('sales_stage', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sales_stage_pipeline_id'))

    op.drop_table('sales_stage')
    with op.batch_alter_table('sales_product', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sales_product_category_id_id'))
        batch_op.drop_index(batch_op.f('ix_sales_product_active_name'))

    op.drop_table('sales_product')
    op.drop_table('sales_scoring_rule')
    op.drop_table('sales_rollup_state')
    op.drop_table('sales_reason')
    op.drop_table('sales_price_list')
    op.drop_table('sales_pipeline')
    op.drop_table('sales_counter')
    op.drop_table('sales_category')
