"""Per-process caches of the knowledge-base search (word lists, article term counts), valid while the KB stamp holds.

A search asks the engine, for each query word and each of its synonyms, for the newest 20–40
matching articles. Those lists change only when an article's searchable fields change, and the
synonyms are a closed set of about 150 words that long questions bring in again and again, so
each process keeps them. `service_kb_stamp` (migration service_0011_kbpg: triggers give it a new
random value on every insert, delete and searchable update of an article, whoever writes) is read
with the highest article id in the search's first statement; a different stamp, or another
database, empties the cache. The "every stem" list (one per question) is never cached.

The candidates' term counts (what BM25 needs of an article: its weighted length and the weighted
count of each of its stems) are kept the same way, so a candidate met before is not read again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

__all__ = ["MAX_ARTICLES", "MAX_LISTS", "StateCache", "article_terms", "clear", "kb_state",
           "word_lists"]

#: The most word lists one process keeps (each at most 40 ids; the least recently used go first).
MAX_LISTS = 4096
#: The most articles whose term counts one process keeps (about 11 kB each).
MAX_ARTICLES = 2048

_STATE = sa.text("SELECT (SELECT stamp FROM service_kb_stamp WHERE id = 1) AS stamp, "
                 "(SELECT max(id) FROM service_article) AS newest")


def kb_state(session: Session) -> tuple[Hashable | None, int]:
    """One statement: the cache key of the KB's current state (the database's address and its
    stamp; None when there is no stamp row) and the highest article id (0 with no article)."""
    row = session.execute(_STATE).one()
    if row.stamp is None:
        return None, row.newest or 0
    return (str(session.get_bind().engine.url), row.stamp), row.newest or 0


class StateCache:
    """Values by key, all found under one state; a least-recently-used bound; thread-safe."""

    def __init__(self, size: int = MAX_LISTS) -> None:
        """An empty cache that keeps at most `size` values."""
        self._size = size
        self._state: Hashable | None = None
        self._lists: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, state: Hashable | None, keys: Iterable[Hashable]) -> dict[Hashable, Any]:
        """The values held for `keys` under `state` (a missing key is left out); another state empties the cache."""
        found: dict[Hashable, Any] = {}
        if state is None:
            return found
        with self._lock:
            if state != self._state:
                self._state = state
                self._lists.clear()
                return found
            for key in keys:
                value = self._lists.get(key)
                if value is not None:
                    self._lists.move_to_end(key)
                    found[key] = value
        return found

    def put(self, state: Hashable | None, values: dict[Hashable, Any]) -> None:
        """Keep `values`, found under `state` (nothing is kept when the cache has moved on to another state);
        a value must not be changed afterwards (tuples, or dicts nobody writes to)."""
        if state is None:
            return
        with self._lock:
            if state != self._state:
                return
            for key, value in values.items():
                self._lists[key] = value
                self._lists.move_to_end(key)
            while len(self._lists) > self._size:
                self._lists.popitem(last=False)

    def clear(self) -> None:
        """Forget every value."""
        with self._lock:
            self._state = None
            self._lists.clear()

    def __len__(self) -> int:
        """How many values are held."""
        return len(self._lists)


#: The process's caches, used by `kb_search.search_articles`: word lists (tuples of ids, newest
#: first) by (word, limit, language, visibility), and term counts by article id.
word_lists = StateCache(MAX_LISTS)
article_terms = StateCache(MAX_ARTICLES)


def clear() -> None:
    """Empty the process's caches (benchmarks time a cold search with it)."""
    word_lists.clear()
    article_terms.clear()
