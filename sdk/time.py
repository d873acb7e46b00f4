"""payvand.sdk.time: the site's time zone, the range of business dates and the Jalali calendar.

Store moments in UTC (`UTCDateTime`, `utcnow` in `payvand.sdk.records`); turn them into the
site's local time with `to_local`/`local_zone`; accept dates only inside the business range
(`BusinessDate`, `BusinessDateTime`, `business_date`); do calendar arithmetic in Jalali with
`to_jalali`/`from_jalali` and the month helpers. To format a date for people use
`payvand.sdk.i18n.format_date`.

`offset_spans` gives a zone's UTC offsets over a range, exact to the minute of each change, for
plugins that turn UTC timestamps into local days in SQL on databases without time zones (SQLite).

Stability: every name is stable (semantic versioning) except `offset_spans` (new, in
`PROVISIONAL`). The business range (1900-01-01 … 2199-12-31) may widen in a minor release,
never narrow.
"""

from __future__ import annotations

import contextlib
import datetime as dt

from payvand.core.dates import (
    MAX_BUSINESS_DATE,
    MIN_BUSINESS_DATE,
    BusinessDate,
    BusinessDateTime,
    business_date,
    in_business_range,
)
from payvand.core.dates import RANGE_MESSAGE as BUSINESS_DATE_MESSAGE
from payvand.core.db import current_session
from payvand.core.locale_format import jalali_month_days, jalali_month_name
from payvand.sdk import _context

__all__ = [
    "local_zone", "to_local", "offset_spans",
    "BusinessDate", "BusinessDateTime", "business_date", "in_business_range", "MIN_BUSINESS_DATE",
    "MAX_BUSINESS_DATE", "BUSINESS_DATE_MESSAGE",
    "to_jalali", "from_jalali", "jalali_month_days", "jalali_month_name",
]

#: Names that may change in a minor release (the rest are stable).
PROVISIONAL: frozenset[str] = frozenset({"offset_spans"})


def local_zone() -> dt.tzinfo:
    """The site's time zone: the `core.timezone` setting, else `PAYVAND_TIMEZONE`, else Asia/Tehran.

    Outside a running app or CLI command (a bare session in a script) the environment decides.
    """
    import os
    from zoneinfo import ZoneInfo

    from payvand.core.config import DEFAULTS

    try:
        runtime = _context.runtime()
    except RuntimeError:
        return ZoneInfo(os.environ.get("PAYVAND_TIMEZONE") or DEFAULTS["PAYVAND_TIMEZONE"])
    name = None
    with contextlib.suppress(Exception):  # no settings table yet (before migrations)
        name = runtime.setting(current_session(), "core.timezone")
    return ZoneInfo(name or runtime.config.get("PAYVAND_TIMEZONE") or DEFAULTS["PAYVAND_TIMEZONE"])


def to_local(moment: dt.datetime) -> dt.datetime:
    """A UTC moment in the site's time zone."""
    return moment.astimezone(local_zone())


def _offset_minutes(zone: dt.tzinfo, moment: dt.datetime) -> int:
    offset = moment.astimezone(zone).utcoffset() or dt.timedelta(0)
    return int(offset.total_seconds() // 60)


def _change_between(zone: dt.tzinfo, low: dt.datetime, high: dt.datetime) -> dt.datetime:
    """The first minute in (low, high] whose offset differs from low's (bisection)."""
    before = _offset_minutes(zone, low)
    while high - low > dt.timedelta(minutes=1):
        middle = low + (high - low) / 2
        middle = middle.replace(second=0, microsecond=0)
        if middle <= low:
            middle = low + dt.timedelta(minutes=1)
        if _offset_minutes(zone, middle) == before:
            low = middle
        else:
            high = middle
    return high


def offset_spans(zone: dt.tzinfo, start: dt.datetime, end: dt.datetime) -> list[tuple[dt.datetime | None, int]]:
    """The zone's UTC offset (minutes) over [start, end) as (until, offset) spans; the last has until=None.

    Offsets are sampled every 12 hours and each change is pinned down to the minute, so time-zone
    rule changes (daylight saving, a country dropping it) are honoured.
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


def to_jalali(day: dt.date) -> tuple[int, int, int]:
    """A Gregorian date as a Jalali (Solar Hijri) (year, month, day): 2026-03-21 is (1405, 1, 1).

    Total over every date Python holds (proleptic: 0001-01-01 is (-621, 10, 11)).
    """
    from payvand.core.locale_format import jalali_parts

    return jalali_parts(day)


def from_jalali(year: int, month: int, day: int) -> dt.date:
    """A Jalali date as a Gregorian one; ValueError when it does not exist (1404/12/30)."""
    from payvand.core.locale_format import jalali_to_gregorian

    return jalali_to_gregorian(year, month, day)
