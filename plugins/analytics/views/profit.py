"""The costs and profitability page: CAC and cost to keep per month of the newest costs run
(chart and table), customers ranked by profitability (list kit, CSV) and saving the matching
customers as a tag ("pick target customers by profitability")."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from flask import flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from marshmallow import ValidationError

from payvand.plugins.analytics import permissions as perm
from payvand.plugins.analytics.schemas import FIRST_DAY, LAST_DAY
from payvand.plugins.analytics.services import profit as service
from payvand.plugins.analytics.services.lists import PROFIT, SOCIAL, matching_ids
from payvand.plugins.analytics.views import bp
from payvand.sdk import (
    ApiError,
    ListSpec,
    csv_response,
    current_actor,
    gettext,
    lazy_gettext,
    list_args,
    list_view,
    parse_date,
    session,
    staff_required,
    tag_customers,
)


def _period_chart(run: Any) -> dict[str, Any] | None:
    periods = run.results.get("periods", []) if run else []
    if not periods:
        return None
    return {"id": "costs-per-customer", "type": "bar", "title": str(lazy_gettext("Cost per customer by month")),
            "x": str(lazy_gettext("Month")), "labels": [p["month"].replace("-", "/") for p in periods],
            "series": [{"label": str(lazy_gettext("Acquisition cost (CAC)")),
                        "data": [None if p["cac"] is None else round(p["cac"], 2) for p in periods]},
                       {"label": str(lazy_gettext("Cost to keep")),
                        "data": [None if p["cost_to_keep"] is None else round(p["cost_to_keep"], 2) for p in periods]}]}


@bp.get("/analytics/profit")
@staff_required(perm.VIEW)
def profit_page() -> Any:
    """CAC and cost to keep per month, and the customers ranked by profitability."""
    run = service.latest_costs_run()
    view = list_view(PROFIT, session(), current_actor(), "analytics.profit_page")
    return render_template("analytics/profit.html", run=run, dates=_dates(run), chart=_period_chart(run), view=view), view.status


@bp.get("/analytics/profit.csv")
@staff_required(perm.VIEW)
def profit_csv() -> Any:
    """The ranked customers matching the page's filters, as CSV."""
    try:
        args = list_args(PROFIT)
    except ValidationError:  # a refused filter: back to the page, which says why
        return redirect(url_for("analytics.profit_page", **dict(request.args)))  # type: ignore[arg-type]
    return csv_response(PROFIT, session(), args, current_actor(), "profitability.csv")


@bp.post("/analytics/profit")
@staff_required(perm.RUN)
def profit_run() -> Any:
    """Allocate the costs and score profitability over the form's months (default: the last twelve)."""
    locale = str(get_locale() or "en")
    options = service.default_options()
    try:
        start_text, end_text = request.form.get("start", "").strip(), request.form.get("end", "").strip()
        end = parse_date(end_text, locale) if end_text else options.end
        start = parse_date(start_text, locale) if start_text else options.start
    except ValueError:
        flash(gettext("Not a valid date."), "danger")
        return redirect(url_for("analytics.profit_page"))
    if start > end or (end - start).days > 366 * 5 or start < FIRST_DAY or end > LAST_DAY:
        flash(gettext("Give a period of at most five years whose start is not after its end."), "danger")
        return redirect(url_for("analytics.profit_page"))
    try:
        service.run_costs(service.CostsOptions(start, end))
    except ValueError as exc:
        session().rollback()
        flash(str(exc), "warning")
        return redirect(url_for("analytics.profit_page"))
    session().commit()
    flash(gettext("Costs allocated and customers ranked by profitability."), "success")
    return redirect(url_for("analytics.profit_page"))


def save_as_tag(spec: ListSpec, endpoint: str) -> Any:
    """Tag every customer of `spec` matching the posted filters with the posted tag."""
    params = {key: value for key, value in request.form.items() if key not in ("csrf_token", "tag")}
    tag = request.form.get("tag", "").strip()
    try:
        args = list_args(spec, params)
    except ValidationError:
        flash(gettext("The filters are not valid."), "danger")
        return redirect(url_for(endpoint))
    back = url_for(endpoint) + ("?" + urlencode(params) if params else "")
    if not tag or len(tag) > 64 or "|" in tag:
        flash(gettext("Give a tag of 1 to 64 characters without |."), "danger")
        return redirect(back)
    try:
        count = tag_customers(matching_ids(spec, args, current_actor(), session()), tag)
    except ApiError as exc:
        session().rollback()
        flash(str(exc), "danger")
        return redirect(back)
    session().commit()
    flash(gettext("%(count)s customers tagged %(tag)s.", count=count, tag=tag), "success")
    return redirect(back)


@bp.post("/analytics/profit/tag")
@staff_required(perm.TARGET)
def profit_tag() -> Any:
    """Save the customers matching the filters as a tag (marketing segments and the customer list filter on it)."""
    return save_as_tag(PROFIT, "analytics.profit_page")


@bp.post("/analytics/social/tag")
@staff_required(perm.TARGET)
def social_tag() -> Any:
    """Save the customers matching the social list's filters as a tag."""
    return save_as_tag(SOCIAL, "analytics.social_page")


def _dates(run: Any) -> tuple[dt.date, dt.date] | None:
    if run is None:
        return None
    return dt.date.fromisoformat(run.options["start"]), dt.date.fromisoformat(run.options["end"])
