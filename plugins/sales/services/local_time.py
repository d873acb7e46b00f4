"""Local days and months in SQL: timestamps are stored in UTC, reports speak the site's time zone.

`local_day(column, zone, start, end)` is an SQL expression for the local calendar day of a UTC
timestamp column. PostgreSQL converts with its own time-zone database (`timezone(zone, ts)`).
SQLite has no time zones, so the zone's UTC offsets over [start, end) are worked out in Python
(`offset_spans`, exact to the minute of each change) and applied with `date(ts, '+N minutes')`
— one modifier when the offset never changes in the range (Asia/Tehran since 2022), else a
CASE over the spans. Reports group by local day (a few hundred groups a year) and fold the days
into Gregorian or Jalali months in Python (`month_of`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

import sqlalchemy as sa

from payvand.sdk import (
    from_jalali,
    jalali_month_name,
    local_zone,
    offset_spans,
    session,
    to_jalali,
    to_persian_digits,
)

UTC = dt.UTC
#: The last Jalali year jdatetime (and so Persian formatting) knows; later dates are shown in Gregorian.
JALALI_LAST_YEAR = 9377
Calendar = Literal["gregorian", "jalali"]


def _dialect() -> str:
    return session().get_bind().dialect.name


def local_day(column: Any, zone: dt.tzinfo, start: dt.datetime, end: dt.datetime) -> Any:
    """SQL: the local date of UTC timestamp `column` in `zone`, exact for rows in [start, end).

    A date on PostgreSQL; `YYYY-MM-DD` text on SQLite (`as_date` reads both).
    """
    if _dialect() != "sqlite":
        return sa.cast(sa.func.timezone(getattr(zone, "key", "UTC"), column), sa.Date)
    spans = offset_spans(zone, start, end)

    def modifier(minutes: int) -> Any:
        return sa.literal(f"{minutes:+d} minutes")

    if len(spans) == 1:
        return sa.func.date(column, modifier(spans[0][1]))
    whens = [(column < sa.literal(until.astimezone(UTC).replace(tzinfo=None).isoformat(" ")), modifier(minutes))
             for until, minutes in spans[:-1] if until is not None]
    return sa.func.date(column, sa.case(*whens, else_=modifier(spans[-1][1])))


def as_date(value: Any) -> dt.date:
    """A local day as read from `local_day` (a date, or ISO text on SQLite)."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def month_of(day: dt.date, calendar: Calendar) -> tuple[int, int]:
    """(year, month) of a day in the Gregorian or the Jalali calendar."""
    if calendar == "jalali":
        year, month, _ = to_jalali(day)  # total: far dates stored before the range get a proleptic month
        return (year, month)
    return (day.year, day.month)


def month_start(year: int, month: int, calendar: Calendar) -> dt.date:
    """The Gregorian date of the first day of a Gregorian or Jalali month."""
    if calendar == "jalali":
        return from_jalali(year, month, 1)
    return dt.date(year, month, 1)


def next_month(year: int, month: int) -> tuple[int, int]:
    """The month after (year, month), in either calendar (both have 12 months)."""
    return (year + 1, 1) if month == 12 else (year, month + 1)


def midnight(day: dt.date, zone: dt.tzinfo | None = None) -> dt.datetime:
    """The UTC moment at which local `day` starts in `zone` (the site's by default)."""
    zone = zone or local_zone()
    return dt.datetime.combine(day, dt.time(), zone).astimezone(UTC)


def today(zone: dt.tzinfo | None = None) -> dt.date:
    """Today's local date in `zone` (the site's by default)."""
    return dt.datetime.now(zone or local_zone()).date()


def day_bounds(day: dt.date, zone: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    """The UTC moments where local `day` starts and the next day starts in `zone`."""
    start = dt.datetime.combine(day, dt.time(), zone).astimezone(dt.UTC)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), zone).astimezone(dt.UTC)
    return start, end


def localize(text: str, locale: str) -> str:
    """Text with Persian digits in `fa`."""
    return to_persian_digits(text) if str(locale).startswith("fa") else text


def format_moment(moment: dt.datetime, locale: str, zone: dt.tzinfo) -> str:
    """A UTC moment as local text: "۵ آذر ۱۴۰۵، ۱۴:۳۰" in `fa`, "2026-11-26 14:30" otherwise.

    Total: a moment the zone would push past year 1 or 9999 is shown in UTC, and a date
    outside the Jalali years (stored before the business-date range existed) in Gregorian.
    """
    try:
        local = moment.astimezone(zone)
    except (OverflowError, ValueError):
        local = moment
    clock = f"{local.hour:02d}:{local.minute:02d}"
    if str(locale).startswith("fa"):
        y, m, d = to_jalali(local.date())
        if 1 <= y <= JALALI_LAST_YEAR:
            return localize(f"{d} {jalali_month_name(m, 'fa')} {y}، {clock}", locale)
    return localize(f"{local.date().isoformat()} {clock}", locale)
