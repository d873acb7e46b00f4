"""`/api/v1/service/articles`: the knowledge base — write, read, search.

Reading and searching need `service.ticket.view`; writing `service.kb.write`. Every write is
recorded as the article's next version (`/articles/<id>/versions`).
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from payvand.plugins.service import permissions as perm
from payvand.plugins.service.api import blp
from payvand.plugins.service.models import Article
from payvand.plugins.service.schemas import ArticleIn, ArticleOut, ArticleSearchArgs, ArticleVersionOut
from payvand.plugins.service.services import kb
from payvand.sdk import ApiError, audit, current_actor, require, session


@blp.route("/articles")
class Articles(MethodView):
    """Articles."""

    @require(perm.TICKET_VIEW)
    @blp.arguments(ArticleSearchArgs, location="query")
    @blp.response(200, ArticleOut(many=True))
    def get(self, args: dict[str, Any]) -> Any:
        """Search, best first: stems of `q` (Persian letters, ZWNJ and digits folded) ranked BM25-like, title first."""
        return kb.search(session(), args["q"], language=args.get("language"), public_only=args["public_only"])

    @require(perm.KB_WRITE)
    @blp.arguments(ArticleIn)
    @blp.response(201, ArticleOut)
    def post(self, data: dict[str, Any]) -> Any:
        """Write an article (its version 1)."""
        article = kb.save(session(), Article(), data, saved_by=current_actor().user_id)
        audit("create", "service_article", article.id, after={"title": article.title})
        session().commit()
        return article, 201


@blp.route("/articles/<int:article_id>")
class ArticleItem(MethodView):
    """One article."""

    @require(perm.TICKET_VIEW)
    @blp.response(200, ArticleOut)
    def get(self, article_id: int) -> Any:
        """An article with its rendered HTML."""
        found = session().get(Article, article_id)
        if found is None:
            raise ApiError(404, f"There is no article {article_id}.")
        return found

    @require(perm.KB_WRITE)
    @blp.arguments(ArticleIn)
    @blp.response(200, ArticleOut)
    def put(self, data: dict[str, Any], article_id: int) -> Any:
        """Replace an article: saved as its next version (the old ones stay in its history)."""
        found = session().get(Article, article_id)
        if found is None:
            raise ApiError(404, f"There is no article {article_id}.")
        kb.save(session(), found, data, saved_by=current_actor().user_id)
        audit("update", "service_article", found.id, after={"title": found.title, "version": found.version})
        session().commit()
        return found


@blp.route("/articles/<int:article_id>/versions")
@require(perm.TICKET_VIEW)
@blp.response(200, ArticleVersionOut(many=True))
def article_versions(article_id: int) -> Any:
    """An article's saved versions, newest first (each create and edit adds one)."""
    if session().get(Article, article_id) is None:
        raise ApiError(404, f"There is no article {article_id}.")
    return kb.versions(session(), article_id)


@blp.route("/articles/<int:article_id>/versions/<int:number>")
@require(perm.TICKET_VIEW)
@blp.response(200, ArticleVersionOut)
def article_version(article_id: int, number: int) -> Any:
    """One saved version of an article, with its rendered HTML."""
    found = kb.version(session(), article_id, number)
    if found is None:
        raise ApiError(404, f"Article {article_id} has no version {number}.")
    return found
