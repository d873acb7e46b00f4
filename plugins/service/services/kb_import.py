"""Importing knowledge-base articles from a folder of Markdown files (`payvand service import-kb DIR`).

Each `*.md` file (searched recursively) starts with a front matter block::

    ---
    title: How to return an item
    language: en            # fa (default) or en
    category: Returns
    visibility: public      # public or internal (default)
    status: published       # published (default) or draft
    slug: returns-howto     # default: the file's path without .md, folders joined by "-"
    ---
    The Markdown body...

The slug names the article across runs: importing again updates the article of that slug
(its version goes up only when something changed) instead of adding a second one. The
front matter is read as plain `key: value` lines (no YAML, nothing evaluated); every article
is validated by the API's schema, and a bad file is reported without stopping the others.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from marshmallow import ValidationError
from sqlalchemy.orm import Session

from payvand.plugins.service.models import Article
from payvand.plugins.service.schemas import ArticleIn
from payvand.plugins.service.services import kb
from payvand.sdk import audit

_SLUG = re.compile(r"^[\w-]{1,200}$")
_FIELDS = ("title", "language", "category", "status", "public", "body")


@dataclasses.dataclass
class ImportResult:
    """What an import did: counts, and the files refused with why."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[tuple[str, str]] = dataclasses.field(default_factory=list)


def read_article(text: str) -> tuple[dict[str, str], str]:
    """A Markdown file's front matter (`key: value` lines between `---` lines) and its body."""
    lines = text.lstrip("\ufeff").splitlines()
    if not lines or lines[0].strip() != "---":
        return {}, text
    meta: dict[str, str] = {}
    for index, line in enumerate(lines[1:], start=1):
        if line.strip() == "---":
            return meta, "\n".join(lines[index + 1:]).strip() + "\n"
        key, sep, value = line.partition(":")
        if sep and key.strip():
            meta[key.strip().lower()] = value.split(" #", 1)[0].strip().strip("\"'")
    raise ValueError("the front matter has no closing ---")


def _data(meta: dict[str, str], body: str) -> dict[str, Any]:
    visibility = meta.get("visibility", "internal").lower()
    if visibility not in ("public", "internal"):
        raise ValueError(f"visibility is public or internal, not {visibility!r}")
    values = {"title": meta.get("title", ""), "language": meta.get("language", "fa"), "body": body,
              "category": meta.get("category") or None, "status": meta.get("status", "published"),
              "public": visibility == "public"}
    try:
        loaded: dict[str, Any] = ArticleIn().load(values)
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        raise ValueError("; ".join(f"{field}: {' '.join(map(str, m))}" for field, m in messages.items())) from None
    return loaded


def import_folder(session: Session, folder: Path) -> ImportResult:
    """Create or update (by slug) an article for every Markdown file under `folder`; the caller commits."""
    result = ImportResult()
    for path in sorted(folder.rglob("*.md")):
        name = str(path.relative_to(folder))
        try:
            meta, body = read_article(path.read_text(encoding="utf-8"))
            slug = meta.get("slug") or "-".join(path.relative_to(folder).with_suffix("").parts)
            if not _SLUG.match(slug):
                raise ValueError(f"not a slug: {slug!r} (letters, digits, - and _)")
            data = _data(meta, body)
        except (ValueError, UnicodeDecodeError) as exc:
            result.errors.append((name, str(exc)))
            continue
        article = session.scalars(sa.select(Article).where(Article.slug == slug)).first()
        if article is None:
            article = kb.save(session, Article(slug=slug, version=1), data)
            audit("import", "service_article", article.id, after={"slug": slug})
            result.created += 1
        elif any(getattr(article, key) != data[key] for key in _FIELDS):
            kb.save(session, article, data)
            audit("import", "service_article", article.id, after={"slug": slug, "version": article.version})
            result.updated += 1
        else:
            result.unchanged += 1
    return result
