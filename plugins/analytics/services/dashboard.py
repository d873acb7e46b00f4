"""The KPI dashboard: which widgets a user sees and in what order (personal layout, else the
shared default, else every widget by its `order`), their figures for a period and a
comparison, and the CSV export of one widget or of the whole dashboard.

Widgets come from every active plugin through `payvand_dashboard_widgets` (purpose "kpi",
`payvand.sdk.kpi_widgets`); a widget whose computation fails is recorded on its plugin and
shown as unavailable (`Result.data` None), the others still computed.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa

from payvand.plugins.analytics.models import DashboardLayout, KpiSnapshot
from payvand.plugins.analytics.services import periods
from payvand.plugins.analytics.services.snapshots import KEEP_STALE, snapshot_key, store
from payvand.sdk import (
    Actor,
    KpiData,
    KpiPeriod,
    KpiSeries,
    KpiWidget,
    compute_kpi,
    csv_guard,
    current_locale,
    kpi_widgets,
    local_zone,
    session,
    utcnow,
)

FREQUENCIES = ("none", "daily", "weekly", "monthly")


@dataclasses.dataclass(frozen=True)
class Entry:
    """A widget on a user's dashboard: the plugin offering it, the widget, and whether it is hidden."""

    plugin: str
    widget: KpiWidget
    hidden: bool = False


@dataclasses.dataclass(frozen=True)
class Result:
    """A widget's figures for a period (`data` None: it failed and is shown as unavailable, or,
    `pending`, it is being computed); `as_of` when they come from a stored snapshot (computed then)."""

    plugin: str
    widget: KpiWidget
    data: KpiData | None
    as_of: dt.datetime | None = None
    pending: bool = False  # being computed in the background: `data` is the last snapshot's, or None

    @property
    def change(self) -> float | None:
        """The relative change against the comparison in % (None without both figures or from 0)."""
        if self.data is None or self.data.value is None or not self.data.previous:
            return None
        return round(100.0 * (self.data.value - self.data.previous) / abs(self.data.previous), 1)

    @property
    def better(self) -> bool | None:
        """Whether the change is good news (by the widget's `higher_is_better`), None when there is none."""
        change = self.change
        if change is None or change == 0:
            return None
        return (change > 0) == self.widget.higher_is_better


def layout_row(user_id: int | None) -> DashboardLayout | None:
    """The stored layout of `user_id` (None: the shared default), or None."""
    clause = DashboardLayout.user_id.is_(None) if user_id is None else DashboardLayout.user_id == user_id
    return session().scalars(sa.select(DashboardLayout).where(clause)).first()


def effective_layout(user_id: int | None) -> DashboardLayout | None:
    """The layout that applies to the user: their own, else the shared default (one query)."""
    rows = session().scalars(sa.select(DashboardLayout).where(sa.or_(
        DashboardLayout.user_id.is_(None), DashboardLayout.user_id == user_id))).all()
    return next((r for r in rows if r.user_id is not None), None) or next(iter(rows), None)


def entries(actor: Actor, layout: DashboardLayout | None = None) -> list[Entry]:
    """Every widget `actor` may see, in the layout's order (widgets it does not name come after, shown)."""
    offered = kpi_widgets(actor)
    by_key = {widget.key: (plugin, widget) for plugin, widget in offered}
    result: list[Entry] = []
    seen: set[str] = set()
    for item in (layout.widgets if layout is not None else []) or []:
        key = str(item.get("key", ""))
        if key in by_key and key not in seen:
            seen.add(key)
            result.append(Entry(*by_key[key], hidden=bool(item.get("hidden"))))
    result.extend(Entry(plugin, widget) for plugin, widget in offered if widget.key not in seen)
    return result


def save_layout(user_id: int | None, order: Sequence[str], hidden: Iterable[str], *, period: str | None = None,
                comparison: str | None = None) -> DashboardLayout:
    """Store the widget order and the hidden widgets for `user_id` (None: the shared default)."""
    hidden = set(hidden)
    row = layout_row(user_id)
    if row is None:
        row = DashboardLayout(user_id=user_id, widgets=[], period="this_month", comparison="previous",
                              mail_frequency="none")
        session().add(row)
    keys = dict.fromkeys([*order, *sorted(hidden)])  # a hidden widget left out of the order goes last
    row.widgets = [{"key": key, "hidden": key in hidden} for key in keys]
    if period is not None:
        row.period = period
    if comparison is not None:
        row.comparison = comparison
    session().flush()
    return row


def reset_layout(user_id: int) -> None:
    """Drop the user's personal layout (they see the shared default again); keeps the mail schedule off."""
    session().execute(sa.delete(DashboardLayout).where(DashboardLayout.user_id == user_id))


def _from_json(found: dict[str, Any]) -> KpiData:
    values = dict(found)
    values["series"] = [KpiSeries(s["label"], s["data"]) for s in values.get("series", [])]
    return KpiData(**values)


def compute(actor: Actor, shown: Sequence[Entry], period: KpiPeriod, comparison: KpiPeriod | None,
            now: dt.datetime | None = None, *, background: bool = False) -> list[Result]:
    """The figures of the shown widgets (hidden ones are skipped), each isolated from the others' failures.

    Widgets marked `shared` are read from their snapshot when one is fresh (one query for all).
    Otherwise, with `background` (a page or API request: it must never compute a figure that can
    take minutes over millions of lines), the last snapshot is shown, or nothing yet, marked
    `pending`, and the computation is queued as a background job (`kpi_jobs.queue`: one per
    widget and periods at a time); without it (the nightly refresh, the scheduled mail) the
    figures are computed now and stored. The others are computed for `actor` each time. The
    caller commits.
    """
    from payvand.plugins.analytics.services import kpi_jobs

    now = now or utcnow()
    visible = [e for e in shown if not e.hidden]
    keys = {e.widget.key: snapshot_key(e.widget.key, period, comparison) for e in visible if e.widget.shared}
    stored = {row.cache_key: row for row in session().scalars(sa.select(KpiSnapshot).where(
        KpiSnapshot.cache_key.in_(list(keys.values()))))} if keys else {}
    results = []
    fresh: list[tuple[str, str, KpiData]] = []
    for e in visible:
        key = keys.get(e.widget.key)
        row = stored.get(key) if key is not None else None
        if row is not None and row.expires_at > now:
            results.append(Result(e.plugin, e.widget, _from_json(row.data), row.computed_at))
            continue
        if key is not None and background:
            kpi_jobs.queue(e.plugin, e.widget.key, key, period, comparison, now)
            results.append(Result(e.plugin, e.widget, _from_json(row.data) if row is not None else None,
                                  row.computed_at if row is not None else None, pending=True))
            continue
        data = compute_kpi(e.plugin, e.widget, actor, period, comparison)
        results.append(Result(e.plugin, e.widget, data))
        if key is not None and data is not None:
            fresh.append((key, e.widget.key, data))
    store(fresh, period, comparison, now)
    return results


def clear_snapshots(now: dt.datetime | None = None) -> int:
    """Mark every stored KPI snapshot stale (after a refresh, or on request): the next view shows
    it, marked as being computed, while the figures are computed again in the background; how
    many there were. Snapshots computed more than `KEEP_STALE` ago are deleted."""
    now = now or utcnow()
    db = session()
    db.execute(sa.delete(KpiSnapshot).where(KpiSnapshot.computed_at < now - KEEP_STALE))
    result: Any = db.execute(sa.update(KpiSnapshot).where(KpiSnapshot.expires_at > now).values(expires_at=now))
    return int(result.rowcount or 0)


def warm_snapshots(calendars: Sequence[tuple[str, periods.Calendar]] = (("fa", "jalali"), ("en", "gregorian")),
                   presets: Sequence[str] = ("this_month", "last_month", "this_quarter", "this_year"),
                   today: dt.date | None = None) -> int:
    """Compute and store the shared widgets for the usual presets (compared with the previous
    period) in each language and calendar; how many snapshots were written. For the nightly
    refresh, so the first page view of the day reads stored figures."""
    from flask_babel import force_locale

    from payvand.plugins.analytics.services.facts import memoized
    from payvand.sdk import SYSTEM

    today = today or dt.datetime.now(local_zone()).date()
    written = 0
    with memoized():  # the widgets share the main currency and the customers per period
        for locale, calendar in calendars:
            with force_locale(locale):
                shared = [Entry(p, w) for p, w in kpi_widgets(SYSTEM) if w.shared]
                for preset in presets:
                    chosen = choose(preset, "previous", calendar, today)
                    written += len(compute(SYSTEM, shared, chosen.period, chosen.comparison))
    return written


# --------------------------------------------------------------------------- CSV

CSV_COLUMNS = ("widget", "title", "series", "label", "value", "previous", "unit", "currency", "period", "comparison")


def _number(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def csv_rows(result: Result, period: KpiPeriod, comparison: KpiPeriod | None) -> list[dict[str, Any]]:
    """One widget's figures as long-format rows (`CSV_COLUMNS`): the headline figure, then one row
    per series point, or per table cell (series = the column, label = the row's first cell)."""
    w, data = result.widget, result.data
    base = {"widget": w.key, "title": w.title, "unit": w.unit, "period": periods.label(period),
            "comparison": periods.label(comparison) if comparison else ""}
    if data is None:
        label = "pending" if result.pending else "unavailable"
        return [{**base, "series": "", "label": label, "value": "", "previous": "", "currency": ""}]
    base["currency"] = data.currency
    rows: list[dict[str, Any]] = []
    if data.value is not None or w.kind == "number":
        rows.append({**base, "series": "", "label": "total", "value": _number(data.value),
                     "previous": _number(data.previous) if data.previous is not None else ""})
    for series in data.series:
        for label, value in zip(data.labels, series.data, strict=False):
            rows.append({**base, "series": series.label, "label": label, "value": _number(value), "previous": ""})
    for row in data.rows:
        for column, cell in list(zip(data.columns, row, strict=False))[1:]:
            rows.append({**base, "series": column, "label": row[0] if row else "", "value": _number(cell),
                         "previous": ""})
    return rows


def to_csv(results: Sequence[Result], period: KpiPeriod, comparison: KpiPeriod | None) -> str:
    """The CSV text (UTF-8 BOM first, so spreadsheet programs show Persian) of these widgets."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.DictWriter(out, fieldnames=list(CSV_COLUMNS))
    writer.writeheader()
    for result in results:
        for row in csv_rows(result, period, comparison):
            writer.writerow({k: csv_guard(v) if isinstance(v, str) and k in ("title", "series", "label") else v
                             for k, v in row.items()})
    return out.getvalue()


# --------------------------------------------------------------------------- the page's choices


@dataclasses.dataclass(frozen=True)
class Choice:
    """The period and comparison asked for, resolved."""

    preset: str
    comparison_kind: str
    period: KpiPeriod
    comparison: KpiPeriod | None


def choose(preset: str, comparison_kind: str, calendar: periods.Calendar, today: dt.date,
           start: dt.date | None = None, end: dt.date | None = None) -> Choice:
    """Resolve a preset (or custom days) and a comparison kind as of `today`."""
    period = periods.resolve(preset, today, calendar, start, end)
    return Choice(preset, comparison_kind, period, periods.comparison(period, preset, comparison_kind))


# --------------------------------------------------------------------------- showing figures


def display(value: float | None, unit: str, currency: str = "") -> str:
    """A figure as pages and mails write it in the current language (— when there is none)."""
    from decimal import Decimal

    from babel.numbers import get_currency_precision

    from payvand.sdk import format_money, format_number

    if value is None:
        return "—"
    if unit == "money" and currency:
        try:
            digits = get_currency_precision(currency)
            return format_money(Decimal(str(round(value, digits))).quantize(Decimal(1).scaleb(-digits)), currency)
        except ValueError:  # not an ISO code
            return f"{format_number(round(value, 2))} {currency}"
    if unit == "percent":
        return f"{format_number(round(value, 1))}٪" if _fa() else f"{format_number(round(value, 1))}%"
    if unit == "count":
        return format_number(int(round(value)))
    return format_number(round(value, 2))


def _fa() -> bool:

    return current_locale() == "fa"


def chart_spec(result: Result, period: KpiPeriod, comparison: KpiPeriod | None) -> dict[str, Any] | None:
    """What `charts.js` draws for a widget (type, labels, series), or None for a table or a failure."""
    w, data = result.widget, result.data
    if data is None or w.kind == "table":
        return None
    element = "kpi-" + w.key.replace(".", "-").replace("_", "-")
    if w.kind == "number":
        if data.value is None and data.previous is None:
            return None
        labels = [periods.label(period)] + ([periods.label(comparison)] if comparison else [])
        values = [data.value] + ([data.previous] if comparison else [])
        return {"id": element + "-chart", "type": "bar", "title": w.title, "x": "", "labels": labels,
                "series": [{"label": w.title, "data": values}]}
    if not data.labels:
        return None
    return {"id": element + "-chart", "type": "line" if w.kind == "series" and len(data.labels) > 12 else "bar",
            "title": w.title, "x": "", "labels": list(data.labels),
            "series": [{"label": s.label, "data": list(s.data)} for s in data.series]}
