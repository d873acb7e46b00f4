"""The Iranian lunar holidays, one list per Jalali year, editable (`service_holiday_year`).

`SHIPPED` holds 1405 and 1406. Where they come from: 1405 up to Ashura (4 Tir) is the official
calendar as published (Council for Public Culture, from the Geophysics Institute's
predictions): 1 Shawwal 1447 = 1 Farvardin 1405, Eid al-Adha 6 Khordad, Tasua 3 Tir. Every later
date (`OFFICIAL_UNTIL`) is the Umm al-Qura calendar's date of its Hijri day (`HIJRI_DAYS`; the
Martyrdom of Imam Reza on the last day of Safar, 29 or 30), checked in the tests against the
`hijridate` package's Umm al-Qura tables (a test-only dependency). The official Iranian calendar
follows crescent visibility in Iran and can be a day later than Umm al-Qura where a month's
sighting falls otherwise (Shawwal 1447 began on 20 March 2026 by Umm al-Qura, on 21 March in
Iran): an administrator corrects a year on *Service settings → Lunar holidays* (or
`PUT /api/v1/service/lunar-holidays/<year>`) once the official calendar is out, and the stored
list replaces the shipped one for that year. Saving a year recomputes the due times of the open
tickets under every calendar that uses the lists.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from payvand.plugins.service.models_holidays import HolidayYear
from payvand.sdk import audit, from_jalali, utcnow

_H = {
    "tasua": "Tasua", "ashura": "Ashura", "arbaeen": "Arbaeen",
    "prophet": "Demise of the Prophet, martyrdom of Imam Hasan", "reza": "Martyrdom of Imam Reza",
    "askari": "Martyrdom of Imam Hasan Askari", "birth": "Birth of the Prophet and Imam Sadiq",
    "fatima": "Martyrdom of Fatima", "ali_birth": "Birth of Imam Ali", "mabath": "Mab'ath",
    "mahdi": "Birth of Imam Mahdi", "ali": "Martyrdom of Imam Ali", "fitr": "Eid al-Fitr",
    "fitr2": "Eid al-Fitr holiday", "sadiq": "Martyrdom of Imam Sadiq", "adha": "Eid al-Adha", "ghadir": "Eid al-Ghadir",
}


#: The Hijri day (month, day) of each holiday; `reza` is the last day of Safar (29 or 30).
HIJRI_DAYS: dict[str, tuple[int, int]] = {
    "fitr": (10, 1), "fitr2": (10, 2), "sadiq": (10, 25), "adha": (12, 10), "ghadir": (12, 18), "tasua": (1, 9),
    "ashura": (1, 10), "arbaeen": (2, 20), "prophet": (2, 28), "reza": (2, 30), "askari": (3, 8), "birth": (3, 17),
    "fatima": (6, 3), "ali_birth": (7, 13), "mabath": (7, 27), "mahdi": (8, 15), "ali": (9, 21),
}
#: The last shipped date taken from the published official calendar; later ones are Umm al-Qura's.
OFFICIAL_UNTIL = "1405-04-04"


def holiday_key(name: str) -> str | None:
    """The key (`HIJRI_DAYS`) of a shipped holiday's English name, or None."""
    return next((key for key, label in _H.items() if label == name), None)


def _year(*days: tuple[str, str]) -> list[dict[str, str]]:
    return [{"date": date, "name": _H[key]} for date, key in days]


#: The lunar holidays shipped with the plugin, by Jalali year (see the module docstring).
SHIPPED: dict[int, list[dict[str, str]]] = {
    1405: _year(("1405-01-01", "fitr"), ("1405-01-02", "fitr2"), ("1405-01-25", "sadiq"), ("1405-03-06", "adha"),
                ("1405-03-14", "ghadir"), ("1405-04-03", "tasua"), ("1405-04-04", "ashura"),
                ("1405-05-12", "arbaeen"), ("1405-05-20", "prophet"), ("1405-05-22", "reza"),
                ("1405-05-30", "askari"), ("1405-06-08", "birth"), ("1405-08-22", "fatima"),
                ("1405-10-01", "ali_birth"), ("1405-10-15", "mabath"), ("1405-11-03", "mahdi"),
                ("1405-12-09", "ali"), ("1405-12-18", "fitr"), ("1405-12-19", "fitr2")),
    1406: _year(("1406-01-13", "sadiq"), ("1406-02-26", "adha"), ("1406-03-03", "ghadir"), ("1406-03-24", "tasua"),
                ("1406-03-25", "ashura"), ("1406-05-02", "arbaeen"), ("1406-05-10", "prophet"),
                ("1406-05-11", "reza"), ("1406-05-19", "askari"), ("1406-05-28", "birth"),
                ("1406-08-11", "fatima"), ("1406-09-20", "ali_birth"), ("1406-10-04", "mabath"),
                ("1406-10-22", "mahdi"), ("1406-11-28", "ali"), ("1406-12-07", "fitr"), ("1406-12-08", "fitr2")),
}

_DATE = re.compile(r"^(?:(\d{4})[-/])?(\d{1,2})[-/](\d{1,2})$")


class HolidayListError(ValueError):
    """A year's list that cannot be saved: `message` (about `field`)."""

    def __init__(self, message: str, field: str = "holidays") -> None:
        super().__init__(message)
        self.message, self.field = message, field


def years(session: Session) -> list[dict[str, Any]]:
    """Every year with a list — stored or shipped — ascending: `{"year", "holidays", "edited"}`."""
    stored = {row.year: row for row in session.scalars(sa.select(HolidayYear))}
    return [{"year": year, "holidays": list(stored[year].holidays) if year in stored else list(SHIPPED[year]),
             "edited": year in stored} for year in sorted(set(stored) | set(SHIPPED))]


def clean(year: int, holidays: list[dict[str, Any]]) -> list[dict[str, str]]:
    """A year's holidays checked: each date a real Jalali date of `year` (`MM-DD` is read in that
    year), written `YYYY-MM-DD`; sorted, one per date. HolidayListError names the first bad one."""
    if not 1300 <= year <= 1500:
        raise HolidayListError("Give a Jalali year between 1300 and 1500.", "year")
    found: dict[str, dict[str, str]] = {}
    for entry in holidays:
        text = str(entry.get("date", "")).strip()
        match = _DATE.match(text)
        written_year = int(match.group(1)) if match and match.group(1) else year
        try:
            if match is None or written_year != year:
                raise ValueError(text)
            month, day = int(match.group(2)), int(match.group(3))
            from_jalali(year, month, day)
        except ValueError:
            raise HolidayListError(f"Not a date of {year}: {text}") from None
        date = f"{year:04d}-{month:02d}-{day:02d}"
        found[date] = {"date": date, "name": " ".join(str(entry.get("name", "")).split())[:120]}
    return [found[date] for date in sorted(found)]


def store_year(session: Session, year: int, holidays: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Store a year's list (replacing the shipped one), audited; returns the cleaned list. The
    due times it moves are recomputed by `holiday_years.save_year`, which pages and the API call."""
    cleaned = clean(year, holidays)
    row = session.scalar(sa.select(HolidayYear).where(HolidayYear.year == year))
    before = list(row.holidays) if row is not None else SHIPPED.get(year)
    if row is None:
        row = HolidayYear(year=year)
        session.add(row)
    row.holidays, row.updated_at = cleaned, utcnow()
    session.flush()
    audit("update", HolidayYear.__tablename__, row.id, before={"holidays": before}, after={"holidays": cleaned})
    return cleaned


def calendar_entries(session: Session) -> list[dict[str, Any]]:
    """Every year's lunar holidays as one-off Jalali holidays of a calendar (`Hours.build`)."""
    return [{"date": h["date"], "calendar": "jalali", "yearly": False, "name": h.get("name", "")}
            for year in years(session) for h in year["holidays"]]
