"""HTML forms validated by the same marshmallow schemas as the API, with field-level errors.

`parse_form(schema)` reads `request.form`, turns Persian and Arabic-Indic digits into Latin
ones in the number fields (every field of the schema that is not text: numbers, ids, amounts,
dates, booleans), keeps text fields as typed (a summary "سفارش ۱۲" stays so), drops empty
optional values, loads the result with `schema` and returns a `FormResult` the templates
render (values to refill the inputs, messages next to each field).

Every number a staff form asks for (the schema's `fields.Number` fields and any field whose
metadata says it is a number: `number=True`, or an OpenAPI `type` of "integer"/"number", as the
sales plugin's `Amount`) is read by ONE rule, `read_number` (`locale_format.parse_number`):
Latin, Persian or Arabic-Indic digits, the decimal mark ٫ or ".", and the grouping separators
"," "٬" "،" only between groups of three digits ("۱٬۲۵۰" and "1,250" are 1250). Anything else —
"1,5", "1,2,3", "12,50" (a comma that could be a decimal mark) — is refused with
`NUMBER_MESSAGE`, translated, next to the field. Pages that read a number outside a schema
(the quote lines, price lists, lead conversion) call `read_number` too.
"""

from __future__ import annotations

import dataclasses
import decimal
from collections.abc import Iterable, Mapping
from typing import Any

from flask import request
from flask_babel import lazy_gettext
from marshmallow import Schema, ValidationError, fields

from payvand.core.locale_format import parse_number
from payvand.core.normalize import to_latin_digits

#: The message next to a number field whose text is not a number by `read_number`'s rule.
NUMBER_MESSAGE = lazy_gettext(
    "Enter a number such as 1250000, ۱٬۲۵۰٬۰۰۰ or 12٫5 (separators only between groups of three digits).")


def read_number(text: str) -> decimal.Decimal:
    """A number typed in a staff form, by the one rule every form uses (see the module's doc).

    Raises ValueError carrying the translated `NUMBER_MESSAGE` when `text` is empty or not a
    number, or is ambiguous ("1,5": a decimal comma or a misplaced separator?).
    """
    try:
        return parse_number(text)
    except (TypeError, ValueError):
        raise ValueError(str(NUMBER_MESSAGE)) from None


@dataclasses.dataclass
class FormResult:
    """What a submitted form gave: `data` when valid, else `errors` by field; `values` refill the form."""

    values: dict[str, Any]
    data: dict[str, Any] = dataclasses.field(default_factory=dict)
    errors: dict[str, list[str]] = dataclasses.field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when the form validated."""
        return not self.errors

    @classmethod
    def empty(cls, values: Mapping[str, Any] | None = None) -> FormResult:
        """A form shown for the first time, pre-filled with `values`."""
        return cls(values=dict(values or {}))

    def value(self, name: str, default: Any = "") -> Any:
        """The value to show in the input `name`."""
        found = self.values.get(name)
        return default if found is None else found

    def error(self, name: str) -> list[str]:
        """The messages for field `name`."""
        return self.errors.get(name, [])


def flatten_errors(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested messages as `{"field": [...], "emails": [...]}` (list positions folded)."""
    flat: dict[str, list[str]] = {}
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            name = prefix if isinstance(key, int) else (f"{prefix}.{key}" if prefix else str(key))
            for field, texts in flatten_errors(value, name or "_schema").items():
                flat.setdefault(field, []).extend(t for t in texts if t not in flat.get(field, []))
    elif isinstance(messages, (list, tuple)):
        for item in messages:
            if isinstance(item, (Mapping, list, tuple)):
                for field, texts in flatten_errors(item, prefix).items():
                    flat.setdefault(field, []).extend(texts)
            else:
                flat.setdefault(prefix or "_schema", []).append(str(item))
    else:
        flat.setdefault(prefix or "_schema", []).append(str(messages))
    return flat


def _is_text(field: fields.Field) -> bool:
    if isinstance(field, fields.List):
        return _is_text(field.inner)
    return isinstance(field, fields.String) and not field.metadata.get("latin_digits")


def _is_number(field: fields.Field) -> bool:
    if isinstance(field, fields.List):
        return _is_number(field.inner)
    kinds = field.metadata.get("type")
    kinds = set(kinds) if isinstance(kinds, (list, tuple)) else {kinds}
    return isinstance(field, fields.Number) or field.metadata.get("number") is True \
        or bool(kinds & {"integer", "number"})


def numeric_fields(schema: Schema) -> set[str]:
    """The form names of `schema`'s number fields (ids, amounts, counts, minutes), read with
    `read_number`: `fields.Number` fields, and fields whose metadata has `number=True` or an
    OpenAPI `type` of "integer" or "number" (alone or in a list)."""
    return {field.data_key or name for name, field in schema.fields.items() if _is_number(field)}


def read_numbers(values: dict[str, Any], names: Iterable[str]) -> dict[str, list[str]]:
    """Rewrite the fields `names` of `values` (text or lists of text) as plain Latin numbers
    ("۱٬۲۵۰" → "1250") by `read_number`; the fields that are not numbers keep their text and get
    `NUMBER_MESSAGE` in the returned errors."""
    errors: dict[str, list[str]] = {}
    for name in names:
        value = values.get(name)
        if value is None or value == "" or value == []:
            continue
        items = value if isinstance(value, list) else [value]
        read: list[Any] = []
        for item in items:
            try:
                read.append(str(read_number(item)) if isinstance(item, str) else item)
            except ValueError as exc:
                errors[name] = [str(exc)]
                read.append(item)
        values[name] = read if isinstance(value, list) else read[0]
    return errors


def number_fields(schema: Schema) -> set[str]:
    """The form names of `schema`'s fields whose digits are read as Latin: every field that is not
    text (a `fields.String`, unless its metadata says `latin_digits=True`)."""
    return {field.data_key or name for name, field in schema.fields.items() if not _is_text(field)}


def form_values(lists: Iterable[str] = (), keep_empty: Iterable[str] = (), verbatim: Iterable[str] = (),
                numbers: Iterable[str] = ()) -> dict[str, Any]:
    """`request.form` as a dict: stripped text, `lists` as lists of non-empty lines.

    Fields named in `numbers` get Latin digits (Persian ۰-۹ and Arabic-Indic ٠-٩ accepted);
    every other field keeps its digits as typed. A list field may come as several inputs of
    one name or as one textarea, one item per line. Empty values are dropped unless named in
    `keep_empty` (to clear a field on edit); fields in `verbatim` (passwords) are passed
    exactly as typed.
    """
    list_names = set(lists)
    keep = set(keep_empty)
    exact = set(verbatim)
    latin = set(numbers)
    values: dict[str, Any] = {}
    for name in request.form:
        if name == "csrf_token":
            continue
        if name in exact:
            values[name] = request.form.get(name, "")
            continue
        if name in list_names:
            items: list[str] = []
            for raw in request.form.getlist(name):
                items.extend(line.strip() for line in raw.splitlines())
            values[name] = [to_latin_digits(item) if name in latin else item for item in items if item]
            continue
        text = request.form.get(name, "").strip()
        if name in latin:
            text = to_latin_digits(text)
        if text or name in keep:
            values[name] = text if text else None
    for name in list_names:
        values.setdefault(name, [])
    return values


def validate(schema: Schema, values: dict[str, Any]) -> FormResult:
    """Load `values` with `schema` into a FormResult."""
    try:
        return FormResult(values=values, data=schema.load(values))
    except ValidationError as exc:
        return FormResult(values=values, errors=flatten_errors(exc.messages))


def parse_form(schema: Schema, lists: Iterable[str] = (), keep_empty: Iterable[str] = (),
               verbatim: Iterable[str] = ()) -> FormResult:
    """Read and validate the submitted form with `schema` (see `form_values`); digits are read as
    Latin in the schema's non-text fields (`number_fields`), numbers by `read_number`
    (`numeric_fields`, "۱٬۲۵۰" is 1250), text fields are kept as typed."""
    values = form_values(lists, keep_empty, verbatim, numbers=number_fields(schema))
    not_numbers = read_numbers(values, numeric_fields(schema))
    result = validate(schema, values)
    for name, messages in not_numbers.items():
        result.errors[name] = messages  # the number rule's message, not the schema's "Not a valid…"
    return result
