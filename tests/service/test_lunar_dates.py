"""The shipped lunar holidays against an independent computation: the Umm al-Qura tables of the
`hijridate` package (a test-only dependency). Every date after the published part of 1405
(`OFFICIAL_UNTIL`) is Umm al-Qura's date of its Hijri day; the published official dates before
it are at most one day later than Umm al-Qura (Iran's crescent sighting), never earlier."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from hijridate import Gregorian, Hijri

from payvand.plugins.service.services.lunar_holidays import HIJRI_DAYS, OFFICIAL_UNTIL, SHIPPED, holiday_key
from payvand.sdk import from_jalali

SHIPPED_DAYS = [(year, entry["date"], entry["name"]) for year, days in SHIPPED.items() for entry in days]


def _gregorian(date: str) -> dt.date:
    year, month, day = (int(part) for part in date.split("-"))
    return from_jalali(year, month, day)


def _umm_al_qura(hijri_year: int, key: str) -> dt.date:
    """The Gregorian date of a holiday's Hijri day in `hijri_year` (Imam Reza: the last day of Safar)."""
    if key == "reza":
        return Hijri(hijri_year, 3, 1).to_gregorian() - dt.timedelta(days=1)
    month, day = HIJRI_DAYS[key]
    return Hijri(hijri_year, month, day).to_gregorian()


def _nearest(date: dt.date, key: str) -> dt.date:
    """Umm al-Qura's date of the holiday in the Hijri year closest to `date`."""
    year = Gregorian(date.year, date.month, date.day).to_hijri().year
    return min((_umm_al_qura(y, key) for y in (year - 1, year, year + 1)), key=lambda d: abs((d - date).days))


@pytest.mark.parametrize(("year", "date", "name"), SHIPPED_DAYS, ids=[d for _, d, _ in SHIPPED_DAYS])
def test_each_shipped_lunar_holiday_agrees_with_umm_al_qura(year, date, name):
    key = holiday_key(name)
    assert key is not None, name
    shipped = _gregorian(date)
    assert date.startswith(f"{year}-")
    expected = _nearest(shipped, key)
    if date > OFFICIAL_UNTIL:
        assert shipped == expected, f"{name} {date}: Umm al-Qura gives {expected}"
    else:  # published: Iran's sighting may start a month a day after Umm al-Qura
        assert 0 <= (shipped - expected).days <= 1, f"{name} {date}: Umm al-Qura gives {expected}"


def test_every_hijri_holiday_of_the_computed_years_is_shipped_once():
    computed = [(date, holiday_key(name)) for _, date, name in SHIPPED_DAYS if date > OFFICIAL_UNTIL]
    assert len(computed) == len(set(computed))
    counts = Counter(key for _, key in computed)
    assert set(counts) == set(HIJRI_DAYS)  # every kind of holiday is there after Tir 1405
    assert all(n in (1, 2) for n in counts.values()), counts
