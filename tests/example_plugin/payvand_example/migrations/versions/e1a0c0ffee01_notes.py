"""payvand_example: the notes table.

Revision ID: e1a0c0ffee01
Revises:
Create Date: 2024-01-01 00:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "e1a0c0ffee01"
down_revision = None
branch_labels = ("payvand_example",)
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create `payvand_example_note`."""
    op.create_table(
        "payvand_example_note",
        sa.Column("id", BigId, nullable=False),
        sa.Column("customer_id", BigId, nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["core_customer.id"], ondelete="CASCADE",
                                name="fk_payvand_example_note_customer_id_core_customer"),
        sa.PrimaryKeyConstraint("id", name="pk_payvand_example_note"),
    )
    op.create_index("ix_payvand_example_note_customer_id", "payvand_example_note", ["customer_id"])


def downgrade() -> None:
    """Drop `payvand_example_note`."""
    op.drop_index("ix_payvand_example_note_customer_id", table_name="payvand_example_note")
    op.drop_table("payvand_example_note")
