"""Field types shared by the sales schemas (`schemas.py`, the documents' schemas): exact amounts,
ids, strict booleans, business dates and times (the SDK's, re-exported: 1900-01-01 … 2199-12-31).

Outside the `api` package (whose `__init__` imports every route module) so that the schemas,
the pages and the services can use them without loading the API."""

from __future__ import annotations

import decimal
import re
from typing import Any

from marshmallow import ValidationError, fields, validate

from payvand.plugins.sales.models import MAX_ID
from payvand.sdk import BusinessDate, BusinessDateTime, to_latin_digits
from payvand.sdk.documents import plain

__all__ = ["Amount", "BusinessDate", "BusinessDateTime", "MAX_ID", "StrictBoolean", "id_field", "strict_bool"]

_AMOUNT = re.compile(r"-?[0-9]{1,16}(\.[0-9]{1,4})?", re.ASCII)
#: What the OpenAPI document says an amount string may hold (the same, in any of the three digit sets).
_AMOUNT_DOC = r"^-?[0-9۰-۹٠-٩]{1,16}([.٫][0-9۰-۹٠-٩]{1,4})?$"


class Amount(fields.Field):
    """An exact amount: a decimal string (`"1250000.50"`, at most 4 decimals; Persian or Arabic-Indic
    digits accepted, `"۱۲۵۰۰۰۰٫۵"`) or a JSON integer.

    JSON numbers with a fraction are refused: parsers read them as binary floats, which cannot
    hold most decimal fractions exactly. Written out as a plain decimal string without trailing
    zeros ("12.5", "1250000"), the same on every database.
    """

    def __init__(self, *, minimum: decimal.Decimal | None = None, maximum: decimal.Decimal = decimal.Decimal("1e15"),
                 **kwargs: Any) -> None:
        self.minimum = minimum
        self.maximum = maximum
        meta: dict[str, Any] = {"type": ["string", "integer"], "pattern": _AMOUNT_DOC,
                "description": "An exact decimal: a string such as \"1250000.50\" (at most 4 decimals; "
                               "Persian or Arabic-Indic digits accepted) or an integer",
                "examples": ["1250000"]}
        if minimum is not None:
            meta["minimum"] = int(minimum) if minimum == minimum.to_integral() else float(minimum)
        meta["maximum"] = int(maximum)
        kwargs["metadata"] = {**meta, **kwargs.get("metadata", {})}
        super().__init__(**kwargs)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else plain(value)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> decimal.Decimal:
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise ValidationError("Give an exact amount as a decimal string, e.g. \"12.50\", or an integer.")
        if isinstance(value, str):
            value = to_latin_digits(value).replace("٫", ".")  # Persian or Arabic-Indic digits, the Persian decimal mark
        if isinstance(value, str) and not _AMOUNT.fullmatch(value):
            raise ValidationError("Use digits with at most 4 decimals, e.g. \"12.50\".")
        amount = decimal.Decimal(value)
        if amount > self.maximum or (self.minimum is not None and amount < self.minimum):
            lowest = self.minimum if self.minimum is not None else "-"
            raise ValidationError(f"Give an amount between {lowest} and {self.maximum:f}.")
        if isinstance(value, int) and amount < -self.maximum:
            raise ValidationError("The amount is too small.")
        return amount


def id_field(*, strict: bool = True, **kwargs: Any) -> fields.Integer:
    """A database id (1 … 2^63 − 1); `strict=False` for query parameters (text)."""
    return fields.Integer(strict=strict, validate=validate.Range(min=1, max=MAX_ID), **kwargs)


class StrictBoolean(fields.Boolean):
    """A JSON boolean: true or false only (not 0/1 or strings)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


def strict_bool(**kwargs: Any) -> fields.Boolean:
    """A JSON boolean field (true/false only)."""
    return StrictBoolean(**kwargs)
