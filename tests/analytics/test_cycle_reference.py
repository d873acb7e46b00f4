"""The e-CRM cycle against a straightforward computation in plain Python (exact decimals), on a
randomised history built around the windows' edges: purchases exactly on a check day, 364, 365,
366, 729, 730 and 731 days before one, several lines and orders on a day, free-text lines (no
product), amounts with cents, a cancelled order and one in another currency (both left out),
customers created after some check days, first purchases 365 and 364 days before a check day."""

from __future__ import annotations

import collections
import datetime as dt
import random
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from payvand.plugins.analytics.models import CustomerStage
from payvand.plugins.analytics.services import cycle, facts, local_days
from payvand.plugins.analytics.services.local_days import midnight
from payvand.plugins.sales.models import Order, OrderLine, Product
from payvand.sdk import Customer, session

TODAY = local_days.today()  # the site's day (Tehran): after 20:30 UTC it is already tomorrow there
YEAR = 365
EDGES = (0, 364, 365, 366, 729, 730, 731)  # days before a check day
CENTS = ("0", "0.5", "0.1", "0.99")  # 0.1 and 0.99 have no exact float: the window sums must still be exact


def _checks() -> dict[str, list[int]]:
    return {calendar: [last.toordinal() for _, last in cycle.month_ends(TODAY, 12, calendar)]
            for calendar in ("gregorian", "jalali")}


def _noon(day: int) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromordinal(day), dt.time(12), tzinfo=dt.UTC)


@pytest.fixture
def history(in_app, db_session, make_customer) -> dict[str, Any]:
    """40 customers with random purchases (some exactly at the windows' edges of a random check day)
    and creation days, and two who grow from a first purchase 365 and 364 days before a check day;
    returns the purchases that count, (customer, day, product, amount), and the creation days."""
    rng = random.Random(1414)
    checks = sorted({d for days in _checks().values() for d in days})
    end = TODAY.toordinal()
    customers = [make_customer(given_name=f"Ref{i}").id for i in range(40)]
    tenure = [make_customer(given_name=f"Tenure{i}").id for i in range(2)]
    products = [Product(sku=f"CYCLE-{i}", name=f"Cycle product {i}") for i in range(5)]
    db_session.add_all(products)
    db_session.flush()
    choices: list[int | None] = [p.id for p in products] + [None]  # None: a free-text line
    created: dict[int, int] = {}
    purchases: list[tuple[int, int, int | None, Decimal]] = []
    number = 0

    def order(cid: int, day: int, lines: list[tuple[int | None, Decimal]], status: str = "delivered",
              currency: str = "IRR") -> None:
        nonlocal number
        number += 1
        placed = _noon(day)
        row = Order(number=f"REF-{number}", customer_id=cid, currency=currency, status=status, placed_at=placed,
                    total=sum((amount for _, amount in lines), Decimal(0)))
        for product, amount in lines:
            row.lines.append(OrderLine(product_id=product, description="Line", quantity=Decimal(1), total=amount))
        db_session.add(row)
        if status == "delivered" and currency == "IRR":
            purchases.extend((cid, day, product, amount) for product, amount in lines)

    for i, cid in enumerate(customers):
        check = rng.choice(checks)
        days = [check - back for back in rng.sample(EDGES, rng.randint(0, 4))]
        days += [end - rng.randrange(1000) for _ in range(rng.randint(0, 4))]
        if i % 7 == 0 and days:
            days.append(days[0])  # a second order on the same day: still one purchase day
        for day in days:
            lines = [(rng.choice(choices), Decimal(rng.choice((10, 20, 30, 45))) + Decimal(rng.choice(CENTS)))
                     for _ in range(rng.randint(1, 3))]
            order(cid, day, lines)
        if i % 5 == 0:  # the same spend and product a year apart: a tie, not growth
            order(cid, check - 10, [(choices[0], Decimal(100))])
            order(cid, check - 10 - YEAR, [(choices[0], Decimal(100))])
        # created long ago, or a few days after one of the check days (a prospect only from then on)
        created[cid] = end - 2000 if i % 3 else min(rng.choice(checks) + rng.randint(1, 20), end)
    for cid, first in zip(tenure, (YEAR, YEAR - 1), strict=True):  # growing: expansion at 365 days' tenure, not 364
        order(cid, checks[-4] - first, [(None, Decimal(10))])
        order(cid, checks[-4] - 3, [(None, Decimal(100))])
        created[cid] = end - 2000
    order(customers[1], checks[-3], [(choices[1], Decimal(999))], status="cancelled")
    order(customers[2], checks[-3], [(choices[2], Decimal(999))], currency="USD")
    for cid, day in created.items():
        db_session.execute(sa.update(Customer).where(Customer.id == cid).values(created_at=_noon(day)))
    db_session.commit()
    return {"purchases": purchases, "created": created}


def _reference(purchases: list[tuple[int, int, int | None, Decimal]], checks: list[int]) -> dict[tuple[int, int], Any]:
    """{(check day, customer): (stage, purchase days, last day, spend last 365 days, spend the 365
    before, products owned at the end or None)}, straight from the definitions."""
    end = max(checks)
    by_customer: dict[int, list[tuple[int, int | None, Decimal]]] = collections.defaultdict(list)
    for cid, day, product, amount in purchases:
        by_customer[cid].append((day, product, amount))
    out = {}
    for cid, rows in by_customer.items():
        for d in checks:
            seen = [(day, product, amount) for day, product, amount in rows if day <= d]
            if not seen:
                continue
            days = {day for day, _, _ in seen}
            spend_last = sum((a for day, _, a in seen if day > d - YEAR), Decimal(0))
            spend_before = sum((a for day, _, a in seen if d - 2 * YEAR < day <= d - YEAR), Decimal(0))
            p_last = {p for day, p, _ in seen if p is not None and day > d - YEAR}
            p_before = {p for day, p, _ in seen if p is not None and d - 2 * YEAR < day <= d - YEAR}
            if len(days) == 1:
                stage = "acquisition"
            elif d - min(days) >= YEAR and (spend_last > spend_before or len(p_last) > len(p_before)):
                stage = "expansion"
            else:
                stage = "retention"
            owned = len({p for _, p, _ in seen if p is not None}) if d == end else None
            out[(d, cid)] = (stage, len(days), max(days), float(spend_last), float(spend_before), owned)
    return out


def test_the_working_set_matches_a_computation_in_python_at_every_check_day(history, db_session):
    calendars = _checks()
    checks = sorted({d for days in calendars.values() for d in days})
    expected = _reference(history["purchases"], checks)
    subquery = facts.purchase_facts()
    assert subquery is not None and facts.main_currency(subquery) == "IRR"
    cycle._fill(subquery, "IRR", checks, midnight(TODAY + dt.timedelta(days=1)))
    at = cycle._AT.c
    got = {(d, cid): (stage, n, last, spend_last, spend_before, products) for d, cid, stage, n, last, spend_last,
           spend_before, products in session().execute(sa.select(at.d, at.cid, at.stage, at.n, at.last_day,
                                                                  at.spend_last, at.spend_before, at.products))}
    db_session.rollback()
    assert got == expected
    # the set reaches the edges it is built for, so a window off by a day cannot pass
    stages = collections.Counter(stage for stage, *_ in expected.values())
    assert all(stages[stage] >= 3 for stage in ("acquisition", "retention", "expansion")), stages
    edges = {d - day for d in checks for _, day, _, _ in history["purchases"]}
    assert {0, 364, 365, 366, 729, 730, 731} <= edges


def test_the_run_counts_flows_funnel_and_stored_stages_match_the_computation_in_python(history, db_session):
    calendars = _checks()
    checks = sorted({d for days in calendars.values() for d in days})
    expected = _reference(history["purchases"], checks)
    created: dict[int, int] = history["created"]
    run = cycle.run_cycle(TODAY)
    db_session.commit()

    def stage_at(d: int, cid: int) -> str | None:
        found = expected.get((d, cid))
        return found[0] if found else None

    everyone = set(created)
    for calendar, days in calendars.items():
        months = run.results["months"][calendar]
        for index, d in enumerate(days):
            buyers = [cid for cid in everyone if stage_at(d, cid)]
            counts = collections.Counter(stage_at(d, cid) for cid in buyers)
            counts["selection"] = len([c for c in everyone if created[c] <= d]) - len(
                [c for c in buyers if created[c] <= d])
            assert {stage: months["counts"][stage][index] for stage in cycle.STAGES} == \
                {stage: counts[stage] for stage in cycle.STAGES}, (calendar, index)
        for index, (before, after) in enumerate(zip(days, days[1:], strict=False)):
            moved: dict[str, dict[str, int]] = collections.defaultdict(lambda: collections.defaultdict(int))
            for cid in everyone:
                now = stage_at(after, cid)
                then = stage_at(before, cid) or ("selection" if created[cid] <= before else "new")
                if now and now != then:
                    moved[then][now] += 1
            assert months["flows"][index] == {k: dict(v) for k, v in moved.items()}, (calendar, index)
    end = TODAY.toordinal()
    final = {cid: expected[(end, cid)] for cid in everyone if (end, cid) in expected}
    repeat = [cid for cid, row in final.items() if row[0] in ("retention", "expansion")]
    loyal = [cid for cid, row in final.items() if row[0] == "expansion" or (row[1] >= 4 and end - row[2] < YEAR)]
    assert run.results["funnel_all"] == [len(final), len(final), len(repeat), len(loyal)]
    stored = {cid: tuple(rest) for cid, *rest in db_session.execute(
        sa.select(CustomerStage.customer_id, CustomerStage.stage, CustomerStage.purchase_days, CustomerStage.products,
                  CustomerStage.spend_last_year, CustomerStage.spend_year_before)
        .where(CustomerStage.run_id == run.id, CustomerStage.customer_id.in_(everyone)))}
    assert stored == {cid: (final[cid][0], final[cid][1], final[cid][5], final[cid][3], final[cid][4])
                      if cid in final else ("selection", 0, 0, 0.0, 0.0) for cid in everyone}
