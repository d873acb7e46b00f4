"""payvand.sdk.i18n: translated text, and numbers, dates and digits as each language writes them.

`gettext`/`lazy_gettext` translate (through the plugin's own catalog first), `N_` marks text
declared as data; the formatters write what the staff pages' filters write (`|date`,
`|money`, `|number`, `|digits`, `|isolate`) for PDFs, emails and messages; the parsers read
what people type in either language (Persian, Arabic-Indic or Latin digits, Jalali dates);
`to_latin_digits`/`to_persian_digits` are the one digit table of the whole code base.

Stability: every name is stable (semantic versioning); `PROVISIONAL` is empty. The exact text
a formatter produces (spacing, the word for a currency) may be improved in a minor release;
compare formatted values in tests by calling the formatter, not by a literal.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import gettext, lazy_gettext

from payvand.core.digits import to_latin_digits, to_persian_digits
from payvand.core.locale_format import parse_date, parse_number
from payvand.core.web.i18n import N_  # marks texts declared as data for extraction

__all__ = [
    "gettext", "lazy_gettext", "N_", "current_locale",
    "format_date", "format_money", "format_number", "localize_digits", "isolate",
    "parse_number", "parse_date", "to_latin_digits", "to_persian_digits",
]

#: Names that may change in a minor release (the rest are stable).
PROVISIONAL: frozenset[str] = frozenset()


def current_locale() -> str:
    """The current request's language (`fa` or `en`; `flask_babel.force_locale` changes it)."""
    from payvand.core.web.i18n import current_locale as locale

    return locale()


def format_date(value: dt.date | dt.datetime | None, style: str = "medium") -> str:
    """A date as the staff pages show it (`|date`): Jalali with Persian digits in `fa`, Gregorian in `en`."""
    from payvand.core.web.i18n import format_date as fmt

    return fmt(value, style)


def format_money(amount: Any, currency: str | None = None) -> str:
    """An exact amount as the staff pages show it (`|money(currency)`), in the current locale."""
    from payvand.core.web.i18n import format_money as fmt

    return fmt(amount, currency)


def format_number(value: Any, decimals: int | None = None) -> str:
    """A number as the staff pages show it (`|number`): locale grouping and digits."""
    from payvand.core.web.i18n import format_number as fmt

    return fmt(value, decimals)


def localize_digits(value: Any) -> str:
    """Text with Persian digits in `fa` (`|digits`); unchanged in `en`."""
    from payvand.core.web.i18n import localize_digits as fmt

    return fmt(value)


def isolate(text: Any) -> str:
    """User text wrapped in the Unicode isolates FSI…PDI (`|isolate`), for messages, titles and options.

    A mixed name such as "Ali (علی) Co." inside a translated sentence keeps its parentheses
    and full stop in place: `flash(gettext("Deal %(title)s saved.", title=isolate(deal.title)))`.
    In markup prefer `<bdi>{{ value }}</bdi>` or `dir="auto"`.
    """
    from payvand.core.locale_format import isolate as wrap

    return wrap(text)
