"""The sales reports page, its CSV export and the start page's sales widget."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from typing import Any

import sqlalchemy as sa
from flask import Response, render_template, request
from flask_babel import get_locale

from payvand.plugins.sales import permissions as perm
from payvand.plugins.sales.models import Product
from payvand.plugins.sales.services import local_time, reports
from payvand.plugins.sales.services.local_time import Calendar
from payvand.plugins.sales.views import bp
from payvand.plugins.sales.views.deals import month_label
from payvand.plugins.sales.views.leads import SOURCE_LABELS
from payvand.sdk import FormResult, Panel, User, csv_guard, lazy_gettext, local_zone, parse_date, session, staff_required

REPORTS = ("revenue_by_month", "revenue_by_product", "revenue_by_owner", "win_rate", "lead_conversion")


def page_calendar() -> Calendar:
    """Jalali months and dates on Persian pages, Gregorian on English ones."""
    return "jalali" if str(get_locale() or "en") == "fa" else "gregorian"


def _this_year(calendar: Calendar) -> tuple[dt.date, dt.date]:
    year, _ = local_time.month_of(local_time.today(), calendar)
    first = local_time.month_start(year, 1, calendar)
    return first, local_time.month_start(year + 1, 1, calendar) - dt.timedelta(days=1)


def _read_period() -> tuple[FormResult, reports.Period]:
    """The period of the query string's from/to dates (inclusive, local days; Jalali accepted in
    Persian), this year of the page's calendar by default; field errors for bad dates."""
    locale = str(get_locale() or "en")
    values = {k: v for k, v in request.args.items() if k in ("start", "end") and v.strip()}
    first, last = _this_year(page_calendar())
    errors: dict[str, list[str]] = {}
    days: dict[str, dt.date] = {}
    for key in ("start", "end"):
        if key in values:
            try:
                days[key] = parse_date(values[key], locale)
            except ValueError:
                errors[key] = [str(lazy_gettext("Not a valid date."))]
    if not errors and days.get("start") and days.get("end") and days["start"] > days["end"]:
        errors["end"] = [str(lazy_gettext("The start must not be after the end."))]
    if errors:
        return FormResult(values=values, errors=errors), reports.local_period(first, last)
    return FormResult(values=values), reports.local_period(days.get("start", first), days.get("end", last))


def _names(model: Any, ids: set[Any], label: Any) -> dict[Any, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return {key: name for key, name in session().execute(sa.select(model.id, label).where(model.id.in_(ids)))}


def revenue_chart(chart_id: str, rows: list[dict[str, Any]], label_key: str, *, names: bool = False) -> dict[str, Any]:
    """A bar chart of the rows' revenue per `label_key` (month, or with `names` a product or
    person: horizontal bars, labels as typed), one series per currency (never summed across
    currencies), for `macros/chart.html`'s `chart_canvas`; the report's table beside it is its
    table view."""
    labels = list(dict.fromkeys(str(row[label_key]) for row in rows))
    currencies = list(dict.fromkeys(row["currency"] for row in rows))
    revenue = {(str(row[label_key]), row["currency"]): float(row["revenue"]) for row in rows}
    title = str(lazy_gettext("Revenue"))
    series = [{"label": f"{title} ({currency})" if len(currencies) > 1 else title,
               "data": [revenue.get((label, currency)) for label in labels]} for currency in currencies]
    return {"id": chart_id, "type": "bar", "labels": labels, "series": series, "horizontal": names,
            "verbatim_labels": names}


def _tables(period: reports.Period) -> dict[str, Any]:
    calendar = page_calendar()
    by_product = reports.revenue_by_product(period)
    by_owner = reports.revenue_by_owner(period)
    wins = reports.win_rate(period)
    products = _names(Product, {r["product_id"] for r in by_product}, Product.name)
    users = _names(User, {r["owner_id"] for r in by_owner} | {r["owner_id"] for r in wins},
                   sa.func.coalesce(sa.func.nullif(User.name, ""), User.email))
    return {
        "revenue_by_month": [{**r, "label": month_label((r["year"], r["month_number"]), calendar)}
                             for r in reports.revenue_by_month(period, calendar)],
        "revenue_by_product": [{**r, "product": products.get(r["product_id"], r["product_id"])} for r in by_product],
        "revenue_by_owner": [{**r, "owner": users.get(r["owner_id"], "—")} for r in by_owner],
        "win_rate": [{**r, "owner": users.get(r["owner_id"], "—")} for r in wins],
        "lead_conversion": reports.lead_conversion(period),
        "cycle_days": reports.sales_cycle_days(period),
    }


@bp.get("/sales/reports")
@staff_required(perm.REPORTS_VIEW)
def reports_page() -> Any:
    """Revenue by month, product and owner (each drawn as a chart above its table); win rate,
    sales cycle and lead conversion, for a period."""
    form, period = _read_period()
    status = 422 if form.errors else 200
    zone = local_zone()
    first, after = period.start.astimezone(zone).date(), period.end.astimezone(zone).date()
    tables = _tables(period)
    charts = {"month": revenue_chart("chart-revenue-by-month", tables["revenue_by_month"], "label"),
              "product": revenue_chart("chart-revenue-by-product", tables["revenue_by_product"][:10], "product",
                                       names=True),
              "owner": revenue_chart("chart-revenue-by-owner", tables["revenue_by_owner"], "owner", names=True)}
    return render_template("sales/reports.html", form=form, period=period, period_first=first,
                           period_last=after - dt.timedelta(days=1), zone=getattr(zone, "key", str(zone)),
                           reports=REPORTS, source_labels=SOURCE_LABELS, charts=charts, **tables), status


_PLAIN_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def _cell(value: Any) -> Any:
    """A CSV cell: text a spreadsheet would run as a formula (a product or person name) guarded
    with a leading `'`; numbers, negative ones too, as they are."""
    if isinstance(value, str) and not _PLAIN_NUMBER.fullmatch(value):
        return csv_guard(value)
    return value


@bp.get("/sales/reports/<any(" + ", ".join(REPORTS) + "):name>.csv")
@staff_required(perm.REPORTS_VIEW)
def reports_csv(name: str) -> Response:
    """One report as CSV (UTF-8 with BOM, so spreadsheet programs show Persian right)."""
    _, period = _read_period()
    rows = _tables(period)[name]
    if name == "revenue_by_month":  # the machine-readable month, not the page's label
        rows = [{key: row[key] for key in ("month", "currency", "orders", "revenue")} for row in rows]
    out = io.StringIO()
    out.write("\ufeff")
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows({key: _cell(value) for key, value in row.items()} for row in rows)
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="sales-{name}.csv"'})


def dashboard_widget(user: Any) -> Panel | None:
    """This month's revenue per currency and this year's win rate, for users who see reports."""
    if user is None or not user.can(perm.REPORTS_VIEW):
        return None
    calendar = page_calendar()
    year, month = local_time.month_of(local_time.today(), calendar)
    first = local_time.month_start(year, month, calendar)
    after = local_time.month_start(*local_time.next_month(year, month), calendar)
    period = reports.Period(local_time.midnight(first), local_time.midnight(after))
    html = render_template("sales/dashboard_widget.html", revenue=reports.revenue_by_month(period, calendar))
    return Panel(title=str(lazy_gettext("Sales this month")), html=html, order=10, key="sales")
