"""Typo tolerance for knowledge-base searches that find nothing ("did you mean").

Only on a miss: each query stem that no article title holds is replaced by the closest title
stem (difflib's ratio ≥ `CUTOFF`, among stems of about the same length and the same first
letter), and the corrected query is searched instead. The vocabulary is the stems of every
article's title and category, read once and kept for `TTL` seconds per database (titles are
short: 100,000 articles are a few megabytes, read only after a miss and at most every few
minutes). Body words are left out on purpose: a title word is what a reader is looking for.
"""

from __future__ import annotations

import difflib
import time
from collections import defaultdict

import sqlalchemy as sa
from sqlalchemy.orm import Session

from payvand.plugins.service.models import Article
from payvand.plugins.service.services.kb_text import terms

CUTOFF = 0.75
TTL = 300.0
_cache: dict[str, tuple[float, dict[tuple[str, int], list[str]], frozenset[str]]] = {}


def _vocabulary(session: Session) -> tuple[dict[tuple[str, int], list[str]], frozenset[str]]:
    """Title and category stems, bucketed by (first letter, length), and the set of all of them."""
    bind = session.get_bind()
    key = str(bind.engine.url)
    found = _cache.get(key)
    if found is not None and time.monotonic() - found[0] < TTL:
        return found[1], found[2]
    words: set[str] = set()
    for title, category in session.execute(sa.select(Article.title, Article.category)):
        words.update(w for w in terms(f"{title} {category or ''}") if len(w) >= 3 and not w.isdigit())
    buckets: dict[tuple[str, int], list[str]] = defaultdict(list)
    for word in sorted(words):
        buckets[(word[0], len(word))].append(word)
    _cache[key] = (time.monotonic(), dict(buckets), frozenset(words))
    return dict(buckets), frozenset(words)


def forget() -> None:
    """Drop the cached vocabularies (tests; a writer's new title is known after `TTL` otherwise)."""
    _cache.clear()


def did_you_mean(session: Session, query: str) -> str | None:
    """The query with its unknown stems replaced by the closest title stems, or None when nothing
    could be corrected."""
    stems = terms(query)[:8]
    if not stems:
        return None
    buckets, known = _vocabulary(session)
    changed, corrected = False, []
    for word in stems:
        if word in known or len(word) < 4 or word.isdigit():
            corrected.append(word)
            continue
        near = [w for size in range(len(word) - 2, len(word) + 3) for w in buckets.get((word[0], size), ())]
        best = difflib.get_close_matches(word, near, n=1, cutoff=CUTOFF)
        if best:
            corrected.append(best[0])
            changed = True
        else:
            corrected.append(word)
    return " ".join(corrected) if changed else None
