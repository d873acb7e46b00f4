"""The periods the service's reports count in: a UTC moment's day, week or month in the site's
time zone, Jalali for a Persian reader (shared by the CSAT, NPS and complaint reports)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from payvand.sdk import current_locale, to_jalali, to_local


def reader_locale(actor: Any) -> str:
    """The language the report is read in: the current request's (the core's report counts its
    months in that calendar), else the actor's, else `fa` (`fa` or `en`)."""
    from flask import has_request_context

    if has_request_context():
        return current_locale()
    locale = getattr(actor, "locale", None)
    return str(locale) if locale in ("fa", "en") else "fa"


def period_key(moment: dt.datetime, locale: str, period: str = "month") -> str:
    """The period of a UTC moment in the site's time zone, as a key that sorts in time order:
    `month` `YYYY-MM`, `day` `YYYY-MM-DD` — both Jalali for `fa` — and `week`: for `fa` the
    Jalali date of the week's Saturday (Persian weeks run Saturday to Friday), else the ISO week
    `YYYY-Www`."""
    day = to_local(moment).date()
    if period == "week":
        if locale != "fa":
            year, week, _weekday = day.isocalendar()
            return f"{year}-W{week:02d}"
        day -= dt.timedelta(days=(day.weekday() - 5) % 7)  # back to Saturday
    if locale == "fa":
        year, month, dom = to_jalali(day)
    else:
        year, month, dom = day.year, day.month, day.day
    return f"{year:04d}-{month:02d}" if period == "month" else f"{year:04d}-{month:02d}-{dom:02d}"
