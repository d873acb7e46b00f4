"""The recommendations page: the newest fit, its time-split evaluation against the most-popular
baseline (chart and table), "customers who bought this also bought" for one product, and a
button to fit again."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import flash, redirect, render_template, request, url_for

from payvand.plugins.analytics import permissions as perm
from payvand.plugins.analytics.services import local_days
from payvand.plugins.analytics.views import bp
from payvand.sdk import lazy_gettext, session, staff_required

#: Days after the split the page's fit is evaluated on.
EVALUATION_DAYS = 90


@bp.get("/analytics/recommendations")
@staff_required(perm.VIEW)
def recommendations_page() -> str:
    """The newest fit with its evaluation; `?product=ID` lists what that product's buyers also bought."""
    from payvand.plugins.analytics.services import recommend

    run = recommend.latest_run()
    evaluation = (run.results or {}).get("evaluation") if run else None
    chart = None
    if evaluation and evaluation.get("customers"):
        chart = {"id": "recommend-hit-rate", "type": "bar",
                 "title": str(lazy_gettext("Hit-rate@%(k)s on the time split", k=evaluation["k"])),
                 "x": str(lazy_gettext("Method")),
                 "labels": [str(lazy_gettext("Item-item model")), str(lazy_gettext("Most popular (baseline)"))],
                 "series": [{"label": str(lazy_gettext("Share of customers with a hit (%)")),
                             "data": [round(100 * evaluation["model_hit_rate"], 1),
                                      round(100 * evaluation["popular_hit_rate"], 1)]}]}
    product_text = request.args.get("product", "").strip()
    product_id = int(product_text) if product_text.isdigit() and 0 < int(product_text) < 2**63 else None
    also = recommend.also_bought(product_id, 10, run=run) if product_id and run else None
    split_date = dt.date.fromisoformat(evaluation["split"]) if evaluation else None
    return render_template("analytics/recommendations.html", run=run, evaluation=evaluation, chart=chart,
                           split_date=split_date,
                           product_text=product_text, product_id=product_id, also=also,
                           product_invalid=bool(product_text) and product_id is None)


@bp.post("/analytics/recommendations")
@staff_required(perm.RUN)
def recommendations_run() -> Any:
    """Fit the model on every purchase and evaluate it on the last 90 days."""
    from payvand.plugins.analytics.services import recommend

    try:
        recommend.run_recommend(evaluate_from=local_days.today() - dt.timedelta(days=EVALUATION_DAYS))
    except recommend.NoPurchases as exc:
        session().rollback()
        flash(str(exc), "warning")
        return redirect(url_for("analytics.recommendations_page"))
    session().commit()
    flash(str(lazy_gettext("Recommendations fitted.")), "success")
    return redirect(url_for("analytics.recommendations_page"))
