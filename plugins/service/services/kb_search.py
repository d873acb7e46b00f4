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
4. Each process keeps the words' lists and the candidates' term counts (`kb_cache`) while the
   KB's stamp (changed by triggers on every article change) holds: the first statement reads
   the stamp and the highest id, and only what the process has not met yet goes to the engine.
   The results are the same as without the caches; only the work moves.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from payvand.plugins.service.models import Article
from payvand.plugins.service.services import kb_cache
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
_TITLE_TIMES = int(TITLE_WEIGHT)  # the counts stay integers (equal in the arithmetic to the float counts)
assert _TITLE_TIMES == TITLE_WEIGHT


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


def _word_lists(session: Session, state: Hashable | None, words: list[str], stems: set[str],
                language: str | None, visibility: Visibility) -> dict[str, list[int]]:
    """Each word's list (newest `PER_TERM` articles for a query stem, `PER_SYNONYM` for a synonym):
    from the process's cache (`kb_cache`) when they were found under the KB's `state`, the others
    from the engine in one statement."""
    keys = {word: (word, PER_TERM if word in stems else PER_SYNONYM, language, visibility) for word in words}
    held = kb_cache.word_lists.get(state, keys.values())
    missing = [word for word in words if keys[word] not in held]
    lists = {word: list(held[keys[word]]) for word in words if keys[word] in held}
    if missing:
        found = _match_sets(session, [((word,), keys[word][1]) for word in missing], language, visibility)
        lists.update(zip(missing, found, strict=True))
        kb_cache.word_lists.put(state, {keys[word]: tuple(ids) for word, ids in zip(missing, found, strict=True)})
    return lists


def article_terms(search_text: str) -> tuple[float, dict[str, int]]:
    """What BM25 needs of an article: its length (body stems + `TITLE_WEIGHT` × title stems)
    and each stem's count weighted the same way."""
    title, body = _split(search_text)
    counts = Counter(body)  # one pass (C), not a scan per word
    for word in title:
        counts[word] += _TITLE_TIMES
    # Not interned: sharing the stems' strings saves 30 % of the cache but costs 3-4 ms CPU on a cold search.
    return len(body) + TITLE_WEIGHT * len(title), dict(counts)


def _term_counts(session: Session, state: Hashable | None,
                 ids: list[int]) -> list[tuple[int, tuple[float, dict[str, int]]]]:
    """`article_terms` of each article in `ids` (in that order): from the process's cache when
    found under `state`, the others' search texts read in one statement."""
    held = kb_cache.article_terms.get(state, ids)
    missing = [i for i in ids if i not in held]
    if missing:
        read = {row.id: article_terms(row.search_text) for row in session.execute(
            sa.select(Article.id, Article.search_text).where(Article.id.in_(missing)))}
        kb_cache.article_terms.put(state, read)
        held.update(read)
    return [(i, held[i]) for i in ids if i in held]


def _rank(groups: list[tuple[str, tuple[str, ...]]], idf: dict[str, float],
          counted: list[tuple[int, tuple[float, dict[str, int]]]], limit: int) -> list[int]:
    """The ids of the `limit` best articles by BM25 (a query stem or the best of its synonyms per
    group, times the squared share of groups answered), best first, ties newest first."""
    average = sum(length for _, (length, _) in counted) / len(counted) or 1.0
    weighted = [[(w, weight * idf[w]) for w, weight in ((word, 1.0), *((s, SYNONYM_WEIGHT) for s in synonyms))]
                for word, synonyms in groups]
    scores: list[tuple[float, int]] = []
    for article_id, (length, counts) in counted:
        norm = K1 * (1 - B + B * length / average)
        score, answered = 0.0, 0
        for group in weighted:
            best = 0.0
            for word, weight_idf in group:
                tf = counts.get(word)
                if tf:
                    best = max(best, weight_idf * tf * (K1 + 1) / (tf + norm))
            if best:
                answered += 1
                score += best
        score *= (answered / len(groups)) ** 2
        scores.append((round(score, 9), article_id))
    scores.sort(key=lambda pair: (-pair[0], -pair[1]))
    return [article_id for score, article_id in scores[:limit] if score > 0]


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
    state, total = kb_cache.kb_state(session)
    lists = _word_lists(session, state, words, set(stems), language, visibility)
    sets = [lists[word] for word in words]
    total = total or 1
    if len(stems) > 1:
        walk = session.get_bind().dialect.name == "postgresql" and _walk_is_short(
            [lists[w] for w in stems], PER_TERM, total)
        sets.append(_match_sets(session, [(tuple(stems), ALL_TERMS)], language, visibility, walk_key=walk)[0])
    candidates = set().union(*sets)
    if not candidates:
        return []
    counted = _term_counts(session, state, sorted(candidates))
    total = max(total, len(candidates))
    idf = {w: math.log(1 + (total - len(ids) + 0.5) / (len(ids) + 0.5)) for w, ids in lists.items()}
    best_ids = _rank(groups, idf, counted, limit)
    found = {a.id: a for a in session.scalars(sa.select(Article).where(Article.id.in_(best_ids)))}
    return [found[i] for i in best_ids]
