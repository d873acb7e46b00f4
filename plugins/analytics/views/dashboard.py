"""The KPI dashboard page (`/analytics/dashboard`): every plugin's KPI widgets for a period and a
comparison, each drawn with Chart.js beside its table view; CSV exports (whole dashboard and per
widget); the personal or shared layout and the scheduled mail (`/analytics/dashboard/layout`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from marshmallow import ValidationError

from payvand.plugins.analytics import permissions as perm
from payvand.plugins.analytics.schemas import DashboardArgs, LayoutForm
from payvand.plugins.analytics.services import dashboard, dashboard_mail, periods
from payvand.plugins.analytics.views import bp
from payvand.sdk import Actor, FormResult, current_staff, gettext, lazy_gettext, local_zone, parse_form, session, staff_required


def _staff() -> Actor:
    """The logged-in user (`staff_required` guarantees one)."""
    actor = current_staff()
    assert actor is not None and actor.user_id is not None
    return actor


def _calendar() -> periods.Calendar:
    return "jalali" if str(get_locale() or "en") == "fa" else "gregorian"


PERIOD_LABELS = {
    "this_month": lazy_gettext("This month"), "last_month": lazy_gettext("Last month"),
    "this_quarter": lazy_gettext("This quarter"), "last_quarter": lazy_gettext("Last quarter"),
    "this_year": lazy_gettext("This year"), "last_year": lazy_gettext("Last year"),
    "custom": lazy_gettext("Custom dates"),
}
COMPARISON_LABELS = {"previous": lazy_gettext("Previous period"),
                     "last_year": lazy_gettext("Same period last year"), "none": lazy_gettext("No comparison")}
FREQUENCY_LABELS = {"none": lazy_gettext("Never"), "daily": lazy_gettext("Daily"), "weekly": lazy_gettext("Weekly"),
                    "monthly": lazy_gettext("Monthly")}


def _read() -> tuple[FormResult, dashboard.Choice | None, list[dashboard.Entry]]:
    """The filter's arguments (defaults from the user's layout), the resolved choice and the widgets."""
    actor = _staff()
    layout = dashboard.effective_layout(actor.user_id)
    values = {key: request.args.get(key, "").strip() for key in ("period", "comparison", "start", "end")}
    values = {k: v for k, v in values.items() if v}
    values.setdefault("period", layout.period if layout else "this_month")
    values.setdefault("comparison", layout.comparison if layout else "previous")
    try:
        data = DashboardArgs().load(values)
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"period": exc.messages}
        errors = {str(k): [str(m) for m in (v if isinstance(v, list) else [v])] for k, v in messages.items()}
        return FormResult(values=values, errors=errors), None, []
    today = dt.datetime.now(local_zone()).date()
    choice = dashboard.choose(data["period"], data["comparison"], _calendar(), today, data["start_day"],
                              data["end_day"])
    return FormResult(values=values, data=data), choice, dashboard.entries(actor, layout)


def _args(form: FormResult) -> dict[str, Any]:
    return {k: v for k, v in form.values.items() if k in ("period", "comparison", "start", "end") and v}


@bp.get("/analytics/dashboard")
@staff_required(perm.VIEW)
def dashboard_page() -> Any:
    """The KPI dashboard for the chosen period and comparison (422 with the field errors when the
    dates are wrong)."""
    form, choice, entries = _read()
    if choice is None:
        return render_template("analytics/dashboard.html", form=form, choice=None, cards=[], args={},
                               period_labels=PERIOD_LABELS, comparison_labels=COMPARISON_LABELS), 422
    results = dashboard.compute(_staff(), entries, choice.period, choice.comparison, background=True)
    session().commit()  # the background computations just queued
    cards = [{"result": r, "chart": dashboard.chart_spec(r, choice.period, choice.comparison),
              "id": "kpi-" + r.widget.key.replace(".", "-").replace("_", "-"),
              "value": dashboard.display(r.data.value, r.widget.unit, r.data.currency) if r.data else "",
              "previous": dashboard.display(r.data.previous, r.widget.unit, r.data.currency) if r.data else ""}
             for r in results]
    return render_template("analytics/dashboard.html", form=form, choice=choice, cards=cards, args=_args(form),
                           period_labels=PERIOD_LABELS, comparison_labels=COMPARISON_LABELS,
                           period_text=periods.label(choice.period),
                           comparison_text=periods.label(choice.comparison) if choice.comparison else "")


def _csv(results: list[dashboard.Result], choice: dashboard.Choice, name: str) -> Response:
    text = dashboard.to_csv(results, choice.period, choice.comparison)
    return Response(text, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})


@bp.get("/analytics/dashboard.csv")
@staff_required(perm.VIEW)
def dashboard_csv() -> Any:
    """The whole dashboard (the widgets shown) as CSV, one row per figure."""
    form, choice, entries = _read()
    if choice is None:
        abort(422)
    results = dashboard.compute(_staff(), entries, choice.period, choice.comparison, background=True)
    session().commit()
    return _csv(results, choice, "dashboard")


@bp.get("/analytics/dashboard/<string:key>.csv")
@staff_required(perm.VIEW)
def dashboard_widget_csv(key: str) -> Any:
    """One widget as CSV (404 for a widget the user may not see or that does not exist)."""
    form, choice, entries = _read()
    if choice is None:
        abort(422)
    found = [dashboard.Entry(e.plugin, e.widget) for e in entries if e.widget.key == key]
    if not found:
        abort(404)
    results = dashboard.compute(_staff(), found, choice.period, choice.comparison, background=True)
    session().commit()
    return _csv(results, choice, "dashboard-" + key.replace(".", "-"))


def _layout_page(form: FormResult, status: int = 200) -> Any:
    actor = _staff()
    scope = request.values.get("scope", "personal")
    shared = scope == "shared" and actor.can(perm.DASHBOARD_MANAGE)
    layout = dashboard.layout_row(None) if shared else dashboard.effective_layout(actor.user_id)
    entries = dashboard.entries(actor, layout)
    own = dashboard.layout_row(actor.user_id)
    return render_template("analytics/dashboard_layout.html", form=form, entries=entries, layout=layout,
                           shared=shared, own=own, period_labels=PERIOD_LABELS, comparison_labels=COMPARISON_LABELS,
                           frequency_labels=FREQUENCY_LABELS), status


@bp.get("/analytics/dashboard/layout")
@staff_required(perm.VIEW)
def dashboard_layout() -> Any:
    """Choose, order and hide widgets; the default period; the scheduled mail (personal or, with
    `analytics.dashboard.manage`, the shared default)."""
    return _layout_page(FormResult.empty())


@bp.post("/analytics/dashboard/layout")
@staff_required(perm.VIEW)
def dashboard_layout_save() -> Any:
    """Save the layout (the user's own; the shared default with `scope=shared` and the permission)."""
    actor = _staff()
    form = parse_form(LayoutForm(), lists=["keys", "positions", "hidden"])
    if form.ok and form.data["scope"] == "shared" and not actor.can(perm.DASHBOARD_MANAGE):
        abort(403)
    if not form.ok:
        return _layout_page(form, 422)
    data = form.data
    order = [key for _, _, key in sorted(zip(data["positions"], range(len(data["keys"])), data["keys"],
                                             strict=True))]
    user_id = None if data["scope"] == "shared" else actor.user_id
    row = dashboard.save_layout(user_id, order, data["hidden"], period=data["period"], comparison=data["comparison"])
    if user_id is not None:
        dashboard_mail.schedule(row, data["mail_frequency"])
    session().commit()
    flash(gettext("Dashboard saved."), "success")
    return redirect(url_for("analytics.dashboard_page"))


@bp.post("/analytics/dashboard/layout/reset")
@staff_required(perm.VIEW)
def dashboard_layout_reset() -> Any:
    """Forget the user's personal layout (and its mail): the shared default applies again."""
    dashboard.reset_layout(int(_staff().user_id or 0))
    session().commit()
    flash(gettext("Your dashboard follows the shared default again."), "success")
    return redirect(url_for("analytics.dashboard_page"))


@bp.post("/analytics/dashboard/refresh")
@staff_required(perm.RUN)
def dashboard_refresh() -> Any:
    """Mark the stored figures stale: the next views show them while they are computed again in the background."""
    dashboard.clear_snapshots()
    session().commit()
    flash(gettext("The dashboard's figures will be computed again."), "success")
    kept: dict[str, Any] = {k: v for k, v in request.form.items() if k in ("period", "comparison", "start", "end") and v}
    return redirect(url_for("analytics.dashboard_page", **kept))
