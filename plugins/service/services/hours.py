"""Business hours: adding business minutes to a moment and counting them between two moments.

A `Hours` is a time zone, a weekly schedule and a set of holidays; every computation walks the
calendar day by day in the calendar's own zone and measures each open interval in real
(UTC) minutes, so a day whose clocks move (a DST zone) counts the minutes that really pass and
Asia/Tehran (no DST since 2022) needs nothing special. Holidays are Jalali or Gregorian dates,
one-off or yearly (Nowruz: Jalali 1/1–1/4 every year). Pure functions: no database.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

from payvand.sdk import from_jalali, to_jalali

#: Saturday–Wednesday 08:00–16:00, Thursday 08:00–12:00, Friday closed (ISO weekdays: 1 = Monday).
IRANIAN_WEEK: dict[str, list[list[str]]] = {
    "6": [["08:00", "16:00"]], "7": [["08:00", "16:00"]], "1": [["08:00", "16:00"]],
    "2": [["08:00", "16:00"]], "3": [["08:00", "16:00"]], "4": [["08:00", "12:00"]], "5": [],
}

#: The fixed-date Iranian public holidays (Jalali, yearly); lunar holidays move and are added per year.
IRANIAN_HOLIDAYS: list[dict[str, Any]] = [
    {"date": "01-01", "calendar": "jalali", "yearly": True, "name": "Nowruz"},
    {"date": "01-02", "calendar": "jalali", "yearly": True, "name": "Nowruz"},
    {"date": "01-03", "calendar": "jalali", "yearly": True, "name": "Nowruz"},
    {"date": "01-04", "calendar": "jalali", "yearly": True, "name": "Nowruz"},
    {"date": "01-12", "calendar": "jalali", "yearly": True, "name": "Islamic Republic Day"},
    {"date": "01-13", "calendar": "jalali", "yearly": True, "name": "Sizdah Bedar"},
    {"date": "03-14", "calendar": "jalali", "yearly": True, "name": "Death of Khomeini"},
    {"date": "03-15", "calendar": "jalali", "yearly": True, "name": "15 Khordad uprising"},
    {"date": "11-22", "calendar": "jalali", "yearly": True, "name": "Revolution Day"},
    {"date": "12-29", "calendar": "jalali", "yearly": True, "name": "Oil nationalisation day"},
]

#: How far ahead a due time is searched (a calendar with no open hour at all never ends).
MAX_DAYS = 3 * 366


class HoursError(ValueError):
    """A calendar that cannot be read (bad zone, interval or date)."""


def _clock(text: str) -> dt.time:
    try:
        hours, minutes = (int(part) for part in text.split(":"))
    except ValueError:
        raise HoursError(f"not a time of day: {text!r}") from None
    if (hours, minutes) == (24, 0):
        return dt.time.max
    if not (0 <= hours < 24 and 0 <= minutes < 60):
        raise HoursError(f"not a time of day: {text!r}")
    return dt.time(hours, minutes)


@dataclasses.dataclass(frozen=True)
class Hours:
    """A business-hours calendar ready for computing (build it with `Hours.build`)."""

    zone: ZoneInfo
    week: Mapping[int, tuple[tuple[dt.time, dt.time], ...]]
    fixed: frozenset[dt.date]  # one-off holidays (Gregorian)
    yearly_jalali: frozenset[tuple[int, int]]
    yearly_gregorian: frozenset[tuple[int, int]]

    @classmethod
    def build(cls, timezone: str, schedule: Mapping[str, Iterable[Iterable[str]]],
              holidays: Iterable[Mapping[str, Any]] = ()) -> Hours:
        """Read a stored calendar (`Calendar.timezone`, `.schedule`, `.holidays`); HoursError when malformed."""
        try:
            zone = ZoneInfo(timezone)
        except Exception:  # noqa: BLE001 - ZoneInfoNotFoundError, ValueError on odd names
            raise HoursError(f"unknown time zone: {timezone!r}") from None
        week: dict[int, tuple[tuple[dt.time, dt.time], ...]] = {}
        for day in range(1, 8):
            intervals = []
            for pair in schedule.get(str(day), ()) or ():
                start, end = (_clock(part) for part in pair)
                if end <= start:
                    raise HoursError(f"an interval must end after it starts: {list(pair)}")
                intervals.append((start, end))
            week[day] = tuple(sorted(intervals))
        fixed: set[dt.date] = set()
        yearly_j: set[tuple[int, int]] = set()
        yearly_g: set[tuple[int, int]] = set()
        for item in holidays:
            parts = [int(p) for p in str(item.get("date", "")).replace("/", "-").split("-") if p]
            jalali = item.get("calendar", "gregorian") == "jalali"
            try:
                if item.get("yearly"):
                    month, day = parts[-2:]
                    (yearly_j if jalali else yearly_g).add((month, day))
                else:
                    year, month, day = parts
                    fixed.add(from_jalali(year, month, day) if jalali else dt.date(year, month, day))
            except ValueError:
                raise HoursError(f"not a date: {item.get('date')!r}") from None
        return cls(zone, week, frozenset(fixed), frozenset(yearly_j), frozenset(yearly_g))

    def is_holiday(self, day: dt.date) -> bool:
        """True when `day` (a local date) is a holiday."""
        if day in self.fixed or (day.month, day.day) in self.yearly_gregorian:
            return True
        _, month, mday = to_jalali(day)
        return (month, mday) in self.yearly_jalali

    def open_intervals(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        """The open intervals of a local date as UTC moments (none on a holiday); memoised per date
        (a bulk recompute asks for the same few hundred days a million times)."""
        cache: dict[dt.date, list[tuple[dt.datetime, dt.datetime]]] = self.__dict__.setdefault("_days", {})
        found = cache.get(day)
        if found is None:
            found = cache[day] = self._open_intervals(day)
        return found

    def _open_intervals(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        if self.is_holiday(day):
            return []
        found = []
        for start, end in self.week.get(day.isoweekday(), ()):
            begin = dt.datetime.combine(day, start, self.zone).astimezone(dt.UTC)
            if end == dt.time.max:
                finish = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), self.zone).astimezone(dt.UTC)
            else:
                finish = dt.datetime.combine(day, end, self.zone).astimezone(dt.UTC)
            if finish > begin:
                found.append((begin, finish))
        return found


def _utc(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        raise HoursError("a moment needs its time zone")
    return moment.astimezone(dt.UTC)


def add_business_minutes(hours: Hours, start: dt.datetime, minutes: int) -> dt.datetime:
    """The UTC moment `minutes` business minutes after `start` (an aware moment).

    Zero minutes from a closed moment is the next opening. HoursError when the calendar has no
    open time in the next `MAX_DAYS` days.
    """
    cursor = _utc(start)
    left = dt.timedelta(minutes=max(0, minutes))
    day = cursor.astimezone(hours.zone).date() - dt.timedelta(days=1)  # an interval may begin the day before in UTC
    for _ in range(MAX_DAYS):
        for begin, finish in hours.open_intervals(day):
            if finish <= cursor:
                continue
            begin = max(begin, cursor)
            if finish - begin >= left:
                return begin + left
            left -= finish - begin
            cursor = finish
        day += dt.timedelta(days=1)
    raise HoursError("the calendar has no open hours")


def business_minutes_between(hours: Hours, start: dt.datetime, end: dt.datetime) -> int:
    """Whole business minutes from `start` to `end` (0 when `end` is not after `start`)."""
    begin_at, end_at = _utc(start), _utc(end)
    if end_at <= begin_at:
        return 0
    total = dt.timedelta()
    day = begin_at.astimezone(hours.zone).date() - dt.timedelta(days=1)
    last = end_at.astimezone(hours.zone).date()
    while day <= last:
        for begin, finish in hours.open_intervals(day):
            low, high = max(begin, begin_at), min(finish, end_at)
            if high > low:
                total += high - low
        day += dt.timedelta(days=1)
    return int(total.total_seconds() // 60)


def default_hours() -> Hours:
    """The Iranian working week in Asia/Tehran with the fixed-date public holidays."""
    return Hours.build("Asia/Tehran", IRANIAN_WEEK, IRANIAN_HOLIDAYS)
