"""The sales reports page, its CSV export and the start page's sales widget."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import sqlalchemy as sa
from flask import Response, render_template, request
from marshmallow import Schema, ValidationError, fields, validates_schema

from payvand.sdk import FormResult, Panel, User, lazy_gettext, session, staff_required

from payvand.plugins.sales import permissions as perm
from payvand.plugins.sales.models import Product
from payvand.plugins.sales.services import reports
from payvand.plugins.sales.views import bp

UTC = dt.timezone.utc
REPORTS = ("revenue_by_month", "revenue_by_product", "revenue_by_owner", "win_rate", "lead_conversion")


class PeriodArgs(Schema):
    """The period of the reports: from and to dates (inclusive), this year by default."""

    start = fields.Date(load_default=None)
    end = fields.Date(load_default=None)

    @validates_schema
    def _ordered(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise ValidationError("The start must not be after the end.", "end")


def _period(args: dict[str, Any]) -> reports.Period:
    today = dt.date.today()
    start = args.get("start") or dt.date(today.year, 1, 1)
    end = args.get("end") or dt.date(today.year, 12, 31)
    return reports.Period(dt.datetime.combine(start, dt.time(), UTC),
                          dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), UTC))


def _read_period() -> tuple[FormResult, reports.Period]:
    values = {k: v for k, v in request.args.items() if k in ("start", "end") and v.strip()}
    try:
        return FormResult(values=values), _period(PeriodArgs().load(values))
    except ValidationError as exc:
        errors = {k: list(v) for k, v in exc.messages.items()} if isinstance(exc.messages, dict) else {}
        return FormResult(values=values, errors=errors), _period({})


def _names(model: Any, ids: set[Any], label: Any) -> dict[Any, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return {key: name for key, name in session().execute(sa.select(model.id, label).where(model.id.in_(ids)))}


def _tables(period: reports.Period) -> dict[str, Any]:
    by_product = reports.revenue_by_product(period)
    by_owner = reports.revenue_by_owner(period)
    wins = reports.win_rate(period)
    products = _names(Product, {r["product_id"] for r in by_product}, Product.name)
    users = _names(User, {r["owner_id"] for r in by_owner} | {r["owner_id"] for r in wins},
                   sa.func.coalesce(sa.func.nullif(User.name, ""), User.email))
    return {
        "revenue_by_month": reports.revenue_by_month(period),
        "revenue_by_product": [{**r, "product": products.get(r["product_id"], r["product_id"])} for r in by_product],
        "revenue_by_owner": [{**r, "owner": users.get(r["owner_id"], "—")} for r in by_owner],
        "win_rate": [{**r, "owner": users.get(r["owner_id"], "—")} for r in wins],
        "lead_conversion": reports.lead_conversion(period),
        "cycle_days": reports.sales_cycle_days(period),
    }


@bp.get("/sales/reports")
@staff_required(perm.REPORTS_VIEW)
def reports_page() -> Any:
    """Revenue by month, product and owner; win rate, sales cycle and lead conversion, for a period."""
    form, period = _read_period()
    status = 422 if form.errors else 200
    return render_template("sales/reports.html", form=form, period=period, reports=REPORTS, **_tables(period)), status


@bp.get("/sales/reports/<any(" + ", ".join(REPORTS) + "):name>.csv")
@staff_required(perm.REPORTS_VIEW)
def reports_csv(name: str) -> Response:
    """One report as CSV (UTF-8 with BOM, so spreadsheet programs show Persian right)."""
    _, period = _read_period()
    rows = _tables(period)[name]
    out = io.StringIO()
    out.write("\ufeff")
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="sales-{name}.csv"'})


def dashboard_widget(user: Any) -> Panel | None:
    """This month's revenue per currency and this year's win rate, for users who see reports."""
    if user is None or not user.can(perm.REPORTS_VIEW):
        return None
    today = dt.date.today()
    month = reports.Period(dt.datetime(today.year, today.month, 1, tzinfo=UTC),
                           dt.datetime(today.year + (today.month == 12), today.month % 12 + 1, 1, tzinfo=UTC))
    html = render_template("sales/dashboard_widget.html", revenue=reports.revenue_by_month(month))
    return Panel(title=str(lazy_gettext("Sales this month")), html=html, order=10, key="sales")
