"""The periods the service's satisfaction reports count in: a UTC moment's month in the site's
time zone, Jalali for a Persian reader (shared by the CSAT and NPS summaries)."""

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


def period_key(moment: dt.datetime, locale: str) -> str:
    """The period of a UTC moment: its month in the site's time zone, `YYYY-MM` — Jalali for `fa`."""
    local = to_local(moment)
    if locale == "fa":
        year, month, _day = to_jalali(local.date())
        return f"{year:04d}-{month:02d}"
    return f"{local.year:04d}-{local.month:02d}"
