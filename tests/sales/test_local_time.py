"""Reports in the site's time zone: local days in SQL (DST included), Jalali months, the rollup's zone."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from payvand.plugins.sales.models import Order, OrderLine, Product, RollupState
from payvand.plugins.sales.services import local_time, reports, rollup

UTC = dt.UTC
TEHRAN = ZoneInfo("Asia/Tehran")
BERLIN = ZoneInfo("Europe/Berlin")


def test_offset_spans_find_each_daylight_saving_change_to_the_minute() -> None:
    spans = local_time.offset_spans(BERLIN, dt.datetime(2026, 1, 1, tzinfo=UTC), dt.datetime(2027, 1, 1, tzinfo=UTC))
    assert spans == [(dt.datetime(2026, 3, 29, 1, tzinfo=UTC), 60), (dt.datetime(2026, 10, 25, 1, tzinfo=UTC), 120),
                     (None, 60)]
    assert local_time.offset_spans(TEHRAN, dt.datetime(2025, 1, 1, tzinfo=UTC),
                                   dt.datetime(2027, 1, 1, tzinfo=UTC)) == [(None, 210)]
    # Iran kept daylight saving time until 2022: the spans of 2021 show it.
    assert [m for _, m in local_time.offset_spans(TEHRAN, dt.datetime(2021, 1, 1, tzinfo=UTC),
                                                  dt.datetime(2022, 1, 1, tzinfo=UTC))] == [210, 270, 210]


@pytest.mark.parametrize("zone", [TEHRAN, BERLIN, ZoneInfo("America/New_York")], ids=str)
def test_local_day_in_sql_agrees_with_python_around_every_change(db_session, make_customer, zone) -> None:
    customer = make_customer()
    rng = random.Random(7)
    start, end = dt.datetime(2021, 1, 1, tzinfo=UTC), dt.datetime(2027, 1, 1, tzinfo=UTC)
    moments = [start + dt.timedelta(seconds=rng.randrange(int((end - start).total_seconds()))) for _ in range(300)]
    for until, _ in local_time.offset_spans(zone, start, end)[:-1]:  # either side of every change
        moments += [until - dt.timedelta(minutes=1), until, until + dt.timedelta(minutes=1)]
    moments += [dt.datetime(2026, 3, 20, 20, 29, tzinfo=UTC), dt.datetime(2026, 3, 20, 20, 30, tzinfo=UTC)]
    for number, moment in enumerate(moments):
        db_session.add(Order(number=f"T-{number}", customer_id=customer.id, placed_at=moment.replace(microsecond=0)))
    db_session.commit()
    day = local_time.local_day(Order.placed_at, zone, start, end)
    found = {n: local_time.as_date(d) for n, d in db_session.execute(sa.select(Order.number, day))}
    expected = {f"T-{n}": m.replace(microsecond=0).astimezone(zone).date() for n, m in enumerate(moments)}
    assert found == expected


def test_months_fold_into_jalali_and_gregorian() -> None:
    assert local_time.month_of(dt.date(2026, 3, 21), "jalali") == (1405, 1)
    assert local_time.month_of(dt.date(2026, 3, 20), "jalali") == (1404, 12)
    assert local_time.month_of(dt.date(2026, 3, 20), "gregorian") == (2026, 3)
    assert local_time.month_start(1405, 1, "jalali") == dt.date(2026, 3, 21)
    assert local_time.month_start(1404, 12, "jalali") == dt.date(2026, 2, 20)
    assert local_time.next_month(1404, 12) == (1405, 1)


@pytest.fixture
def nowruz_orders(db_session, make_customer):
    """Two orders either side of Nowruz 1405 in Tehran: 23:59 and 00:30 local time."""
    customer = make_customer()
    tea = Product(sku="TEA", name="Tea")
    db_session.add(tea)
    db_session.flush()
    for number, moment, amount in (("N-1", dt.datetime(2026, 3, 20, 20, 29, tzinfo=UTC), "100"),
                                   ("N-2", dt.datetime(2026, 3, 20, 21, 0, tzinfo=UTC), "250")):
        order = Order(number=number, customer_id=customer.id, currency="IRR", status="paid", placed_at=moment,
                      total=Decimal(amount))
        order.lines.append(OrderLine(product_id=tea.id, description="Tea", quantity=Decimal(1), total=Decimal(amount)))
        db_session.add(order)
        db_session.flush()
        rollup.count_order(order.id, 1)
    db_session.commit()
    return tea


def test_revenue_by_month_uses_the_local_day_and_the_calendar(db_session, nowruz_orders) -> None:
    year = reports.local_period(dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    jalali = [(r["month"], r["revenue"]) for r in reports.revenue_by_month(year, "jalali")]
    assert jalali == [("1404-12", Decimal("100")), ("1405-01", Decimal("250"))]
    gregorian = [(r["month"], r["orders"]) for r in reports.revenue_by_month(year, "gregorian")]
    assert gregorian == [("2026-03", 2)]  # both on 20 and 21 March local time


def test_the_rollup_keeps_local_days_and_steps_aside_when_the_zone_changes(db_session, nowruz_orders) -> None:
    farvardin = reports.local_period(dt.date(2026, 3, 21), dt.date(2026, 4, 20))
    assert rollup.rollup_zone() == "Asia/Tehran"
    assert [r["revenue"] for r in rollup.product_revenue(dt.date(2026, 3, 21), dt.date(2026, 4, 20), 10)] == [Decimal("250")]
    assert [r["revenue"] for r in reports.revenue_by_product(farvardin)] == [Decimal("250")]
    db_session.execute(sa.update(RollupState).values(zone="UTC"))  # as if built before the site moved zones
    db_session.commit()
    assert not rollup.is_current()
    assert [r["revenue"] for r in reports.revenue_by_product(farvardin)] == [Decimal("250")]  # read from the lines
    rollup.rebuild()
    db_session.commit()
    assert rollup.is_current()


def test_the_persian_reports_page_shows_jalali_months_and_takes_jalali_dates(web, nowruz_orders) -> None:
    web.post("/account/locale", {"locale": "fa"})
    page = web.get("/sales/reports?start=۱۴۰۴/۱۲/۰۱&end=۱۴۰۵/۰۱/۳۱")
    assert page.status_code == 200, page.text
    assert "اسفند ۱۴۰۴" in page.text and "فروردین ۱۴۰۵" in page.text
    assert web.get("/sales/reports?start=1405/13/01").status_code == 422
