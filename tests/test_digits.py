"""The one digit table (`payvand.core.digits`, `payvand.sdk.to_latin_digits`/`to_persian_digits`)."""

from __future__ import annotations

import pathlib

import pytest

from payvand.core.digits import (
    ARABIC_DIGITS,
    LATIN_DIGITS,
    PERSIAN_DIGITS,
    latin_table,
    to_latin_digits,
    to_persian_digits,
)
from payvand.sdk import to_latin_digits as sdk_to_latin
from payvand.sdk import to_persian_digits as sdk_to_persian

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_every_digit_set_reads_as_latin_and_nothing_else_changes():
    assert to_latin_digits(f"{PERSIAN_DIGITS}|{ARABIC_DIGITS}|{LATIN_DIGITS}") == "0123456789|0123456789|0123456789"
    assert to_latin_digits("کد ۱۲-٣٤ a٫b ٬") == "کد 12-34 a٫b ٬"  # separators are the caller's choice


def test_latin_digits_show_as_persian_and_arabic_indic_ones_are_left_as_typed():
    assert to_persian_digits("Order 1405/09/05") == "Order ۱۴۰۵/۰۹/۰۵"
    assert to_persian_digits("٣") == "٣"
    assert to_persian_digits(to_latin_digits("٣")) == "۳"


def test_a_table_with_extras_maps_and_deletes_in_the_same_pass():
    table = latin_table({"٫": ".", "٬": ",", " ": None})
    assert "۱٬۲۵۰٫۵ ٠".translate(table) == "1,250.50"


def test_the_sdk_gives_the_same_functions():
    assert sdk_to_latin is to_latin_digits and sdk_to_persian is to_persian_digits


@pytest.mark.parametrize("digits", [PERSIAN_DIGITS[:4], ARABIC_DIGITS[:4]])
def test_no_other_module_writes_the_digit_table_again(digits):
    """Every module translates digits through `payvand.core.digits` (regular expressions may
    still name the ranges, such as `[۰-۹]`)."""
    sources = [path for folder in ("core", "plugins", "sdk") for path in (ROOT / folder).rglob("*.py")]
    spelled = [str(path.relative_to(ROOT)) for path in sources
               if digits in path.read_text(encoding="utf-8") and path != ROOT / "core" / "digits.py"]
    assert spelled == []
