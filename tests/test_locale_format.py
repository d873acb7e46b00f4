"""Tests for `payvand.core.locale_format`: Jalali/Gregorian dates, numbers, money, parsing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import jdatetime
import pytest
from hypothesis import given
from hypothesis import strategies as st

from payvand.core.locale_format import (
    direction,
    format_date,
    format_datetime,
    format_money,
    format_number,
    parse_date,
    parse_number,
)
from payvand.core.normalize import ARABIC_DIGITS, PERSIAN_DIGITS

D = Decimal
AZAR_5 = date(2026, 11, 26)  # a Thursday
THURSDAY = "پنج\u200cشنبه"


def test_known_date_is_5_azar_1405_according_to_jdatetime() -> None:
    jd = jdatetime.date.fromgregorian(date=AZAR_5)
    assert (jd.year, jd.month, jd.day) == (1405, 9, 5)
    assert jdatetime.date(1405, 9, 5).togregorian() == AZAR_5


# --------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("style", "fa", "en"),
    [
        ("short", "۱۴۰۵/۰۹/۰۵", "11/26/26"),
        ("medium", "۵ آذر ۱۴۰۵", "Nov 26, 2026"),
        ("long", f"{THURSDAY} ۵ آذر ۱۴۰۵", "Thursday, November 26, 2026"),
    ],
)
def test_format_date_styles(style: str, fa: str, en: str) -> None:
    assert format_date(AZAR_5, "fa", style=style) == fa
    assert format_date(AZAR_5, "en", style=style) == en


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 3, 21), "۱ فروردین ۱۴۰۵"),  # Nowruz
        (date(2025, 3, 20), "۳۰ اسفند ۱۴۰۳"),  # 1403 is a leap year
        (date(2000, 1, 1), "۱۱ دی ۱۳۷۸"),
        (date(1979, 2, 11), "۲۲ بهمن ۱۳۵۷"),
    ],
)
def test_format_date_fa_month_names(day: date, expected: str) -> None:
    assert format_date(day, "fa") == expected


def test_format_date_regional_locales() -> None:
    assert format_date(AZAR_5, "fa_IR") == "۵ آذر ۱۴۰۵"
    assert format_date(AZAR_5, "fa-IR") == "۵ آذر ۱۴۰۵"
    assert format_date(AZAR_5, "en_GB") == "26 Nov 2026"


def test_format_date_converts_aware_datetimes_to_tz() -> None:
    # 22:00 UTC on 25 Nov is 01:30 on 26 Nov in Tehran (UTC+03:30).
    late = datetime(2026, 11, 25, 22, 0, tzinfo=UTC)
    assert format_date(late, "fa") == "۵ آذر ۱۴۰۵"
    assert format_date(late, "en") == "Nov 26, 2026"
    assert format_date(late, "en", tz="UTC") == "Nov 25, 2026"
    assert format_date(late, "fa", tz="UTC") == "۴ آذر ۱۴۰۵"


def test_format_date_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="[Nn]aive"):
        format_date(datetime(2026, 11, 26, 12, 0), "fa")
    with pytest.raises(ValueError, match="[Nn]aive"):
        format_datetime(datetime(2026, 11, 26, 12, 0), "en")


def test_format_date_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="style"):
        format_date(AZAR_5, "fa", style="full")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="locale"):
        format_date(AZAR_5, "xx_not_a_locale")
    with pytest.raises(ValueError, match="time zone"):
        format_date(datetime(2026, 1, 1, tzinfo=UTC), "fa", tz="Mars/Olympus")
    with pytest.raises(TypeError):
        format_date("2026-11-26", "fa")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        format_datetime(AZAR_5, "fa")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("style", "fa", "en"),
    [
        ("short", "۱۴۰۵/۰۹/۰۵ ۱۴:۳۰", "11/26/26, 14:30"),
        ("medium", "۵ آذر ۱۴۰۵، ۱۴:۳۰", "Nov 26, 2026, 14:30"),
        ("long", f"{THURSDAY} ۵ آذر ۱۴۰۵، ۱۴:۳۰", "Thursday, November 26, 2026, 14:30"),
    ],
)
def test_format_datetime(style: str, fa: str, en: str) -> None:
    moment = datetime(2026, 11, 26, 11, 0, tzinfo=UTC)  # 14:30 in Tehran
    assert format_datetime(moment, "fa", style=style) == fa
    assert format_datetime(moment, "en", style=style) == en


def test_format_datetime_other_zone_and_leading_zeros() -> None:
    moment = datetime(2026, 11, 26, 9, 5, tzinfo=ZoneInfo("Asia/Tehran"))
    assert format_datetime(moment, "fa") == "۵ آذر ۱۴۰۵، ۰۹:۰۵"
    assert format_datetime(moment, "en", tz="UTC") == "Nov 26, 2026, 05:35"


# --------------------------------------------------------------------------- parse_date


@pytest.mark.parametrize(
    ("text", "locale", "expected"),
    [
        ("2026-11-26", "en", AZAR_5),
        ("2026-11-26", "fa", AZAR_5),
        ("۲۰۲۶-۱۱-۲۶", "en", AZAR_5),
        ("٢٠٢٦-١١-٢٦", "fa", AZAR_5),
        ("۱۴۰۵/۰۹/۰۵", "fa", AZAR_5),
        ("1405/9/5", "fa", AZAR_5),
        ("  ١٤٠٥/٠٩/٠٥ ", "fa_IR", AZAR_5),
        ("۱۴۰۳/۱۲/۳۰", "fa", date(2025, 3, 20)),
    ],
)
def test_parse_date(text: str, locale: str, expected: date) -> None:
    assert parse_date(text, locale) == expected


@pytest.mark.parametrize(
    ("text", "locale", "message"),
    [
        ("1405/09/05", "en", "YYYY-MM-DD"),  # Jalali only in fa
        ("2026-02-30", "en", "valid date"),
        ("۱۴۰۵/۱۲/۳۰", "fa", "valid Jalali"),  # 1405 is not a leap year
        ("۱۴۰۵/۱۳/۰۱", "fa", "valid Jalali"),
        ("26/11/2026", "fa", "Jalali"),
        ("tomorrow", "en", "Not a date"),
        ("", "fa", "Not a date"),
    ],
)
def test_parse_date_rejects(text: str, locale: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_date(text, locale)


@given(st.dates(min_value=date(1950, 1, 1), max_value=date(2100, 12, 31)))
def test_parse_date_round_trips_jalali_short(day: date) -> None:
    text = format_date(day, "fa", style="short")
    assert text.isascii() is False and all(c in PERSIAN_DIGITS + "/" for c in text)
    assert parse_date(text, "fa") == day


@given(st.dates(min_value=date(1950, 1, 1), max_value=date(2100, 12, 31)))
def test_parse_date_iso_any_digits(day: date) -> None:
    iso = day.isoformat()
    persian = iso.translate(str.maketrans("0123456789", PERSIAN_DIGITS))
    arabic = iso.translate(str.maketrans("0123456789", ARABIC_DIGITS))
    assert parse_date(iso, "en") == parse_date(persian, "fa") == parse_date(arabic, "en") == day


# --------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("value", "decimals", "fa", "en"),
    [
        (12500000, None, "۱۲٬۵۰۰٬۰۰۰", "12,500,000"),
        (D("1234.5"), None, "۱٬۲۳۴٫۵", "1,234.5"),
        (D("1234.5678"), None, "۱٬۲۳۴٫۵۶۷۸", "1,234.5678"),  # no silent rounding
        (D("1234.5"), 2, "۱٬۲۳۴٫۵۰", "1,234.50"),
        (D("2.675"), 2, "۲٫۶۸", "2.68"),  # half-up on the exact decimal
        (2.675, 2, "۲٫۶۸", "2.68"),  # floats go through repr, not binary
        (D("-12500000.05"), None, "-۱۲٬۵۰۰٬۰۰۰٫۰۵", "-12,500,000.05"),
        (0, None, "۰", "0"),
        (D("999.5"), 0, "۱٬۰۰۰", "1,000"),
        (D("1E+3"), None, "۱٬۰۰۰", "1,000"),
        (D("0.00001"), None, "۰٫۰۰۰۰۱", "0.00001"),
    ],
)
def test_format_number(value: Decimal | float, decimals: int | None, fa: str, en: str) -> None:
    assert format_number(value, "fa", decimals=decimals) == fa
    assert format_number(value, "en", decimals=decimals) == en


def test_format_number_rejects() -> None:
    with pytest.raises(ValueError):
        format_number(D("NaN"), "fa")
    with pytest.raises(ValueError):
        format_number(float("inf"), "en")
    with pytest.raises(ValueError, match="decimals"):
        format_number(1, "en", decimals=-1)
    with pytest.raises(TypeError):
        format_number("12", "en")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        format_number(True, "en")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12500000", D("12500000")),
        ("۱۲٬۵۰۰٬۰۰۰", D("12500000")),
        ("١٢٬٥٠٠٬٠٠٠", D("12500000")),
        ("۱۲،۵۰۰،۰۰۰", D("12500000")),
        ("12,500,000", D("12500000")),
        ("۱۲ ۵۰۰ ۰۰۰", D("12500000")),
        ("۱۲٬۵۰۰٫۷۵", D("12500.75")),
        ("12,500.75", D("12500.75")),
        ("٣٫١٤", D("3.14")),
        (".5", D("0.5")),
        ("  -۴۲ ", D("-42")),
        ("\u200e−۴۲", D("-42")),  # Unicode minus with a left-to-right mark
        ("+7", D("7")),
        ("۰٫۱۰", D("0.10")),
    ],
)
def test_parse_number(text: str, expected: Decimal) -> None:
    result = parse_number(text)
    assert isinstance(result, Decimal)
    assert result == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "abc",
        "۱۲x",
        "1.2.3",
        "1,2",
        "12,50",
        "1٫2٫3",
        "NaN",
        "Infinity",
        "1e5",
        "--1",
        "5.",
    ],
)
def test_parse_number_rejects_with_clear_message(text: str) -> None:
    with pytest.raises(ValueError, match="Not a number"):
        parse_number(text)


def test_parse_number_rejects_non_strings() -> None:
    with pytest.raises(TypeError):
        parse_number(12)  # type: ignore[arg-type]


few_decimals = st.decimals(
    min_value=D("-1e15"), max_value=D("1e15"), places=3, allow_nan=False, allow_infinity=False
)


@given(few_decimals)
def test_parse_number_round_trips_fa(value: Decimal) -> None:
    text = format_number(value, "fa")
    assert not any(c in "0123456789" for c in text)  # only Persian digits shown
    assert parse_number(text) == value


@given(few_decimals)
def test_parse_number_round_trips_en(value: Decimal) -> None:
    assert parse_number(format_number(value, "en")) == value


@given(few_decimals, st.sampled_from([0, 1, 2, 4]))
def test_parse_number_round_trips_fixed_decimals(value: Decimal, decimals: int) -> None:
    text = format_number(value, "fa", decimals=decimals)
    assert parse_number(text) == value.quantize(D(1).scaleb(-decimals), rounding="ROUND_HALF_UP")


@given(few_decimals)
def test_persian_and_arabic_digits_parse_like_latin(value: Decimal) -> None:
    latin = format(value, "f")
    persian = latin.translate(str.maketrans("0123456789.", PERSIAN_DIGITS + "٫"))
    arabic = latin.translate(str.maketrans("0123456789", ARABIC_DIGITS))
    assert parse_number(persian) == parse_number(arabic) == parse_number(latin) == value


# --------------------------------------------------------------------------- money


@pytest.mark.parametrize(
    ("amount", "locale", "display", "expected"),
    [
        (D("12500000"), "fa", "rial", "۱۲٬۵۰۰٬۰۰۰ ریال"),
        (D("12500000"), "fa", "toman", "۱٬۲۵۰٬۰۰۰ تومان"),
        (D("12500000"), "en", "rial", "12,500,000 rials"),
        (D("12500000"), "en", "toman", "1,250,000 tomans"),
        (D("12500005"), "fa", "toman", "۱٬۲۵۰٬۰۰۰٫۵ تومان"),  # decimals kept when non-zero
        (D("12500005"), "en", "toman", "1,250,000.5 tomans"),
        (D("12500000.00"), "fa", "rial", "۱۲٬۵۰۰٬۰۰۰ ریال"),  # zero decimals dropped
        (12500000, "fa", "toman", "۱٬۲۵۰٬۰۰۰ تومان"),
        (D("1"), "en", "rial", "1 rial"),
        (D("10"), "en", "toman", "1 toman"),
        (D("-50000"), "en", "toman", "-5,000 tomans"),
        (D("0"), "fa", "toman", "۰ تومان"),
        (
            D("123456789012345678901234567890"),
            "en",
            "toman",
            "12,345,678,901,234,567,890,123,456,789 tomans",
        ),
    ],
)
def test_format_money_irr(amount: Decimal, locale: str, display: str, expected: str) -> None:
    assert format_money(amount, "IRR", locale, display=display) == expected


def test_format_money_irr_code_is_case_insensitive() -> None:
    assert format_money(D("1000"), "irr", "fa") == "۱٬۰۰۰ ریال"


@pytest.mark.parametrize(
    ("amount", "currency", "locale", "expected"),
    [
        (D("1234.5"), "USD", "en", "$1,234.50"),
        (D("1234.5"), "USD", "fa", "\u200e$\u00a0۱٬۲۳۴٫۵۰"),
        (D("1234.5"), "EUR", "fa", "\u200e€\u00a0۱٬۲۳۴٫۵۰"),
        (D("1234.567"), "USD", "en", "$1,234.567"),  # exact: no silent rounding
        (D("1234"), "JPY", "en", "¥1,234"),
    ],
)
def test_format_money_other_currencies(
    amount: Decimal, currency: str, locale: str, expected: str
) -> None:
    assert format_money(amount, currency, locale) == expected
    # display only affects IRR
    assert format_money(amount, currency, locale, display="toman") == expected


def test_format_money_rejects() -> None:
    with pytest.raises(TypeError, match="Decimal"):
        format_money(1234.5, "IRR", "fa")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="display"):
        format_money(D("1"), "IRR", "fa", display="dollar")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="currency"):
        format_money(D("1"), "RIAL", "fa")
    with pytest.raises(ValueError):
        format_money(D("NaN"), "IRR", "fa")


@given(st.decimals(min_value=0, max_value=D("1e12"), places=0))
def test_money_rial_toman_round_trip(amount: Decimal) -> None:
    rial = format_money(amount, "IRR", "fa").removesuffix(" ریال")
    toman = format_money(amount, "IRR", "fa", display="toman").removesuffix(" تومان")
    assert parse_number(rial) == amount
    assert parse_number(toman) * 10 == amount


# --------------------------------------------------------------------------- direction


@pytest.mark.parametrize(
    ("locale", "expected"), [("fa", "rtl"), ("fa_IR", "rtl"), ("fa-IR", "rtl"), ("en", "ltr")]
)
def test_direction(locale: str, expected: str) -> None:
    assert direction(locale) == expected


def test_direction_unknown_locale() -> None:
    with pytest.raises(ValueError, match="locale"):
        direction("zz_nowhere")


def test_format_date_stays_consistent_across_a_year() -> None:
    """Consecutive days always give strictly increasing Jalali short dates."""
    day = date(2026, 1, 1)
    previous = format_date(day, "fa", style="short")
    for _ in range(400):
        day += timedelta(days=1)
        current = format_date(day, "fa", style="short")
        assert current > previous  # Persian digits sort in the same order as Latin ones
        previous = current


def test_a_jalali_year_with_dashes_is_read_as_jalali_in_persian():
    from datetime import date

    from payvand.core.locale_format import parse_date

    assert parse_date("۱۴۰۵-۰۹-۰۵", "fa") == date(2026, 11, 26)
    assert parse_date("2026-11-26", "fa") == date(2026, 11, 26)
