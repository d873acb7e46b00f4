"""customer timezone: a real `core_customer.timezone` column (IANA name) for quiet hours (issue 12)

Any valid `attributes.timezone` a customer already has is copied into the column (the
attribute itself is left as it was); a name zoneinfo does not know is not copied.

Revision ID: bdc63475a772
Revises: de0bcf085995
Create Date: 2026-12-07 11:10:00.000000
"""

from __future__ import annotations

import zoneinfo

import sqlalchemy as sa
from alembic import op

import payvand.core.db

revision = 'bdc63475a772'
down_revision = 'de0bcf085995'
branch_labels = None
depends_on = None

_BATCH = 1000


def _valid(name: object) -> str | None:
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > 64:
        return None
    try:
        zoneinfo.ZoneInfo(name.strip())
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None
    return name.strip()


def upgrade() -> None:
    """Add the column and copy the valid `attributes.timezone` values into it."""
    with op.batch_alter_table('core_customer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('timezone', sa.String(length=64), nullable=True))
    bind = op.get_bind()
    customer = sa.table('core_customer', sa.column('id', sa.BigInteger()),
                        sa.column('attributes', payvand.core.db.JSONText()), sa.column('timezone', sa.String()))
    if bind.dialect.name == "postgresql":
        has_zone = sa.text("core_customer.attributes ? 'timezone'")
    else:
        has_zone = sa.text("json_extract(core_customer.attributes, '$.timezone') IS NOT NULL")
    last = 0
    while True:
        rows = bind.execute(sa.select(customer.c.id, customer.c.attributes).where(has_zone, customer.c.id > last)
                            .order_by(customer.c.id).limit(_BATCH)).all()
        if not rows:
            break
        last = rows[-1].id
        for row in rows:
            zone = _valid((row.attributes or {}).get("timezone"))
            if zone is not None:
                bind.execute(sa.update(customer).where(customer.c.id == row.id).values(timezone=zone))


def downgrade() -> None:
    """Drop the column (the attribute values copied from were left in place)."""
    with op.batch_alter_table('core_customer', schema=None) as batch_op:
        batch_op.drop_column('timezone')
