"""Parsing single cell values of an import: dates (ISO or Jalali), booleans, tags, kinds, stages,
countries."""

from __future__ import annotations

import datetime as dt
import functools
import re

from payvand.core.locale_format import JALALI_YEAR_LIMIT, jalali_to_gregorian
from payvand.core.models import CustomerKind, LifecycleStage
from payvand.core.normalize import fold, to_latin_digits

_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T].*)?$")
_TAG_SPLIT = re.compile(r"[|,،]")

_TRUE = {
    "1",
    "true",
    "yes",
    "y",
    "t",
    "on",
    "بله",
    "آره",
    "دارد",
    "بلی",
    "true.",
    "granted",
    "opt-in",
    "optin",
}
_FALSE = {"0", "false", "no", "n", "f", "off", "خیر", "نه", "ندارد", "denied", "opt-out", "optout"}

_KINDS = {
    "person": CustomerKind.person.value,
    "individual": CustomerKind.person.value,
    "شخص": CustomerKind.person.value,
    "حقیقی": CustomerKind.person.value,
    "فرد": CustomerKind.person.value,
    "organization": CustomerKind.organization.value,
    "organisation": CustomerKind.organization.value,
    "company": CustomerKind.organization.value,
    "org": CustomerKind.organization.value,
    "business": CustomerKind.organization.value,
    "حقوقی": CustomerKind.organization.value,
    "شرکت": CustomerKind.organization.value,
    "سازمان": CustomerKind.organization.value,
}

_STAGES = {s.value: s.value for s in LifecycleStage} | {
    "سرنخ": "lead",
    "مشتری": "customer",
    "وفادار": "loyal",
    "مشتری وفادار": "loyal",
    "ریزش": "churned",
    "ریزش کرده": "churned",
    "از دست رفته": "churned",
    "بالقوه": "prospect",
    "مشتری بالقوه": "prospect",
    "مشتری احتمالی": "prospect",
}


#: Country names beside the ones Babel gives in English and Persian (`_country_names`).
_COUNTRY_ALIASES = {
    "persia": "IR",
    "islamic republic of iran": "IR",
    "iran islamic republic of": "IR",
    "جمهوری اسلامی ایران": "IR",
    "usa": "US",
    "united states of america": "US",
    "آمریکا": "US",
    "uk": "GB",
    "great britain": "GB",
    "england": "GB",
    "uae": "AE",
    "امارات": "AE",
}


class ValueProblem(ValueError):
    """A cell that cannot be read; the message is the reason shown for the row, `code` its
    reason code (`payvand.core.importing.reasons`)."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


def parse_birthday(raw: str, today: dt.date | None = None) -> dt.date:
    """Read a birthday: `YYYY-MM-DD` (also `/` or `.`), Persian digits, Jalali when year < 1700."""
    text = to_latin_digits(raw.strip())
    match = _DATE.match(text)
    if not match:
        raise ValueProblem(f"birthday {raw!r} is not a date: use YYYY-MM-DD (or Jalali YYYY/MM/DD)",
                           "invalid_birthday")
    year, month, day = (int(g) for g in match.groups())
    try:
        if year < JALALI_YEAR_LIMIT:
            value = jalali_to_gregorian(year, month, day)
        else:
            value = dt.date(year, month, day)
    except ValueError:
        raise ValueProblem(f"birthday {raw!r} is not a valid date", "invalid_birthday") from None
    if value > (today or dt.date.today()) or value.year < 1900:
        raise ValueProblem(f"birthday {raw!r} is out of range", "birthday_out_of_range")
    return value


def parse_bool(raw: str) -> bool:
    """Read a yes/no cell in English or Persian (`yes`, `1`, `بله`, `no`, `0`, `خیر`, ...)."""
    text = to_latin_digits(raw.strip()).casefold()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueProblem(f"{raw!r} is not yes or no", "invalid_yes_no")


def parse_kind(raw: str) -> str:
    """Read a customer kind: person or organization (English or Persian words)."""
    kind = _KINDS.get(fold(raw))
    if kind is None:
        raise ValueProblem(f"kind {raw!r} is not person or organization", "invalid_kind")
    return kind


def parse_stage(raw: str) -> str:
    """Read a lifecycle stage (its English value or a common Persian name)."""
    stage = _STAGES.get(fold(raw))
    if stage is None:
        raise ValueProblem(
            f"lifecycle stage {raw!r} is not one of {', '.join(s.value for s in LifecycleStage)}",
            "invalid_stage",
        )
    return stage


def split_tags(raw: str) -> list[str]:
    """Split a tags cell on `|`, `,` or the Persian comma; empty parts are dropped."""
    return [part for part in _TAG_SPLIT.split(raw) if part.strip()]


def split_export_tags(raw: str) -> list[str]:
    """Split the tags cell of a Payvand export, joined with `|` only; empty parts are dropped."""
    return [part for part in raw.split("|") if part.strip()]


@functools.cache
def _country_names() -> dict[str, str]:
    """Folded country name → ISO 3166 code: Babel's English and Persian names of every country
    with a two-letter code, and `_COUNTRY_ALIASES`. Built once, when a file first has a country."""
    from babel import Locale

    names: dict[str, str] = {}
    for language in ("en", "fa"):
        for code, name in Locale.parse(language).territories.items():
            if len(code) == 2 and code.isalpha():
                names[fold(name)] = code
    names.update((fold(name), code) for name, code in _COUNTRY_ALIASES.items())
    return names


def parse_country(raw: str) -> str:
    """Read a country: a two-letter code in any case (`ir`, `IR`), or a country's name in English or
    Persian (`Iran`, `ایران`). Returns the code in capitals, which the API's address rule then
    checks (`AddressSchema.country`); a name nobody knows is a ValueProblem."""
    text = raw.strip()
    if len(text) == 2 and text.isascii():
        return text.upper()
    code = _country_names().get(fold(text))
    if code is None:
        raise ValueProblem(country_message(raw), "invalid_country")
    return code


def country_message(raw: str) -> str:
    """The reason given for a country the import cannot read."""
    return f"country {raw.strip()!r} is not a two-letter code such as IR or a country name"
