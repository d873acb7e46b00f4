"""Normalising what people type: Persian text, digits, email addresses and phone numbers.

What is normalised how (docs/decisions.md, "Which text is normalised"): numbers, ids, dates,
emails and phones get Latin digits; names and labels get `clean_text` (ی/ک folding, spaces,
digits kept); free text gets `keep_text` (unchanged but for the space around it); search keys
get `fold` (everything folded, digits too, so a search for 12 finds ۱۲).

Fast paths handle the common shapes (ASCII emails, Iranian mobile numbers) with plain string
operations; everything else goes through `email-validator` and `phonenumbers`.
"""

from __future__ import annotations

import functools
import re
import unicodedata

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from payvand.core.digits import (
    ARABIC_DIGITS,
    PERSIAN_DIGITS,
    latin_table,
    to_latin_digits,
    to_persian_digits,
)

__all__ = [  # the digit helpers are re-exported: many modules read them from here
    "ARABIC_DIGITS", "PERSIAN_DIGITS", "ZWNJ", "NormalizationError", "clean_text", "fold", "keep_text",
    "looks_like_email", "looks_like_phone", "persian_letters", "normalize_email", "normalize_phone", "to_latin_digits",
    "to_persian_digits",
]

ZWNJ = "\u200c"

#: Arabic letters to Persian (search keys).
_ARABIC_TO_PERSIAN = str.maketrans(
    {"ي": "ی", "ى": "ی", "ك": "ک", "ة": "ه", "ۀ": "ه", "ؤ": "و", "إ": "ا", "أ": "ا", "ٱ": "ا"}
)
_TEXT_TABLE = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک"})
_DIACRITICS = re.compile("[\u064b-\u065f\u0670\u0640]")  # harakat, superscript alef, tatweel
_SPACES = re.compile(r"[\s\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_ZWNJ_RUN = re.compile(r"\s*\u200c[\s\u200c]*")
_EMAIL_FAST = re.compile(r"^[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,24}$")
_IR_MOBILE = re.compile(r"^(?:\+98|0098|98|0)?(9\d{9})$")
_PHONE_JUNK = re.compile(r"[\s\-().\u200c/]")
#: One-pass fast path for phones: digits of any script to ASCII, the commonest junk deleted
#: (every deleted character is also matched by `_PHONE_JUNK`, so results never differ).
_PHONE_FAST = latin_table(dict.fromkeys(" \t\r\n\u00a0-().\u200c/"))


class NormalizationError(ValueError):
    """A value that cannot be normalised; the message says why, for the user."""


def clean_text(text: str | None) -> str | None:
    """Tidy a name or a label: Persian letters, no stray spaces or ZWNJs; None if empty.

    Arabic ي/ى/ك become Persian ی/ک (the documented folding, so that a name typed on an
    Arabic keyboard or read from a cp1256 file is the same name), runs of white space become
    one space, a ZWNJ next to a space or doubled is dropped. Digits are kept as typed: they
    are part of what the person wrote (a search key folds them, see `fold`). For free text
    (summaries, notes, messages) use `keep_text`, which changes nothing inside the text.
    """
    if text is None:
        return None
    if text.isascii():  # fast path: no Arabic letters, ZWNJs or exotic spaces to handle
        return " ".join(text.split()) or None
    text = unicodedata.normalize("NFC", text).translate(_TEXT_TABLE)
    text = _ZWNJ_RUN.sub(lambda m: " " if " " in m.group() else ZWNJ, text)
    text = _SPACES.sub(" ", text).strip(" " + ZWNJ)
    return text or None


def keep_text(text: str | None) -> str | None:
    """Free text a person wrote (a summary, a note, a message), kept exactly: only the white
    space around it is dropped; None if nothing is left. Letters, digits, spaces inside and
    line breaks stay as typed."""
    if text is None:
        return None
    return text.strip() or None


def persian_letters(text: str) -> str:
    """`text` with Arabic ي/ى/ك as Persian ی/ک and nothing else changed: for free text read from
    an Arabic code page (`windows-1256` mail, cp1256 files), where `clean_text`'s spacing would
    break lines."""
    return text if text.isascii() else text.translate(_TEXT_TABLE)


def fold(text: str | None) -> str:
    """A search key: cleaned, lower-cased, no diacritics or ZWNJ, Persian letter variants merged.

    `fold("علي  رضائي")` equals `fold("علی رضایی")`.
    """
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text).translate(_ARABIC_TO_PERSIAN)
    text = to_latin_digits(_DIACRITICS.sub("", text)).replace("ئ", "ی").replace(ZWNJ, " ")
    return _SPACES.sub(" ", text).strip().casefold()


def normalize_email(raw: str) -> str:
    """Return the canonical (lower-cased) form of an email address or raise NormalizationError."""
    text = raw.strip()
    text = (text if text.isascii() else to_latin_digits(text)).lower()
    if not text:
        raise NormalizationError("email is empty")
    if _EMAIL_FAST.match(text) and ".." not in text and not text.startswith("."):
        local = text.split("@", 1)[0]
        if len(text) <= 254 and len(local) <= 64 and not local.endswith("."):
            return text
    return _validate_email_slow(text)


@functools.lru_cache(maxsize=4096)
def _validate_email_slow(text: str) -> str:
    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        raise NormalizationError(f"invalid email {text!r}: {exc}") from None
    return result.normalized.lower()


def normalize_phone(raw: str, region: str = "IR") -> str:
    """Return a phone number in E.164 form or raise NormalizationError.

    Persian and Arabic digits, spaces, dashes and parentheses are accepted; a number
    without a country code is read in `region`.
    """
    if region == "IR":
        fast = _IR_MOBILE.match(raw.translate(_PHONE_FAST))
        if fast:
            return "+98" + fast.group(1)
    text = _PHONE_JUNK.sub("", to_latin_digits(raw.strip()))
    if not text:
        raise NormalizationError("phone is empty")
    if region == "IR":
        match = _IR_MOBILE.match(text)
        if match:
            return "+98" + match.group(1)
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise NormalizationError(f"invalid phone {raw!r}: {exc}") from None
    if not phonenumbers.is_valid_number(number):
        raise NormalizationError(f"invalid phone {raw!r} for region {region}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def looks_like_email(text: str) -> bool:
    """True when a search string is meant as an email address."""
    return "@" in text


def looks_like_phone(text: str) -> bool:
    """True when a search string is mostly digits (any script), i.e. meant as a phone number."""
    digits = to_latin_digits(_PHONE_JUNK.sub("", text)).lstrip("+")
    return len(digits) >= 5 and digits.isdigit()


def is_time_zone(value: str) -> bool:
    """Whether `value` names a time zone zoneinfo knows (at most 64 characters, no path tricks)."""
    import zoneinfo

    if not value or len(value) > 64 or value != value.strip():
        return False
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):  # a folder name, odd bytes
        return False
    return True
