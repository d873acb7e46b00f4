"""How the knowledge base is used: suggestions on tickets, articles that solved tickets, helpful
votes, and searches that found nothing (with their reports)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from payvand.plugins.service.models import Article, ArticleFeedback, ArticleSolution, KbSearchMiss, Ticket
from payvand.plugins.service.services.kb_search import Visibility, search_articles
from payvand.sdk import fold_text


def search_and_record(session: Session, query: str, *, language: str | None, visibility: Visibility,
                      source: str, limit: int = 20) -> list[Article]:
    """`search_articles`, and a search that found nothing is remembered for the "no results" report."""
    found = search_articles(session, query, language=language, visibility=visibility, limit=limit)
    term = (fold_text(query) or "")[:200]
    if term and not found:
        session.add(KbSearchMiss(term=term, language=language, source=source))
        session.flush()
    return found


def ticket_query(ticket: Ticket) -> str:
    """What a ticket asks: its subject and its first message from the customer (or first entry)."""
    entries = sorted(ticket.entries, key=lambda e: e.id)
    first = next((e for e in entries if e.kind == "inbound"), entries[0] if entries else None)
    return f"{ticket.subject or ''}\n{first.body[:2000] if first else ''}"


def suggestions(session: Session, ticket: Ticket, limit: int = 5) -> list[Article]:
    """The published articles (internal ones too: agents read them) that best answer the ticket."""
    language = ticket.language if ticket.language in ("fa", "en") else None
    return search_articles(session, ticket_query(ticket), language=language, visibility="published", limit=limit)


def record_solution(session: Session, article: Article, ticket: Ticket, user_id: int | None) -> bool:
    """Remember that `article` went into a reply on `ticket` (once); True when it is new."""
    exists = sa.select(ArticleSolution.id).where(ArticleSolution.article_id == article.id,
                                                  ArticleSolution.ticket_id == ticket.id)
    if session.scalar(exists) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(ArticleSolution(article_id=article.id, ticket_id=ticket.id, user_id=user_id))
    except sa.exc.IntegrityError:  # a colleague inserted the same article at the same moment
        return False
    return True


def reply_text(article: Article, link: str | None) -> str:
    """The text an agent starts a reply from: the article's title, body and (public ones) its link."""
    return "\n\n".join(part for part in (article.title, article.body.strip(), link) if part)


def record_feedback(session: Session, article: Article, helpful: bool) -> None:
    """A reader's "was this helpful?" answer."""
    session.add(ArticleFeedback(article_id=article.id, helpful=helpful))
    session.flush()


@dataclass(frozen=True)
class ArticleUse:
    """One line of the "articles that solved tickets" report."""

    article_id: int
    title: str
    language: str
    tickets: int
    helpful: int
    not_helpful: int


def articles_report(session: Session, limit: int = 50) -> list[ArticleUse]:
    """Articles by the number of tickets they solved, with their helpful / not helpful votes."""
    solved = (sa.select(ArticleSolution.article_id, sa.func.count().label("n"))
              .group_by(ArticleSolution.article_id).subquery())
    votes = (sa.select(ArticleFeedback.article_id,
                       sa.func.sum(sa.case((ArticleFeedback.helpful, 1), else_=0)).label("yes"),
                       sa.func.sum(sa.case((ArticleFeedback.helpful, 0), else_=1)).label("no"))
             .group_by(ArticleFeedback.article_id).subquery())
    tickets = sa.func.coalesce(solved.c.n, 0)
    query = (sa.select(Article.id, Article.title, Article.language, tickets, sa.func.coalesce(votes.c.yes, 0),
                       sa.func.coalesce(votes.c.no, 0))
             .outerjoin(solved, solved.c.article_id == Article.id).outerjoin(votes, votes.c.article_id == Article.id)
             .where(sa.or_(solved.c.n.is_not(None), votes.c.yes.is_not(None)))
             .order_by(tickets.desc(), Article.id).limit(limit))
    return [ArticleUse(*row) for row in session.execute(query)]


def misses_report(session: Session, limit: int = 50) -> list[dict[str, Any]]:
    """Searches that found nothing, the most frequent first: term, language, count, last time."""
    count = sa.func.count().label("count")
    query = (sa.select(KbSearchMiss.term, KbSearchMiss.language, count, sa.func.max(KbSearchMiss.created_at))
             .group_by(KbSearchMiss.term, KbSearchMiss.language)
             .order_by(count.desc(), KbSearchMiss.term).limit(limit))
    return [{"term": t, "language": lang, "count": n, "last_at": last} for t, lang, n, last in session.execute(query)]
