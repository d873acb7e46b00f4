"""service: the tickets' SLA clocks in a narrow 1:1 table (due moments, warning and breach marks)

Revision ID: service_0011_ticket_sla
Revises: service_0011_kbpg
Create Date: 2026-12-07 16:30:00

`service_ticket_sla` takes `first_response_due_at`, `next_response_due_at`, `resolution_due_at`,
`sla_warned` and `sla_breached` from `service_ticket` (one row per ticket, copied in one
statement), then the columns and their two indexes leave `service_ticket`. On PostgreSQL the new
table keeps half of each page free (`fillfactor` 50: a bulk recompute rewrites rows in place, as
HOT updates) and dropping a column only changes the catalogue. On SQLite the columns are dropped
with SQLite's own `ALTER TABLE … DROP COLUMN` (batch mode with `recreate="never"`): batch mode's
usual copy-and-rename would drop `service_ticket` with foreign keys enforced (`PRAGMA
foreign_keys=ON`, which cannot be turned off inside the migration's transaction), and that drop
deletes every row referencing a ticket (entries, tags, the new SLA rows) through `ON DELETE CASCADE`.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import payvand.sdk

revision = 'service_0011_ticket_sla'
down_revision = 'service_0011_kbpg'
branch_labels = None
depends_on = None

MOVED = ("first_response_due_at", "next_response_due_at", "resolution_due_at", "sla_warned", "sla_breached")
DUE_INDEXES = (("ix_service_ticket_resolution_due_at", "resolution_due_at"),
               ("ix_service_ticket_first_response_due_at", "first_response_due_at"))


def upgrade() -> None:
    """Apply this revision: create `service_ticket_sla`, copy every ticket's clock, drop the old columns."""
    op.create_table('service_ticket_sla',
    sa.Column('ticket_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('first_response_due_at', payvand.sdk.UTCDateTime(timezone=True), nullable=True),
    sa.Column('next_response_due_at', payvand.sdk.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolution_due_at', payvand.sdk.UTCDateTime(timezone=True), nullable=True),
    sa.Column('sla_warned', sa.Boolean(), nullable=False),
    sa.Column('sla_breached', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['service_ticket.id'],
                            name=op.f('fk_service_ticket_sla_ticket_id_service_ticket'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('ticket_id', name=op.f('pk_service_ticket_sla')),
    postgresql_with={"fillfactor": "50"},
    )
    false = "false" if op.get_bind().dialect.name == "postgresql" else "0"
    op.execute("INSERT INTO service_ticket_sla (ticket_id, first_response_due_at, next_response_due_at, "
               f"resolution_due_at, sla_warned, sla_breached) SELECT id, first_response_due_at, next_response_due_at, "
               f"resolution_due_at, COALESCE(sla_warned, {false}), COALESCE(sla_breached, {false}) FROM service_ticket")
    with op.batch_alter_table('service_ticket', schema=None, recreate="never") as batch_op:
        for name, _column in DUE_INDEXES:
            batch_op.drop_index(name)
        for column in MOVED:
            batch_op.drop_column(column)


def downgrade() -> None:
    """Revert this revision: the columns back on `service_ticket` with their values, the table dropped."""
    with op.batch_alter_table('service_ticket', schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column('first_response_due_at', payvand.sdk.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('next_response_due_at', payvand.sdk.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('resolution_due_at', payvand.sdk.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('sla_warned', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('sla_breached', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute("UPDATE service_ticket SET first_response_due_at = s.first_response_due_at, "
               "next_response_due_at = s.next_response_due_at, resolution_due_at = s.resolution_due_at, "
               "sla_warned = s.sla_warned, sla_breached = s.sla_breached "
               "FROM service_ticket_sla AS s WHERE s.ticket_id = service_ticket.id")
    with op.batch_alter_table('service_ticket', schema=None, recreate="never") as batch_op:
        for name, column in DUE_INDEXES:
            batch_op.create_index(name, [column], unique=False)
    op.drop_table('service_ticket_sla')
