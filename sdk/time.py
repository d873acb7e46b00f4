"""payvand.sdk.time: the site's time zone, the range of business dates and the Jalali calendar.

Store moments in UTC (`UTCDateTime`, `utcnow` in `payvand.sdk.records`); turn them into the
site's local time with `to_local`/`local_zone`; accept dates only inside the business range
(`BusinessDate`, `BusinessDateTime`, `business_date`); do calendar arithmetic in Jalali with
`to_jalali`/`from_jalali` and the month helpers. To format a date for people use
`payvand.sdk.i18n.format_date`.

Stability: every name is stable (semantic versioning); `PROVISIONAL` is empty. The business
range (1900-01-01 … 2199-12-31) may widen in a minor release, never narrow.
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
    "local_zone", "to_local",
    "BusinessDate", "BusinessDateTime", "business_date", "in_business_range", "MIN_BUSINESS_DATE",
    "MAX_BUSINESS_DATE", "BUSINESS_DATE_MESSAGE",
    "to_jalali", "from_jalali", "jalali_month_days", "jalali_month_name",
]

#: Names that may change in a minor release (the rest are stable).
PROVISIONAL: frozenset[str] = frozenset()


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
