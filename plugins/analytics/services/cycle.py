"""The e-CRM cycle: where each customer stands, month by month, and the funnel lead → customer →
repeat → loyal.

Stages at a day D (purchases up to D, in the main currency; days are UTC days):

- `selection`: a live customer with no purchase yet (a prospect or a target of marketing);
- `acquisition`: one purchase day (the first purchase made them a customer);
- `retention`: two or more purchase days (a repeat buyer);
- `expansion`: a repeat buyer of at least a year's tenure (first purchase 365+ days before D) who
  spent more in the last 365 days than in the 365 before, or bought more distinct products.

A run stores each customer's stage at its end (`analytics_customer_stage`; the prospects are
written set-based by one INSERT … SELECT) and, in the run's results, the stage counts at the end
of each of the last months (Jalali or Gregorian months) and the flows between consecutive month
ends (from → to, with `new` for customers who did not exist yet). The funnel counts leads (from
`payvand_lead_facts`), the leads that became customers who bought, those who bought again and
the loyal ones — at least four purchase days and a purchase in the last 365 days, or in
expansion — and the same steps for every buyer.
"""

from __future__ import annotations

import bisect
import collections
import dataclasses
import datetime as dt
from typing import Any

import sqlalchemy as sa

from payvand.plugins.analytics.models import CustomerStage, Run
from payvand.plugins.analytics.services import facts
from payvand.plugins.analytics.services.cohorts import Calendar, month_index, month_label
from payvand.sdk import LEAD_FACTS, Customer, call_hook, from_jalali, session

STAGES = ("selection", "acquisition", "retention", "expansion")
YEAR = dt.timedelta(days=365)
LOYAL_DAYS = 4
FUNNEL = ("leads", "customers", "repeat", "loyal")


@dataclasses.dataclass
class _Buyer:
    days: list[dt.date]
    spend: list[float]  # cumulative spend up to and including each day
    products: list[tuple[dt.date, Any]]  # (day, product) pairs, sorted


def _as_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def _as_datetime(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return dt.datetime.fromisoformat(str(value)).replace(tzinfo=dt.UTC)


def month_start(index: int, calendar: Calendar) -> dt.date:
    """The first day of a month index (`cohorts.month_index`) in the calendar."""
    year, month = divmod(index, 12)
    return from_jalali(year, month + 1, 1) if calendar == "jalali" else dt.date(year, month + 1, 1)


def month_ends(end: dt.date, months: int, calendar: Calendar) -> list[tuple[str, dt.date]]:
    """(label, last day) of the `months` months up to `end`, oldest first; the newest ends at `end`."""
    newest = month_index(end, calendar)
    out = []
    for index in range(newest - months + 1, newest + 1):
        last = end if index == newest else month_start(index + 1, calendar) - dt.timedelta(days=1)
        out.append((month_label(index), last))
    return out


def _spend_between(buyer: _Buyer, after: dt.date, until: dt.date) -> float:
    """Spend on days in (after, until]."""
    hi = bisect.bisect_right(buyer.days, until)
    lo = bisect.bisect_right(buyer.days, after)
    return (buyer.spend[hi - 1] if hi else 0.0) - (buyer.spend[lo - 1] if lo else 0.0)


def _products_between(buyer: _Buyer, after: dt.date, until: dt.date) -> int:
    return len({product for day, product in buyer.products if after < day <= until and product is not None})


def stage_at(buyer: _Buyer, day: dt.date) -> str | None:
    """The buyer's stage at `day` (None before their first purchase)."""
    count = bisect.bisect_right(buyer.days, day)
    if count == 0:
        return None
    if count == 1:
        return "acquisition"
    if day - buyer.days[0] >= YEAR:
        last, before = _spend_between(buyer, day - YEAR, day), _spend_between(buyer, day - 2 * YEAR, day - YEAR)
        if last > before or (_products_between(buyer, day - YEAR, day)
                             > _products_between(buyer, day - 2 * YEAR, day - YEAR)):
            return "expansion"
    return "retention"


def is_loyal(buyer: _Buyer, day: dt.date, stage: str | None) -> bool:
    """Loyal at `day`: in expansion, or four purchase days with one in the last 365 days."""
    count = bisect.bisect_right(buyer.days, day)
    return stage == "expansion" or (count >= LOYAL_DAYS and day - buyer.days[count - 1] < YEAR)


def _buyers(subquery: sa.Subquery, currency: str, end: dt.date) -> dict[int, _Buyer]:
    """Every buyer's purchase days, cumulative spend and products up to `end` (one grouped query)."""
    day = sa.func.date(subquery.c.occurred_at)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    rows = session().execute(
        sa.select(subquery.c.customer_id, day.label("day"), subquery.c.product_id, sa.func.sum(subquery.c.amount))
        .where(subquery.c.currency == currency, subquery.c.occurred_at < until)
        .group_by(subquery.c.customer_id, day, subquery.c.product_id)
    ).all()
    per_day: dict[int, dict[dt.date, float]] = collections.defaultdict(dict)
    products: dict[int, list[tuple[dt.date, Any]]] = collections.defaultdict(list)
    for customer_id, when, product_id, amount in rows:
        d = _as_date(when)
        days = per_day[int(customer_id)]
        days[d] = days.get(d, 0.0) + float(amount or 0)
        products[int(customer_id)].append((d, product_id))
    buyers = {}
    for customer_id, days in per_day.items():
        ordered = sorted(days)
        running, cumulative = 0.0, []
        for d in ordered:
            running += days[d]
            cumulative.append(running)
        buyers[customer_id] = _Buyer(ordered, cumulative, sorted(products[customer_id], key=lambda p: p[0]))
    return buyers


def _customers_created(end: dt.date) -> list[tuple[int, dt.date]]:
    """(customer id, day created) of the live customers created up to `end`."""
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    return [(int(cid), _as_datetime(created).date()) for cid, created in session().execute(
        sa.select(Customer.id, Customer.created_at)
        .where(Customer.merged_into_id.is_(None), Customer.erased_at.is_(None), Customer.created_at < until))]


def _leads() -> list[tuple[int | None, dt.datetime]]:
    """(customer id or None, created at) of every lead offered by a plugin through `payvand_lead_facts`."""
    out: list[tuple[int | None, dt.datetime]] = []
    for select in call_hook("payvand_lead_facts"):
        if LEAD_FACTS.problems(select):
            continue
        out.extend((None if cid is None else int(cid), _as_datetime(created))
                   for _lead, cid, created, _converted in session().execute(select))
    return out


def monthly(buyers: dict[int, _Buyer], created: list[tuple[int, dt.date]], end: dt.date, months: int,
            calendar: Calendar) -> dict[str, Any]:
    """Stage counts at each of the last `months` month ends and the flows between consecutive ones
    (`flows[i]` is from month i to month i + 1: {from: {to: customers}})."""
    ends = month_ends(end, months, calendar)
    counts: dict[str, list[int]] = {stage: [] for stage in STAGES}
    flows: list[dict[str, dict[str, int]]] = []
    previous: dict[int, str] | None = None
    created_on = dict(created)
    created_days = sorted(created_on.values())
    before_day: dt.date | None = None
    for _label, last in ends:
        now: dict[int, str] = {}
        for customer_id, buyer in buyers.items():
            stage = stage_at(buyer, last)
            if stage is not None:
                now[customer_id] = stage
        tally = collections.Counter(now.values())
        buyers_created = sum(1 for cid in now if cid in created_on and created_on[cid] <= last)
        tally["selection"] = max(bisect.bisect_right(created_days, last) - buyers_created, 0)
        for stage in STAGES:
            counts[stage].append(tally.get(stage, 0))
        if previous is not None and before_day is not None:
            moved: dict[str, dict[str, int]] = collections.defaultdict(lambda: collections.defaultdict(int))
            for customer_id, stage in now.items():
                known = customer_id in created_on and created_on[customer_id] <= before_day
                before = previous.get(customer_id, "selection" if known else "new")
                if before != stage:
                    moved[before][stage] += 1
            flows.append({k: dict(v) for k, v in moved.items()})
        previous, before_day = now, last
    return {"labels": [label for label, _ in ends], "counts": counts, "flows": flows}


def run_cycle(end: dt.date, months: int = 12) -> Run:
    """Compute the cycle at `end` and at the last `months` month ends (Gregorian and Jalali); store the
    run and each customer's stage at `end`. The caller commits. ValueError when no plugin offers
    purchase facts."""
    subquery = facts.purchase_facts()
    if subquery is None:
        raise ValueError("no active plugin offers purchase facts (enable the sales plugin)")
    currency = facts.main_currency(subquery) or ""
    buyers = _buyers(subquery, currency, end)
    created = _customers_created(end)
    by_calendar = {calendar: monthly(buyers, created, end, months, calendar) for calendar in ("gregorian", "jalali")}
    funnel_leads, funnel_all = _funnels(buyers, end)
    stages = {stage: by_calendar["gregorian"]["counts"][stage][-1] for stage in STAGES}
    results = {"currency": currency, "months": by_calendar, "funnel_leads": funnel_leads, "funnel_all": funnel_all,
               "stages": stages}
    run = Run(kind="cycle", options={"end": end.isoformat(), "months": months}, results=results, report={},
              customers=sum(stages.values()))
    db = session()
    db.add(run)
    db.flush()
    _store(run.id, buyers, end)
    return run


def _funnels(buyers: dict[int, _Buyer], end: dt.date) -> tuple[list[int], list[int]]:
    """[leads, customers, repeat, loyal] over the leads, and [buyers, buyers, repeat, loyal] over everyone."""
    def steps(ids: list[int]) -> tuple[int, int, int]:
        bought = repeat = loyal = 0
        for customer_id in ids:
            buyer = buyers.get(customer_id)
            if buyer is None or buyer.days[0] > end:
                continue
            bought += 1
            stage = stage_at(buyer, end)
            repeat += stage in ("retention", "expansion")
            loyal += is_loyal(buyer, end, stage)
        return bought, repeat, loyal

    end_time = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    leads = [(cid, created) for cid, created in _leads() if created < end_time]
    lead_customers = sorted({cid for cid, _ in leads if cid is not None})
    from_leads = steps(lead_customers)
    everyone = steps(list(buyers))
    return [len(leads), *from_leads], [everyone[0], *everyone]


def _store(run_id: int, buyers: dict[int, _Buyer], end: dt.date) -> None:
    """Each buyer's stage at `end` (in chunks), then every other live customer as `selection` in one INSERT … SELECT."""
    rows = []
    for customer_id, buyer in buyers.items():
        stage = stage_at(buyer, end)
        if stage is None:
            continue
        rows.append({"run_id": run_id, "customer_id": customer_id, "stage": stage,
                     "purchase_days": bisect.bisect_right(buyer.days, end),
                     "products": _products_between(buyer, dt.date.min, end),
                     "spend_last_year": _spend_between(buyer, end - YEAR, end),
                     "spend_year_before": _spend_between(buyer, end - 2 * YEAR, end - YEAR)})
    existing = set(session().scalars(sa.select(Customer.id).where(Customer.id.in_([r["customer_id"] for r in rows])))) \
        if rows else set()
    rows = [r for r in rows if r["customer_id"] in existing]  # facts may name customers erased since
    for start in range(0, len(rows), 5000):
        session().execute(sa.insert(CustomerStage), rows[start:start + 5000])
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    stored = sa.select(CustomerStage.customer_id).where(CustomerStage.run_id == run_id,
                                                       CustomerStage.customer_id == Customer.id)
    session().execute(sa.insert(CustomerStage).from_select(
        ["run_id", "customer_id", "stage", "purchase_days", "products", "spend_last_year", "spend_year_before"],
        sa.select(sa.literal(run_id), Customer.id, sa.literal("selection"), sa.literal(0), sa.literal(0),
                  sa.literal(0.0), sa.literal(0.0))
        .where(Customer.merged_into_id.is_(None), Customer.erased_at.is_(None), Customer.created_at < until,
               ~sa.exists(stored))))


def latest_cycle() -> Run | None:
    """The newest cycle run, or None."""
    return session().scalars(sa.select(Run).where(Run.kind == "cycle").order_by(Run.id.desc()).limit(1)).first()
