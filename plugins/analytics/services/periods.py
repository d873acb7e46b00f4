"""The KPI dashboard's periods and comparisons, in the Jalali or the Gregorian calendar.

A period is whole local days. Presets follow the reader's calendar (a Jalali month on Persian
pages): `this_month`, `this_quarter`, `this_year` run from the unit's first day to today (to
date); `last_month`, `last_quarter`, `last_year` are the whole previous unit; `custom` is the
days chosen. The comparison is `previous` (the unit before, over as many days as the period
has run for a to-date period; the same number of days just before for a custom one),
`last_year` (the same calendar days a year earlier, the 30th of Esfand or 29 February falling
back to the month's last day) or `none`.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from payvand.sdk import KpiPeriod, from_jalali, jalali_month_days, local_zone, to_jalali

Calendar = Literal["gregorian", "jalali"]
PRESETS = ("this_month", "last_month", "this_quarter", "last_quarter", "this_year", "last_year", "custom")
COMPARISONS = ("previous", "last_year", "none")
UNITS = {"month": 1, "quarter": 3, "year": 12}


def _ym(day: dt.date, calendar: Calendar) -> tuple[int, int]:
    if calendar == "jalali":
        year, month, _ = to_jalali(day)
        return year, month
    return day.year, day.month


def _month_days(year: int, month: int, calendar: Calendar) -> int:
    if calendar == "jalali":
        return jalali_month_days(year, month)
    following = dt.date(year + (month == 12), month % 12 + 1, 1)
    return (following - dt.timedelta(days=1)).day


def _date(year: int, month: int, day: int, calendar: Calendar) -> dt.date:
    """The day of that calendar, clipped to the month's last day."""
    day = min(day, _month_days(year, month, calendar))
    return from_jalali(year, month, day) if calendar == "jalali" else dt.date(year, month, day)


def _add_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + month - 1 + months
    return index // 12, index % 12 + 1


def unit_start(day: dt.date, unit: str, calendar: Calendar) -> dt.date:
    """The first day of the month, quarter or year holding `day`."""
    year, month = _ym(day, calendar)
    size = UNITS[unit]
    return _date(year, month - (month - 1) % size, 1, calendar)


def shift_months(day: dt.date, months: int, calendar: Calendar) -> dt.date:
    """`day` moved by `months` calendar months (clipped to the target month's last day)."""
    year, month = _ym(day, calendar)
    number = to_jalali(day)[2] if calendar == "jalali" else day.day
    return _date(*_add_months(year, month, months), number, calendar)


def make_period(first_day: dt.date, last_day: dt.date, calendar: Calendar) -> KpiPeriod:
    """A `KpiPeriod` of these local days (UTC bounds at the site's local midnights)."""
    zone = local_zone()

    def midnight(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(), tzinfo=zone).astimezone(dt.UTC)

    return KpiPeriod(first_day, last_day, midnight(first_day), midnight(last_day + dt.timedelta(days=1)), calendar)


def resolve(preset: str, today: dt.date, calendar: Calendar, start: dt.date | None = None,
            end: dt.date | None = None) -> KpiPeriod:
    """The period of a preset as of `today` (`custom` needs `start` and `end`, start ≤ end)."""
    if preset == "custom":
        if start is None or end is None or start > end:
            raise ValueError("a custom period needs a start on or before its end")
        return make_period(start, end, calendar)
    which, unit = preset.split("_")
    first = unit_start(today, unit, calendar)
    if which == "this":
        return make_period(first, today, calendar)
    previous = shift_months(first, -UNITS[unit], calendar)
    return make_period(previous, first - dt.timedelta(days=1), calendar)


def comparison(period: KpiPeriod, preset: str, kind: str) -> KpiPeriod | None:
    """The period `period` (made from `preset`) is compared with, or None for `none`."""
    calendar = period.calendar
    if kind == "none":
        return None
    if kind == "last_year":
        return make_period(shift_months(period.first_day, -12, calendar),
                           shift_months(period.last_day, -12, calendar), calendar)
    if preset == "custom":
        last = period.first_day - dt.timedelta(days=1)
        return make_period(last - dt.timedelta(days=period.days - 1), last, calendar)
    unit = preset.split("_")[1]
    first = shift_months(period.first_day, -UNITS[unit], calendar)
    unit_last = period.first_day - dt.timedelta(days=1)
    if preset.startswith("this_"):  # to date: as many days into the previous unit, at most all of it
        return make_period(first, min(first + dt.timedelta(days=period.days - 1), unit_last), calendar)
    return make_period(first, unit_last, calendar)


def month_buckets(period: KpiPeriod) -> list[tuple[str, dt.date, dt.date]]:
    """The period's calendar months as (label `YYYY/MM`, first day, last day), clipped to the period."""
    buckets = []
    day = period.first_day
    while day <= period.last_day:
        year, month = _ym(day, period.calendar)
        following = _date(*_add_months(year, month, 1), 1, period.calendar)
        last = min(following - dt.timedelta(days=1), period.last_day)
        buckets.append((f"{year:04d}/{month:02d}", day, last))
        day = following
    return buckets


def label(period: KpiPeriod) -> str:
    """`2026-12-01 – 2026-12-07` or `1405/09/10 – 1405/09/16` (the period's calendar, Latin digits)."""
    def one(day: dt.date) -> str:
        if period.calendar == "jalali":
            y, m, d = to_jalali(day)
            return f"{y:04d}/{m:02d}/{d:02d}"
        return day.isoformat()

    return f"{one(period.first_day)} – {one(period.last_day)}"
