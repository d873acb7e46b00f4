"""HTML forms validated by the same marshmallow schemas as the API, with field-level errors.

`parse_form(schema)` reads `request.form`, turns Persian and Arabic-Indic digits into Latin
ones in the number fields (every field of the schema that is not text: numbers, ids, amounts,
dates, booleans), keeps text fields as typed (a summary "سفارش ۱۲" stays so), drops empty
optional values, loads the result with `schema` and returns a `FormResult` the templates
render (values to refill the inputs, messages next to each field).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

from flask import request
from marshmallow import Schema, ValidationError, fields

from payvand.core.normalize import to_latin_digits


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
    Latin in the schema's number fields (`number_fields`), text fields are kept as typed."""
    return validate(schema, form_values(lists, keep_empty, verbatim, numbers=number_fields(schema)))
