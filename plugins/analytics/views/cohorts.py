"""The cohort retention page: customers by first-purchase month and the share buying again each
month after (Jalali months on Persian pages, Gregorian on English ones)."""

from __future__ import annotations

from flask import render_template
from flask_babel import get_locale

from payvand.plugins.analytics import permissions as perm
from payvand.plugins.analytics.views import bp
from payvand.sdk import staff_required


@bp.get("/analytics/cohorts")
@staff_required(perm.VIEW)
def cohorts_page() -> str:
    """The retention matrix of the last twelve first-purchase months (computed on request: two queries)."""
    from payvand.plugins.analytics.services.cohorts import Calendar, retention

    calendar: Calendar = "jalali" if str(get_locale() or "en") == "fa" else "gregorian"
    cohorts = retention(calendar)
    width = max((len(c.retained) for c in cohorts), default=0)
    return render_template("analytics/cohorts.html", cohorts=cohorts, width=width)
