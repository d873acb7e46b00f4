"""The e-CRM cycle: where each customer stands, month by month, and the funnel lead → customer →
repeat → loyal.

Stages at a day D (purchases up to D, in the main currency; days are local days in the site's
time zone, `local_days`):

- `selection`: a live customer with no purchase yet (a prospect or a target of marketing);
- `acquisition`: one purchase day (the first purchase made them a customer);
- `retention`: two or more purchase days (a repeat buyer);
- `expansion`: a repeat buyer of at least a year's tenure (first purchase 365+ days before D) who
  spent more in the last 365 days than in the 365 before, or bought more distinct products.

Computed set-based in the database, without multiplying the purchases by the check days (the end
of each of the last months in the Gregorian and the Jalali calendar): the purchase facts grouped
per customer and local day (and per product); each customer's changes as rows — a purchase day
adds itself and its spend to the last 365 days, 365 days later moves the spend to the year
before, 730 days later drops it; a product counts in the last 365 days from a purchase day until
its next purchase or 365 days on, and in the year before 365 days later — summed per customer and
day and turned into running sums by a window over the customer's days sorted once; each check
day D then reads the row that holds at it (the newest change on or before D) into a temporary
table — purchase days, last day, spend and distinct products in the last 365 days and the 365
before, the stage by a CASE. Spend is summed in integer thousandths of the currency unit (finer
amounts are rounded to them), so the windows' sums, differences of running sums, are exact. The
counts, flows between consecutive month ends, the funnel and the stored stages are then grouped
queries over it. A run stores each customer's stage at its end (`analytics_customer_stage`; the
prospects by one INSERT … SELECT) and, in the run's results, the stage counts at the end of each
of the last months and the flows between consecutive month ends (from → to, with `new` for
customers who did not exist yet). The funnel counts leads (from `payvand_lead_facts`), the leads
that became customers who bought, those who bought again and the loyal ones — at least four
purchase days and a purchase in the last 365 days, or in expansion — and the same steps for
every buyer.
"""

from __future__ import annotations

import collections
import datetime as dt
from typing import Any

import sqlalchemy as sa

from payvand.plugins.analytics.models import CustomerStage, Run
from payvand.plugins.analytics.services import facts
from payvand.plugins.analytics.services.cohorts import Calendar, month_index, month_label
from payvand.plugins.analytics.services.local_days import day_number, midnight
from payvand.sdk import LEAD_FACTS, Customer, call_hook, from_jalali, session

STAGES = ("selection", "acquisition", "retention", "expansion")
YEAR_DAYS = 365
LOYAL_DAYS = 4
FUNNEL = ("leads", "customers", "repeat", "loyal")

_TEMPORARY = sa.MetaData()
#: Each buyer's figures at each check day (local day numbers): the run's working set.
_AT = sa.Table("analytics_tmp_cycle", _TEMPORARY,
               sa.Column("d", sa.Integer, primary_key=True), sa.Column("cid", sa.BigInteger, primary_key=True),
               sa.Column("stage", sa.String(16)), sa.Column("n", sa.Integer), sa.Column("last_day", sa.Integer),
               sa.Column("spend_last", sa.Float), sa.Column("spend_before", sa.Float), sa.Column("products", sa.Integer),
               prefixes=["TEMPORARY"])
#: The purchase facts grouped once per customer, local day and product (product NULL: free-text lines).
_BOUGHT = sa.Table("analytics_tmp_cycle_bought", _TEMPORARY,
                   sa.Column("cid", sa.BigInteger), sa.Column("day", sa.Integer), sa.Column("product", sa.BigInteger),
                   sa.Column("amount", sa.Float), prefixes=["TEMPORARY"])
#: The live customers and the local day each was created.
_LIVE = sa.Table("analytics_tmp_cycle_live", _TEMPORARY,
                 sa.Column("id", sa.BigInteger, primary_key=True), sa.Column("day", sa.Integer),
                 prefixes=["TEMPORARY"])
#: Each customer's purchase days with the day's spend in thousandths of the currency unit (integers:
#: the windows' sums are differences of running sums, exact in integers).
_DAYS = sa.Table("analytics_tmp_cycle_days", _TEMPORARY,
                 sa.Column("cid", sa.BigInteger), sa.Column("day", sa.Integer), sa.Column("units", sa.BigInteger),
                 prefixes=["TEMPORARY"])
#: Each (customer, product) purchase day and the day from which it no longer counts in a 365-day window
#: ending later (`until`: the next purchase of the product or 365 days on, whichever comes first);
#: `first` is 1 on the product's first purchase day.
_ITEMS = sa.Table("analytics_tmp_cycle_items", _TEMPORARY,
                  sa.Column("cid", sa.BigInteger), sa.Column("day", sa.Integer), sa.Column("until", sa.Integer),
                  sa.Column("first", sa.Integer), prefixes=["TEMPORARY"])
#: Each buyer's figures from one day of change on (`day`) until the next (`next`, excluded): purchase
#: days, last and first purchase day, spend (thousandths) in the last 365 days and the 365 before,
#: distinct products in the same two windows, products ever bought.
_STATE = sa.Table("analytics_tmp_cycle_state", _TEMPORARY, sa.Column("cid", sa.BigInteger),
                  sa.Column("day", sa.Integer), sa.Column("next", sa.Integer),
                  *(sa.Column(name, sa.BigInteger) for name in ("n", "last", "first", "spend_last", "spend_before",
                                                                "p_last", "p_before", "owned")),
                  prefixes=["TEMPORARY"])
#: PostgreSQL's memory for the working set's sorts (this transaction only).
WORK_MEM = "64MB"
#: Spend is counted in thousandths of the currency unit (`_DAYS.units`).
UNITS = 1000


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


def _first(column: Any, table: Any, *where: Any) -> dt.datetime | None:
    value = session().execute(sa.select(sa.func.min(column)).select_from(table).where(*where)).scalar()
    if value is None or isinstance(value, dt.datetime):
        return value if value is None or value.tzinfo else value.replace(tzinfo=dt.UTC)
    return dt.datetime.fromisoformat(str(value)).replace(tzinfo=dt.UTC)


def fill_customers_and_purchases(subquery: Any, currency: str, until: dt.datetime) -> bool:
    """The working set's start, (re)creating the temporary tables: every live customer's creation
    day (`_LIVE`) and the purchases in `currency` before `until` per customer, day and product
    (`_BOUGHT`). False when nobody bought (nothing more to fill)."""
    db = session()
    connection = db.connection()
    _TEMPORARY.drop_all(connection, checkfirst=True)
    _TEMPORARY.create_all(connection)
    live = (Customer.merged_into_id.is_(None), Customer.erased_at.is_(None), Customer.created_at < until)
    since = _first(Customer.created_at, Customer.__table__, *live)
    if since is not None:
        db.execute(sa.insert(_LIVE).from_select(["id", "day"], sa.select(
            Customer.id, day_number(Customer.created_at, since, until)).where(*live)))
    f = subquery.c
    bought = (f.currency == currency, f.occurred_at < until)
    since = _first(f.occurred_at, subquery, *bought)
    if since is None:
        return False
    day = day_number(f.occurred_at, since, until)
    db.execute(sa.insert(_BOUGHT).from_select(["cid", "day", "product", "amount"], sa.select(
        f.customer_id, day, f.product_id, sa.func.coalesce(sa.func.sum(sa.cast(f.amount, sa.Float)), 0.0))
        .where(*bought).group_by(f.customer_id, day, f.product_id)))
    return True


def _fill(subquery: sa.Subquery, currency: str, checks: list[int], until: dt.datetime) -> None:
    """The temporary tables: every live customer's creation day, the purchases grouped (`_BOUGHT`,
    `_DAYS`, `_ITEMS`), each buyer's running state (`_STATE`), and every buyer's figures and stage at
    each check day (`_AT`, one INSERT … SELECT per check day)."""
    if not fill_customers_and_purchases(subquery, currency, until):
        return
    db = session()
    b = _BOUGHT.c
    units = sa.cast(sa.func.round(sa.func.sum(b.amount) * UNITS), sa.BigInteger)
    db.execute(sa.insert(_DAYS).from_select(["cid", "day", "units"], sa.select(b.cid, b.day, units)
                                            .group_by(b.cid, b.day)))
    per_product: dict[str, Any] = {"partition_by": (b.cid, b.product), "order_by": b.day}
    following = sa.func.lead(b.day).over(**per_product)
    db.execute(sa.insert(_ITEMS).from_select(["cid", "day", "until", "first"], sa.select(
        b.cid, b.day,
        sa.case((sa.or_(following.is_(None), following > b.day + YEAR_DAYS), b.day + YEAR_DAYS), else_=following),
        sa.case((sa.func.row_number().over(**per_product) == 1, 1), else_=0))
        .where(b.product.is_not(None))))
    if db.get_bind().dialect.name == "postgresql":  # the grouping and the windows' sort in memory, not on disk
        db.execute(sa.text(f"SET LOCAL work_mem = '{WORK_MEM}'"))
    end = max(checks)
    db.execute(sa.insert(_STATE).from_select([c.name for c in _STATE.c], _state(end)))
    for d in checks:  # one statement per check day: the working set written in (d, cid) order, no sort
        db.execute(sa.insert(_AT).from_select(
            ["d", "cid", "stage", "n", "last_day", "spend_last", "spend_before", "products"], _at(d, end)))
    if db.get_bind().dialect.name == "postgresql":  # statistics for the flows' joins (temporary tables have none)
        db.execute(sa.text(f"ANALYZE {_AT.name}, {_LIVE.name}"))


def _changes(end: int) -> sa.Subquery:
    """Every change of a buyer's figures as a row (cid, day, and what changes that day): a purchase day
    adds a purchase day and its spend to the last 365 days, moves the spend to the year before 365
    days later and drops it 730 days later; a product counts in the last 365 days from a purchase
    day to its `until`, in the year before 365 days later; `owned` counts each product once. Changes
    after `end` are left out."""
    d, i = _DAYS.c, _ITEMS.c
    zero = sa.literal(0, sa.BigInteger)

    def change(table: sa.Table, at: Any, n: Any = zero, last: Any = None, spend_last: Any = zero,
               spend_before: Any = zero, p_last: Any = zero, p_before: Any = zero, owned: Any = zero) -> sa.Select:
        return sa.select(table.c.cid.label("cid"), at.label("day"), n.label("n"),
                         sa.cast(last, sa.Integer).label("last"), spend_last.label("spend_last"),
                         spend_before.label("spend_before"), p_last.label("p_last"), p_before.label("p_before"),
                         owned.label("owned")).where(at <= end)

    one = sa.literal(1, sa.BigInteger)
    return sa.union_all(
        change(_DAYS, d.day, n=one, last=d.day, spend_last=d.units),
        change(_DAYS, d.day + YEAR_DAYS, spend_last=-d.units, spend_before=d.units),
        change(_DAYS, d.day + 2 * YEAR_DAYS, spend_before=-d.units),
        change(_ITEMS, i.day, p_last=one, owned=sa.cast(i.first, sa.BigInteger)),
        change(_ITEMS, i.until, p_last=-one),
        change(_ITEMS, i.day + YEAR_DAYS, p_before=one),
        change(_ITEMS, i.until + YEAR_DAYS, p_before=-one),
    ).subquery("changes")


def _state(end: int) -> sa.Select:
    """Each buyer's figures from each day of change on: the changes summed per customer and day, and
    running sums over each customer's days sorted once (a window); `next` is the customer's next day
    of change (`end` + 1 after the last)."""
    c = _changes(end)
    window: dict[str, Any] = {"partition_by": c.c.cid, "order_by": c.c.day}

    def running(column: Any, total: Any = sa.func.sum) -> Any:
        return total(total(column)).over(**window, rows=(None, 0))

    return sa.select(
        c.c.cid, c.c.day, sa.func.coalesce(sa.func.lead(c.c.day).over(**window), end + 1), running(c.c.n),
        running(c.c.last, sa.func.max), running(c.c.last, sa.func.min), running(c.c.spend_last),
        running(c.c.spend_before), running(c.c.p_last), running(c.c.p_before), running(c.c.owned),
    ).group_by(c.c.cid, c.c.day)


def _at(d: int, end: int) -> sa.Select:
    """Each buyer's figures and stage at check day `d`: the state whose days of change hold at `d`
    (`day <= d < next`: the newest change on or before it)."""
    s = _STATE.c
    stage = sa.case(
        (s.n == 1, "acquisition"),
        (sa.and_(d - s.first >= YEAR_DAYS, sa.or_(s.spend_last > s.spend_before, s.p_last > s.p_before)),
         "expansion"),
        else_="retention")
    return (sa.select(sa.literal(d, sa.Integer), s.cid, stage, s.n, s.last, sa.cast(s.spend_last, sa.Float) / UNITS,
                      sa.cast(s.spend_before, sa.Float) / UNITS, s.owned if d == end else sa.null())
            .where(s.day <= d, s.next > d))


def monthly(ends: list[tuple[str, dt.date]], counts: dict[int, dict[str, int]],
            flows: dict[tuple[int, int], dict[str, dict[str, int]]]) -> dict[str, Any]:
    """Stage counts at each month end and the flows between consecutive ones (`flows[i]` is from month i
    to month i + 1: {from: {to: customers}}), from the per-day figures."""
    days = [last.toordinal() for _, last in ends]
    return {"labels": [label for label, _ in ends],
            "counts": {stage: [counts.get(d, {}).get(stage, 0) for d in days] for stage in STAGES},
            "flows": [flows.get((before, after), {}) for before, after in zip(days, days[1:], strict=False)]}


def _counts(checks: list[int]) -> dict[int, dict[str, int]]:
    """{day: {stage: customers}}: the buyers' stages grouped, and the live customers without a purchase."""
    db = session()
    counts: dict[int, dict[str, int]] = collections.defaultdict(dict)
    for d, stage, n in db.execute(sa.select(_AT.c.d, _AT.c.stage, sa.func.count()).group_by(_AT.c.d, _AT.c.stage)):
        counts[int(d)][stage] = int(n)
    check = sa.union_all(*(sa.select(sa.literal_column(str(int(d)), sa.Integer).label("d")) for d in checks)) \
        .subquery("checks")
    created: dict[int, int] = {int(d): int(n) for d, n in db.execute(sa.select(check.c.d, sa.func.count()).select_from(
        check.join(_LIVE, _LIVE.c.day <= check.c.d)).group_by(check.c.d))}
    buying: dict[int, int] = {int(d): int(n) for d, n in db.execute(sa.select(_AT.c.d, sa.func.count()).select_from(
        _AT.join(_LIVE, sa.and_(_LIVE.c.id == _AT.c.cid, _LIVE.c.day <= _AT.c.d))).group_by(_AT.c.d))}
    for d in checks:
        counts[d]["selection"] = max(int(created.get(d, 0)) - int(buying.get(d, 0)), 0)
    return counts


def _flows(before: int, after: int) -> dict[str, dict[str, int]]:
    """{from: {to: customers}} between two check days: each buyer at `after` against their stage at
    `before` (`selection` when a live customer then, `new` when not yet one)."""
    now, then = _AT.alias("now"), _AT.alias("then")
    source = sa.func.coalesce(then.c.stage, sa.case((_LIVE.c.day <= before, "selection"), else_="new"))
    rows = session().execute(
        sa.select(source, now.c.stage, sa.func.count())
        .select_from(now.outerjoin(then, sa.and_(then.c.d == before, then.c.cid == now.c.cid))
                     .outerjoin(_LIVE, _LIVE.c.id == now.c.cid))
        .where(now.c.d == after).group_by(source, now.c.stage))
    moved: dict[str, dict[str, int]] = collections.defaultdict(dict)
    for source_stage, stage, n in rows:
        if source_stage != stage:
            moved[source_stage][stage] = int(n)
    return dict(moved)


def _steps(end: int, among: Any | None = None) -> tuple[int, int, int]:
    """(bought, repeat, loyal) at check day `end` over every buyer, or over the customers of `among`."""
    repeat = sa.case((_AT.c.stage.in_(("retention", "expansion")), 1), else_=0)
    loyal = sa.case((sa.or_(_AT.c.stage == "expansion",
                            sa.and_(_AT.c.n >= LOYAL_DAYS, end - _AT.c.last_day < YEAR_DAYS)), 1), else_=0)
    query = sa.select(sa.func.count(), sa.func.sum(repeat), sa.func.sum(loyal)).where(_AT.c.d == end)
    if among is not None:
        query = query.where(_AT.c.cid.in_(among))
    bought, repeated, loyal_count = session().execute(query).one()
    return int(bought or 0), int(repeated or 0), int(loyal_count or 0)


def _funnels(end: int, end_time: dt.datetime) -> tuple[list[int], list[int]]:
    """[leads, customers, repeat, loyal] over the leads, and [buyers, buyers, repeat, loyal] over everyone."""
    selects: list[Any] = [found for found in call_hook("payvand_lead_facts") if not LEAD_FACTS.problems(found)]
    leads_count, from_leads = 0, (0, 0, 0)
    if selects:
        union: Any = selects[0] if len(selects) == 1 else sa.union_all(*selects)
        leads = union.subquery("leads")
        leads_count = int(session().execute(sa.select(sa.func.count()).select_from(leads)
                                            .where(leads.c.created_at < end_time)).scalar() or 0)
        from_leads = _steps(end, sa.select(leads.c.customer_id).where(leads.c.created_at < end_time,
                                                                      leads.c.customer_id.is_not(None)))
    everyone = _steps(end)
    return [leads_count, *from_leads], [everyone[0], *everyone]


def run_cycle(end: dt.date, months: int = 12) -> Run:
    """Compute the cycle at `end` (a local day) and at the last `months` month ends (Gregorian and
    Jalali); store the run and each customer's stage at `end`. The caller commits. ValueError when no
    plugin offers purchase facts."""
    subquery = facts.purchase_facts()
    if subquery is None:
        raise ValueError("no active plugin offers purchase facts (enable the sales plugin)")
    currency = facts.main_currency(subquery) or ""
    until = midnight(end + dt.timedelta(days=1))
    ends = {calendar: month_ends(end, months, calendar) for calendar in ("gregorian", "jalali")}
    checks = sorted({last.toordinal() for found in ends.values() for _, last in found})
    _fill(subquery, currency, checks, until)
    counts = _counts(checks)
    flows: dict[tuple[int, int], dict[str, dict[str, int]]] = {}
    for found in ends.values():
        days = [last.toordinal() for _, last in found]
        for pair in zip(days, days[1:], strict=False):
            if pair not in flows:
                flows[pair] = _flows(*pair)
    by_calendar = {calendar: monthly(found, counts, flows) for calendar, found in ends.items()}
    funnel_leads, funnel_all = _funnels(end.toordinal(), until)
    stages = {stage: by_calendar["gregorian"]["counts"][stage][-1] for stage in STAGES}
    results = {"currency": currency, "months": by_calendar, "funnel_leads": funnel_leads, "funnel_all": funnel_all,
               "stages": stages}
    run = Run(kind="cycle", options={"end": end.isoformat(), "months": months}, results=results, report={},
              customers=sum(stages.values()))
    db = session()
    db.add(run)
    db.flush()
    _store(run.id, end.toordinal(), until)
    _TEMPORARY.drop_all(db.connection(), checkfirst=True)
    return run


def _store(run_id: int, end: int, until: dt.datetime) -> None:
    """Each buyer's stage at `end` (one INSERT … SELECT over the working set, customers still in the
    table), then every other live customer as `selection` (another)."""
    db = session()
    columns = ["run_id", "customer_id", "stage", "purchase_days", "products", "spend_last_year", "spend_year_before"]
    customer = Customer.__table__
    db.execute(sa.insert(CustomerStage).from_select(columns, sa.select(
        sa.literal(run_id), _AT.c.cid, _AT.c.stage, _AT.c.n, _AT.c.products, _AT.c.spend_last, _AT.c.spend_before)
        .where(_AT.c.d == end, sa.exists(sa.select(customer.c.id).where(customer.c.id == _AT.c.cid)))))
    stored = sa.select(CustomerStage.customer_id).where(CustomerStage.run_id == run_id,
                                                       CustomerStage.customer_id == Customer.id)
    db.execute(sa.insert(CustomerStage).from_select(columns, sa.select(
        sa.literal(run_id), Customer.id, sa.literal("selection"), sa.literal(0), sa.literal(0), sa.literal(0.0),
        sa.literal(0.0)).where(Customer.merged_into_id.is_(None), Customer.erased_at.is_(None),
                               Customer.created_at < until, ~sa.exists(stored))))


def latest_cycle() -> Run | None:
    """The newest cycle run, or None."""
    return session().scalars(sa.select(Run).where(Run.kind == "cycle").order_by(Run.id.desc()).limit(1)).first()
