"""Knowledge-base search: the same ranked answer on SQLite (FTS5) and PostgreSQL (tsvector + GIN).

1. The query becomes stems (`kb_text.query_groups`), each with its synonyms.
2. Candidates come from the engine as plain sets, never by the engine's own rank: for each
   stem the newest `PER_TERM` matching articles (`PER_SYNONYM` for a synonym), plus the newest `ALL_TERMS`
   articles that hold every query stem. Both engines index the same space-separated stems, so
   they return the same ids for the same data.
3. The candidates are ranked here, in Python: BM25 with the title counted `TITLE_WEIGHT`
   times, synonyms at `SYNONYM_WEIGHT`, times the share of query stems the article answers;
   ties by id (newest first). Document frequencies come from the candidate lists (a list
   that reached its cap counts as "common"); the corpus size is the highest article id (one
   index lookup where a count would read the whole index).
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from payvand.plugins.service.models import Article
from payvand.plugins.service.services.kb_text import index_text as terms_text
from payvand.plugins.service.services.kb_text import query_groups

__all__ = ["Visibility", "query_groups", "search_articles", "terms_text"]

Visibility = Literal["all", "published", "public"]

PER_TERM = 40
PER_SYNONYM = 20
ALL_TERMS = 40
TITLE_WEIGHT = 3.0
SYNONYM_WEIGHT = 0.5
K1, B = 1.2, 0.75


def _filters(language: str | None, visibility: Visibility) -> tuple[str, dict[str, Any]]:
    """The SQL condition on `a` (service_article) for the language and visibility, and its parameters."""
    where, params = [], {}
    if language:
        where.append("a.language = :language")
        params["language"] = language
    if visibility in ("published", "public"):
        where.append("a.status = 'published'")
    if visibility == "public":
        where.append("a.public = true")
    return "".join(f" AND {w}" for w in where), params


def _match_sets(session: Session, requests: list[tuple[tuple[str, ...], int]], language: str | None,
                visibility: Visibility, walk_key: bool = False) -> list[list[int]]:
    """For each (stems, limit): the ids of the newest `limit` articles holding every stem, newest first.

    One statement (a UNION ALL of one limited engine lookup per request) on either database;
    the stems are letters and digits only (`kb_text.terms`), so quoting them is safe.
    """
    condition, params = _filters(language, visibility)
    postgres = session.get_bind().dialect.name == "postgresql"
    parts = []
    for index, (words, limit) in enumerate(requests):
        if postgres:
            params[f"q{index}"] = " & ".join(f"'{w}'" for w in words)
            # Several stems together are rare, which the planner cannot know: walking the primary
            # key backwards would read the whole table, so "+ 0" makes it use the GIN index.
            # `walk_key`: the stems are known to be common together (see `_walk_is_short`).
            order = "a.id + 0" if len(words) > 1 and not walk_key else "a.id"
            parts.append(f"SELECT {index} AS k, id FROM (SELECT a.id FROM service_article a "
                         f"WHERE a.search_tsv @@ CAST(:q{index} AS tsquery){condition} "
                         f"ORDER BY {order} DESC LIMIT {int(limit)}) AS s{index}")
        else:  # FTS5 walks its doclist backwards, so the LIMIT stops it early
            params[f"q{index}"] = " ".join(f'"{w}"' for w in words)
            parts.append(f"SELECT {index} AS k, id FROM (SELECT f.rowid AS id FROM service_article_fts f "
                         f"JOIN service_article a ON a.id = f.rowid WHERE service_article_fts MATCH :q{index}"
                         f"{condition} ORDER BY f.rowid DESC LIMIT {int(limit)})")
    found: list[list[int]] = [[] for _ in requests]
    for key, article_id in session.execute(sa.text(" UNION ALL ".join(parts)), params):
        found[key].append(article_id)
    return [sorted(ids, reverse=True) for ids in found]


#: The most articles the "every stem" lookup may expect to read walking the primary key backwards.
WALK_ROWS = 2000


def _walk_is_short(lists: list[list[int]], cap: int, newest: int) -> bool:
    """Whether walking the articles newest first finds `ALL_TERMS` holding every stem within
    `WALK_ROWS` rows: each stem's density is read from its own newest-`cap` list (a list that
    did not fill holds a rare stem: no), the stems taken as independent. Only the plan changes
    (PostgreSQL), never the articles found."""
    density = 1.0
    for ids in lists:
        if len(ids) < cap:
            return False
        density *= cap / max(1, newest - min(ids) + 1)
    return ALL_TERMS / max(density, 1e-12) <= WALK_ROWS


def _split(search_text: str) -> tuple[list[str], list[str]]:
    """The title's stems and the body's stems of a search text ("title _ body")."""
    tokens = search_text.split()
    cut = tokens.index("_") if "_" in tokens else 0
    return tokens[:cut], tokens[cut + 1:] if "_" in tokens else tokens


def search_articles(session: Session, query: str, *, language: str | None = None,
                    visibility: Visibility = "public", limit: int = 10) -> list[Article]:
    """The articles that best answer `query`, best first; the same order on SQLite and PostgreSQL.

    `visibility`: "public" (published and public, for customers), "published" (published,
    internal ones too, for agents' suggestions) or "all" (drafts too, for the staff KB).
    """
    groups = query_groups(query)
    if not groups:
        return []
    stems = [word for word, _ in groups]
    words = sorted(set(stems) | {w for _, synonyms in groups for w in synonyms})
    requests: list[tuple[tuple[str, ...], int]] = [((word,), PER_TERM if word in stems else PER_SYNONYM)
                                                   for word in words]
    sets = _match_sets(session, requests, language, visibility)
    lists = dict(zip(words, sets, strict=False))
    total = session.scalar(sa.select(sa.func.max(Article.id))) or 1
    if len(stems) > 1:
        walk = session.get_bind().dialect.name == "postgresql" and _walk_is_short(
            [lists[w] for w in stems], PER_TERM, total)
        sets.append(_match_sets(session, [(tuple(stems), ALL_TERMS)], language, visibility, walk_key=walk)[0])
    candidates = set().union(*sets)
    if not candidates:
        return []
    rows = session.execute(sa.select(Article.id, Article.search_text)
                           .where(Article.id.in_(sorted(candidates)))).all()
    total = max(total, len(candidates))
    idf = {w: math.log(1 + (total - len(ids) + 0.5) / (len(ids) + 0.5)) for w, ids in lists.items()}
    wanted = sorted({w for word, synonyms in groups for w in (word, *synonyms)})
    counted = []
    for row in rows:
        title, body = _split(row.search_text)
        in_body, in_title = Counter(body), Counter(title)  # one pass each (C), not a scan per word
        tf = {w: in_body[w] + TITLE_WEIGHT * in_title[w] for w in wanted}
        counted.append((row.id, tf, len(body) + TITLE_WEIGHT * len(title)))
    average = sum(length for *_, length in counted) / len(counted) or 1.0
    scores: list[tuple[float, int]] = []
    for article_id, tf, length in counted:
        norm = K1 * (1 - B + B * length / average)
        score, answered = 0.0, 0
        for word, synonyms in groups:
            best = 0.0
            for candidate, weight in ((word, 1.0), *((s, SYNONYM_WEIGHT) for s in synonyms)):
                if tf[candidate]:
                    best = max(best, weight * idf[candidate] * tf[candidate] * (K1 + 1) / (tf[candidate] + norm))
            if best:
                answered += 1
                score += best
        score *= (answered / len(groups)) ** 2
        scores.append((round(score, 9), article_id))
    scores.sort(key=lambda pair: (-pair[0], -pair[1]))
    best_ids = [article_id for score, article_id in scores[:limit] if score > 0]
    found = {a.id: a for a in session.scalars(sa.select(Article).where(Article.id.in_(best_ids)))}
    return [found[i] for i in best_ids]
