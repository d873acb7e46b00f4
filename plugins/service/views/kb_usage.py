"""Knowledge-base pages beyond search: suggestions on the ticket page and "insert into reply",
the public KB (search, read, "was this helpful?") and the staff usage report."""

from __future__ import annotations

from typing import Any

from flask import abort, redirect, render_template, request, url_for
from markupsafe import Markup

from payvand.plugins.service import permissions as perm
from payvand.plugins.service.models import Article, Ticket
from payvand.plugins.service.services import kb, kb_usage
from payvand.plugins.service.services import tickets as ticket_service
from payvand.plugins.service.views import bp
from payvand.sdk import current_actor, public_page, session, staff_required

LANGUAGES = ("fa", "en")


def kb_context(ticket: Ticket) -> dict[str, Any]:
    """What the ticket page shows of the knowledge base: suggested articles, and the reply draft
    when an agent just chose "insert into reply" (`?article=<id>`)."""
    context: dict[str, Any] = {"kb_suggestions": kb_usage.suggestions(session(), ticket)}
    chosen = request.args.get("article", "")
    article = session().get(Article, int(chosen)) if chosen.isdigit() else None
    if article is not None and article.status == "published":
        link = url_for("service.kb_public_article", article_id=article.id, _external=True) if article.public else None
        context["draft"] = kb_usage.reply_text(article, link)
    return context


@bp.route("/service/tickets/<int:ticket_id>/kb/<int:article_id>", methods=["POST"])
@staff_required(perm.TICKET_EDIT)
def kb_insert(ticket_id: int, article_id: int) -> Any:
    """Insert an article into the reply: remembered as "this article solved this ticket"."""
    try:
        found = ticket_service.get_ticket(session(), ticket_id, current_actor())
    except ticket_service.TicketNotFound:
        abort(404)
    article = session().get(Article, article_id)
    if article is None or article.status != "published":
        abort(404)
    kb_usage.record_solution(session(), article, found, current_actor().user_id)
    session().commit()
    return redirect(url_for("service.ticket", ticket_id=found.id, article=article.id) + "#reply-form")


@bp.route("/service/kb/report")
@staff_required(perm.TICKET_VIEW)
def kb_report() -> Any:
    """Articles that solved tickets (with helpful votes) and searches that found nothing."""
    return render_template("service/kb_report.html", articles=kb_usage.articles_report(session()),
                           misses=kb_usage.misses_report(session()))


def _language() -> str:
    chosen = request.args.get("lang", "")
    return chosen if chosen in LANGUAGES else "fa"


@bp.route("/kb")
@public_page
def kb_public() -> Any:
    """The public knowledge base: search the published public articles of one language."""
    q, language = (request.args.get("q") or "").strip()[:200], _language()
    found = kb_usage.search_and_record(session(), q, language=language, visibility="public",
                                       source="public") if q else []
    session().commit()
    return render_template("service/kb_public.html", q=q, language=language, articles=found)


@bp.route("/kb/<int:article_id>", methods=["GET", "POST"])
@public_page
def kb_public_article(article_id: int) -> Any:
    """A public article; POST `helpful=yes|no` records the reader's vote (CSRF-checked)."""
    article = session().get(Article, article_id)
    if article is None or article.status != "published" or not article.public:
        abort(404)
    voted, status = False, 200
    if request.method == "POST":
        answer = request.form.get("helpful", "")
        if answer not in ("yes", "no"):
            status = 422
        else:
            kb_usage.record_feedback(session(), article, answer == "yes")
            session().commit()
            voted = True
    page = render_template("service/kb_public_article.html", article=article, voted=voted,
                           html=Markup(kb.render(article.body)))  # noqa: S704 - sanitised by nh3
    return page, status
