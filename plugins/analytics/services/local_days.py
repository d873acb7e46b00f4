"""Purchase days in the site's time zone, in SQL: the analytics group by local days, as the sales
reports do (`plugins/sales/services/local_time.py`, whose approach this follows: the plugins share
no code, only the SDK).

Timestamps are stored in UTC. PostgreSQL converts with its own time-zone database
(`timezone(zone, ts)`); SQLite has no time zones, so the zone's UTC offsets over the rows' range
are worked out in Python (the SDK's `offset_spans`, exact to the minute of each change) and applied with
`date(ts, '+N minutes')` — one modifier when the offset never changes in the range (Asia/Tehran
since 2022), else a CASE over the spans. `day_number` gives the local day as an integer (the
proleptic Gregorian ordinal, `date.toordinal()`) on both databases, so day arithmetic (365 days
before, tenure) is plain integer arithmetic in SQL and the same number in Python.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from payvand.sdk import local_zone, offset_spans, session

#: SQLite's julianday() of 0001-01-01 at midnight minus one: julianday(day) - this = day.toordinal().
_JULIAN_ORDINAL = 1721424.5


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
