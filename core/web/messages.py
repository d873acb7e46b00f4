"""Validation messages of the shared schemas, translated for the staff UI.

The API answers in English; forms show the same messages in the user's language. Fixed
messages are looked up as they are; messages with values inside (a length, a list of choices,
the rejected input) are matched by pattern and rebuilt from a translated template.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import Flask
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from payvand.core.locale_format import isolate
from payvand.core.web.i18n import localize_digits

#: Messages the schemas and marshmallow give as they are (listed so extraction finds them).
FIXED = (
    _l("Missing data for required field."), _l("Field may not be null."), _l("Field may not be blank."),
    _l("Field may not be empty."), _l("Not a valid string."), _l("Not a valid integer."),
    _l("Not a valid number."), _l("Not a valid boolean."), _l("Not a valid date."), _l("Not a valid datetime."),
    _l("Not a valid date (YYYY-MM-DD)."), _l("Not a valid decimal number."), _l("Not a valid email address."),
    _l("This field is required."), _l("Unknown field."), _l("Invalid value."), _l("Invalid input type."),
    _l("An organisation needs a name."), _l("Give a given name or a family name."),
    _l("A value needs a currency."), _l("A source id needs a source type."), _l("Unknown channel."),
    _l("Unknown time zone; use an IANA name such as Asia/Tehran."),
    _l("Text may not contain NUL characters."), _l("Nested too deeply."),
    _l("Unknown field: no enabled plugin declares it."), _l("Give a string or an object with a string 'value'."),
    _l("email is empty"), _l("phone is empty"), _l("a value needs a currency"),
    _l("use inbound, outbound or internal"), _l("not a number"), _l("not a finite number"),
    _l("too large (at most 16 integer digits)"), _l("Give a date between 1900-01-01 and 2199-12-31."),
    _l("the row has no name, email or phone"), _l("an organization needs an organization name"),
    # What a file that is not text turns out to be (`core.importing.source.binary_kind`).
    _l("a ZIP archive (an Excel .xlsx workbook is one)"), _l("an old Excel (.xls) or Word document"),
    _l("a PDF document"), _l("a PNG image"), _l("a JPEG image"), _l("a GIF image"), _l("a gzip archive"),
    _l("a RAR archive"), _l("a 7-Zip archive"), _l("a SQLite database"), _l("binary data (it contains NUL bytes)"),
    _l("binary data (control characters, no text)"),
    _l("A tag cannot contain “|”: it separates tags in CSV exports and imports."),
)

_PATTERNS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (re.compile(r"Longer than maximum length (\d+)\."), lambda m: _("Longer than maximum length %(n)s.", n=m[1])),
    (re.compile(r"Longer than (\d+) characters\."), lambda m: _("Longer than %(n)s characters.", n=m[1])),
    (re.compile(r"Shorter than minimum length (\d+)\."), lambda m: _("Shorter than minimum length %(n)s.", n=m[1])),
    (re.compile(r"Length must be between (\d+) and (\d+)\."),
     lambda m: _("Length must be between %(min)s and %(max)s.", min=m[1], max=m[2])),
    (re.compile(r"Must be one of: (.*)\."), lambda m: _("Must be one of: %(choices)s.", choices=m[1])),
    (re.compile(r"Must be greater than or equal to (\S+) and less than or equal to (\S+)\."),
     lambda m: _("Must be between %(min)s and %(max)s.", min=m[1], max=m[2])),
    (re.compile(r"Must be greater than or equal to (\S+)\."), lambda m: _("Must be at least %(min)s.", min=m[1])),
    (re.compile(r"Give a date between (\S+) and today\."), lambda m: _("Give a date between %(start)s and today.", start=m[1])),
    (re.compile(r"Give a time between (\d+) and (\d+)\."),
     lambda m: _("Give a time between %(start)s and %(end)s.", start=m[1], end=m[2])),
    (re.compile(r"Use at most (\d+) decimal places\.", re.I), lambda m: _("Use at most %(n)s decimal places.", n=m[1])),
    (re.compile(r"Unknown channel; use one of: (.*)\."), lambda m: _("Unknown channel; use one of: %(choices)s.", choices=m[1])),
    (re.compile(r"unknown channel (.*)"), lambda m: _("Unknown channel %(name)s.", name=m[1])),
    (re.compile(r"invalid email (.*?): .*", re.S), lambda m: _("%(value)s is not a valid email address.", value=_v(m[1]))),
    (re.compile(r"invalid phone (.*?)(?: for region (\w+)|: .*)", re.S),
     lambda m: _("%(value)s is not a valid phone number.", value=_v(m[1]))),
    # Reasons of rejected import rows (core/importing): English in the report and the rejects CSV,
    # shown in the reader's language; the library's own wording (email-validator) is left out.
    (re.compile(r"(\w+) is longer than (\d+) characters"),
     lambda m: _("%(field)s is longer than %(n)s characters.", field=m[1], n=m[2])),
    (re.compile(r"the row has (\d+) fields but the header has (\d+)"),
     lambda m: _("The row has %(fields)s fields but the header has %(header)s.", fields=m[1], header=m[2])),
    (re.compile(r"more than (\d+) emails or phones"), lambda m: _("More than %(n)s emails or phones.", n=m[1])),
    (re.compile(r"more than (\d+) tags"), lambda m: _("More than %(n)s tags.", n=m[1])),
    (re.compile(r"time zone (.*) is not an IANA time zone such as 'Asia/Tehran'", re.S),
     lambda m: _("Time zone %(value)s is not an IANA time zone such as Asia/Tehran.", value=_v(m[1]))),
    (re.compile(r"language (.*) is not a language code such as 'fa' or 'en'", re.S),
     lambda m: _("Language %(value)s is not a language code such as fa or en.", value=_v(m[1]))),
    (re.compile(r"birthday (.*) is not a date: use YYYY-MM-DD \(or Jalali YYYY/MM/DD\)", re.S),
     lambda m: _("Birthday %(value)s is not a date: use YYYY/MM/DD (Jalali) or YYYY-MM-DD.", value=_v(m[1]))),
    (re.compile(r"birthday (.*) is not a valid date", re.S),
     lambda m: _("Birthday %(value)s is not a valid date.", value=_v(m[1]))),
    (re.compile(r"birthday (.*) is out of range", re.S),
     lambda m: _("Birthday %(value)s is out of range.", value=_v(m[1]))),
    (re.compile(r"kind (.*) is not person or organization", re.S),
     lambda m: _("Kind %(value)s is not person or organisation.", value=_v(m[1]))),
    (re.compile(r"lifecycle stage (.*) is not one of (.*)", re.S),
     lambda m: _("Lifecycle stage %(value)s is not one of %(choices)s.", value=_v(m[1]), choices=m[2])),
    (re.compile(r"(\w+): (.*) is not a whole number", re.S),
     lambda m: _("%(field)s: %(value)s is not a whole number.", field=m[1], value=_v(m[2]))),
    (re.compile(r"(.*) is not yes or no", re.S), lambda m: _("%(value)s is not yes or no.", value=_v(m[1]))),
    # A file that cannot be read as CSV (core/importing/source.py): the upload page and a stopped import.
    (re.compile(r"(.+) is not a CSV text file but (.+): save it as CSV \(UTF-8\) and import that file", re.S),
     lambda m: _("%(name)s is not a CSV text file but %(kind)s: save it as CSV and import that file.",
                 name=_v(m[1]), kind=_(m[2]))),
    (re.compile(r"(.+) has no header row", re.S), lambda m: _("%(name)s has no header row.", name=_v(m[1]))),
    # An import stopped by the database (core/importer.py): the count is shown by the page itself.
    (re.compile(r"database error at line (\d+): (.*); [\d,]+ customers were imported before it", re.S),
     lambda m: _("Database error at line %(line)s: %(detail)s", line=m[1], detail=_v(m[2]))),
    (re.compile(r"database error: (.*); [\d,]+ customers were imported before it", re.S),
     lambda m: _("Database error: %(detail)s", detail=_v(m[1]))),
)


def _v(value: str) -> str:
    """A value quoted in a message (the user's input), isolated so mixed scripts keep their order."""
    return isolate(value)


def translate_error(message: str) -> str:
    """A validation message in the request's language (with Persian digits in `fa`)."""
    for pattern, build in _PATTERNS:
        match = pattern.fullmatch(message)
        if match:
            return localize_digits(build(match))
    return localize_digits(_(message))


def init_messages(app: Flask) -> None:
    """Install the `error_text` template filter (`translate_error`) on `app`."""
    app.jinja_env.filters["error_text"] = translate_error
