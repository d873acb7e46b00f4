"""The sales plugin's KPI widgets for the analytics KPI dashboard (`payvand_dashboard_widgets`,
purpose "kpi"): revenue per month, average order value, and open pipeline value by stage.

Revenue and order counts come from `reports.revenue_by_month` (orders that count as revenue,
local months of the reader's calendar, exact sums); the figures are in the currency with the most
orders in the period (other currencies are named in the note). The pipeline is the open deals
now, whatever the period, through the deals' record rules (a rep sees their own). Revenue and
the average order value are the same for everyone who sees them (`shared`: the dashboard may
keep them as a snapshot); the pipeline depends on the actor.
"""

from __future__ import annotations

import decimal
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from payvand.plugins.sales import permissions as perm
from payvand.plugins.sales.models import Pipeline, Stage
from payvand.plugins.sales.services import pipeline, reports
from payvand.plugins.sales.services.local_time import month_of, next_month
from payvand.sdk import Actor, KpiData, KpiPeriod, KpiSeries, KpiWidget, lazy_gettext, session


def _months(period: KpiPeriod) -> list[tuple[int, int]]:
    months, current = [], month_of(period.first_day, period.calendar)
    last = month_of(period.last_day, period.calendar)
    while current <= last:
        months.append(current)
        current = next_month(*current)
    return months


def _revenue(period: KpiPeriod) -> tuple[str, dict[tuple[int, int], tuple[int, decimal.Decimal]], list[str]]:
    """(main currency, {(year, month): (orders, revenue)} in it, the other currencies)."""
    rows = reports.revenue_by_month(reports.Period(period.start, period.end), period.calendar)
    orders: dict[str, int] = {}
    for row in rows:
        orders[row["currency"]] = orders.get(row["currency"], 0) + row["orders"]
    if not orders:
        return "", {}, []
    currency = max(sorted(orders), key=lambda c: orders[c])
    found = {(row["year"], row["month_number"]): (row["orders"], row["revenue"]) for row in rows
             if row["currency"] == currency}
    return currency, found, sorted(c for c in orders if c != currency)


def _others_note(others: Sequence[str]) -> str:
    return str(lazy_gettext("Orders in %(currencies)s are not included.", currencies=", ".join(others))) \
        if others else ""


def _total(found: dict[tuple[int, int], tuple[int, decimal.Decimal]]) -> tuple[int, decimal.Decimal]:
    return sum(n for n, _ in found.values()), sum((r for _, r in found.values()), decimal.Decimal(0))


def _revenue_kpi(actor: Any, period: KpiPeriod, comparison: KpiPeriod | None) -> KpiData:
    currency, found, others = _revenue(period)
    months = _months(period)
    previous = None
    if comparison is not None:
        before_currency, before, _ = _revenue(comparison)
        previous = float(_total(before)[1]) if before_currency in ("", currency) else None
    return KpiData(value=float(_total(found)[1]), previous=previous, currency=currency,
                   labels=[f"{y:04d}/{m:02d}" for y, m in months],
                   series=[KpiSeries(str(lazy_gettext("Revenue")),
                                     [float(found.get(month, (0, 0))[1]) for month in months])],
                   note=_others_note(others))


def _average(found: dict[tuple[int, int], tuple[int, decimal.Decimal]]) -> float | None:
    count, revenue = _total(found)
    return round(float(revenue / count), 2) if count else None


def _aov_kpi(actor: Any, period: KpiPeriod, comparison: KpiPeriod | None) -> KpiData:
    currency, found, others = _revenue(period)
    previous = None
    if comparison is not None:
        before_currency, before, _ = _revenue(comparison)
        previous = _average(before) if before_currency in ("", currency) else None
    return KpiData(value=_average(found), previous=previous, currency=currency, note=_others_note(others))


def _pipeline_kpi(actor: Any, period: KpiPeriod, comparison: KpiPeriod | None) -> KpiData:
    s = session()
    rows = pipeline.open_by_stage(s, actor)
    if not rows:
        return KpiData(note=str(lazy_gettext("No open deals.")))
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.currency] = counts.get(row.currency, 0) + row.count
    currency = max(sorted(counts), key=lambda c: counts[c])
    stages = s.execute(sa.select(Stage.id, Stage.name, Pipeline.name).join(Pipeline, Pipeline.id == Stage.pipeline_id)
                       .where(Stage.id.in_({row.key for row in rows}))
                       .order_by(Pipeline.id, Stage.position, Stage.id)).all()
    several = len({p for _, _, p in stages}) > 1
    by_stage = {row.key: row for row in rows if row.currency == currency}
    shown = [(sid, f"{pname} · {name}" if several else name) for sid, name, pname in stages if sid in by_stage]
    amount = [float(by_stage[sid].amount) for sid, _ in shown]
    weighted = [float(by_stage[sid].weighted) for sid, _ in shown]
    others = sorted(c for c in counts if c != currency)
    return KpiData(value=sum(amount), currency=currency, labels=[name for _, name in shown],
                   series=[KpiSeries(str(lazy_gettext("Amount")), amount),
                           KpiSeries(str(lazy_gettext("Weighted by stage probability")), weighted)],
                   note=" ".join(filter(None, [str(lazy_gettext("Open deals now, whatever the period.")),
                                               _others_note(others)])))


def widgets(actor: Actor) -> list[KpiWidget]:
    """The sales KPIs `actor` may see."""
    found = []
    if actor.can(perm.REPORTS_VIEW):
        found += [
            KpiWidget("sales.revenue", str(lazy_gettext("Revenue")), "series", _revenue_kpi, unit="money",
                      permission=perm.REPORTS_VIEW, order=20, shared=True,
                      description=str(lazy_gettext("Orders that count as revenue, per month, in the main currency."))),
            KpiWidget("sales.average_order_value", str(lazy_gettext("Average order value")), "number", _aov_kpi,
                      unit="money", permission=perm.REPORTS_VIEW, order=21, shared=True,
                      description=str(lazy_gettext("Revenue divided by the number of orders in the period."))),
        ]
    if actor.can(perm.DEAL_VIEW):
        found.append(KpiWidget("sales.pipeline_by_stage", str(lazy_gettext("Pipeline value by stage")), "distribution",
                               _pipeline_kpi, unit="money", permission=perm.DEAL_VIEW, order=22,
                               description=str(lazy_gettext("Open deals' amount per stage, and weighted by the "
                                                            "stage's probability."))))
    return found
