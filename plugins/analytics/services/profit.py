"""Cost to acquire and keep, and customer profitability (a "costs" run).

Per month of the run's period (Gregorian months of the site's time zone):

- *acquired* customers are those whose first purchase (in the run's currency, over all time)
  falls in the month; *retained* customers bought in the month and had bought before it;
- the month's acquisition costs (each cost spread over the months it covers, pro rata by days)
  are spread over the customers acquired in it: a cost naming a channel and/or campaign goes
  to the acquired customers whose source (the customer fields `analytics.source_channel`,
  `analytics.source_campaign`) matches, evenly; a cost naming neither, or one no acquired
  customer matches, goes evenly to every customer acquired that month; a month with no
  acquired customer leaves its cost unallocated (reported, and still counted in CAC's numerator
  being undefined there);
- the month's retention costs are spread evenly over the customers retained in it;
- CAC = acquisition costs / customers acquired; cost to keep = retention costs / customers
  retained.

Per customer over the period: margin = revenue × the margin rate (setting
`analytics.margin_rate`: purchase facts carry no cost of goods), service cost = tickets opened ×
`analytics.service_cost_per_ticket` + handling hours × `analytics.service_cost_per_hour`
(from `payvand_service_facts`), profit = margin − service cost − acquisition cost − retention
cost; ranked, 1 the most profitable. Each aggregate is one GROUP BY in the database; the
per-customer rows are combined here and written by bulk INSERT.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections import defaultdict
from decimal import Decimal
from typing import Any, Literal

import sqlalchemy as sa

from payvand.plugins.analytics.models import CostRate, CustomerProfit, Run
from payvand.plugins.analytics.services import costs as cost_store
from payvand.plugins.analytics.services import facts, local_days
from payvand.plugins.analytics.services.local_days import local_month, midnight
from payvand.plugins.analytics.services.sqlbits import month_bounds, months
from payvand.sdk import SERVICE_FACTS, Customer, call_hook, session, setting

log = logging.getLogger(__name__)

FIELD_SOURCE_CHANNEL = "analytics.source_channel"
FIELD_SOURCE_CAMPAIGN = "analytics.source_campaign"

SETTING_MARGIN = "analytics.margin_rate"
SETTING_PER_TICKET = "analytics.service_cost_per_ticket"
SETTING_PER_HOUR = "analytics.service_cost_per_hour"

#: Rows per bulk INSERT.
CHUNK = 5000


def number_setting(key: str, default: float) -> float:
    """A numeric setting (stored text or number; `default` when unreadable or negative)."""
    try:
        value = float(str(setting(key)).replace(",", "").strip())
    except (TypeError, ValueError, RuntimeError):
        return default
    return value if value >= 0 else default


@dataclasses.dataclass(frozen=True)
class CostsOptions:
    """The period of a costs run (inclusive local days of the site; whole months are allocated) and the currency."""

    start: dt.date
    end: dt.date
    currency: str | None = None


def default_options(today: dt.date | None = None) -> CostsOptions:
    """The twelve months up to and including `today`'s month."""
    today = today or local_days.today()
    first = dt.date(today.year - 1, today.month, 1)
    first = dt.date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return CostsOptions(first, today)


def _service_facts() -> sa.Subquery | None:
    selects = []
    for select in call_hook("payvand_service_facts"):
        problems = SERVICE_FACTS.problems(select)
        if problems:
            log.warning("analytics: service facts left out: %s", "; ".join(problems))
            continue
        selects.append(sa.select(select.subquery()))  # a plugin's UNION stays whole inside ours
    if not selects:
        return None
    return (sa.union_all(*selects) if len(selects) > 1 else selects[0]).subquery("service")


def _first_purchases(subquery: sa.Subquery, currency: str, end: dt.datetime) -> sa.Subquery:
    c = subquery.c
    return (sa.select(c.customer_id, sa.func.min(c.occurred_at).label("first_at"))
            .where(c.currency == currency, c.occurred_at < end).group_by(c.customer_id)).subquery("first")


def spread_by_month(lines: list[cost_store.CostLine], currency: str, start: dt.date,
                    end: dt.date) -> dict[tuple[str, str, str, str], float]:
    """`{(month, purpose, channel, campaign): amount}`: each cost in `currency` spread over the
    months of `start`..`end` it covers, pro rata by days (the days outside the period drop out)."""
    spread: dict[tuple[str, str, str, str], float] = defaultdict(float)
    for line in lines:
        if line.currency != currency:
            continue
        days = (line.period_end - line.period_start).days + 1
        for month in months(max(line.period_start, start), min(line.period_end, end)):
            first, last = month_bounds(month)
            overlap = (min(last, line.period_end, end) - max(first, line.period_start, start)).days + 1
            if overlap > 0:
                spread[(month, line.purpose, line.channel, line.campaign)] += float(line.amount) * overlap / days
    return spread


@dataclasses.dataclass
class Allocation:
    """The per-head costs of a run's months and the period figures (CAC, cost to keep)."""

    acquisition: dict[tuple[str, str, str], float]  # (month, channel, campaign) -> per customer
    retention: dict[str, float]  # month -> per customer
    rates: list[dict[str, Any]]
    periods: list[dict[str, Any]]


def allocate(spread: dict[tuple[str, str, str, str], float], acquired: dict[tuple[str, str, str], int],
             retained: dict[str, int], month_list: list[str]) -> Allocation:
    """Spread each month's costs over its acquired groups and retained customers (pure: the
    counts come from the database). See the module's docstring for the rules."""
    per_acq: dict[tuple[str, str, str], float] = defaultdict(float)
    per_ret: dict[str, float] = {}
    periods = []
    rates = []
    for month in month_list:
        groups = {(ch, camp): n for (m, ch, camp), n in acquired.items() if m == month and n > 0}
        total_acquired = sum(groups.values())
        acq_cost = ret_cost = unallocated = 0.0
        for (m, purpose, channel, campaign), amount in sorted(spread.items()):
            if m != month or amount == 0:
                continue
            if purpose == "retention":
                ret_cost += amount
                continue
            acq_cost += amount
            matching = {g: n for g, n in groups.items()
                        if (not channel or g[0] == channel) and (not campaign or g[1] == campaign)}
            if not matching:
                matching = groups
            heads = sum(matching.values())
            if heads == 0:
                unallocated += amount
                continue
            for (ch, camp) in matching:
                per_acq[(month, ch, camp)] += amount / heads
        for (ch, camp), n in sorted(groups.items()):
            per = per_acq.get((month, ch, camp), 0.0)
            rates.append({"month": month, "purpose": "acquisition", "channel": ch, "campaign": camp,
                          "customers": n, "cost": per * n, "per_customer": per})
        kept = retained.get(month, 0)
        if kept and ret_cost:
            per_ret[month] = ret_cost / kept
            rates.append({"month": month, "purpose": "retention", "channel": "", "campaign": "",
                          "customers": kept, "cost": ret_cost, "per_customer": ret_cost / kept})
        elif ret_cost:
            unallocated += ret_cost
        periods.append({
            "month": month, "acquisition_cost": acq_cost, "acquired": total_acquired,
            "cac": acq_cost / total_acquired if total_acquired else None,
            "retention_cost": ret_cost, "retained": kept, "cost_to_keep": ret_cost / kept if kept else None,
            "unallocated": unallocated,
        })
    return Allocation(dict(per_acq), per_ret, rates, periods)


def run_costs(options: CostsOptions) -> Run:
    """Allocate the period's costs and score every customer's profitability; store the run, its
    monthly rates and per-customer rows. The caller commits. ValueError without purchase facts."""
    subquery = facts.purchase_facts()
    if subquery is None:
        raise ValueError("no active plugin offers purchase facts (enable the sales plugin)")
    currency = options.currency or facts.main_currency(subquery) or "IRR"
    db = session()
    month_list = months(options.start, options.end)
    start = midnight(month_bounds(month_list[0])[0])  # the site's local midnights: local months
    end = midnight(options.end + dt.timedelta(days=1))
    c = subquery.c
    first = _first_purchases(subquery, currency, end)
    acquired_month = local_month(first.c.first_at)  # first purchases may be older than the period
    channel = sa.func.coalesce(sa.func.lower(_attribute(FIELD_SOURCE_CHANNEL)), "")
    campaign = sa.func.coalesce(_attribute(FIELD_SOURCE_CAMPAIGN), "")
    acquired_rows = db.execute(
        sa.select(first.c.customer_id, acquired_month.label("month"), channel.label("channel"),
                  campaign.label("campaign"))
        .join(Customer, Customer.id == first.c.customer_id).where(first.c.first_at >= start)).all()
    acquired: dict[tuple[str, str, str], int] = defaultdict(int)
    for found in acquired_rows:
        acquired[(found.month, found.channel, found.campaign)] += 1
    bought_month = local_month(c.occurred_at)
    active = (sa.select(c.customer_id, bought_month.label("month"))
              .join(first, first.c.customer_id == c.customer_id)
              .where(c.currency == currency, c.occurred_at >= start, c.occurred_at < end,
                     acquired_month < bought_month)
              .group_by(c.customer_id, bought_month))
    retained_rows = db.execute(active).all()
    retained: dict[str, int] = defaultdict(int)
    for kept in retained_rows:
        retained[kept.month] += 1
    spread = spread_by_month(cost_store.all_costs(month_bounds(month_list[0])[0], options.end), currency,
                             month_bounds(month_list[0])[0], options.end)
    allocation = allocate(spread, acquired, retained, month_list)

    margin_rate = number_setting(SETTING_MARGIN, 0.3)
    per_ticket = number_setting(SETTING_PER_TICKET, 0.0)
    per_hour = number_setting(SETTING_PER_HOUR, 0.0)
    revenue = dict(db.execute(
        sa.select(c.customer_id, sa.cast(sa.func.sum(c.amount), sa.Float))
        .where(c.currency == currency, c.occurred_at >= start, c.occurred_at < end).group_by(c.customer_id)).all())
    service: dict[int, tuple[int, float]] = {}
    cases = _service_facts()
    if cases is not None:
        for cid, tickets, minutes in db.execute(
                sa.select(cases.c.customer_id, sa.func.count(),
                          sa.cast(sa.func.coalesce(sa.func.sum(cases.c.handling_minutes), 0), sa.Float))
                .where(cases.c.opened_at >= start, cases.c.opened_at < end).group_by(cases.c.customer_id)):
            service[int(cid)] = (int(tickets), float(minutes or 0))

    rows: dict[int, dict[str, Any]] = {}

    def figures(cid: int) -> dict[str, Any]:
        found = rows.get(cid)
        if found is None:
            found = rows[cid] = {"customer_id": cid, "revenue": 0.0, "tickets": 0, "service_cost": 0.0,
                                 "acquisition_cost": 0.0, "retention_cost": 0.0}
        return found

    for cid, amount in revenue.items():
        figures(int(cid))["revenue"] = float(amount or 0)
    for acquired_row in acquired_rows:
        key = (acquired_row.month, acquired_row.channel, acquired_row.campaign)
        figures(int(acquired_row.customer_id))["acquisition_cost"] = allocation.acquisition.get(key, 0.0)
    for retained_row in retained_rows:
        per = allocation.retention.get(retained_row.month, 0.0)
        if per:
            figures(int(retained_row.customer_id))["retention_cost"] += per
    for cid, (tickets, minutes) in service.items():
        target = figures(cid)
        target["tickets"] = tickets
        target["service_cost"] = tickets * per_ticket + minutes / 60.0 * per_hour
    for values in rows.values():
        values["margin"] = values["revenue"] * margin_rate
        values["profit"] = (values["margin"] - values["service_cost"] - values["acquisition_cost"]
                            - values["retention_cost"])

    run = Run(kind="costs", options={"start": month_bounds(month_list[0])[0].isoformat(),
                                     "end": options.end.isoformat(), "currency": currency})
    db.add(run)
    db.flush()
    ranked = sorted(rows.values(), key=lambda v: (-v["profit"], v["customer_id"]))
    for rank, values in enumerate(ranked, start=1):
        values["rank"] = rank
        values["run_id"] = run.id
    for begin in range(0, len(ranked), CHUNK):
        db.execute(sa.insert(CustomerProfit), ranked[begin:begin + CHUNK])
    if allocation.rates:
        db.execute(sa.insert(CostRate), [{"run_id": run.id, **rate} for rate in allocation.rates])
    totals = {key: sum(v[key] for v in ranked) for key in
              ("revenue", "margin", "service_cost", "acquisition_cost", "retention_cost", "profit")}
    run.customers = len(ranked)
    run.results = {"currency": currency, "margin_rate": margin_rate, "service_cost_per_ticket": per_ticket,
                   "service_cost_per_hour": per_hour, "periods": allocation.periods, "totals": totals,
                   "unallocated": sum(p["unallocated"] for p in allocation.periods)}
    return run


def _attribute(key: str) -> Any:
    from payvand.plugins.analytics.services.sqlbits import attribute_text

    return sa.func.nullif(attribute_text(key), "")


# --------------------------------------------------------------------------- period figures


@dataclasses.dataclass(frozen=True)
class PeriodCost:
    """A cost per customer over a period: the costs, the customers they were spread over, the
    quotient (None without customers) and the currency."""

    cost: float
    customers: int
    per_customer: float | None
    currency: str


def _period_costs(purpose: str, start: dt.date, end: dt.date, currency: str) -> float:
    spread = spread_by_month(cost_store.all_costs(start, end), currency, start, end)
    return sum(amount for (_m, kind, _ch, _camp), amount in spread.items() if kind == purpose)


Period = tuple[dt.date, dt.date]
#: What a cost is for: acquiring customers (CAC) or keeping them (cost to keep).
Purpose = Literal["acquisition", "retention"]


def cost_per_customer(purpose: Purpose, periods: list[Period], currency: str | None = None) -> list[PeriodCost] | None:
    """Acquisition or retention costs per customer (`purpose`: "acquisition" for CAC, "retention"
    for the cost to keep) over each of `periods` (first and last local day): the costs of that
    purpose falling in the period (pro rata by days) / the customers acquired in it (first
    purchase in the period) or kept in it (bought in it, having bought before it). Computed live,
    every period from one GROUP BY per customer (`customers_by_period`); None when no plugin
    offers purchase facts. For the dashboard's widgets (a period and its comparison) and the API."""
    subquery = facts.purchase_facts()
    if subquery is None:
        return None
    currency = currency or facts.main_currency(subquery) or "IRR"
    counted = customers_by_period(subquery, currency, periods)
    figures = []
    for period, (acquired, kept) in zip(periods, counted, strict=True):
        customers = acquired if purpose == "acquisition" else kept
        cost = _period_costs(purpose, period[0], period[1], currency)
        figures.append(PeriodCost(cost, customers, cost / customers if customers else None, currency))
    return figures


def customers_by_period(subquery: sa.Subquery, currency: str, periods: list[Period]) -> list[tuple[int, int]]:
    """(acquired, kept) customers for each period: acquired when their first purchase falls in
    it, kept when they bought in it and their first purchase is before it. One pass over the
    facts up to the last period's end, grouped per customer (their first purchase and, per
    period, whether they bought in it), then counted per period."""
    c = subquery.c
    bounds = [(midnight(first), midnight(last + dt.timedelta(days=1))) for first, last in periods]
    bought_in = [sa.func.max(sa.case((sa.and_(c.occurred_at >= start, c.occurred_at < end), 1), else_=0)).label(f"in_{n}")
                 for n, (start, end) in enumerate(bounds)]
    per = (sa.select(sa.func.min(c.occurred_at).label("first_at"), *bought_in)
           .where(c.currency == currency, c.occurred_at < max(end for _, end in bounds))
           .group_by(c.customer_id)).subquery("per_customer")
    counts = []
    for n, (start, end) in enumerate(bounds):
        counts.append(sa.func.coalesce(sa.func.sum(sa.case((sa.and_(per.c.first_at >= start, per.c.first_at < end), 1),
                                                           else_=0)), 0))
        counts.append(sa.func.coalesce(sa.func.sum(sa.case((sa.and_(per.c.first_at < start, per.c[f"in_{n}"] == 1), 1),
                                                           else_=0)), 0))
    query = sa.select(*counts)

    def compute() -> list[tuple[int, int]]:
        row = session().execute(query).one()
        return [(int(row[2 * n]), int(row[2 * n + 1])) for n in range(len(bounds))]

    return facts.remembered(("customers_by_period", str(subquery), currency, tuple(periods)), compute)


def cac(period: Period, currency: str | None = None) -> PeriodCost | None:
    """Customer acquisition cost over `period` (`cost_per_customer`, "acquisition")."""
    figures = cost_per_customer("acquisition", [period], currency)
    return figures[0] if figures else None


def cost_to_keep(period: Period, currency: str | None = None) -> PeriodCost | None:
    """Cost to keep a customer over `period` (`cost_per_customer`, "retention")."""
    figures = cost_per_customer("retention", [period], currency)
    return figures[0] if figures else None


def latest_costs_run() -> Run | None:
    """The newest costs run, or None."""
    return session().scalars(sa.select(Run).where(Run.kind == "costs").order_by(Run.id.desc()).limit(1)).first()


def as_decimal(value: float) -> Decimal:
    """A float figure as a Decimal of two places (for JSON output)."""
    return Decimal(repr(float(value))).quantize(Decimal("0.01"))
