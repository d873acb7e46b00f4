"""Business hours: due times across Fridays, Thursday half days, Nowruz, pauses and a DST zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from payvand.plugins.service.services import hours as bh

TEHRAN = ZoneInfo("Asia/Tehran")


def at(*parts: int, zone: ZoneInfo = TEHRAN) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=zone)


def test_minutes_inside_one_working_day():
    hours = bh.default_hours()
    # 2026-12-07 is a Monday (a full Iranian working day)
    assert bh.add_business_minutes(hours, at(2026, 12, 7, 9, 0), 60) == at(2026, 12, 7, 10, 0)


def test_thursday_is_half_a_day_and_friday_is_closed():
    hours = bh.default_hours()
    # Thursday 2026-12-10 11:00 + 120 min: one hour on Thursday (closes 12:00), Friday closed,
    # Saturday 2026-12-12 opens 08:00 → 09:00
    assert bh.add_business_minutes(hours, at(2026, 12, 10, 11, 0), 120) == at(2026, 12, 12, 9, 0)


def test_a_moment_after_hours_starts_at_the_next_opening():
    hours = bh.default_hours()
    assert bh.add_business_minutes(hours, at(2026, 12, 7, 20, 0), 30) == at(2026, 12, 8, 8, 30)
    assert bh.add_business_minutes(hours, at(2026, 12, 11, 10, 0), 0) == at(2026, 12, 12, 8, 0)  # a Friday


def test_nowruz_is_skipped():
    hours = bh.default_hours()
    # 1404/12/28 is 2026-03-19 (Thursday, half day); 1404/12/29 (Friday, oil day anyway), then Nowruz
    # 1405/01/01–04 = 2026-03-21..24; 03-25 Wednesday is open.
    start = at(2026, 3, 19, 11, 0)
    assert bh.add_business_minutes(hours, start, 120) == at(2026, 3, 25, 9, 0)


def test_a_one_off_gregorian_and_jalali_holiday():
    hours = bh.Hours.build("Asia/Tehran", bh.IRANIAN_WEEK, [{"date": "2026-12-08", "calendar": "gregorian"},
                                                            {"date": "1405/09/18", "calendar": "jalali"}])
    # Monday 12-07 15:00 + 120: one hour Monday, Tuesday 12-08 holiday, Wednesday 12-09 = 1405/09/18 holiday,
    # Thursday 12-10 08:00 + 60 → 09:00
    assert bh.add_business_minutes(hours, at(2026, 12, 7, 15, 0), 120) == at(2026, 12, 10, 9, 0)


def test_a_dst_zone_counts_real_minutes_across_the_change():
    berlin = ZoneInfo("Europe/Berlin")
    week = {str(d): [["00:00", "24:00"]] for d in range(1, 8)}
    hours = bh.Hours.build("Europe/Berlin", week)
    # 2026-03-29 02:00 the clocks jump to 03:00: 24 real hours from 03-28 12:00 is 03-29 13:00 local
    assert bh.add_business_minutes(hours, at(2026, 3, 28, 12, 0, zone=berlin), 24 * 60) == at(2026, 3, 29, 13, 0,
                                                                                             zone=berlin)
    office = bh.Hours.build("Europe/Berlin", {str(d): [["09:00", "17:00"]] for d in range(1, 6)})
    # Friday 03-27 16:00 + 120 min: 1 h Friday, weekend (DST change), Monday 03-30 09:00 + 60 → 10:00 CEST
    assert bh.add_business_minutes(office, at(2026, 3, 27, 16, 0, zone=berlin), 120) == at(2026, 3, 30, 10, 0,
                                                                                          zone=berlin)


def test_minutes_between_is_the_inverse_of_adding():
    hours = bh.default_hours()
    start = at(2026, 12, 9, 14, 0)
    for minutes in (0, 1, 59, 120, 480, 1000, 5000):
        end = bh.add_business_minutes(hours, start, minutes)
        assert bh.business_minutes_between(hours, start, end) == minutes


def test_a_calendar_without_open_hours_is_refused():
    with pytest.raises(bh.HoursError):
        bh.add_business_minutes(bh.Hours.build("Asia/Tehran", {}), at(2026, 1, 1, 9, 0), 10)
    with pytest.raises(bh.HoursError):
        bh.Hours.build("Mars/Olympus", {})
    with pytest.raises(bh.HoursError):
        bh.Hours.build("Asia/Tehran", {"1": [["10:00", "09:00"]]})


def naive_add(hours: bh.Hours, start: dt.datetime, minutes: int) -> dt.datetime:
    """Minute by minute: an independent, obviously right (and slow) implementation."""
    moment = start.astimezone(dt.UTC).replace(second=0, microsecond=0)
    if moment < start:
        moment += dt.timedelta(minutes=1)

    def is_open(m: dt.datetime) -> bool:
        local = m.astimezone(hours.zone)
        return any(begin <= m < finish for begin, finish in hours.open_intervals(local.date()))

    left = minutes
    while True:
        if is_open(moment):
            if left == 0:
                return moment
            left -= 1
        elif left == 0 and minutes > 0:
            return moment
        moment += dt.timedelta(minutes=1)


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=40, deadline=None)
@given(start=st.datetimes(min_value=dt.datetime(2026, 3, 15), max_value=dt.datetime(2026, 3, 31)),
       minutes=st.integers(min_value=0, max_value=1500),
       zone=st.sampled_from(["Asia/Tehran", "Europe/Berlin"]))
def test_adding_minutes_agrees_with_a_minute_by_minute_walk(start, minutes, zone):
    """Across Nowruz (Tehran) and the spring DST change (Berlin), whole-minute starts."""
    hours = bh.Hours.build(zone, bh.IRANIAN_WEEK, bh.IRANIAN_HOLIDAYS)
    begin = start.replace(second=0, microsecond=0, tzinfo=ZoneInfo(zone))
    fast = bh.add_business_minutes(hours, begin, minutes)
    slow = naive_add(hours, begin, minutes)
    assert fast == slow
    assert bh.business_minutes_between(hours, begin, fast) == minutes
