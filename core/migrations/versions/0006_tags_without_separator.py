"""tags without the CSV separator

Revision ID: 6a1b7c0d9e26
Revises: 13265aff31d9
Create Date: 2026-12-06 20:45:00

`|` joins a customer's tags in CSV exports and splits them on import, so tags may no longer
hold it (the schemas refuse it). Tags stored before are rewritten with "/" in its place; a
rewritten tag the customer already has is dropped (it is the same label).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '6a1b7c0d9e26'
down_revision = '13265aff31d9'
branch_labels = None
depends_on = None

_TAGS = sa.table("core_customer_tag", sa.column("customer_id", sa.BigInteger()), sa.column("tag", sa.String(64)))


def upgrade() -> None:
    """Replace `|` in stored tags with "/" (dropping a rewritten tag the customer already has)."""
    bind = op.get_bind()
    rows = bind.execute(sa.select(_TAGS.c.customer_id, _TAGS.c.tag).where(_TAGS.c.tag.contains("|"))).all()
    for customer_id, tag in rows:
        new = tag.replace("|", "/")
        mine = sa.and_(_TAGS.c.customer_id == customer_id)
        taken = bind.execute(sa.select(sa.func.count()).select_from(_TAGS).where(mine, _TAGS.c.tag == new)).scalar()
        if taken:
            bind.execute(sa.delete(_TAGS).where(mine, _TAGS.c.tag == tag))
        else:
            bind.execute(sa.update(_TAGS).where(mine, _TAGS.c.tag == tag).values(tag=new))


def downgrade() -> None:
    """Nothing to undo: the old tags are not kept."""
