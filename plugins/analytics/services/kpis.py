"""The analytics plugin's KPI widgets: customers acquired, active customers, retention and churn
rates (from every plugin's purchase facts, set-based in SQL) and the lifetime-value distribution
(from the newest CLV run).

Definitions (also in the user guide): a customer is *acquired* in a period when their first
purchase ever falls in it; *active* when they bought in it; the *retention rate* of a period is
the share of the customers active in the same number of days just before it who bought again
in it, and the *churn rate* its complement. Periods are whole local days of the site (from its
local midnight to the next, `periods.make_period`); monthly series use the site's local purchase
days folded into the reader's calendar months (as the cohorts do).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from payvand.plugins.analytics import permissions as perm
from payvand.plugins.analytics.services import facts, local_days, periods
from payvand.sdk import KpiData, KpiPeriod, KpiSeries, KpiWidget, lazy_gettext, local_zone, session

if TYPE_CHECKING:  # for the annotations; the functions import it where they use it
    from payvand.plugins.analytics.services import profit


def _between(subquery: Any, period: KpiPeriod) -> Any:
    return sa.and_(subquery.c.occurred_at >= period.start, subquery.c.occurred_at < period.end)


def active_count(period: KpiPeriod) -> int:
    """Customers with a purchase in the period (one COUNT DISTINCT)."""
    found = facts.purchase_facts()
    if found is None:
        return 0
    return int(session().scalar(sa.select(sa.func.count(sa.distinct(found.c.customer_id)))
                                .where(_between(found, period))) or 0)


def acquired_by_day(period: KpiPeriod) -> dict[dt.date, int]:
    """New customers per local day of their first purchase, for first purchases in the period."""
    found = facts.purchase_facts()
    if found is None:
        return {}
    earlier = facts.purchase_facts()
    assert earlier is not None
    first = (sa.select(found.c.customer_id, sa.func.min(found.c.occurred_at).label("first"))
             .where(_between(found, period)).group_by(found.c.customer_id).subquery("first"))
    bought_before = sa.exists().where(earlier.c.customer_id == first.c.customer_id,
                                      earlier.c.occurred_at < period.start)
    day = local_days.local_date(first.c.first, period.start, period.end)
    rows = session().execute(sa.select(day, sa.func.count()).where(~bought_before).group_by(day))
    return {local_days.as_date(d): int(n) for d, n in rows}


def retention(period: KpiPeriod) -> tuple[int, int]:
    """(customers active in the days just before the period, of whom bought again in it): one
    GROUP BY per customer over both spans, each customer marked for the span(s) they bought in."""
    found = facts.purchase_facts()
    if found is None:
        return 0, 0
    before = periods.make_period(period.first_day - dt.timedelta(days=period.days),
                                 period.first_day - dt.timedelta(days=1), period.calendar)
    c = found.c

    def bought(span: KpiPeriod) -> Any:
        return sa.func.max(sa.case((_between(found, span), 1), else_=0))

    # One pass, not two DISTINCT sets joined (or `IN (subquery)`): at a million customers
    # PostgreSQL spent minutes joining the two spilled hash aggregates.
    per = (sa.select(bought(before).label("before"), bought(period).label("again"))
           .where(c.occurred_at >= before.start, c.occurred_at < period.end)
           .group_by(c.customer_id).subquery("per"))
    row = session().execute(sa.select(sa.func.sum(per.c.before), sa.func.sum(per.c.before * per.c.again))).first()
    return (int(row[0] or 0), int(row[1] or 0)) if row else (0, 0)


def _rate(period: KpiPeriod | None, churn: bool = False) -> float | None:
    if period is None:
        return None
    base, kept = retention(period)
    if not base:
        return None
    rate = 100.0 * kept / base
    return round(100.0 - rate if churn else rate, 1)


def _acquired(actor: Any, period: KpiPeriod, comparison: KpiPeriod | None) -> KpiData:
    days = acquired_by_day(period)
    labels, data = [], []
    for name, first, last in periods.month_buckets(period):
        labels.append(name)
        data.append(float(sum(n for d, n in days.items() if first <= d <= last)))
    previous = float(sum(acquired_by_day(comparison).values())) if comparison else None
    return KpiData(value=float(sum(days.values())), previous=previous, labels=labels,
                   series=[KpiSeries(str(lazy_gettext("New customers")), data)])


def _active(actor: Any, period: KpiPeriod, comparison: KpiPeriod | None) -> KpiData:
    return KpiData(value=float(active_count(period)),
                   previous=float(active_count(comparison)) if comparison else None)


def _retention(actor: Any, period: KpiPeriod, comparison: KpiPeriod | None) -> KpiData:
    return KpiData(value=_rate(period), previous=_rate(comparison))


def _churn(actor: Any, period: KpiPeriod, comparison: KpiPeriod | None) -> KpiData:
    return KpiData(value=_rate(period, churn=True), previous=_rate(comparison, churn=True))


#: The CLV distribution's bucket edges, as multiples of the mean CLV.
CLV_EDGES = (0.25, 0.5, 1.0, 2.0, 4.0)


def clv_histogram() -> tuple[list[str], list[float], str, Any] | None:
    """Customers per CLV bucket of the newest CLV run (edges: multiples of its mean), its currency
    and date; None before the first run. One aggregate query over the run's rows (once per batch
    inside `facts.memoized()`: it does not depend on the period)."""
    from payvand.plugins.analytics.models import CustomerClv
    from payvand.plugins.analytics.services import lifetime

    run = lifetime.latest_run("clv")
    if run is None:
        return None
    run_id = run.id

    def compute() -> tuple[list[float], dict[int, int]] | None:
        db = session()
        mean = db.scalar(sa.select(sa.func.avg(CustomerClv.clv)).where(CustomerClv.run_id == run_id))
        if mean is None:
            return None
        edges = [round(float(mean) * k, 2) for k in CLV_EDGES]
        bucket = sa.case(*[(CustomerClv.clv < edge, i) for i, edge in enumerate(edges)], else_=len(edges))
        return edges, dict(db.execute(sa.select(bucket, sa.func.count()).where(CustomerClv.run_id == run_id)
                                      .group_by(bucket)).all())

    found = facts.remembered(("clv_histogram", run_id), compute)  # the same for every period of a batch
    if found is None:
        return None
    edges, counts = found
    labels = [f"< {edges[0]:g}"] + [f"{low:g} – {high:g}" for low, high in zip(edges, edges[1:], strict=False)]
    labels.append(f"≥ {edges[-1]:g}")
    return labels, [float(counts.get(i, 0)) for i in range(len(labels))], \
        str(run.options.get("currency", "")), run.created_at


def _clv(actor: Any, period: KpiPeriod, comparison: KpiPeriod | None) -> KpiData:
    found = clv_histogram()
    if found is None:
        return KpiData(note=str(lazy_gettext("No lifetime-value run yet.")))
    labels, counts, currency, created = found
    return KpiData(labels=labels, series=[KpiSeries(str(lazy_gettext("Customers")), counts)], currency=currency,
                   note=str(lazy_gettext("From the lifetime-value run of %(date)s, whatever the period.",
                                         date=created.astimezone(local_zone()).date().isoformat())))


def _cost_kpi(purpose: profit.Purpose, period: KpiPeriod, comparison: KpiPeriod | None) -> KpiData:
    """CAC ("acquisition") or cost to keep ("retention") over the period and its comparison, both
    from one pass over the facts (`profit.cost_per_customer`)."""
    from payvand.plugins.analytics.services import profit

    spans = [(each.first_day, each.last_day) for each in (period, comparison) if each is not None]
    figures = profit.cost_per_customer(purpose, spans)
    if figures is None:
        return KpiData(note=str(lazy_gettext("No plugin offers purchases.")))
    current, previous = figures[0], (figures[1] if comparison is not None else None)
    note = "" if current.customers else str(lazy_gettext("No customers in the period to spread the costs over."))
    return KpiData(value=current.per_customer, previous=previous.per_customer if previous else None,
                   currency=current.currency, note=note)


def _cac(actor: Any, period: KpiPeriod, comparison: KpiPeriod | None) -> KpiData:
    return _cost_kpi("acquisition", period, comparison)


def _cost_to_keep(actor: Any, period: KpiPeriod, comparison: KpiPeriod | None) -> KpiData:
    return _cost_kpi("retention", period, comparison)


def widgets(actor: Any) -> list[KpiWidget]:
    """The analytics KPIs (`payvand_dashboard_widgets`, purpose "kpi")."""
    return [
        KpiWidget("analytics.customers_acquired", str(lazy_gettext("Customers acquired")), "series", _acquired,
                  permission=perm.VIEW, shared=True, order=10,
                  description=str(lazy_gettext("Customers whose first purchase falls in the period, per month."))),
        KpiWidget("analytics.active_customers", str(lazy_gettext("Active customers")), "number", _active,
                  permission=perm.VIEW, shared=True, order=11,
                  description=str(lazy_gettext("Customers who bought in the period."))),
        KpiWidget("analytics.retention_rate", str(lazy_gettext("Retention rate")), "number", _retention,
                  unit="percent", permission=perm.VIEW, shared=True, order=12,
                  description=str(lazy_gettext("Of the customers who bought in as many days just before the "
                                               "period, the share who bought again in it."))),
        KpiWidget("analytics.churn_rate", str(lazy_gettext("Churn rate")), "number", _churn, unit="percent",
                  permission=perm.VIEW, shared=True, order=13, higher_is_better=False,
                  description=str(lazy_gettext("100 % minus the retention rate."))),
        KpiWidget("analytics.clv_distribution", str(lazy_gettext("Lifetime value distribution")), "distribution",
                  _clv, unit="count", permission=perm.VIEW, shared=True, order=14,
                  description=str(lazy_gettext("Customers per lifetime-value bucket (multiples of the mean) "
                                               "in the newest lifetime-value run."))),
        KpiWidget("analytics.cac", str(lazy_gettext("Cost to acquire a customer (CAC)")), "number", _cac,
                  unit="money", permission=perm.VIEW, shared=True, order=15, higher_is_better=False,
                  description=str(lazy_gettext("Acquisition costs falling in the period (by days) divided by the "
                                               "customers whose first purchase falls in it."))),
        KpiWidget("analytics.cost_to_keep", str(lazy_gettext("Cost to keep a customer")), "number", _cost_to_keep,
                  unit="money", permission=perm.VIEW, shared=True, order=16, higher_is_better=False,
                  description=str(lazy_gettext("Retention costs falling in the period (by days) divided by the "
                                               "customers who bought in it and had bought before it."))),
    ]
