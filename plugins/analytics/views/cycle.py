"""The e-CRM cycle page: customers per stage at each month end (Jalali months on Persian pages,
Gregorian on English ones), the flows between stages, and the funnel lead → customer → repeat →
loyal, each chart with its table view; read from the newest stored cycle run."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_babel import get_locale

from payvand.plugins.analytics import permissions as perm
from payvand.plugins.analytics.services import local_days
from payvand.plugins.analytics.views import bp
from payvand.sdk import lazy_gettext, session, staff_required

STAGE_LABELS = {"selection": lazy_gettext("Selection (prospects)"), "acquisition": lazy_gettext("Acquisition (first purchase)"),
                "retention": lazy_gettext("Retention (repeat buyers)"), "expansion": lazy_gettext("Expansion (growing)"),
                "new": lazy_gettext("New customer")}
FUNNEL_LABELS = (lazy_gettext("Leads"), lazy_gettext("Customers"), lazy_gettext("Repeat buyers"), lazy_gettext("Loyal"))


def _charts(results: dict[str, Any], calendar: str) -> list[dict[str, Any]]:
    months = results["months"][calendar]
    stages = ("selection", "acquisition", "retention", "expansion")
    charts = [{"id": "cycle-stages", "type": "line", "title": str(lazy_gettext("Customers per stage at each month end")),
               "x": str(lazy_gettext("Month")), "labels": months["labels"],
               "series": [{"label": str(STAGE_LABELS[s]), "data": months["counts"][s]} for s in stages]}]
    moves = (("selection", "acquisition"), ("new", "acquisition"), ("acquisition", "retention"),
             ("retention", "expansion"), ("expansion", "retention"))
    flows = months["flows"]
    charts.append({"id": "cycle-flows", "type": "bar", "title": str(lazy_gettext("Moves between stages per month")),
                   "x": str(lazy_gettext("Month")), "labels": months["labels"][1:],
                   "series": [{"label": f"{STAGE_LABELS[a]} → {STAGE_LABELS[b]}",
                               "data": [flow.get(a, {}).get(b, 0) for flow in flows]} for a, b in moves]})
    charts.append({"id": "cycle-funnel", "type": "bar", "title": str(lazy_gettext("Funnel: lead → customer → repeat → loyal")),
                   "x": str(lazy_gettext("Step")), "labels": [str(label) for label in FUNNEL_LABELS],
                   "series": [{"label": str(lazy_gettext("From leads")), "data": results["funnel_leads"]},
                              {"label": str(lazy_gettext("Every buyer")), "data": [0, *results["funnel_all"][1:]]}]})
    return charts


@bp.get("/analytics/cycle")
@staff_required(perm.VIEW)
def cycle_page() -> str:
    """The newest cycle run: stage sizes, monthly counts and flows, and the funnel."""
    from payvand.plugins.analytics.services.cycle import latest_cycle

    run = latest_cycle()
    calendar = "jalali" if str(get_locale() or "en") == "fa" else "gregorian"
    charts = _charts(run.results, calendar) if run else []
    last_flows = run.results["months"][calendar]["flows"][-1] if run and run.results["months"][calendar]["flows"] else {}
    return render_template("analytics/cycle.html", run=run, charts=charts, labels=STAGE_LABELS, last_flows=last_flows)


@bp.post("/analytics/cycle")
@staff_required(perm.RUN)
def cycle_run() -> Any:
    """Compute the cycle again up to today."""

    from payvand.plugins.analytics.services.cycle import run_cycle

    try:
        run_cycle(local_days.today())
    except ValueError as exc:
        session().rollback()
        flash(str(exc), "warning")
        return redirect(url_for("analytics.cycle_page"))
    session().commit()
    flash(str(lazy_gettext("Customer cycle computed again.")), "success")
    return redirect(url_for("analytics.cycle_page"))
