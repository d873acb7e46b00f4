"""Phone numbers for SMS: E.164 from what people type, or a clear reason why not.

Read with `phonenumbers` (Google's libphonenumber data): Persian (۰-۹) and Arabic-Indic (٠-٩)
digits, spaces, dashes, dots and brackets are accepted; `09121234567` is read in the default
region (Iran unless `PAYVAND_SMS_REGION` says otherwise), `+98…`, `0098…` and `98…` (twelve
digits) as international. A number that is valid but cannot take a text (a landline) is
refused too: sending to it would only cost money.
"""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import PhoneNumberType

from payvand.sdk import to_latin_digits

_JUNK = re.compile(r"[\s\-\.\(\)\u200c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_SMS_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


class NumberRefused(ValueError):
    """A number SMS cannot be sent to; `reason` is one sentence for the message's failure."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def to_e164(raw: str, region: str = "IR") -> str:
    """`raw` as an E.164 mobile number (`+989121234567`), or NumberRefused with the reason."""
    text = _JUNK.sub("", to_latin_digits((raw or "").strip()))
    if not text:
        raise NumberRefused("the phone number is empty")
    if text.startswith("00"):
        text = "+" + text[2:]
    elif region == "IR" and len(text) == 12 and text.startswith("989"):
        text = "+" + text
    if not re.fullmatch(r"\+?[0-9]+", text):
        raise NumberRefused(f"the phone number {raw!r} holds characters other than digits")
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise NumberRefused(f"the phone number {raw!r} cannot be read: {exc._msg}") from None
    if not phonenumbers.is_valid_number(number):
        where = phonenumbers.region_code_for_number(number) or region
        raise NumberRefused(f"the phone number {raw!r} is not a valid number in {where}")
    if phonenumbers.number_type(number) not in _SMS_TYPES:
        raise NumberRefused(f"the phone number {raw!r} is not a mobile number and cannot receive SMS")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def national_or_international(e164: str) -> str:
    """How Iranian providers want a receptor: `09121234567` for Iran, `00<country><number>` otherwise."""
    if e164.startswith("+98"):
        return "0" + e164[3:]
    return "00" + e164.lstrip("+")
