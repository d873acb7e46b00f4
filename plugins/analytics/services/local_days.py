"""Purchase days in the site's time zone, in SQL: the analytics group by local days, as the sales
reports do (`plugins/sales/services/local_time.py`, whose approach this follows: the plugins share
no code, only the SDK).

Timestamps are stored in UTC. PostgreSQL converts with its own time-zone database
(`timezone(zone, ts)`); SQLite has no time zones, so the zone's UTC offsets over the rows' range
are worked out in Python (the SDK's `offset_spans`, exact to the minute of each change) and applied with
`date(ts, '+N minutes')` — one modifier when the offset never changes in the range (Asia/Tehran
since 2022), else a CASE over the spans. `day_number` gives the local day as an integer (the
proleptic Gregorian ordinal, `date.toordinal()`) on both databases, so day arithmetic (365 days
before, tenure) is plain integer arithmetic in SQL and the same number in Python. `local_date`
gives the local date itself (a DATE on PostgreSQL, `YYYY-MM-DD` text on SQLite: `as_date` reads
both) for the callers that fold days into calendar months (cohorts, KPIs) or hand them to the
CLV models; `local_month` its Gregorian month `YYYY-MM` (the costs run). Without a range they
use the zone's spans since 1970 (worked out once per zone), tested newest first, so no query
for the rows' range is needed.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

import sqlalchemy as sa

from payvand.sdk import local_zone, offset_spans, session

#: SQLite's julianday() of 0001-01-01 at midnight minus one: julianday(day) - this = day.toordinal().
_JULIAN_ORDINAL = 1721424.5
#: Without a range, SQLite's local dates are exact from this moment on (the offset in force then
#: is used before it) up to the day after the query; PostgreSQL's always are.
EXACT_SINCE = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@functools.lru_cache(maxsize=32)
def _spans_since_1970(key: str, today: dt.date) -> tuple[tuple[dt.datetime | None, int], ...]:
    """The zone's offset spans from 1970 to the end of the day after `today` (UTC), cached per
    zone and day (~0.1 s to work out). Purchases are past: no change after now is tested."""
    from zoneinfo import ZoneInfo

    end = dt.datetime.combine(today + dt.timedelta(days=2), dt.time(), tzinfo=dt.UTC)
    return tuple(offset_spans(ZoneInfo(key), EXACT_SINCE, end))


def _spans(zone: dt.tzinfo, start: dt.datetime | None, end: dt.datetime | None) -> list[tuple[dt.datetime | None, int]]:
    if start is not None and end is not None:
        return offset_spans(zone, start, end)
    key = getattr(zone, "key", None)
    if key is None:  # a fixed offset (datetime.timezone): one span
        return offset_spans(zone, EXACT_SINCE, EXACT_SINCE + dt.timedelta(days=1))
    return list(_spans_since_1970(key, dt.datetime.now(dt.UTC).date()))


def local_date(column: Any, start: dt.datetime | None = None, end: dt.datetime | None = None,
               zone: dt.tzinfo | None = None) -> Any:
    """SQL: the local date of UTC timestamp `column` in `zone` (the site's by default): a DATE on
    PostgreSQL, `YYYY-MM-DD` text on SQLite (`as_date` reads both).

    On SQLite it is exact for rows in [start, end) when they are given (fewest offset spans),
    else for every row from 1970 (`EXACT_SINCE`) to tomorrow (no query for the rows' range; a
    later row takes today's offset). The CASE over the spans tests the newest change first, so
    recent rows — most of them — take one comparison or a few.
    """
    zone = zone or local_zone()
    if session().get_bind().dialect.name != "sqlite":
        return sa.cast(sa.func.timezone(getattr(zone, "key", "UTC"), column), sa.Date)
    spans = _spans(zone, start, end)

    def modifier(minutes: int) -> Any:  # inlined constants (made here from integers and datetimes)
        return sa.literal_column(f"'{int(minutes):+d} minutes'")

    def moment(at: dt.datetime) -> Any:
        return sa.literal_column(f"'{at.astimezone(dt.UTC).replace(tzinfo=None).isoformat(' ')}'")

    if len(spans) == 1:
        return sa.func.date(column, modifier(spans[0][1])) if spans[0][1] else sa.func.date(column)
    # span i runs from the change ending span i - 1 (its `until`) to its own `until`
    whens = [(column >= moment(since), modifier(minutes))
             for (since, _), (_, minutes) in reversed(list(zip(spans, spans[1:], strict=False))) if since is not None]
    return sa.func.date(column, sa.case(*whens, else_=modifier(spans[0][1])))


def day_number(column: Any, start: dt.datetime, end: dt.datetime, zone: dt.tzinfo | None = None) -> Any:
    """SQL: the local day of UTC timestamp `column` in `zone` (the site's by default) as
    `date.toordinal()`, exact for rows in [start, end)."""
    local = local_date(column, start, end, zone)
    if session().get_bind().dialect.name != "sqlite":
        return local.op("-", return_type=sa.Integer)(sa.literal_column("DATE '0001-01-01'")) + 1
    return sa.cast(sa.func.julianday(local) - _JULIAN_ORDINAL, sa.Integer)


def local_month(column: Any, start: dt.datetime | None = None, end: dt.datetime | None = None,
                zone: dt.tzinfo | None = None) -> Any:
    """SQL: the local Gregorian month `YYYY-MM` (text) of UTC timestamp `column`, exact as
    `local_date` is (the format is inlined, so the same expression in SELECT and GROUP BY compares
    equal on PostgreSQL)."""
    local = local_date(column, start, end, zone)
    if session().get_bind().dialect.name != "sqlite":
        return sa.func.to_char(local, sa.literal_column("'YYYY-MM'"))
    return sa.func.substr(local, 1, 7)


def as_date(value: Any) -> dt.date:
    """A local day as read from `local_date` (a date, or ISO text on SQLite)."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def today(zone: dt.tzinfo | None = None) -> dt.date:
    """The site's today (its time zone's date now), not the server's."""
    return dt.datetime.now(zone or local_zone()).date()


def midnight(day: dt.date, zone: dt.tzinfo | None = None) -> dt.datetime:
    """The UTC moment at which local `day` starts in `zone` (the site's by default)."""
    zone = zone or local_zone()
    return dt.datetime.combine(day, dt.time(), tzinfo=zone).astimezone(dt.UTC)
