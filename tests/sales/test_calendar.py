"""The activity calendar: Jalali and Gregorian month grids, local days, and the calendar page."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from payvand.plugins.sales.services import activities
from payvand.plugins.sales.services import calendar as cal
from payvand.sdk import SYSTEM

TEHRAN = ZoneInfo("Asia/Tehran")


def test_farvardin_1405_starts_on_21_march_2026_a_saturday_in_the_first_column():
    grid = cal.month_grid("jalali", 1405, 1, today=dt.date(2026, 3, 25))
    assert grid.first == dt.date(2026, 3, 21) and grid.last == dt.date(2026, 4, 20)
    first_week = grid.weeks[0]
    assert first_week[0].date == dt.date(2026, 3, 21) and first_week[0].date.weekday() == 5  # Saturday
    assert [d.number for d in first_week] == [1, 2, 3, 4, 5, 6, 7]
    assert [d.weekend for d in first_week] == [False] * 6 + [True]  # Friday
    assert sum(d.in_month for w in grid.weeks for d in w) == 31
    assert [d.date for w in grid.weeks for d in w if d.today] == [dt.date(2026, 3, 25)]


@pytest.mark.parametrize(("year", "month", "days"), [
    (1405, 1, 31), (1405, 6, 31), (1405, 7, 30), (1405, 11, 30),
    (1403, 12, 30),  # 1403 is a leap year: Esfand has 30 days
    (1404, 12, 29), (1405, 12, 29),
])
def test_jalali_month_lengths_follow_the_calendar_including_leap_esfand(year, month, days):
    grid = cal.month_grid("jalali", year, month, today=dt.date(2000, 1, 1))
    assert (grid.last - grid.first).days + 1 == days
    assert sum(d.in_month for w in grid.weeks for d in w) == days


def test_esfand_1403_ends_the_day_before_nowruz_1404():
    grid = cal.month_grid("jalali", 1403, 12, today=dt.date(2000, 1, 1))
    assert grid.last == dt.date(2025, 3, 20) and grid.next == (1404, 1) and grid.prev == (1403, 11)


def test_a_gregorian_month_starts_its_weeks_on_monday_with_a_saturday_sunday_weekend():
    grid = cal.month_grid("gregorian", 2026, 3, today=dt.date(2026, 3, 1))
    assert grid.weeks[0][0].date == dt.date(2026, 2, 23)  # Monday before Sunday 1 March
    assert grid.weeks[0][6] == cal.Day(dt.date(2026, 3, 1), 1, True, True, True)
    assert [d.weekend for d in grid.weeks[1]] == [False] * 5 + [True, True]
    assert grid.weeks[-1][-1].date >= grid.last and len(grid.weeks) == 6
    assert cal.month_grid("gregorian", 2024, 2, today=dt.date(2000, 1, 1)).last == dt.date(2024, 2, 29)


def test_a_week_of_the_jalali_calendar_runs_saturday_to_friday():
    week = cal.week_grid("jalali", dt.date(2026, 3, 25), today=dt.date(2026, 3, 25))
    assert [d.date.weekday() for d in week] == [5, 6, 0, 1, 2, 3, 4]
    assert week[0].date == dt.date(2026, 3, 21)


def test_an_activity_at_22_utc_is_on_the_next_local_day_in_tehran(db_session, make_customer):
    customer = make_customer()
    late = activities.create_activity(db_session, {"subject": "Late call", "customer_id": customer.id,
                                                   "due_at": dt.datetime(2026, 3, 20, 22, 0, tzinfo=dt.UTC)})
    db_session.flush()
    days = [dt.date(2026, 3, 20), dt.date(2026, 3, 21)]
    found = cal.activities_by_day(db_session, SYSTEM, days, TEHRAN)
    assert list(found) == [dt.date(2026, 3, 21)] and found[dt.date(2026, 3, 21)].items[0].id == late.id
    in_utc = cal.activities_by_day(db_session, SYSTEM, days, dt.UTC)
    assert list(in_utc) == [dt.date(2026, 3, 20)]


def test_each_day_keeps_its_first_activities_and_counts_the_rest(db_session, make_customer):
    customer = make_customer()
    base = dt.datetime(2026, 3, 21, 6, 0, tzinfo=dt.UTC)
    for n in range(7):
        activities.create_activity(db_session, {"subject": f"A{n}", "customer_id": customer.id,
                                                "due_at": base + dt.timedelta(minutes=n)})
    activities.create_activity(db_session, {"subject": "Next day", "customer_id": customer.id,
                                            "due_at": base + dt.timedelta(days=1)})
    db_session.flush()
    days = [dt.date(2026, 3, 21) + dt.timedelta(days=i) for i in range(3)]
    found = cal.activities_by_day(db_session, SYSTEM, days, TEHRAN, per_day=4)
    first = found[dt.date(2026, 3, 21)]
    assert [a.subject for a in first.items] == ["A0", "A1", "A2", "A3"] and first.more == 3
    assert [a.subject for a in found[dt.date(2026, 3, 22)].items] == ["Next day"]
    assert dt.date(2026, 3, 23) not in found


def test_the_calendar_page_is_jalali_in_persian_and_gregorian_in_english(web, db_session, make_customer):
    customer = make_customer()
    activities.create_activity(db_session, {"subject": "Nowruz visit", "kind": "meeting", "customer_id": customer.id,
                                            "due_at": dt.datetime(2026, 3, 20, 22, 0, tzinfo=dt.UTC),
                                            "owner_id": web.user.id})
    db_session.commit()
    en = web.get("/sales/calendar?year=2026&month=3")
    assert en.status_code == 200
    assert "March 2026" in en.text and 'data-calendar="gregorian"' in en.text
    assert en.text.index(">Monday<") < en.text.index(">Sunday<")
    cell = en.text.split('id="day-2026-03-21"')[1].split("</td>")[0]
    assert "Nowruz visit" in cell and "01:30" in cell
    web.post("/account/locale", {"locale": "fa"})
    fa = web.get("/sales/calendar?year=1405&month=1")
    assert fa.status_code == 200 and 'data-calendar="jalali"' in fa.text
    assert "فروردین ۱۴۰۵" in fa.text
    assert fa.text.index(">شنبه<") < fa.text.index(">جمعه<")
    cell = fa.text.split('id="day-2026-03-21"')[1].split("</td>")[0]
    assert ">۱<" in cell and "Nowruz visit" in cell and "۰۱:۳۰" in cell
    switched = web.get("/sales/calendar?calendar=gregorian&year=2026&month=3")
    assert 'data-calendar="gregorian"' in switched.text


def test_the_week_view_and_the_more_link(web, db_session, make_customer):
    customer = make_customer()
    base = dt.datetime(2026, 3, 22, 6, 0, tzinfo=dt.UTC)
    for n in range(6):
        activities.create_activity(db_session, {"subject": f"Call {n}", "customer_id": customer.id,
                                                "due_at": base + dt.timedelta(minutes=n), "owner_id": web.user.id})
    db_session.commit()
    month = web.get("/sales/calendar?calendar=gregorian&year=2026&month=3")
    cell = month.text.split('id="day-2026-03-22"')[1].split("</td>")[0]
    assert "Call 3" in cell and "Call 4" not in cell and "+2 more" in cell and "day=2026-03-22" in cell
    week = web.get("/sales/calendar?calendar=gregorian&view=week&day=2026-03-22")
    assert week.status_code == 200 and "Call 5" in week.text and 'data-view="week"' in week.text
    listed = web.get("/sales/activities?day=2026-03-22")
    assert all(f"Call {n}" in listed.text for n in range(6))


def test_the_calendar_runs_a_constant_number_of_queries(web, db_session, make_customer, count_queries):
    customer = make_customer()
    web.get("/sales/calendar?calendar=gregorian&year=2026&month=3")
    with count_queries() as few:
        web.get("/sales/calendar?calendar=gregorian&year=2026&month=3")
    for n in range(40):
        activities.create_activity(db_session, {"subject": f"A{n}", "customer_id": customer.id, "owner_id": web.user.id,
                                                "due_at": dt.datetime(2026, 3, 1 + n % 28, 8, tzinfo=dt.UTC)})
    db_session.commit()
    with count_queries() as many:
        web.get("/sales/calendar?calendar=gregorian&year=2026&month=3")
    assert len(few) == len(many)


def test_the_calendar_needs_the_deal_view_permission(web_as, client):
    from payvand.plugins.sales import permissions as perm

    assert web_as(["core.customer.view"]).get("/sales/calendar").status_code == 403
    assert web_as([perm.DEAL_VIEW]).get("/sales/calendar?year=99999&month=40").status_code == 200
    response = client.get("/sales/calendar")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
