"""`/api/v1/service/articles`: the knowledge base — write, read, search.

Reading and searching need `service.ticket.view`; writing `service.ticket.edit`.
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from payvand.plugins.service import permissions as perm
from payvand.plugins.service.api import blp
from payvand.plugins.service.models import Article
from payvand.plugins.service.schemas import ArticleIn, ArticleOut, ArticleSearchArgs
from payvand.plugins.service.services import kb
from payvand.sdk import ApiError, audit, require, session


@blp.route("/articles")
class Articles(MethodView):
    """Articles."""

    @require(perm.TICKET_VIEW)
    @blp.arguments(ArticleSearchArgs, location="query")
    @blp.response(200, ArticleOut(many=True))
    def get(self, args: dict[str, Any]) -> Any:
        """Search, best first: stems of `q` (Persian letters, ZWNJ and digits folded) ranked BM25-like, title first."""
        return kb.search(session(), args["q"], language=args.get("language"), public_only=args["public_only"])

    @require(perm.TICKET_EDIT)
    @blp.arguments(ArticleIn)
    @blp.response(201, ArticleOut)
    def post(self, data: dict[str, Any]) -> Any:
        """Write an article."""
        article = kb.save(session(), Article(), data)
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

    @require(perm.TICKET_EDIT)
    @blp.arguments(ArticleIn)
    @blp.response(200, ArticleOut)
    def put(self, data: dict[str, Any], article_id: int) -> Any:
        """Replace an article (its version goes up)."""
        found = session().get(Article, article_id)
        if found is None:
            raise ApiError(404, f"There is no article {article_id}.")
        kb.save(session(), found, data)
        audit("update", "service_article", found.id, after={"title": found.title, "version": found.version})
        session().commit()
        return found
