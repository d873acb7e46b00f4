"""service KB search stamp: one row that changes whenever an article's searchable fields do

The knowledge-base search keeps per-process caches (each word's candidate list); they hold while
`service_kb_stamp.stamp` is the value they were filled under. Triggers change it on every insert,
delete and update of `search_text`, `language`, `status` or `public`, whoever writes (the app,
an import, plain SQL). Every stamp, the first too, is random (`random()`: 52 bits on PostgreSQL,
64 on SQLite), so a stamp is not one seen before, even after a rollback or in a database
dropped and made again under the same address. The triggers write the row whether or not it is
there (an upsert), so a table emptied by hand only turns the caches off until the next change.

Revision ID: service_0011_kbpg
Revises: service_0009_svcrest
Create Date: 2026-12-07 16:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'service_0011_kbpg'
down_revision = 'service_0009_svcrest'
branch_labels = None
depends_on = None

_WATCHED = "search_text, language, status, public"
_RANDOM_PG = "CAST(floor((random() - 0.5) * 9.0e18) AS bigint)"
_POSTGRES_UP = [
    "CREATE FUNCTION service_kb_stamp_bump() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    f"INSERT INTO service_kb_stamp (id, stamp) VALUES (1, {_RANDOM_PG}) "
    "ON CONFLICT (id) DO UPDATE SET stamp = excluded.stamp; RETURN NULL; END $$",
    "CREATE TRIGGER service_article_kb_stamp AFTER INSERT OR DELETE OR TRUNCATE "
    f"OR UPDATE OF {_WATCHED} ON service_article FOR EACH STATEMENT EXECUTE FUNCTION service_kb_stamp_bump()",
]
_SQLITE_BUMP = "BEGIN INSERT OR REPLACE INTO service_kb_stamp (id, stamp) VALUES (1, random()); END"
_SQLITE_UP = [
    f"CREATE TRIGGER service_article_kb_stamp_ai AFTER INSERT ON service_article {_SQLITE_BUMP}",
    f"CREATE TRIGGER service_article_kb_stamp_ad AFTER DELETE ON service_article {_SQLITE_BUMP}",
    f"CREATE TRIGGER service_article_kb_stamp_au AFTER UPDATE OF {_WATCHED} ON service_article {_SQLITE_BUMP}",
]


def upgrade() -> None:
    """Apply this revision: the stamp table with its one row, and the triggers that change it."""
    op.create_table('service_kb_stamp',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('stamp', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_kb_stamp'))
    )
    postgres = op.get_bind().dialect.name == "postgresql"
    op.execute(f"INSERT INTO service_kb_stamp (id, stamp) VALUES (1, {_RANDOM_PG if postgres else 'random()'})")
    for statement in _POSTGRES_UP if postgres else _SQLITE_UP:
        op.execute(statement)


def downgrade() -> None:
    """Revert this revision."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER service_article_kb_stamp ON service_article")
        op.execute("DROP FUNCTION service_kb_stamp_bump()")
    else:
        for name in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER service_article_kb_stamp_{name}")
    op.drop_table('service_kb_stamp')
