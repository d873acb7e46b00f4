"""The knowledge-base writer's pages (`service.kb.write`): the list of articles, the editor
(create; edit saved as a new version; draft or published, internal or public, category,
language; a preview rendered by the same sanitiser as the published page), the version
history and one old version with its differences from the current text."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from markupsafe import Markup

from payvand.plugins.service import permissions as perm
from payvand.plugins.service.models import Article
from payvand.plugins.service.schemas import ArticleIn
from payvand.plugins.service.services import kb
from payvand.plugins.service.views import bp
from payvand.sdk import audit, current_actor, parse_form, session, staff_required
from payvand.sdk import gettext as _

PAGE = 50


@bp.route("/service/kb/articles")
@staff_required(perm.KB_WRITE)
def kb_articles() -> Any:
    """Every article, most recently changed first, `PAGE` per page (keyset on the id)."""
    before = request.args.get("before", "")
    query = sa.select(Article.id, Article.title, Article.language, Article.category, Article.status, Article.public,
                      Article.version, Article.updated_at).order_by(Article.id.desc()).limit(PAGE + 1)
    if before.isdigit() and len(before) < 19:
        query = query.where(Article.id < int(before))
    rows = session().execute(query).all()
    following = rows[PAGE - 1].id if len(rows) > PAGE else None
    return render_template("service/kb_articles.html", articles=rows[:PAGE], following=following)


def _form_page(form: Any, article: Article | None, preview: Markup | None = None, status: int = 200) -> Any:
    return render_template("service/kb_edit.html", form=form, article=article, preview=preview,
                           categories=kb.categories(session())), status


@bp.route("/service/kb/articles/new", methods=["GET", "POST"])
@staff_required(perm.KB_WRITE)
def kb_article_new() -> Any:
    """Write a new article (saved as version 1); Preview renders it without saving."""
    from payvand.sdk import FormResult

    if request.method == "GET":
        return _form_page(FormResult.empty({"language": "fa", "status": "draft"}), None)
    return _save(None)


@bp.route("/service/kb/articles/<int:article_id>/edit", methods=["GET", "POST"])
@staff_required(perm.KB_WRITE)
def kb_article_edit(article_id: int) -> Any:
    """Edit an article: saving records its next version; a version changed meanwhile is refused."""
    from payvand.sdk import FormResult

    article = session().get(Article, article_id)
    if article is None:
        abort(404)
    if request.method == "GET":
        return _form_page(FormResult.empty({"language": article.language, "title": article.title,
                                            "body": article.body, "category": article.category or "",
                                            "status": article.status, "public": article.public,
                                            "version": article.version}), article)
    return _save(article)


def _save(article: Article | None) -> Any:
    form = parse_form(ArticleIn(), verbatim=["body"])
    if not form.ok:
        return _form_page(form, article, status=422)
    if request.form.get("preview"):
        return _form_page(form, article, Markup(kb.render(form.data.get("body") or "")))  # noqa: S704 - nh3
    data = {**form.data, "category": (form.data.get("category") or "").strip() or None}
    if article is not None and request.form.get("version") != str(article.version):
        form.errors.setdefault("_form", []).append(
            _("Someone saved this article while you were editing it (now version %(version)s). "
              "Copy your text, reload and edit again.", version=article.version))
        return _form_page(form, article, status=409)
    saved = kb.save(session(), article or Article(), data, saved_by=current_actor().user_id)
    audit("create" if article is None else "update", "service_article", saved.id,
          after={"title": saved.title, "version": saved.version, "status": saved.status})
    session().commit()
    flash(_("Article saved as version %(version)s.", version=saved.version), "success")
    return redirect(url_for("service.kb_article", article_id=saved.id))


@bp.route("/service/kb/articles/<int:article_id>/history")
@staff_required(perm.KB_WRITE)
def kb_article_history(article_id: int) -> Any:
    """An article's saved versions, newest first."""
    article = session().get(Article, article_id)
    if article is None:
        abort(404)
    return render_template("service/kb_history.html", article=article, versions=kb.versions(session(), article_id))


@bp.route("/service/kb/articles/<int:article_id>/versions/<int:number>")
@staff_required(perm.KB_WRITE)
def kb_article_version(article_id: int, number: int) -> Any:
    """One old version as it read, and what changed from it to the current text."""
    article = session().get(Article, article_id)
    old = kb.version(session(), article_id, number) if article is not None else None
    if article is None or old is None:
        abort(404)
    current = kb.version(session(), article_id, article.version) or article
    return render_template("service/kb_version.html", article=article, old=old,
                           html=Markup(kb.render(old.body)),  # noqa: S704 - sanitised by nh3
                           changes=kb.diff(old, current))
