"""The bot resolution report (staff) and the public article page the bot's answers cite."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import abort, render_template, request
from markupsafe import Markup

from payvand.plugins.service import permissions as perm
from payvand.plugins.service.services import bot, kb
from payvand.plugins.service.services import live as live_service
from payvand.plugins.service.views import bp
from payvand.sdk import public_page, session, staff_required, utcnow


@bp.route("/service/reports/bot")
@staff_required(perm.TICKET_VIEW)
def bot_report() -> Any:
    """Bot resolution over the last `days` days (30 by default, at most 366)."""
    try:
        days = max(1, min(int(request.args.get("days", "30")), 366))
    except ValueError:
        days = 30
    end = utcnow() + dt.timedelta(minutes=1)
    figures = bot.resolution(session(), end - dt.timedelta(days=days), end)
    return render_template("service/bot_report.html", figures=figures, days=days)


@bp.route("/help/articles/<int:article_id>")
@public_page
def help_article(article_id: int) -> Any:
    """A published public article (what the bot's answers link to)."""
    article = live_service.public_article(session(), article_id)
    if article is None:
        abort(404)
    html = Markup(kb.render(article.body))  # noqa: S704 - sanitised by nh3
    return render_template("service/help_article.html", article=article, html=html,
                           page_locale=article.language if article.language in ("fa", "en") else "fa")
