"""How a text is cut into SMS parts (3GPP TS 23.038 alphabets, concatenated messages).

A text written only in the GSM 7-bit default alphabet travels as 7-bit septets: 160 in a
single message, 153 per part of a longer one (the user data header takes the rest). A
character of the alphabet's extension table (`^{}\\[~]|€` and form feed) is an escape plus
itself, two septets, and the two never part. Any other character — Persian and Arabic
letters, the ZWNJ, emoji — makes the whole text UCS-2: 70 UTF-16 code units in one message,
67 per part, and a character outside the BMP (most emoji) is a surrogate pair of two units
that is never cut in half.

Providers cut the text themselves; the channel counts the parts to refuse an overlong message
before paying for it, and the generic gateway can hand the parts to a gateway that wants them.
"""

from __future__ import annotations

import dataclasses
from typing import Literal

#: The GSM 03.38 default alphabet (one septet each); ESC (0x1B) is not a character of its own.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
#: The extension table: each is sent as ESC + the character, two septets.
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67

Encoding = Literal["gsm7", "ucs2"]


@dataclasses.dataclass(frozen=True)
class SmsParts:
    """A text cut into parts: the encoding, the parts (joined they give the text) and the units used."""

    encoding: Encoding
    parts: tuple[str, ...]
    #: Septets (gsm7) or UTF-16 code units (ucs2) of the whole text.
    units: int

    @property
    def count(self) -> int:
        """How many messages the text costs (0 for an empty text)."""
        return len(self.parts)

    @property
    def per_part(self) -> int:
        """The most units a part of this text may hold."""
        if self.encoding == "gsm7":
            return GSM7_SINGLE if self.count <= 1 else GSM7_PART
        return UCS2_SINGLE if self.count <= 1 else UCS2_PART


def is_gsm7(text: str) -> bool:
    """Whether every character of `text` is in the GSM 7-bit alphabet or its extension table."""
    return all(char in GSM7_BASIC or char in GSM7_EXTENDED for char in text)


def char_units(char: str, encoding: Encoding) -> int:
    """What one character costs: septets in gsm7 (2 for the extension table), UTF-16 units in ucs2."""
    if encoding == "gsm7":
        return 2 if char in GSM7_EXTENDED else 1
    return 2 if ord(char) > 0xFFFF else 1


def text_units(text: str, encoding: Encoding) -> int:
    """What the whole text costs in `encoding` (see `char_units`)."""
    return sum(char_units(char, encoding) for char in text)


def split_sms(text: str) -> SmsParts:
    """Cut `text` into SMS parts: GSM-7 at 160/153 septets, otherwise UCS-2 at 70/67 code units.

    A Python `str` holds code points, so a surrogate pair is one character here and always
    lands whole in one part; an extension-table character likewise keeps its escape.
    """
    encoding: Encoding = "gsm7" if is_gsm7(text) else "ucs2"
    single, per_part = (GSM7_SINGLE, GSM7_PART) if encoding == "gsm7" else (UCS2_SINGLE, UCS2_PART)
    units = text_units(text, encoding)
    if not text:
        return SmsParts(encoding, (), 0)
    if units <= single:
        return SmsParts(encoding, (text,), units)
    parts: list[str] = []
    start, used = 0, 0
    for index, char in enumerate(text):
        cost = char_units(char, encoding)
        if used + cost > per_part:
            parts.append(text[start:index])
            start, used = index, 0
        used += cost
    parts.append(text[start:])
    return SmsParts(encoding, tuple(parts), units)
