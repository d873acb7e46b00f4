"""The lifetime-value page: the last fit's parameters, the paper's model checks as charts with
table views, and the customers ranked by CLV; a form to run a new fit."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_babel import get_locale

from payvand.plugins.analytics import permissions as perm
from payvand.plugins.analytics.models import CustomerClv, Run
from payvand.plugins.analytics.services import local_days
from payvand.plugins.analytics.views import bp
from payvand.sdk import Customer, lazy_gettext, parse_date, session, staff_required

#: Customers listed on the page (the highest CLV first).
TOP_CUSTOMERS = 50


def latest_clv_run() -> Run | None:
    """The newest lifetime-value run, or None."""
    return session().scalars(sa.select(Run).where(Run.kind == "clv").order_by(Run.id.desc()).limit(1)).first()


def _top_customers(run_id: int) -> list[Any]:
    return list(session().execute(
        sa.select(CustomerClv, Customer.display_name)
        .join(Customer, Customer.id == CustomerClv.customer_id)
        .where(CustomerClv.run_id == run_id)
        .order_by(CustomerClv.clv.desc(), CustomerClv.customer_id)
        .limit(TOP_CUSTOMERS)))


#: P(alive) under which a customer is on the churn-risk list.
CHURN_RISK_BELOW = 0.5


def _churn_risk(run_id: int) -> list[Any]:
    """Customers the model thinks have probably left, the ones who bought most often and most first:
    the list for retention work."""
    return list(session().execute(
        sa.select(CustomerClv, Customer.display_name)
        .join(Customer, Customer.id == CustomerClv.customer_id)
        .where(CustomerClv.run_id == run_id, CustomerClv.p_alive < CHURN_RISK_BELOW, CustomerClv.frequency > 0)
        .order_by((CustomerClv.frequency * CustomerClv.monetary).desc(), CustomerClv.customer_id)
        .limit(TOP_CUSTOMERS)))


def _charts(run: Run) -> list[dict[str, Any]]:
    """The model checks as chart specifications (one per figure), each with its table."""
    report = run.report or {}
    charts = []
    histogram = report.get("histogram")
    if histogram:
        charts.append({"id": "clv-histogram", "type": "bar",
                       "title": str(lazy_gettext("Customers by repeat purchases in the calibration period")),
                       "x": str(lazy_gettext("Repeat purchases")), "labels": histogram["labels"],
                       "series": [{"label": str(lazy_gettext("Actual")), "data": histogram["actual"]},
                                  {"label": str(lazy_gettext("Model")), "data": [round(v, 1) for v in histogram["predicted"]]}]})
    conditional = report.get("conditional")
    if conditional:
        rounded = {key: [round(v, 2) for v in conditional[key]] for key in ("actual", "predicted")}
        charts.append({"id": "clv-conditional", "type": "line",
                       "title": str(lazy_gettext("Mean purchases in the holdout period by repeat purchases in calibration")),
                       "x": str(lazy_gettext("Repeat purchases")), "labels": conditional["labels"],
                       "series": [{"label": str(lazy_gettext("Actual")), "data": rounded["actual"]},
                                  {"label": str(lazy_gettext("Model")), "data": rounded["predicted"]}]})
    tracking = report.get("tracking")
    if tracking:
        charts.append({"id": "clv-tracking", "type": "line",
                       "title": str(lazy_gettext("Cumulative repeat purchases")),
                       "x": str(lazy_gettext("Period")), "labels": [str(int(p)) for p in tracking["periods"]],
                       "series": [{"label": str(lazy_gettext("Actual")), "data": tracking["actual"]},
                                  {"label": str(lazy_gettext("Model")), "data": [round(v, 1) for v in tracking["predicted"]]}]})
    return charts


@bp.get("/analytics/clv")
@staff_required(perm.VIEW)
def clv_page() -> str:
    """The last lifetime-value fit: parameters, model checks and the most valuable customers."""
    run = latest_clv_run()
    return render_template("analytics/clv.html", run=run, charts=_charts(run) if run else [],
                           fit=shown_fit(run.results or {}) if run else {},
                           customers=_top_customers(run.id) if run else [],
                           churn_risk=_churn_risk(run.id) if run else [],
                           calibration_end=_option_date(run, "calibration_end"), holdout_end=_option_date(run, "holdout_end"),
                           scored_on=_scored_on(run))


def shown_fit(results: dict[str, Any]) -> dict[str, Any]:
    """The fitted parameters to four significant digits (the papers' precision; the API and the
    stored run keep every digit) and the log-likelihoods to two decimals."""
    def significant(value: Any) -> float | None:
        return float(f"{float(value):.4g}") if value is not None else None

    return {"bgnbd": {k: significant(v) for k, v in (results.get("bgnbd") or {}).items()},
            "gamma_gamma": {k: significant(v) for k, v in (results.get("gamma_gamma") or {}).items()},
            **{k: round(float(results[k]), 2) if results.get(k) is not None else None
               for k in ("bgnbd_log_likelihood", "gamma_gamma_log_likelihood")}}


def _scored_on(run: Run | None) -> dt.date | None:
    """The day the run's per-customer figures are as of, when it is not the calibration end."""
    value = (run.results or {}).get("scored_on") if run else None
    scored = dt.date.fromisoformat(value) if value else None
    return scored if scored and scored != _option_date(run, "calibration_end") else None


def _option_date(run: Run | None, key: str) -> dt.date | None:
    value = (run.options or {}).get(key) if run else None
    return dt.date.fromisoformat(value) if value else None


@bp.post("/analytics/clv")
@staff_required(perm.RUN)
def clv_run() -> Any:
    """Fit again on the instance's purchases with the form's calibration end (default: today)."""
    from payvand.plugins.analytics.services.lifetime import ClvOptions, NoPurchases, run_instance

    locale = str(get_locale() or "en")
    text = request.form.get("calibration_end", "").strip()
    period = request.form.get("period", "week")
    try:
        end = parse_date(text, locale) if text else local_days.today()
    except ValueError:
        flash(str(lazy_gettext("Not a valid date.")), "danger")
        return redirect(url_for("analytics.clv_page"))
    if period not in ("day", "week", "month"):
        period = "week"
    today = local_days.today()
    try:
        run_instance(ClvOptions(end, period, holdout_end=today if end < today else None))
    except NoPurchases as exc:
        session().rollback()
        flash(str(exc), "warning")
        return redirect(url_for("analytics.clv_page"))
    session().commit()
    flash(str(lazy_gettext("Lifetime value fitted again.")), "success")
    return redirect(url_for("analytics.clv_page"))
