"""The supported range of business dates, and the marshmallow fields that enforce it.

Business dates are what people type: a deal's expected close, a quote's validity, an invoice's
due date, a payment's time, an activity's due time, a birthday, when an interaction happened.
They must lie between `MIN_BUSINESS_DATE` and `MAX_BUSINESS_DATE` (1900-01-01 … 2199-12-31,
Jalali 1278 … 1578); anything else is refused with 422 by the API and with a field message by
the staff forms, before any arithmetic can overflow. For a time with an offset the date *as
written* is checked (`2199-12-31T23:00:00-12:00` is in range), so converting it to UTC or to any
time zone stays far from the year-1/9999 edges of Python and the databases.

The range is defined here once; `BusinessDate` and `BusinessDateTime` (exported by the SDK) carry
it into every schema and into the OpenAPI document (description, ``x-minimum``/``x-maximum``),
and `check_business_date` serves hand-written form parsing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from marshmallow import ValidationError, fields

from payvand.core.normalize import to_latin_digits

__all__ = [
    "MAX_BUSINESS_DATE",
    "MIN_BUSINESS_DATE",
    "BusinessDate",
    "BusinessDateTime",
    "RANGE_MESSAGE",
    "business_date",
    "check_business_date",
    "in_business_range",
    "range_message",
]

MIN_BUSINESS_DATE = dt.date(1900, 1, 1)
MAX_BUSINESS_DATE = dt.date(2199, 12, 31)
_UTC = dt.UTC


def in_business_range(value: dt.date | dt.datetime) -> bool:
    """True when the date (of a datetime: its date as written, in its own offset) is in range."""
    day = value.date() if isinstance(value, dt.datetime) else value
    return MIN_BUSINESS_DATE <= day <= MAX_BUSINESS_DATE


#: The (English) message of an out-of-range date; the staff UI shows it translated.
RANGE_MESSAGE = "Give a date between 1900-01-01 and 2199-12-31."


def range_message() -> str:
    """The (English) message of an out-of-range date; forms translate it with gettext."""
    return RANGE_MESSAGE


def business_date(value: dt.date | dt.datetime) -> None:
    """marshmallow validator: ValidationError unless `value` is a business date (or datetime)."""
    if not in_business_range(value):
        raise ValidationError(RANGE_MESSAGE)


def check_business_date(value: dt.date | dt.datetime) -> dt.date | dt.datetime:
    """Return `value` when it is a business date; ValueError (with `range_message`) otherwise."""
    if not in_business_range(value):
        raise ValueError(range_message())
    return value


def _range_metadata(kind: str, metadata: dict[str, Any] | None) -> dict[str, Any]:
    """OpenAPI details of a business date field (valid OpenAPI 3.1: description and x- keywords)."""
    low, high = MIN_BUSINESS_DATE.isoformat(), MAX_BUSINESS_DATE.isoformat()
    if kind == "date":
        text, alone = f"From {low} to {high}.", f"A date (YYYY-MM-DD) from {low} to {high}."
        extra: dict[str, Any] = {"x-minimum": low, "x-maximum": high, "examples": ["2026-12-20"]}
    else:
        text = f"Its date, as written, is from {low} to {high}."
        alone = f"An ISO 8601 time with its offset (Z or +03:30); its date, as written, is from {low} to {high}."
        extra = {"x-minimum": f"{low}T00:00:00", "x-maximum": f"{high}T23:59:59.999999",
                 "examples": ["2026-12-01T10:30:00+03:30"]}
    given = dict(metadata or {})
    given["description"] = f"{given['description'].rstrip('.')}. {text}" if given.get("description") else alone
    return {**extra, **given}


class BusinessDate(fields.Date):
    """An ISO date (YYYY-MM-DD) within the business-date range (422 outside it)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["metadata"] = _range_metadata("date", kwargs.get("metadata"))
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dt.date:
        if isinstance(value, str) and not value.isascii():
            value = to_latin_digits(value)
        day = super()._deserialize(value, attr, data, **kwargs)
        if not in_business_range(day):
            raise ValidationError(range_message())
        return day


class BusinessDateTime(fields.AwareDateTime):
    """An ISO 8601 time with an offset whose date, as written, is in the business-date range.

    Checked before the value is converted anywhere: `9999-12-31T23:59:59-12:00` or
    `0001-01-01T00:00:00+14:00` are refused with 422 instead of overflowing. The loaded value
    is the same moment in UTC. `default_timezone` (e.g. UTC) makes a time without an offset
    acceptable, read in that zone; without it such a time is refused.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs["metadata"] = _range_metadata("datetime", kwargs.get("metadata"))
        kwargs.setdefault("format", "iso")
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dt.datetime:
        moment = super()._deserialize(value, attr, data, **kwargs)
        if not in_business_range(moment):
            raise ValidationError(range_message())
        return moment.astimezone(_UTC)
