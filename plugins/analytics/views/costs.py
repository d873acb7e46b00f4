"""The marketing costs pages: the list (list kit) with a form to add a cost and a CSV import,
and the page to change or delete one. Dates are typed in the user's calendar (Jalali in `fa`)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask import session as web_session
from flask_babel import get_locale
from marshmallow import ValidationError

from payvand.plugins.analytics import permissions as perm
from payvand.plugins.analytics.models import Cost
from payvand.plugins.analytics.schemas import PURPOSES, CostIn
from payvand.plugins.analytics.services import costs as service
from payvand.plugins.analytics.services.lists import COSTS, PURPOSE_LABELS
from payvand.plugins.analytics.views import bp
from payvand.sdk import (
    FormResult,
    current_actor,
    format_date,
    gettext,
    list_view,
    parse_date,
    read_number,
    session,
    staff_required,
)

RESULT_KEY = "analytics.cost_import"
#: The largest costs file the page imports (a few thousand rows; larger ones through the API or CLI).
MAX_UPLOAD = 2 * 1024 * 1024
FIELDS = ("period_start", "period_end", "purpose", "channel", "campaign", "amount", "currency", "note")


def _locale() -> str:
    return str(get_locale() or "en")


def read_cost_form() -> FormResult:
    """The submitted cost form validated by `CostIn`; dates read in the user's calendar, the
    amount by the one number rule ("۱٬۲۵۰" is 1250)."""
    values = {name: request.form.get(name, "").strip() for name in FIELDS}
    errors: dict[str, list[str]] = {}
    data: dict[str, Any] = {k: v for k, v in values.items() if v != ""}
    for name in ("period_start", "period_end"):
        if data.get(name):
            try:
                data[name] = parse_date(data[name], _locale()).isoformat()
            except ValueError:
                errors[name] = [gettext("Not a valid date.")]
                data.pop(name)
    if data.get("amount"):
        try:
            data["amount"] = str(read_number(data["amount"]))
        except ValueError as exc:
            errors["amount"] = [str(exc)]
            data.pop("amount")
    result = FormResult(values=values, errors=errors)
    try:
        result.data = CostIn().load(data)
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_form": exc.messages}
        for name, texts in messages.items():
            errors.setdefault(name, []).extend(texts if isinstance(texts, list) else [str(texts)])
    return result


def _page(form: FormResult, status: int = 200) -> Any:
    view = list_view(COSTS, session(), current_actor(), "analytics.costs_page")
    report = web_session.get(RESULT_KEY)
    return render_template("analytics/costs.html", view=view, form=form, purposes=_purposes(), report=report,
                           columns=service.CSV_COLUMNS), status if view.status == 200 else view.status


def _purposes() -> list[tuple[str, str]]:
    return [(p, str(PURPOSE_LABELS[p])) for p in PURPOSES]


def _empty_form() -> FormResult:
    from payvand.sdk import setting

    return FormResult.empty({"purpose": "acquisition", "currency": str(setting("core.currency") or "IRR")})


@bp.get("/analytics/costs")
@staff_required(perm.VIEW)
def costs_page() -> Any:
    """The recorded costs (filters, newest period first), the form to add one and the import."""
    return _page(_empty_form())


@bp.post("/analytics/costs")
@staff_required(perm.COSTS)
def cost_create() -> Any:
    """Add a cost (422 with the form's field errors)."""
    form = read_cost_form()
    if form.errors:
        return _page(form, 422)
    try:
        service.save_cost(form.data)
    except service.DuplicateCost:
        session().rollback()
        form.errors["period_start"] = [gettext("A cost with this purpose, channel, campaign, period and currency "
                                               "exists; change that one.")]
        return _page(form, 422)
    session().commit()
    flash(gettext("Cost saved."), "success")
    return redirect(url_for("analytics.costs_page"))


def _cost_or_404(cost_id: int) -> Cost:
    cost = session().get(Cost, cost_id)
    if cost is None:
        abort(404)
    return cost


def _values(cost: Cost) -> dict[str, Any]:
    return {"period_start": format_date(cost.period_start, "short") if _locale() == "fa" else cost.period_start.isoformat(),
            "period_end": format_date(cost.period_end, "short") if _locale() == "fa" else cost.period_end.isoformat(),
            "purpose": cost.purpose, "channel": cost.channel, "campaign": cost.campaign,
            "amount": format(cost.amount.normalize(), "f"), "currency": cost.currency, "note": cost.note}


@bp.route("/analytics/costs/<int:cost_id>", methods=["GET", "POST"])
@staff_required(perm.COSTS)
def cost_edit(cost_id: int) -> Any:
    """Change a cost."""
    cost = _cost_or_404(cost_id)
    if request.method == "GET":
        return render_template("analytics/cost_edit.html", cost=cost, form=FormResult.empty(_values(cost)),
                               purposes=_purposes())
    form = read_cost_form()
    if not form.errors:
        try:
            service.save_cost(form.data, cost)
        except service.DuplicateCost:
            session().rollback()
            form.errors["period_start"] = [gettext("A cost with this purpose, channel, campaign, period and currency "
                                                   "exists; change that one.")]
    if form.errors:
        return render_template("analytics/cost_edit.html", cost=cost, form=form, purposes=_purposes()), 422
    session().commit()
    flash(gettext("Cost saved."), "success")
    return redirect(url_for("analytics.costs_page"))


@bp.post("/analytics/costs/<int:cost_id>/delete")
@staff_required(perm.COSTS)
def cost_delete(cost_id: int) -> Any:
    """Delete a cost."""
    service.delete_cost(_cost_or_404(cost_id))
    session().commit()
    flash(gettext("Cost deleted."), "success")
    return redirect(url_for("analytics.costs_page"))


@bp.post("/analytics/costs/import")
@staff_required(perm.COSTS)
def costs_import() -> Any:
    """Import a costs CSV: good rows kept, bad rows listed with line and reason (shown on the page)."""
    import io

    upload = request.files.get("file")
    form = _empty_form()
    data = upload.read(MAX_UPLOAD + 1) if upload is not None else b""
    if not data.strip():
        form.errors["file"] = [gettext("Choose a CSV file.")]
    elif len(data) > MAX_UPLOAD:
        form.errors["file"] = [gettext("The file is larger than 2 MB; import it with the API or the CLI.")]
    if form.errors:
        return _page(form, 422)
    report = service.import_costs(io.BytesIO(data))
    session().commit()
    web_session[RESULT_KEY] = {**report.as_dict(), "errors": report.as_dict()["errors"][:100]}
    flash(gettext("%(created)s costs added and %(updated)s updated; %(refused)s rows refused.",
                  created=report.created, updated=report.updated, refused=report.refused),
          "success" if not report.refused else "warning")
    return redirect(url_for("analytics.costs_page"))
