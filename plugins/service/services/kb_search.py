"""Knowledge-base search: the same ranked answer on SQLite (FTS5) and PostgreSQL (tsvector + GIN).

1. The query becomes stems (`kb_text.query_groups`), each with its synonyms.
2. Candidates come from the engine as plain sets, never by the engine's own rank: for each
   stem (and synonym) the newest `PER_TERM` matching articles, plus the newest `ALL_TERMS`
   articles that hold every query stem. Both engines index the same space-separated stems, so
   they return the same ids for the same data.
3. The candidates are ranked here, in Python: BM25 with the title counted `TITLE_WEIGHT`
   times, synonyms at `SYNONYM_WEIGHT`, times the share of query stems the article answers;
   ties by id (newest first). Document frequencies come from the candidate lists (a list
   that reached its cap counts as "common") and one count of the articles searched.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from payvand.plugins.service.models import Article
from payvand.plugins.service.services.kb_text import index_text as terms_text
from payvand.plugins.service.services.kb_text import query_groups, terms

__all__ = ["Visibility", "query_groups", "search_articles", "terms_text"]

Visibility = Literal["all", "published", "public"]

PER_TERM = 200
ALL_TERMS = 200
TITLE_WEIGHT = 3.0
SYNONYM_WEIGHT = 0.5
K1, B = 1.2, 0.75


def _filters(language: str | None, visibility: Visibility) -> list[Any]:
    where: list[Any] = []
    if language:
        where.append(Article.language == language)
    if visibility in ("published", "public"):
        where.append(Article.status == "published")
    if visibility == "public":
        where.append(Article.public.is_(True))
    return where


def _matching(session: Session, words: Iterable[str], where: list[Any], limit: int) -> list[int]:
    """Ids of the newest `limit` articles holding every one of `words` (through the database's engine)."""
    words = list(words)
    if session.get_bind().dialect.name == "postgresql":
        tsquery = " & ".join(f"'{w}'" for w in words)
        match = sa.text("service_article.search_tsv @@ CAST(:tsq AS tsquery)").bindparams(tsq=tsquery)
        query = sa.select(Article.id).where(match, *where)
    else:
        fts = sa.table("service_article_fts", sa.column("rowid"))
        expression = " ".join(f'"{w}"' for w in words)
        match = sa.text("service_article_fts MATCH :expr").bindparams(expr=expression)
        query = sa.select(Article.id).join(fts, fts.c.rowid == Article.id).where(match, *where)
    return list(session.scalars(query.order_by(Article.id.desc()).limit(limit)))


def _counts_in(text: str) -> Counter[str]:
    return Counter(text.split())


def search_articles(session: Session, query: str, *, language: str | None = None,
                    visibility: Visibility = "public", limit: int = 10) -> list[Article]:
    """The articles that best answer `query`, best first; the same order on SQLite and PostgreSQL.

    `visibility`: "public" (published and public, for customers), "published" (published,
    internal ones too, for agents' suggestions) or "all" (drafts too, for the staff KB).
    """
    groups = query_groups(query)
    if not groups:
        return []
    where = _filters(language, visibility)
    words = sorted({w for word, synonyms in groups for w in (word, *synonyms)})
    lists = {word: _matching(session, [word], where, PER_TERM) for word in words}
    candidates = set().union(*lists.values())
    if len(groups) > 1:
        candidates.update(_matching(session, [word for word, _ in groups], where, ALL_TERMS))
    if not candidates:
        return []
    rows = session.execute(sa.select(Article.id, Article.title, Article.search_text)
                           .where(Article.id.in_(sorted(candidates)))).all()
    total = session.scalar(sa.select(sa.func.count()).select_from(Article).where(*where)) or 1
    idf = {w: math.log(1 + (total - len(ids) + 0.5) / (len(ids) + 0.5)) for w, ids in lists.items()}
    counted = []
    for row in rows:
        body, title = _counts_in(row.search_text), Counter(terms(row.title))
        counted.append((row.id, body, title, sum(body.values()) + (TITLE_WEIGHT - 1) * sum(title.values())))
    average = sum(length for *_, length in counted) / len(counted) or 1.0
    scores: list[tuple[float, int]] = []
    for article_id, body, title, length in counted:
        norm = K1 * (1 - B + B * length / average)
        score, answered = 0.0, 0
        for word, synonyms in groups:
            best = 0.0
            for candidate, weight in ((word, 1.0), *((s, SYNONYM_WEIGHT) for s in synonyms)):
                tf = body.get(candidate, 0) + (TITLE_WEIGHT - 1) * title.get(candidate, 0)
                if tf:
                    best = max(best, weight * idf[candidate] * tf * (K1 + 1) / (tf + norm))
            if best:
                answered += 1
                score += best
        score *= (answered / len(groups)) ** 2
        scores.append((round(score, 9), article_id))
    scores.sort(key=lambda pair: (-pair[0], -pair[1]))
    best_ids = [article_id for score, article_id in scores[:limit] if score > 0]
    found = {a.id: a for a in session.scalars(sa.select(Article).where(Article.id.in_(best_ids)))}
    return [found[i] for i in best_ids]
