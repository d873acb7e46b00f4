"""The activity calendar: month and week grids in the Jalali or Gregorian calendar, and the
activities of each local day in one bounded query.

- Jalali: Persian month names, weeks from Saturday, Friday the weekend.
- Gregorian: weeks from Monday, Saturday and Sunday the weekend.
- Days are the site's local days: an activity due at 22:00 UTC is on the next day in Tehran.
  The query maps each `due_at` to its day with a CASE over the days' UTC boundaries (portable
  SQL, served by the due-time index), keeps the first `per_day` of each day with a window
  function and counts the rest.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from payvand.plugins.sales.models import Activity
from payvand.plugins.sales.services.local_time import day_bounds, localize
from payvand.plugins.sales.services.local_time import format_moment as format_moment  # pages and tests read it here
from payvand.sdk import (
    Actor,
    from_jalali,
    jalali_month_days,
    jalali_month_name,
    restrict,
    to_jalali,
)

Calendar = Literal["jalali", "gregorian"]
CALENDARS = ("jalali", "gregorian")
#: Python weekday() of the first day of a week: Saturday (5) in Jalali, Monday (0) in Gregorian.
WEEK_START = {"jalali": 5, "gregorian": 0}
WEEKEND = {"jalali": (4,), "gregorian": (5, 6)}  # Friday; Saturday and Sunday


@dataclasses.dataclass(frozen=True)
class Day:
    """A cell of the grid: the Gregorian date, its number in the shown calendar and its flags."""

    date: dt.date
    number: int
    in_month: bool
    weekend: bool
    today: bool


@dataclasses.dataclass(frozen=True)
class Month:
    """A month of the shown calendar: (year, month), its first and last Gregorian dates, its weeks."""

    calendar: str
    year: int
    month: int
    first: dt.date
    last: dt.date
    weeks: list[list[Day]]

    @property
    def prev(self) -> tuple[int, int]:
        """(year, month) of the month before."""
        return (self.year - 1, 12) if self.month == 1 else (self.year, self.month - 1)

    @property
    def next(self) -> tuple[int, int]:
        """(year, month) of the month after."""
        return (self.year + 1, 1) if self.month == 12 else (self.year, self.month + 1)


def month_days(calendar: str, year: int, month: int) -> int:
    """How many days the month has in `calendar`."""
    if calendar == "jalali":
        return jalali_month_days(year, month)
    following = dt.date(year + 1, 1, 1) if month == 12 else dt.date(year, month + 1, 1)
    return (following - dt.date(year, month, 1)).days


def first_of_month(calendar: str, year: int, month: int) -> dt.date:
    """The Gregorian date of the first day of (year, month) in `calendar`."""
    return from_jalali(year, month, 1) if calendar == "jalali" else dt.date(year, month, 1)


def month_of(calendar: str, day: dt.date) -> tuple[int, int]:
    """(year, month) of `day` in `calendar`."""
    if calendar == "jalali":
        y, m, _ = to_jalali(day)
        return y, m
    return day.year, day.month


def day_number(calendar: str, day: dt.date) -> int:
    """The day of the month of `day` in `calendar`."""
    return to_jalali(day)[2] if calendar == "jalali" else day.day


def week_start(calendar: str, day: dt.date) -> dt.date:
    """The first day of the week holding `day` (Saturday in Jalali, Monday in Gregorian)."""
    return day - dt.timedelta(days=(day.weekday() - WEEK_START[calendar]) % 7)


def _cell(calendar: str, day: dt.date, year_month: tuple[int, int] | None, today: dt.date) -> Day:
    return Day(day, day_number(calendar, day), year_month is None or month_of(calendar, day) == year_month,
               day.weekday() in WEEKEND[calendar], day == today)


def month_grid(calendar: str, year: int, month: int, today: dt.date) -> Month:
    """The weeks (7 days each, from the calendar's first weekday) covering the month."""
    if calendar not in CALENDARS:
        raise ValueError(f"Unknown calendar {calendar!r}")
    first = first_of_month(calendar, year, month)
    last = first + dt.timedelta(days=month_days(calendar, year, month) - 1)
    start = week_start(calendar, first)
    weeks, day = [], start
    while day <= last:
        weeks.append([_cell(calendar, day + dt.timedelta(days=i), (year, month), today) for i in range(7)])
        day += dt.timedelta(days=7)
    return Month(calendar, year, month, first, last, weeks)


def week_grid(calendar: str, day: dt.date, today: dt.date) -> list[Day]:
    """The seven days of the week holding `day`."""
    start = week_start(calendar, day)
    return [_cell(calendar, start + dt.timedelta(days=i), None, today) for i in range(7)]


def month_title(calendar: str, year: int, month: int, locale: str) -> str:
    """"فروردین ۱۴۰۵" / "Farvardin 1405" / "March 2026" (Gregorian names translated by gettext)."""
    from flask_babel import gettext as _

    if calendar == "jalali":
        name = jalali_month_name(month, locale)
    else:
        name = _(GREGORIAN_MONTHS[month - 1])
    return localize(f"{name} {year}", locale)


def N_(text: str) -> str:
    """Mark a string for translation (translated where it is shown)."""
    return text


GREGORIAN_MONTHS = (N_("January"), N_("February"), N_("March"), N_("April"), N_("May"), N_("June"), N_("July"),
                    N_("August"), N_("September"), N_("October"), N_("November"), N_("December"))


# --------------------------------------------------------------------------- activities per day


@dataclasses.dataclass
class DayActivities:
    """The first activities of a local day (by due time) and how many more there are."""

    items: list[Any] = dataclasses.field(default_factory=list)
    total: int = 0

    @property
    def more(self) -> int:
        """How many activities of the day are not in `items`."""
        return self.total - len(self.items)


def activities_by_day(s: Session, actor: Actor, days: list[dt.date], zone: dt.tzinfo, *,
                      per_day: int = 4, mine: bool = False, include_done: bool = True) -> dict[dt.date, DayActivities]:
    """The activities due on each of `days` (consecutive local dates), at most `per_day` each, in one query.

    Returns {date: DayActivities} for the days with at least one activity.
    """
    if not days:
        return {}
    bounds = [day_bounds(day, zone)[0] for day in days] + [day_bounds(days[-1], zone)[1]]
    index = sa.case(*[(Activity.due_at < bounds[i + 1], i) for i in range(len(days))], else_=-1).label("day_index")
    query = restrict(sa.select(Activity.id, index), actor, Activity).where(Activity.due_at >= bounds[0],
                                                                  Activity.due_at < bounds[-1])
    if mine:
        query = query.where(Activity.owner_id == actor.user_id)
    if not include_done:
        query = query.where(Activity.done_at.is_(None))
    inner = query.subquery()
    rank = sa.func.row_number().over(partition_by=inner.c.day_index,
                                     order_by=(Activity.due_at, Activity.id)).label("rank")
    total = sa.func.count().over(partition_by=inner.c.day_index).label("total")
    ranked = (sa.select(Activity, inner.c.day_index, rank, total)
              .join(inner, inner.c.id == Activity.id)).subquery()
    from sqlalchemy.orm import aliased

    row = aliased(Activity, ranked)
    rows = s.execute(sa.select(row, ranked.c.day_index, ranked.c.total)
                     .where(ranked.c.rank <= per_day).order_by(ranked.c.day_index, ranked.c.rank)).all()
    found: dict[dt.date, DayActivities] = {}
    for activity, day_index, count in rows:
        cell = found.setdefault(days[day_index], DayActivities(total=int(count)))
        cell.items.append(activity)
    return found
