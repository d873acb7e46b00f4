"""The social value page: the weights of the score's parts, customers ranked by social score
(list kit) and saving them as a tag; a form to refresh the scores."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import flash, redirect, render_template, url_for

from payvand.plugins.analytics import permissions as perm
from payvand.plugins.analytics.services import local_days
from payvand.plugins.analytics.services import social as service
from payvand.plugins.analytics.services.lists import SOCIAL
from payvand.plugins.analytics.views import bp
from payvand.sdk import current_actor, gettext, lazy_gettext, list_view, session, staff_required

PART_LABELS = {"referrals": lazy_gettext("Referrals"), "reach": lazy_gettext("Reach"),
               "engagement": lazy_gettext("Engagement"), "influence": lazy_gettext("Influence")}
PART_HELP = {
    "referrals": lazy_gettext("Customers they referred"),
    "reach": lazy_gettext("Followers and contacts from channel fields"),
    "engagement": lazy_gettext("Visits, reviews, replies and chats in the window"),
    "influence": lazy_gettext("Revenue of the customers they referred, and damped of those these referred"),
}


@bp.get("/analytics/social")
@staff_required(perm.VIEW)
def social_page() -> Any:
    """The newest social run's weights and the customers ranked by social score."""
    run = service.latest_social_run()
    view = list_view(SOCIAL, session(), current_actor(), "analytics.social_page")
    weights = run.results.get("weights") if run else service.weights()
    return render_template("analytics/social.html", run=run, dates=_dates(run), view=view, parts=service.PARTS,
                           labels=PART_LABELS, help=PART_HELP, weights=weights), view.status


@bp.post("/analytics/social")
@staff_required(perm.RUN)
def social_run() -> Any:
    """Score social value over the last 365 days."""
    today = local_days.today()
    service.run_social(service.SocialOptions(today - dt.timedelta(days=364), today))
    session().commit()
    flash(gettext("Social value scored."), "success")
    return redirect(url_for("analytics.social_page"))


def _dates(run: Any) -> tuple[dt.date, dt.date] | None:
    if run is None:
        return None
    return dt.date.fromisoformat(run.options["start"]), dt.date.fromisoformat(run.options["end"])
