"""Cohorts, the CLV fit's daily purchases and the KPI widgets count purchases on the site's local
days, not UTC days: a purchase at 00:30 Tehran time on the first of a month is still the previous
day (and month) in UTC, and must count in its local day and month; a zone with daylight saving
(Europe/Berlin around the last Sunday of March) proves the offset spans on SQLite."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from payvand.plugins.analytics.services import clv, cohorts, facts, kpis, lifetime, local_days, periods, profit
from payvand.plugins.sales.models import Order
from payvand.sdk import KpiData, offset_spans
from tests.analytics.cdnow import cdnow_rows
from tests.analytics.orders import add_orders_at, set_site_zone

UTC = dt.UTC
TEHRAN = ZoneInfo("Asia/Tehran")
BERLIN = ZoneInfo("Europe/Berlin")
#: The BG/NBD paper's calibration end (week 39 of the CDNOW data).
CAL_END = dt.date(1997, 9, 30)

#: 00:30 Tehran time on 1 April 2024 (13 Farvardin 1403): 21:00 UTC on 31 March.
APRIL_FIRST_0030 = dt.datetime(2024, 3, 31, 21, 0, tzinfo=UTC)
#: 00:30 Tehran time on 1 Farvardin 1403 (20 March 2024): 21:00 UTC on 19 March, 29 Esfand 1402.
NOWRUZ_0030 = dt.datetime(2024, 3, 19, 21, 0, tzinfo=UTC)
#: Berlin, last Sunday of March 2026: clocks go from +01:00 to +02:00 at 01:00 UTC on 29 March.
BERLIN_SUNDAY_0030 = dt.datetime(2026, 3, 28, 23, 30, tzinfo=UTC)  # 00:30 CET, Sunday 29 March
BERLIN_MONDAY_0030 = dt.datetime(2026, 3, 29, 22, 30, tzinfo=UTC)  # 00:30 CEST, Monday 30 March
BERLIN_APRIL_0030 = dt.datetime(2026, 3, 31, 22, 30, tzinfo=UTC)  # 00:30 CEST, 1 April


def _days(rows: list[tuple]) -> list[tuple[int, dt.date, float]]:
    return sorted((int(c), local_days.as_date(d), float(a)) for c, d, a in rows)


def _acquired(app, period) -> KpiData:
    """The "customers acquired" widget's figures (its labels are translated: a request is needed)."""
    with app.test_request_context():
        return kpis._acquired(None, period, None)


def _facts() -> sa.Subquery:
    found = facts.purchase_facts()
    assert found is not None
    return found


# --------------------------------------------------------------------------- Tehran, 00:30 on the first of a month


def test_cohorts_put_a_purchase_at_0030_tehran_on_the_first_of_a_month_in_that_month(
        in_app, db_session, make_customer):
    set_site_zone(db_session, "Asia/Tehran")
    a, b = (make_customer(given_name=n).id for n in "AB")
    add_orders_at(db_session, [(a, APRIL_FIRST_0030, "10"), (a, dt.datetime(2024, 5, 10, 12, tzinfo=UTC), "10"),
                               (b, NOWRUZ_0030, "10")])
    gregorian = cohorts.retention("gregorian")
    assert [(x.label, x.size, x.retained) for x in gregorian] == [("2024/03", 1, [1, 0, 0]), ("2024/04", 1, [1, 1])]
    jalali = cohorts.retention("jalali")  # both first bought in Farvardin 1403 (B on its first day)
    assert [(x.label, x.size, x.retained) for x in jalali] == [("1403/01", 2, [2, 1])]


def test_clv_daily_purchases_count_a_purchase_at_0030_tehran_on_its_local_day(in_app, db_session, make_customer):
    set_site_zone(db_session, "Asia/Tehran")
    c = make_customer(given_name="Night").id
    # 15:30 on 31 March and 00:30 on 1 April in Tehran: one UTC day, two local days (two transactions)
    add_orders_at(db_session, [(c, dt.datetime(2024, 3, 31, 12, tzinfo=UTC), "100"), (c, APRIL_FIRST_0030, "250")])
    rows = facts.daily_purchases(_facts(), "IRR")
    assert _days(rows) == [(c, dt.date(2024, 3, 31), 100.0), (c, dt.date(2024, 4, 1), 250.0)]
    summary = clv.summarize(rows, dt.date(2024, 4, 30), "day")
    assert (summary.x[0], summary.t_x[0], summary.T[0]) == (1, 1, 30)
    # `until` is the end of that local day: the 00:30 purchase is the next day's
    assert _days(facts.daily_purchases(_facts(), "IRR", until=dt.date(2024, 3, 31))) == [
        (c, dt.date(2024, 3, 31), 100.0)]


def test_kpi_widgets_count_a_first_purchase_at_0030_tehran_in_its_local_day_and_month(
        in_app, db_session, make_customer):
    set_site_zone(db_session, "Asia/Tehran")
    c = make_customer(given_name="New").id
    add_orders_at(db_session, [(c, APRIL_FIRST_0030, "100")])
    spring = periods.make_period(dt.date(2024, 3, 1), dt.date(2024, 4, 30), "gregorian")
    assert kpis.acquired_by_day(spring) == {dt.date(2024, 4, 1): 1}
    acquired = _acquired(in_app, spring)
    assert (acquired.labels, acquired.series[0].data, acquired.value) == (["2024/03", "2024/04"], [0.0, 1.0], 1.0)
    march = periods.make_period(dt.date(2024, 3, 1), dt.date(2024, 3, 31), "gregorian")
    april = periods.make_period(dt.date(2024, 4, 1), dt.date(2024, 4, 30), "gregorian")
    assert (kpis.active_count(march), kpis.active_count(april)) == (0, 1)
    # CAC: the customer is acquired in April (local), not in March (UTC)
    assert [profit.cac((p.first_day, p.last_day)).customers for p in (march, april)] == [0, 1]
    jalali = periods.make_period(dt.date(2024, 3, 10), dt.date(2024, 4, 19), "jalali")  # 1402/12/20 … 1403/01/31
    assert _acquired(in_app, jalali).series[0].data == [0.0, 1.0]


def test_the_costs_run_counts_acquired_and_retained_customers_in_local_months(in_app, db_session, make_customer):
    set_site_zone(db_session, "Asia/Tehran")
    c = make_customer(given_name="New").id
    may_first_0030 = dt.datetime(2024, 4, 30, 21, 0, tzinfo=UTC)  # 00:30 on 1 May in Tehran
    add_orders_at(db_session, [(c, APRIL_FIRST_0030, "100"), (c, may_first_0030, "100")])
    run = profit.run_costs(profit.CostsOptions(dt.date(2024, 3, 1), dt.date(2024, 5, 31)))
    counts = [(p["month"], p["acquired"], p["retained"]) for p in run.results["periods"]]
    assert counts == [("2024-03", 0, 0), ("2024-04", 1, 0), ("2024-05", 0, 1)]


# --------------------------------------------------------------------------- daylight saving: Europe/Berlin


@pytest.fixture
def berlin_purchases(in_app, db_session, make_customer):
    """C at 00:30 local on Sunday 29 March (CET), Monday 30 March (CEST) and 1 April 2026; D only at
    00:30 on 1 April. With one offset for the whole range the Monday purchase would be Sunday's."""
    set_site_zone(db_session, "Europe/Berlin")
    c, d = (make_customer(given_name=n).id for n in "CD")
    add_orders_at(db_session, [(c, BERLIN_SUNDAY_0030, "10"), (c, BERLIN_MONDAY_0030, "20"),
                               (c, BERLIN_APRIL_0030, "30"), (d, BERLIN_APRIL_0030, "40")])
    return c, d


def test_daily_purchases_follow_the_daylight_saving_change(berlin_purchases):
    c, d = berlin_purchases
    assert _days(facts.daily_purchases(_facts(), "IRR")) == [
        (c, dt.date(2026, 3, 29), 10.0), (c, dt.date(2026, 3, 30), 20.0), (c, dt.date(2026, 4, 1), 30.0),
        (d, dt.date(2026, 4, 1), 40.0)]


def test_cohorts_follow_the_daylight_saving_change(berlin_purchases):
    assert [(x.label, x.size, x.retained) for x in cohorts.retention("gregorian")] == [
        ("2026/03", 1, [1, 1]), ("2026/04", 1, [1])]


def test_kpis_follow_the_daylight_saving_change(in_app, berlin_purchases):
    spring = periods.make_period(dt.date(2026, 3, 1), dt.date(2026, 4, 30), "gregorian")
    assert kpis.acquired_by_day(spring) == {dt.date(2026, 3, 29): 1, dt.date(2026, 4, 1): 1}
    assert _acquired(in_app, spring).series[0].data == [1.0, 1.0]


@pytest.mark.parametrize("zone", [TEHRAN, BERLIN, ZoneInfo("America/New_York")], ids=str)
def test_local_date_in_sql_agrees_with_python_around_every_change(in_app, db_session, make_customer, zone):
    customer = make_customer().id
    rng = random.Random(11)
    start, end = dt.datetime(2021, 1, 1, tzinfo=UTC), min(dt.datetime(2027, 1, 1, tzinfo=UTC), dt.datetime.now(UTC))
    moments = [start + dt.timedelta(seconds=rng.randrange(int((end - start).total_seconds()))) for _ in range(200)]
    for until, _ in offset_spans(zone, start, end)[:-1]:  # either side of every change (Iran's until 2022)
        moments += [until - dt.timedelta(minutes=1), until, until + dt.timedelta(minutes=1)]
    for number, moment in enumerate(moments):
        db_session.add(Order(number=f"Z-{number}", customer_id=customer, placed_at=moment.replace(microsecond=0)))
    db_session.commit()
    ranged = local_days.local_date(Order.placed_at, start, end, zone=zone)  # the spans of the range
    since_1970 = local_days.local_date(Order.placed_at, zone=zone)  # every change since 1970, newest first
    number = local_days.day_number(Order.placed_at, start, end, zone=zone)
    rows = db_session.execute(sa.select(Order.number, ranged, since_1970, number)).all()
    expected = {f"Z-{n}": m.replace(microsecond=0).astimezone(zone).date() for n, m in enumerate(moments)}
    assert {n: local_days.as_date(d) for n, d, _, _ in rows} == expected
    assert {n: local_days.as_date(d) for n, _, d, _ in rows} == expected
    assert {n: int(k) for n, _, _, k in rows} == {n: d.toordinal() for n, d in expected.items()}


# --------------------------------------------------------------------------- the papers' data, by date, in any zone


def _load_cdnow_as_dated_orders(db_session, zone: ZoneInfo) -> None:
    """The CDNOW sample as orders placed at noon local time on each row's date (what the order
    import stores for a date without a time), one customer per CDNOW customer."""
    from payvand.plugins.sales.models import OrderLine
    from payvand.sdk import create_customers

    rows = cdnow_rows()
    names = sorted({customer for customer, _day, _amount in rows})
    ids = dict(zip(names, create_customers([{"given_name": f"CDNOW {n}"} for n in names], source="test"),
                   strict=True))
    orders = [{"number": f"CD-{i}", "customer_id": ids[customer], "currency": "USD", "total": Decimal(amount),
               "placed_at": dt.datetime.combine(dt.date(int(day[:4]), int(day[4:6]), int(day[6:])), dt.time(12),
                                                tzinfo=zone).astimezone(UTC)}
              for i, (customer, day, amount) in enumerate(rows)]
    order_ids = db_session.scalars(sa.insert(Order).returning(Order.id, sort_by_parameter_order=True), orders).all()
    db_session.execute(sa.insert(OrderLine), [
        {"order_id": oid, "position": 1, "description": "CD", "quantity": Decimal(1), "total": o["total"]}
        for oid, o in zip(order_ids, orders, strict=True)])
    db_session.commit()


@pytest.mark.parametrize("zone", ["UTC", "Asia/Tehran", "Pacific/Kiritimati"])
def test_cdnow_by_date_gives_the_papers_parameters_whatever_the_sites_zone(in_app, db_session, zone):
    """Noon in Kiritimati (UTC+14) is 22:00 UTC the day before: by UTC day every purchase would move."""
    set_site_zone(db_session, zone)
    _load_cdnow_as_dated_orders(db_session, ZoneInfo(zone))
    options = lifetime.ClvOptions(CAL_END, "week")
    rows = facts.daily_purchases(_facts(), "USD")
    from_file = lifetime.fit(cdnow_rows(), options).as_json()
    found = lifetime.fit(rows, options).as_json()
    assert found["customers"] == from_file["customers"] == 2357
    assert found["bgnbd"] == pytest.approx(from_file["bgnbd"], rel=1e-6)
    assert found["gamma_gamma"] == pytest.approx(from_file["gamma_gamma"], rel=1e-6)
    assert found["bgnbd"] == pytest.approx({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}, rel=0.01)
    assert found["gamma_gamma"] == pytest.approx({"p": 6.25, "q": 3.74, "v": 15.44}, rel=0.01)
