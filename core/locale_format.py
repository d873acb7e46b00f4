"""Locale-aware formatting and parsing of dates, numbers and money for the `fa` and `en` UIs.

Pure functions, no Flask. In Persian (`fa`, `fa_IR`, ...) dates use the Jalali calendar
(`jdatetime`) with Persian month names, and every number is written with Persian digits:
Babel gives the Persian separators (٬ for thousands, ٫ for decimals) but Latin digits, so the
digits are translated afterwards. Every other locale goes through Babel unchanged (Gregorian).

Conventions chosen here:

* Styles: ``short`` is numeric, ``medium`` has the month name, ``long`` adds the weekday
  (``fa``: "پنج‌شنبه ۵ آذر ۱۴۰۵"; ``en``: Babel's ``full``, "Thursday, November 26, 2026").
* Times are 24-hour ``HH:MM`` in every locale.
* Rial amounts (IRR) are written in words of the unit, not with a symbol: ``fa``
  "۱۲٬۵۰۰٬۰۰۰ ریال" / "۱٬۲۵۰٬۰۰۰ تومان"; ``en`` "12,500,000 rials" / "1,250,000 tomans"
  ("1 rial", "1 toman" in the singular). Decimals are shown only when non-zero.
"""

from __future__ import annotations

import decimal
import re
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Literal, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jdatetime
from babel import Locale, UnknownLocaleError
from babel import dates as babel_dates
from babel import numbers as babel_numbers

from payvand.core.dates import RANGE_MESSAGE, in_business_range
from payvand.core.digits import to_latin_digits, to_persian_digits

__all__ = [
    "direction",
    "isolate",
    "format_date",
    "format_datetime",
    "format_money",
    "format_number",
    "parse_date",
    "parse_number",
]

DateStyle = Literal["short", "medium", "long"]
MoneyDisplay = Literal["rial", "toman"]

_STYLES = ("short", "medium", "long")
_BABEL_STYLE: dict[str, Literal["short", "medium", "long", "full"]] = {"short": "short", "medium": "medium", "long": "full"}
#: Bidi marks Babel (and copy-paste) put around numbers; ignored when parsing.
_BIDI_MARKS: dict[int, None] = dict.fromkeys(
    map(ord, "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
)
_SPACES = re.compile(r"[\s\u00a0\u2009\u202f]+")
#: Thousands separators (Persian ٬, Arabic comma ،, ASCII comma) and decimal marks (٫ and .).
_NUMBER_TABLE = str.maketrans(
    {"\u066c": ",", "\u060c": ",", "\u066b": ".", "\u2212": "-", "\u2796": "-"}
) | _BIDI_MARKS
_NUMBER = re.compile(r"[+-]?(?:(?:\d+|\d{1,3}(?:,\d{3})+)(?:\.\d+)?|\.\d+)")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_JALALI_DATE = re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})")


def _locale(locale: str) -> Locale:
    """Parse a locale identifier (``fa``, ``fa_IR``, ``en-US``); ValueError if unknown."""
    try:
        return Locale.parse(locale.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError, AttributeError) as exc:
        raise ValueError(f"Unknown locale: {locale!r}") from exc


def _is_fa(loc: Locale) -> bool:
    return loc.language == "fa"


def direction(locale: str) -> Literal["rtl", "ltr"]:
    """Text direction of the locale: ``"rtl"`` for Persian, ``"ltr"`` for English."""
    return "rtl" if _locale(locale).character_order == "right-to-left" else "ltr"


def isolate(text: object) -> str:
    """`text` between the Unicode isolates FSI (U+2068) and PDI (U+2069); "" for None or "".

    For user text inside a sentence, a `<title>`, an `<option>` or an attribute, where `<bdi>`
    cannot go: "Ali (علی) Co." then keeps its own direction, and its parentheses and full stop
    stay where they were typed, in a Persian or an English sentence alike. Values of translated
    messages (flashes) get it too. Text already isolated is not wrapped again.
    """
    if text is None or text == "":
        return ""
    value = str(text)
    if value.startswith("\u2068") and value.endswith("\u2069"):
        return value
    return f"\u2068{value}\u2069"


# --------------------------------------------------------------------------- dates


def _check_style(style: str) -> None:
    if style not in _STYLES:
        raise ValueError(f"Unknown style {style!r}; expected one of {', '.join(_STYLES)}")


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"Unknown time zone: {tz!r}") from exc


def _localize(value: datetime, tz: str) -> datetime:
    """Convert an aware datetime to `tz`; naive datetimes are refused (their zone is unknown).

    A moment so close to year 1 or 9999 that `tz` would push it past them (``datetime.max``
    in Tehran) is kept in its own offset: shown as written rather than not at all.
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("Naive datetime refused: attach a time zone before formatting")
    zone = _zone(tz)
    try:
        return value.astimezone(zone)
    except (OverflowError, ValueError):
        return value


#: Jalali years jdatetime can represent (its MINYEAR..MAXYEAR): Gregorian 622-03-22 .. 9999-03-20.
JALALI_MIN_YEAR, JALALI_MAX_YEAR = jdatetime.MINYEAR, jdatetime.MAXYEAR


def jalali_parts(day: date) -> tuple[int, int, int]:
    """(year, month, day) of a Gregorian date in the proleptic Jalali calendar, for every date.

    jdatetime's own arithmetic (33-year cycles), without its year check: 0001-01-01 is
    (-621, 10, 11) and 9999-12-31 is (9378, 10, 10). Callers that show the date use
    `format_date`, which falls back to the Gregorian date outside jdatetime's years.
    """
    return tuple(jdatetime.GregorianToJalali(day.year, day.month, day.day).getJalaliList())


def _jalali_date(day: date, style: str) -> str:
    year, month, dom = jalali_parts(day)
    if not JALALI_MIN_YEAR <= year <= JALALI_MAX_YEAR:
        # Before Jalali year 1 or after jdatetime's last year: the Gregorian date, said so.
        return to_persian_digits(f"{day.year:04d}-{day.month:02d}-{day.day:02d}") + " (میلادی)"
    if style == "short":
        text = f"{year:04d}/{month:02d}/{dom:02d}"
    else:
        text = f"{dom} {jdatetime.date.j_months_fa[month - 1]} {year}"
        if style == "long":
            text = f"{jdatetime.date.j_weekdays_fa[(day.weekday() + 2) % 7]} {text}"
    return to_persian_digits(text)


def format_date(
    value: date | datetime, locale: str, *, tz: str = "Asia/Tehran", style: DateStyle = "medium"
) -> str:
    """Format a date: Jalali with Persian month names and digits in ``fa``, Babel otherwise.

    An aware datetime is first converted to `tz` and its date taken; a naive one raises
    ValueError. ``fa``: short "۱۴۰۵/۰۹/۰۵", medium "۵ آذر ۱۴۰۵", long "پنج‌شنبه ۵ آذر ۱۴۰۵".
    """
    _check_style(style)
    loc = _locale(locale)
    if isinstance(value, datetime):
        value = _localize(value, tz).date()
    elif not isinstance(value, date):
        raise TypeError(f"Expected a date or datetime, got {type(value).__name__}")
    if _is_fa(loc):
        return _jalali_date(value, style)
    return babel_dates.format_date(value, format=_BABEL_STYLE[style], locale=loc)


def format_datetime(
    value: datetime, locale: str, *, tz: str = "Asia/Tehran", style: DateStyle = "medium"
) -> str:
    """Format an aware datetime in `tz`: the date as in `format_date`, then 24-hour HH:MM.

    ``fa``: "۵ آذر ۱۴۰۵، ۱۴:۳۰" (short: "۱۴۰۵/۰۹/۰۵ ۱۴:۳۰"); ``en``: "Nov 26, 2026, 14:30".
    Naive datetimes raise ValueError; plain dates raise TypeError.
    """
    if not isinstance(value, datetime):
        raise TypeError(f"Expected a datetime, got {type(value).__name__}")
    _check_style(style)
    loc = _locale(locale)
    local = _localize(value, tz)
    clock = f"{local.hour:02d}:{local.minute:02d}"
    if _is_fa(loc):
        sep = " " if style == "short" else "، "
        return f"{_jalali_date(local.date(), style)}{sep}{to_persian_digits(clock)}"
    day = babel_dates.format_date(local.date(), format=_BABEL_STYLE[style], locale=loc)
    # Babel annotates a DateTimePattern, but the locale's datetime formats are plain strings ("{1}, {0}")
    pattern = cast(str, babel_dates.get_datetime_format(_BABEL_STYLE[style], locale=loc)).replace("'", "")
    return pattern.replace("{1}", day).replace("{0}", clock)


#: In ``fa``, a year below this is a Jalali year whatever the separator (1405-09-05 is Jalali).
JALALI_YEAR_LIMIT = 1700


def _jalali_days_before(year: int) -> int:
    """Days from an epoch to 1 Farvardin of `year` in jdatetime's arithmetic (any year)."""
    years = year - 979
    return 365 * years + (years // 33) * 8 + (years % 33 + 3) // 4


def jalali_is_leap(year: int) -> bool:
    """True when Jalali `year` has 366 days (Esfand 30), in the arithmetic jdatetime converts with."""
    return _jalali_days_before(year + 1) - _jalali_days_before(year) == 366


def jalali_month_days(year: int, month: int) -> int:
    """Days in a Jalali month: 31 in the first six, 30 in the next five, Esfand 29 (30 in leap years).

    ValueError for a month outside 1..12.
    """
    if not 1 <= month <= 12:
        raise ValueError(f"month must be in 1..12, not {month}")
    if month <= 6:
        return 31
    if month <= 11:
        return 30
    return 30 if jalali_is_leap(year) else 29


def jalali_month_name(month: int, locale: str = "fa") -> str:
    """A Jalali month's name: Persian in `fa` ("فروردین"), transliterated otherwise ("Farvardin").

    ValueError for a month outside 1..12.
    """
    if not 1 <= month <= 12:
        raise ValueError(f"month must be in 1..12, not {month}")
    persian = str(locale).replace("-", "_").split("_")[0] == "fa"
    return (jdatetime.date.j_months_fa if persian else jdatetime.date.j_months_en)[month - 1]


def jalali_to_gregorian(year: int, month: int, day: int) -> date:
    """Convert a Jalali (Solar Hijri) date to a Gregorian one; ValueError when it does not exist.

    Works for every Jalali date whose Gregorian date Python can hold (-621/10/11 … 9378/10/10),
    not only jdatetime's years 1–9377.
    """
    length = jalali_month_days(year, month)
    if not 1 <= day <= length:
        raise ValueError(f"day must be in 1..{length}, not {day}")
    gy, gm, gd = jdatetime.JalaliToGregorian(year, month, day).getGregorianList()
    if not 1 <= gy <= 9999:
        raise ValueError(f"year {year} is out of range")
    return date(gy, gm, gd)


def _jalali(text: str, year: int, month: int, day: int) -> date:
    try:
        return jalali_to_gregorian(year, month, day)
    except ValueError as exc:
        raise ValueError(f"Not a valid Jalali date: {text!r} ({exc})") from exc


def parse_date(text: str, locale: str) -> date:
    """Parse a business date: ISO ``YYYY-MM-DD`` (any digits); in ``fa`` also Jalali ``YYYY/MM/DD``.

    "۱۴۰۵/۰۹/۰۵" in ``fa`` is 2026-11-26. In ``fa`` a year below 1700 is read as Jalali
    whichever separator is used, since a Persian user typing ``1405-09-05`` means Azar.
    A date outside the business-date range (`payvand.core.dates`, 1900-01-01 … 2199-12-31)
    raises ValueError with that range's message, as does anything that is not a date.
    """
    day = _parse_date(text, locale)
    if not in_business_range(day):
        raise ValueError(RANGE_MESSAGE)
    return day


def _parse_date(text: str, locale: str) -> date:
    if not isinstance(text, str):
        raise TypeError(f"Expected a string, got {type(text).__name__}")
    fa = _is_fa(_locale(locale))
    cleaned = to_latin_digits(text.translate(_BIDI_MARKS)).strip()
    if match := _ISO_DATE.fullmatch(cleaned):
        year, month, day = map(int, match.groups())
        if fa and year < JALALI_YEAR_LIMIT:
            return _jalali(text, year, month, day)
        try:
            return date(year, month, day)
        except ValueError as exc:
            raise ValueError(f"Not a valid date: {text!r} ({exc})") from exc
    if fa and (match := _JALALI_DATE.fullmatch(cleaned)):
        return _jalali(text, *map(int, match.groups()))
    expected = "YYYY/MM/DD (Jalali) or YYYY-MM-DD" if fa else "YYYY-MM-DD"
    raise ValueError(f"Not a date: {text!r}; expected {expected}")


# --------------------------------------------------------------------------- numbers


def _to_decimal(value: Decimal | float) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, float)):
        raise TypeError(f"Expected a number, got {type(value).__name__}")
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if not number.is_finite():
        raise ValueError(f"Cannot format a non-finite number: {value!r}")
    return number


def _exact_context(number: Decimal, decimals: int | None = None) -> decimal.Context:
    """A decimal context precise enough that Babel's rounding never loses or rejects digits."""
    digits = len(number.as_tuple().digits) + abs(number.as_tuple().exponent)  # type: ignore[arg-type]
    return decimal.Context(prec=max(decimal.getcontext().prec, digits + (decimals or 0) + 10))


def _babel_decimal(number: Decimal, loc: Locale, decimals: int | None) -> str:
    """Babel's formatting with the locale's own symbols (Persian ٬ ٫ in ``fa``), Latin digits."""
    with decimal.localcontext(_exact_context(number, decimals)):
        return _babel_decimal_inner(number, loc, decimals)


def _babel_decimal_inner(number: Decimal, loc: Locale, decimals: int | None) -> str:
    system = "default" if _is_fa(loc) else "latn"
    if decimals is None:
        return babel_numbers.format_decimal(
            number, locale=loc, decimal_quantization=False, numbering_system=system
        )
    if isinstance(decimals, bool) or not isinstance(decimals, int) or decimals < 0:
        raise ValueError(f"decimals must be a non-negative int or None, got {decimals!r}")
    rounded = number.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return babel_numbers.format_decimal(
        rounded, format=pattern, locale=loc, numbering_system=system
    )


def format_number(value: Decimal | float, locale: str, *, decimals: int | None = None) -> str:
    """Format a number with the locale's grouping; Persian digits and separators in ``fa``.

    With ``decimals=None`` every significant decimal of the value is shown (no rounding);
    otherwise it is rounded half-up to exactly `decimals` places. Floats go through ``repr``.
    """
    loc = _locale(locale)
    text = _babel_decimal(_to_decimal(value), loc, decimals)
    return to_persian_digits(text) if _is_fa(loc) else text


def parse_number(text: str) -> Decimal:
    """Parse a number typed in Persian, Arabic-Indic or Latin digits into an exact Decimal.

    Thousands separators ٬ ، , (in groups of three), decimal marks ٫ and ., spaces, a leading
    sign (- or −) and bidi marks are accepted: "۱۲٬۵۰۰٫۵" and "12,500.5" give Decimal("12500.5").
    """
    if not isinstance(text, str):
        raise TypeError(f"Expected a string, got {type(text).__name__}")
    cleaned = _SPACES.sub("", to_latin_digits(text).translate(_NUMBER_TABLE))
    if not cleaned:
        raise ValueError("Not a number: the text is empty")
    if not _NUMBER.fullmatch(cleaned):
        raise ValueError(
            f"Not a number: {text!r}; use digits, optional thousands separators in groups "
            "of three and at most one decimal mark"
        )
    try:
        return Decimal(cleaned.replace(",", ""))
    except InvalidOperation as exc:  # pragma: no cover - the pattern already guarantees this
        raise ValueError(f"Not a number: {text!r}") from exc


# --------------------------------------------------------------------------- money

_RIAL_WORDS = {
    ("fa", "rial"): ("ریال", "ریال"),
    ("fa", "toman"): ("تومان", "تومان"),
    ("en", "rial"): ("rial", "rials"),
    ("en", "toman"): ("toman", "tomans"),
}


def format_money(
    amount: Decimal | int, currency: str, locale: str, *, display: MoneyDisplay = "rial"
) -> str:
    """Format an exact amount (Decimal or int; floats are refused) in `currency`.

    IRR is written with the unit's name, in rials or, with ``display="toman"``, in tomans
    (amount / 10): "۱۲٬۵۰۰٬۰۰۰ ریال", "۱٬۲۵۰٬۰۰۰ تومان", "12,500,000 rials", "1,250,000 tomans";
    decimals appear only when non-zero. Other currencies go through Babel's
    ``format_currency`` (Persian digits in ``fa``); `display` only affects IRR.
    """
    if isinstance(amount, (bool, float)) or not isinstance(amount, (int, Decimal)):
        raise TypeError(f"Money amounts must be Decimal or int, got {type(amount).__name__}")
    if display not in ("rial", "toman"):
        raise ValueError(f"Unknown display {display!r}; expected 'rial' or 'toman'")
    if not isinstance(currency, str) or not re.fullmatch(r"[A-Za-z]{3}", currency):
        raise ValueError(f"Not a currency code: {currency!r}")
    number = _to_decimal(amount)
    loc = _locale(locale)
    fa = _is_fa(loc)
    currency = currency.upper()
    if currency == "IRR":
        if display == "toman":
            sign, digits, exponent = number.as_tuple()
            # exact: only the exponent moves (an int: _to_decimal refuses NaN and infinities)
            number = Decimal((sign, digits, cast(int, exponent) - 1))
        words = _RIAL_WORDS["fa" if fa else "en", display]
        unit = words[0] if abs(number) == 1 else words[1]
        return f"{format_number(number, locale)} {unit}"
    with decimal.localcontext(_exact_context(number, 4)):
        text = babel_numbers.format_currency(
            number,
            currency,
            locale=loc,
            decimal_quantization=False,
            numbering_system="default" if fa else "latn",
        )
    return to_persian_digits(text) if fa else text
