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
CLV models; `local_month` its Gregorian month `YYYY-MM` (the costs run). `row_range` reads the
[start, end) a column's rows span, for the offset spans.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from payvand.sdk import local_zone, offset_spans, session

#: SQLite's julianday() of 0001-01-01 at midnight minus one: julianday(day) - this = day.toordinal().
_JULIAN_ORDINAL = 1721424.5
#: Every moment a datetime holds (`row_range` on PostgreSQL).
_EVER = (dt.datetime.min.replace(tzinfo=dt.UTC), dt.datetime.max.replace(tzinfo=dt.UTC))


def local_date(column: Any, start: dt.datetime, end: dt.datetime, zone: dt.tzinfo | None = None) -> Any:
    """SQL: the local date of UTC timestamp `column` in `zone` (the site's by default), exact for
    rows in [start, end): a DATE on PostgreSQL, `YYYY-MM-DD` text on SQLite (`as_date` reads both)."""
    zone = zone or local_zone()
    if session().get_bind().dialect.name != "sqlite":
        return sa.cast(sa.func.timezone(getattr(zone, "key", "UTC"), column), sa.Date)
    spans = offset_spans(zone, start, end)

    def modifier(minutes: int) -> Any:
        return sa.literal(f"{minutes:+d} minutes")

    if len(spans) == 1:
        return sa.func.date(column, modifier(spans[0][1]))
    whens = [(column < sa.literal(until.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")),
              modifier(minutes)) for until, minutes in spans[:-1] if until is not None]
    return sa.func.date(column, sa.case(*whens, else_=modifier(spans[-1][1])))


def day_number(column: Any, start: dt.datetime, end: dt.datetime, zone: dt.tzinfo | None = None) -> Any:
    """SQL: the local day of UTC timestamp `column` in `zone` (the site's by default) as
    `date.toordinal()`, exact for rows in [start, end)."""
    local = local_date(column, start, end, zone)
    if session().get_bind().dialect.name != "sqlite":
        return local.op("-", return_type=sa.Integer)(sa.literal_column("DATE '0001-01-01'")) + 1
    return sa.cast(sa.func.julianday(local) - _JULIAN_ORDINAL, sa.Integer)


def local_month(column: Any, start: dt.datetime, end: dt.datetime, zone: dt.tzinfo | None = None) -> Any:
    """SQL: the local Gregorian month `YYYY-MM` (text) of UTC timestamp `column`, exact for rows in
    [start, end) (the format is inlined, so the same expression in SELECT and GROUP BY compares
    equal on PostgreSQL)."""
    local = local_date(column, start, end, zone)
    if session().get_bind().dialect.name != "sqlite":
        return sa.func.to_char(local, sa.literal_column("'YYYY-MM'"))
    return sa.func.substr(local, 1, 7)


def as_date(value: Any) -> dt.date:
    """A local day as read from `local_date` (a date, or ISO text on SQLite)."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def _utc(value: Any) -> dt.datetime:
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def row_range(column: Any, table: Any, *where: Any) -> tuple[dt.datetime, dt.datetime] | None:
    """The [start, end) `local_date`'s offset spans must cover for `column` in `table`'s rows
    matching `where`: on SQLite one MIN/MAX query gives [first, last + 1 s), None when no row
    matches; PostgreSQL converts with its own time-zone database, so no query is made there and
    the whole datetime range is returned."""
    if session().get_bind().dialect.name != "sqlite":
        return _EVER
    low, high = session().execute(sa.select(sa.func.min(column), sa.func.max(column))
                                  .select_from(table).where(*where)).one()
    if low is None or high is None:
        return None
    return _utc(low), _utc(high) + dt.timedelta(seconds=1)


def midnight(day: dt.date, zone: dt.tzinfo | None = None) -> dt.datetime:
    """The UTC moment at which local `day` starts in `zone` (the site's by default)."""
    zone = zone or local_zone()
    return dt.datetime.combine(day, dt.time(), tzinfo=zone).astimezone(dt.UTC)
