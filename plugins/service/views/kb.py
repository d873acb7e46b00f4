"""The knowledge-base pages for staff: search and read an article (rendered and sanitised)."""

from __future__ import annotations

from typing import Any

from flask import abort, render_template, request
from markupsafe import Markup

from payvand.plugins.service import permissions as perm
from payvand.plugins.service.models import Article
from payvand.plugins.service.services import kb
from payvand.plugins.service.views import bp
from payvand.sdk import session, staff_required


@bp.route("/service/kb")
@staff_required(perm.TICKET_VIEW)
def kb_search() -> Any:
    """Search the knowledge base."""
    q = (request.args.get("q") or "").strip()[:200]
    from payvand.plugins.service.services.kb_usage import search_and_record

    found = search_and_record(session(), q, language=None, visibility="all", source="staff") if q else []
    corrected = None
    if q and not found:
        from payvand.plugins.service.services.kb_typos import did_you_mean

        corrected = did_you_mean(session(), q)
        found = kb.search(session(), corrected) if corrected else []
    session().commit()
    return render_template("service/kb.html", q=q, articles=found, corrected=corrected if found else None)


@bp.route("/service/kb/<int:article_id>")
@staff_required(perm.TICKET_VIEW)
def kb_article(article_id: int) -> Any:
    """One article, its Markdown rendered and sanitised (nh3)."""
    found = session().get(Article, article_id)
    if found is None:
        abort(404)
    return render_template("service/kb_article.html", article=found, html=Markup(kb.render(found.body)))  # noqa: S704 - sanitised by nh3
