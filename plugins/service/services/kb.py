"""The knowledge base: Markdown articles in Persian and English, rendered and sanitised, and searched.

Rendering: markdown-it-py (CommonMark, raw HTML off) then nh3 with a small allow-list, so an
article can never carry a script or an event handler, even when written through the API.
Search: the query and the articles are folded with the SDK's `fold_text` (ی/ي, ک/ك, ZWNJ,
Persian and Arabic digits), every query word must occur (LIKE on the folded `search_text`),
and results come by the number of query words in the title, then newest first. Staff see
drafts and internal articles; `public_only` limits to published public ones. (Full-text
engines — SQLite FTS5, PostgreSQL tsvector — are not used yet; see the report.)
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from payvand.plugins.service.models import Article
from payvand.sdk import fold_text, utcnow

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
    return fold_text(f"{title}\n{body}") or ""


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
    """Articles containing every word of `q` (folded), best title matches first."""
    words = [w for w in (fold_text(q) or "").split() if w][:8]
    if not words:
        return []
    query = sa.select(Article)
    for word in words:
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(Article.search_text.like(f"%{escaped}%", escape="\\"))
    if language:
        query = query.where(Article.language == language)
    if public_only:
        query = query.where(Article.status == "published", Article.public.is_(True))
    found = list(session.scalars(query.order_by(Article.id.desc()).limit(200)))
    titles = {a.id: fold_text(a.title) or "" for a in found}
    found.sort(key=lambda a: (-sum(word in titles[a.id] for word in words), -a.id))
    return found[:limit]
