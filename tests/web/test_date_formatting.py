"""Every date formatter is total: the farthest dates and times Python and the databases hold
(0001-01-01 … 9999-12-31, with offsets from −12:00 to +14:00) format in Persian and English,
in the core, the SDK, the Jinja filters and the sales plugin's calendar and reports."""

from __future__ import annotations

import datetime as dt

import pytest
from flask_babel import force_locale
from marshmallow import Schema, ValidationError

from payvand.core import locale_format
from payvand.core.dates import BusinessDate, BusinessDateTime
from payvand.plugins.sales.services import calendar as sales_calendar
from payvand.plugins.sales.services import local_time
from payvand.sdk import from_jalali, jalali_month_days, to_jalali

OFFSETS = [dt.timezone(dt.timedelta(hours=h)) for h in (-12, 0, 3.5, 14)]
DAYS = [dt.date.min, dt.date.max, dt.date(622, 3, 21), dt.date(622, 3, 20), dt.date(9999, 3, 20), dt.date(9999, 3, 21),
        dt.date(2026, 11, 26)]
MOMENTS = [moment.replace(tzinfo=zone) for moment in (dt.datetime.min, dt.datetime.max) for zone in OFFSETS]
ZONES = ["Asia/Tehran", "America/Los_Angeles", "Pacific/Kiritimati", "UTC"]


@pytest.mark.parametrize("locale", ["fa", "en"])
@pytest.mark.parametrize("style", ["short", "medium", "long"])
def test_format_date_and_datetime_are_total(locale, style):
    for day in DAYS:
        assert locale_format.format_date(day, locale, style=style)
    for moment in MOMENTS:
        for zone in ZONES:
            assert locale_format.format_date(moment, locale, tz=zone, style=style)
            assert locale_format.format_datetime(moment, locale, tz=zone, style=style)


def test_dates_outside_the_jalali_years_are_shown_in_gregorian_and_said_so():
    assert locale_format.format_date(dt.date.max, "fa") == "۹۹۹۹-۱۲-۳۱ (میلادی)"
    assert locale_format.format_date(dt.date.min, "fa", style="long") == "۰۰۰۱-۰۱-۰۱ (میلادی)"
    assert locale_format.format_date(dt.date(622, 3, 21), "fa") == "۱ فروردین ۱"
    assert locale_format.format_date(dt.date(2026, 11, 26), "fa", style="long") == "پنج\u200cشنبه ۵ آذر ۱۴۰۵"
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    assert locale_format.format_datetime(far, "en", tz="Asia/Tehran") == "Dec 31, 9999, 23:59"


def test_jalali_arithmetic_covers_every_gregorian_date():
    assert to_jalali(dt.date.min) == (-621, 10, 11) and to_jalali(dt.date.max) == (9378, 10, 10)
    for day in (dt.date.min, dt.date.max, dt.date(2026, 3, 21), dt.date(2025, 3, 20)):
        assert from_jalali(*to_jalali(day)) == day
    assert jalali_month_days(9378, 12) in (29, 30) and jalali_month_days(1403, 12) == 30
    with pytest.raises(ValueError):
        from_jalali(1405, 12, 30)  # 1405 is not a leap year


def test_sales_month_folding_and_moments_are_total(app):
    with app.app_context():
        for day in DAYS:
            for kind in ("jalali", "gregorian"):
                year, month = local_time.month_of(day, kind)
                assert 1 <= month <= 12
                if dt.date(1, 2, 1) <= day <= dt.date(9999, 12, 1):  # the month's first day exists
                    assert local_time.month_of(local_time.month_start(year, month, kind), kind) == (year, month)
                assert sales_calendar.month_of(kind, day) == (year, month)
        for moment in MOMENTS:
            for zone in ("Asia/Tehran", "America/Los_Angeles"):
                from zoneinfo import ZoneInfo

                assert sales_calendar.format_moment(moment, "fa", ZoneInfo(zone))
                assert sales_calendar.format_moment(moment, "en", ZoneInfo(zone))


@pytest.mark.parametrize("locale", ["fa", "en"])
def test_the_jinja_date_filters_are_total(app, locale):
    with app.test_request_context(), force_locale(locale):
        template = app.jinja_env.from_string("{{ d | date('long') }} {{ m | datetime }} {{ m | date }}")
        for day, moment in zip(DAYS, MOMENTS, strict=False):
            assert template.render(d=day, m=moment).strip()


class _Dates(Schema):
    day = BusinessDate()
    moment = BusinessDateTime()


@pytest.mark.parametrize("text", ["0001-01-01", "9999-12-31", "1899-12-31", "2200-01-01", "0000-01-01", "10000-01-01"])
def test_business_dates_outside_the_range_are_refused(text):
    with pytest.raises(ValidationError) as refused:
        _Dates().load({"day": text})
    assert list(refused.value.messages) == ["day"]


@pytest.mark.parametrize("text", ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59Z",
                                  "2200-01-01T00:00:00+14:00", "1899-12-31T23:59:59-12:00", "2026-01-01T00:00:00"])
def test_business_times_outside_the_range_or_without_offset_are_refused(text):
    with pytest.raises(ValidationError):
        _Dates().load({"moment": text})


def test_the_edges_of_the_range_are_loaded_as_utc():
    loaded = _Dates().load({"day": "۲۱۹۹-۱۲-۳۱", "moment": "1900-01-01T00:00:00+14:00"})
    assert loaded["day"] == dt.date(2199, 12, 31)
    assert loaded["moment"] == dt.datetime(1899, 12, 31, 10, 0, tzinfo=dt.UTC)
    with pytest.raises(ValueError, match="1900-01-01"):
        locale_format.parse_date("۱۲۷۸/۱۰/۱۰", "fa")  # the day before 1900-01-01
    assert locale_format.parse_date("۱۲۷۸/۱۰/۱۱", "fa") == dt.date(1900, 1, 1)
