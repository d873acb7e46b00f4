"""The knowledge base: Markdown articles in Persian and English, rendered and sanitised, and searched.

Rendering: markdown-it-py (CommonMark, raw HTML off) then nh3 with a small allow-list, so an
article can never carry a script or an event handler, even when written through the API.
Search: `services.kb_search.search_articles` (SQLite FTS5 / PostgreSQL tsvector for candidates,
BM25 with a title weight in Python, the same order on both). Staff see drafts and internal
articles; `public_only` limits to published public ones.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from payvand.plugins.service.models import Article
from payvand.sdk import utcnow

ALLOWED_TAGS = {"p", "br", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li", "h2", "h3", "h4", "a",
                "hr", "table", "thead", "tbody", "tr", "th", "td"}


def render(markdown: str) -> str:
    """Sanitised HTML of an article's Markdown."""
    import nh3
    from markdown_it import MarkdownIt

    html = MarkdownIt("commonmark", {"html": False}).enable("table").render(markdown or "")
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes={"a": {"href", "title"}},
                     url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer nofollow")


def _folded(title: str, body: str) -> str:
    from payvand.plugins.service.services.kb_text import index_text

    return index_text(title, body)


def save(session: Session, article: Article, data: dict[str, Any]) -> Article:
    """Set an article's fields from `data` and refresh its search text."""
    for key, value in data.items():
        setattr(article, key, value)
    article.search_text = _folded(article.title, article.body)
    article.updated_at = utcnow()
    if article.id is None:
        session.add(article)
    else:
        article.version += 1
    session.flush()
    return article


def search(session: Session, q: str, *, language: str | None = None, public_only: bool = False,
           limit: int = 20) -> list[Article]:
    """The best articles for `q` (see `kb_search.search_articles`); drafts too unless `public_only`."""
    from payvand.plugins.service.services.kb_search import search_articles

    return search_articles(session, q, language=language, visibility="public" if public_only else "all", limit=limit)
