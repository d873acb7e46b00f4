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


def save(session: Session, article: Article, data: dict[str, Any], *, saved_by: int | None = None) -> Article:
    """Set an article's fields from `data`, refresh its search text (the full-text index follows
    it: SQLite triggers, PostgreSQL's generated column) and record the result as its next
    version (`ArticleVersion`); `saved_by` is the writer's user id."""
    from payvand.plugins.service.models_kb import ArticleVersion

    for key, value in data.items():
        setattr(article, key, value)
    article.search_text = _folded(article.title, article.body)
    article.updated_at = utcnow()
    if article.id is None:
        article.version = article.version or 1
        session.add(article)
    else:
        article.version += 1
    session.flush()
    session.add(ArticleVersion(article_id=article.id, version=article.version, language=article.language,
                               title=article.title, body=article.body or "", category=article.category,
                               status=article.status, public=article.public, saved_by_id=saved_by,
                               saved_at=article.updated_at))
    session.flush()
    return article


def versions(session: Session, article_id: int) -> list[Any]:
    """An article's saved versions, newest first."""
    import sqlalchemy as sa

    from payvand.plugins.service.models_kb import ArticleVersion

    return list(session.scalars(sa.select(ArticleVersion).where(ArticleVersion.article_id == article_id)
                                .order_by(ArticleVersion.version.desc())))


def version(session: Session, article_id: int, number: int) -> Any:
    """One saved version of an article, or None."""
    import sqlalchemy as sa

    from payvand.plugins.service.models_kb import ArticleVersion

    return session.scalar(sa.select(ArticleVersion).where(ArticleVersion.article_id == article_id,
                                                          ArticleVersion.version == number))


def diff(old: Any, new: Any) -> list[tuple[str, str]]:
    """The line differences from version `old` to `new` (title, properties and body) as
    `(kind, text)` pairs: kind `+` added, `-` removed, `@` a hunk header, ` ` context."""
    import difflib

    def lines(v: Any) -> list[str]:
        head = [f"# {v.title}", f"[{v.language} · {v.status} · {'public' if v.public else 'internal'} · "
                                f"{v.category or '-'}]", ""]
        return head + (v.body or "").splitlines()

    found = []
    for line in difflib.unified_diff(lines(old), lines(new), lineterm="", n=2):
        if line.startswith(("---", "+++")):
            continue
        found.append((line[:1] if line[:1] in "+-@" else " ", line[1:] if line[:1] in "+- " else line))
    return found


def categories(session: Session) -> list[str]:
    """The categories in use, by name (for the writer's suggestions)."""
    import sqlalchemy as sa

    return [c for c in session.scalars(sa.select(Article.category).where(Article.category.is_not(None))
                                       .distinct().order_by(Article.category).limit(500)) if c]


def search(session: Session, q: str, *, language: str | None = None, public_only: bool = False,
           limit: int = 20) -> list[Article]:
    """The best articles for `q` (see `kb_search.search_articles`); drafts too unless `public_only`."""
    from payvand.plugins.service.services.kb_search import search_articles

    return search_articles(session, q, language=language, visibility="public" if public_only else "all", limit=limit)
