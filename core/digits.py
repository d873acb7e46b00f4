"""The digit tables, in one place: Latin (0–9), Persian (۰–۹) and Arabic-Indic (٠–٩) digits.

People type numbers, phones, ids and dates with any of the three digit sets (a Persian
keyboard gives ۰–۹, an Arabic one or a cp1256 file ٠–٩); what is stored and compared uses
Latin digits, and Persian pages show Persian digits. Every module that translates digits uses
these tables (`to_latin_digits`, `to_persian_digits`), and a module that wants more characters
mapped in the same pass builds its table with `latin_table` instead of writing the digits again.
"""

from __future__ import annotations

import decimal
from collections.abc import Mapping
from typing import Any

#: A `str.translate` table: code points to a string (or a code point), None deleting.
Table = dict[int, int | str | None]

__all__ = [
    "ARABIC_DIGITS",
    "LATIN_DIGITS",
    "PERSIAN_DIGITS",
    "TO_LATIN",
    "TO_PERSIAN",
    "latin_table",
    "plain_decimal",
    "to_latin_digits",
    "to_persian_digits",
]

LATIN_DIGITS = "0123456789"
PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"
ARABIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"

#: Persian and Arabic-Indic digits to Latin ones (a `str.translate` table).
TO_LATIN: Table = dict(str.maketrans(PERSIAN_DIGITS + ARABIC_DIGITS, LATIN_DIGITS * 2))
#: Latin digits to Persian ones (a `str.translate` table), for display in `fa`.
TO_PERSIAN: Table = dict(str.maketrans(LATIN_DIGITS, PERSIAN_DIGITS))


def latin_table(extra: Mapping[str, str | None]) -> Table:
    """`TO_LATIN` plus `extra` (one character each: mapped to a string, or deleted with None).

    For a single `str.translate` pass that also reads separators (`{"٫": "."}`) or drops
    noise (`dict.fromkeys(" -()")`); the digits themselves always come from this module.
    """
    return {**TO_LATIN, **{ord(char): value for char, value in extra.items()}}


def to_latin_digits(text: str) -> str:
    """`text` with Persian and Arabic-Indic digits replaced by Latin ones; nothing else changes."""
    return text.translate(TO_LATIN)


def to_persian_digits(text: str) -> str:
    """`text` with Latin digits replaced by Persian ones (for display in `fa`); nothing else changes."""
    return text.translate(TO_PERSIAN)


def plain_decimal(amount: Any) -> str:
    """An exact amount as a plain decimal string with Latin digits and no trailing zeros
    ("12.5", "1375000", never an exponent or "-0"): how the API, exports and documents write amounts."""
    text = format(decimal.Decimal(amount), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
