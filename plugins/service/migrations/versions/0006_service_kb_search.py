"""service knowledge-base search: full-text engines, solutions, feedback, missed searches

SQLite: an FTS5 external-content table over service_article.search_text kept by triggers.
PostgreSQL: a generated tsvector column ('simple' configuration) with a GIN index.
Existing articles get their search text again (stems, see services/kb_text.py).

Revision ID: service_0006
Revises: service_0005
Create Date: 2026-12-07 11:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import payvand.sdk

revision = 'service_0006'
down_revision = 'service_0005'
branch_labels = None
depends_on = None

_SQLITE_UP = [
    "CREATE VIRTUAL TABLE service_article_fts USING fts5(search_text, content='service_article', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 0')",
    "CREATE TRIGGER service_article_fts_ai AFTER INSERT ON service_article BEGIN "
    "INSERT INTO service_article_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER service_article_fts_ad AFTER DELETE ON service_article BEGIN "
    "INSERT INTO service_article_fts(service_article_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER service_article_fts_au AFTER UPDATE OF search_text ON service_article BEGIN "
    "INSERT INTO service_article_fts(service_article_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO service_article_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
]
_POSTGRES_UP = [
    "ALTER TABLE service_article ADD COLUMN search_tsv tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, search_text)) STORED",
    "CREATE INDEX ix_service_article_search_tsv ON service_article USING gin (search_tsv)",
    # Enough most-common-word statistics that the planner knows a rare word is rare: it then
    # takes the GIN index, instead of walking the primary key through every article.
    "ALTER TABLE service_article ALTER COLUMN search_tsv SET STATISTICS 1000",
]


def upgrade() -> None:
    """Apply this revision."""
    from payvand.plugins.service.services.kb_text import index_text

    op.create_table('service_article_feedback',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('article_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('helpful', sa.Boolean(), nullable=False),
    sa.Column('created_at', payvand.sdk.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['service_article.id'], name=op.f('fk_service_article_feedback_article_id_service_article'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_article_feedback'))
    )
    op.create_index(op.f('ix_service_article_feedback_article_id'), 'service_article_feedback', ['article_id'], unique=False)
    op.create_table('service_article_solution',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('article_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('ticket_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', payvand.sdk.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['service_article.id'], name=op.f('fk_service_article_solution_article_id_service_article'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ticket_id'], ['service_ticket.id'], name=op.f('fk_service_article_solution_ticket_id_service_ticket'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_article_solution')),
    sa.UniqueConstraint('article_id', 'ticket_id', name=op.f('uq_service_article_solution_article_id_ticket_id'))
    )
    op.create_index(op.f('ix_service_article_solution_article_id'), 'service_article_solution', ['article_id'], unique=False)
    op.create_index(op.f('ix_service_article_solution_ticket_id'), 'service_article_solution', ['ticket_id'], unique=False)
    op.create_table('service_kb_search_miss',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('term', sa.String(length=200), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('created_at', payvand.sdk.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_kb_search_miss'))
    )
    op.create_index(op.f('ix_service_kb_search_miss_term_language'), 'service_kb_search_miss', ['term', 'language'], unique=False)

    bind = op.get_bind()
    article = sa.table('service_article', sa.column('id'), sa.column('title'), sa.column('body'),
                       sa.column('search_text'))
    for row in bind.execute(sa.select(article.c.id, article.c.title, article.c.body)).all():
        bind.execute(article.update().where(article.c.id == row.id)
                     .values(search_text=index_text(row.title, row.body or "")))
    for statement in _POSTGRES_UP if bind.dialect.name == "postgresql" else _SQLITE_UP:
        op.execute(statement)
    if bind.dialect.name != "postgresql":
        op.execute("INSERT INTO service_article_fts(service_article_fts) VALUES ('rebuild')")


def downgrade() -> None:
    """Revert this revision."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_service_article_search_tsv")
        op.execute("ALTER TABLE service_article DROP COLUMN search_tsv")
    else:
        for name in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER service_article_fts_{name}")
        op.execute("DROP TABLE service_article_fts")
    op.drop_index(op.f('ix_service_kb_search_miss_term_language'), table_name='service_kb_search_miss')
    op.drop_table('service_kb_search_miss')
    op.drop_index(op.f('ix_service_article_solution_ticket_id'), table_name='service_article_solution')
    op.drop_index(op.f('ix_service_article_solution_article_id'), table_name='service_article_solution')
    op.drop_table('service_article_solution')
    op.drop_index(op.f('ix_service_article_feedback_article_id'), table_name='service_article_feedback')
    op.drop_table('service_article_feedback')
