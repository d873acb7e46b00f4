"""Knowledge-base usage (which article solved which ticket, helpful votes, searches that found
nothing) and the articles' saved versions."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from payvand.sdk import Base, BigId, UTCDateTime, utcnow


class ArticleSolution(Base):
    """An article an agent inserted into a reply on a ticket (once per article and ticket)."""

    __tablename__ = "service_article_solution"
    __table_args__ = (sa.UniqueConstraint("article_id", "ticket_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    article_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("service_article.id", ondelete="CASCADE"), index=True)
    ticket_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("service_ticket.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(BigId)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ArticleFeedback(Base):
    """A reader's answer to "was this article helpful?" on the public knowledge base."""

    __tablename__ = "service_article_feedback"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    article_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("service_article.id", ondelete="CASCADE"), index=True)
    helpful: Mapped[bool] = mapped_column(sa.Boolean)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class KbSearchMiss(Base):
    """A search of the knowledge base that found no article (the folded query, its language, where)."""

    __tablename__ = "service_kb_search_miss"
    __table_args__ = (sa.Index(None, "term", "language"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    term: Mapped[str] = mapped_column(sa.String(200))
    language: Mapped[str | None] = mapped_column(sa.String(8))
    source: Mapped[str] = mapped_column(sa.String(16), default="staff")  # staff, public, api
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ArticleVersion(Base):
    """One saved version of an article, as it was written: each create and edit adds the next one
    (the article row holds the current text; these keep the history for the writers' diff)."""

    __tablename__ = "service_article_version"
    __table_args__ = (sa.UniqueConstraint("article_id", "version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    article_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("service_article.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(sa.Integer)
    language: Mapped[str] = mapped_column(sa.String(8))
    title: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text, default="")
    category: Mapped[str | None] = mapped_column(sa.String(120))
    status: Mapped[str] = mapped_column(sa.String(16))
    public: Mapped[bool] = mapped_column(sa.Boolean)
    saved_by_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("core_user.id", ondelete="SET NULL"))
    saved_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class KbStamp(Base):
    """One row whose `stamp` changes whenever an article's searchable fields do (database triggers,
    migration service_0011_kbpg): the search's per-process caches are valid while it holds."""

    __tablename__ = "service_kb_stamp"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    stamp: Mapped[int] = mapped_column(sa.BigInteger, default=0)
