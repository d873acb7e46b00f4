"""Purchase days in the site's time zone, in SQL: the analytics group by local days, as the sales
reports do (`plugins/sales/services/local_time.py`, whose approach this follows: the plugins share
no code, only the SDK).

Timestamps are stored in UTC. PostgreSQL converts with its own time-zone database
(`timezone(zone, ts)`); SQLite has no time zones, so the zone's UTC offsets over the rows' range
are worked out in Python (`offset_spans`, exact to the minute of each change) and applied with
`date(ts, '+N minutes')` — one modifier when the offset never changes in the range (Asia/Tehran
since 2022), else a CASE over the spans. `day_number` gives the local day as an integer (the
proleptic Gregorian ordinal, `date.toordinal()`) on both databases, so day arithmetic (365 days
before, tenure) is plain integer arithmetic in SQL and the same number in Python.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from payvand.sdk import local_zone, session

#: SQLite's julianday() of 0001-01-01 at midnight minus one: julianday(day) - this = day.toordinal().
_JULIAN_ORDINAL = 1721424.5


def _offset_minutes(zone: dt.tzinfo, moment: dt.datetime) -> int:
    offset = moment.astimezone(zone).utcoffset() or dt.timedelta(0)
    return int(offset.total_seconds() // 60)


def _change_between(zone: dt.tzinfo, low: dt.datetime, high: dt.datetime) -> dt.datetime:
    """The first minute in (low, high] whose offset differs from low's (bisection)."""
    before = _offset_minutes(zone, low)
    while high - low > dt.timedelta(minutes=1):
        middle = (low + (high - low) / 2).replace(second=0, microsecond=0)
        if middle <= low:
            middle = low + dt.timedelta(minutes=1)
        if _offset_minutes(zone, middle) == before:
            low = middle
        else:
            high = middle
    return high


def offset_spans(zone: dt.tzinfo, start: dt.datetime, end: dt.datetime) -> list[tuple[dt.datetime | None, int]]:
    """The zone's UTC offset (minutes) over [start, end) as (until, offset) spans; the last has until=None.

    Offsets are sampled every 12 hours and each change pinned down to the minute.
    """
    spans: list[tuple[dt.datetime | None, int]] = []
    step = dt.timedelta(hours=12)
    current = _offset_minutes(zone, start)
    moment = start
    while moment < end:
        following = min(moment + step, end)
        if _offset_minutes(zone, following) != current:
            change = _change_between(zone, moment, following)
            spans.append((change, current))
            current = _offset_minutes(zone, change)
            moment = change
        else:
            moment = following
    spans.append((None, current))
    return spans


def day_number(column: Any, start: dt.datetime, end: dt.datetime, zone: dt.tzinfo | None = None) -> Any:
    """SQL: the local day of UTC timestamp `column` in `zone` (the site's by default) as
    `date.toordinal()`, exact for rows in [start, end)."""
    zone = zone or local_zone()
    if session().get_bind().dialect.name != "sqlite":
        local = sa.cast(sa.func.timezone(getattr(zone, "key", "UTC"), column), sa.Date)
        return local.op("-", return_type=sa.Integer)(sa.literal_column("DATE '0001-01-01'")) + 1
    spans = offset_spans(zone, start, end)

    def modifier(minutes: int) -> Any:
        return sa.literal(f"{minutes:+d} minutes")

    if len(spans) == 1:
        local_date = sa.func.date(column, modifier(spans[0][1]))
    else:
        whens = [(column < sa.literal(until.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")),
                  modifier(minutes)) for until, minutes in spans[:-1] if until is not None]
        local_date = sa.func.date(column, sa.case(*whens, else_=modifier(spans[-1][1])))
    return sa.cast(sa.func.julianday(local_date) - _JULIAN_ORDINAL, sa.Integer)


def midnight(day: dt.date, zone: dt.tzinfo | None = None) -> dt.datetime:
    """The UTC moment at which local `day` starts in `zone` (the site's by default)."""
    zone = zone or local_zone()
    return dt.datetime.combine(day, dt.time(), tzinfo=zone).astimezone(dt.UTC)
