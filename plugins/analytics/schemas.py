"""The analytics plugin's marshmallow schemas for what it accepts: marketing costs (page, CSV
import and API validate the same way), the filters of its ranked lists, and the KPI dashboard's
period arguments and layout form."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, pre_load, validate, validates_schema

from payvand.plugins.analytics.services import dashboard, periods
from payvand.sdk import current_locale, lazy_gettext, parse_date, to_latin_digits

#: What a cost was spent for.
PURPOSES = ("acquisition", "retention")
#: The largest amount accepted (the column keeps 16 digits before the point).
MAX_AMOUNT = 9_999_999_999_999_999
#: The days a cost or a period may name (business dates, not far-off calendar corners).
FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(2199, 12, 31)


def business_day(value: dt.date) -> None:
    """Refuse a day outside 1900-2199."""
    if not FIRST_DAY <= value <= LAST_DAY:
        raise ValidationError("Give a date between 1900 and 2199.")


def positive_amount(value: Decimal) -> None:
    """Refuse an amount that is not above 0 and below 10^16 (checked here rather than by
    `validate.Range`, whose decimal bounds the OpenAPI document would print as strings)."""
    if not 0 < value <= MAX_AMOUNT:
        raise ValidationError("Give an amount above 0 and below 10,000,000,000,000,000.")


class CostIn(Schema):
    """A marketing cost: a campaign's or a channel's spend over a period (the last day included)."""

    class Meta:
        unknown = RAISE

    period_start = fields.Date(required=True, validate=business_day,
                               metadata={"description": "First day the cost covers (YYYY-MM-DD)"})
    period_end = fields.Date(required=True, validate=business_day,
                             metadata={"description": "Last day the cost covers, included"})
    purpose = fields.String(required=True, validate=validate.OneOf(PURPOSES),
                            metadata={"description": "acquisition (new customers) or retention (keeping them)"})
    channel = fields.String(load_default="", validate=validate.Length(max=64),
                            metadata={"description": "The channel spent on, e.g. email, search, instagram"})
    campaign = fields.String(load_default="", validate=validate.Length(max=120))
    amount = fields.Decimal(required=True, places=None, as_string=False, validate=positive_amount,
                            metadata={"description": "More than 0 and below 10^16, at most four decimal places"})
    currency = fields.String(required=True, validate=validate.Regexp(r"^[A-Z]{3}$", error="Use a currency code such as IRR."))
    note = fields.String(load_default="", validate=validate.Length(max=500))

    @pre_load
    def _clean(self, data: Any, **_: Any) -> Any:
        if not isinstance(data, dict):
            return data
        cleaned = dict(data)
        for key in ("period_start", "period_end", "amount"):
            if isinstance(cleaned.get(key), str):
                cleaned[key] = to_latin_digits(cleaned[key]).strip().replace(",", "").replace("٬", "")
        for key in ("channel", "campaign", "note"):
            if isinstance(cleaned.get(key), str):
                cleaned[key] = cleaned[key].strip()
        if isinstance(cleaned.get("channel"), str):
            cleaned["channel"] = cleaned["channel"].lower()
        if isinstance(cleaned.get("currency"), str):
            cleaned["currency"] = cleaned["currency"].strip().upper()
        if isinstance(cleaned.get("purpose"), str):
            cleaned["purpose"] = cleaned["purpose"].strip().lower()
        return cleaned

    @validates_schema
    def _period(self, data: dict[str, Any], **_: Any) -> None:
        start, end = data.get("period_start"), data.get("period_end")
        if isinstance(start, dt.date) and isinstance(end, dt.date):
            if end < start:
                raise ValidationError({"period_end": ["The period must not end before it starts."]})
            if (end - start).days > 366 * 5:
                raise ValidationError({"period_end": ["A period of at most five years."]})
        amount = data.get("amount")
        if isinstance(amount, Decimal) and amount.as_tuple().exponent < -4:  # type: ignore[operator]
            raise ValidationError({"amount": ["At most four decimal places."]})


class CostOut(Schema):
    """A recorded marketing cost."""

    id = fields.Integer(required=True)
    period_start = fields.Date(required=True)
    period_end = fields.Date(required=True)
    purpose = fields.String(required=True, metadata={"enum": list(PURPOSES)})
    channel = fields.String(required=True)
    campaign = fields.String(required=True)
    amount = fields.Function(lambda cost: format(Decimal(cost.amount).normalize(), "f"), required=True,
                             metadata={"type": "string", "format": "decimal",
                                       "description": "The exact amount, e.g. \"1200.5\""})
    currency = fields.String(required=True)
    note = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)

#: The longest custom period (days): ten years.
MAX_DAYS = 3660


class DashboardArgs(Schema):
    """`period` (a preset or `custom` with `start` and `end`) and `comparison`.

    Dates are `YYYY-MM-DD`; on Persian pages (or `Accept-Language: fa`) Jalali `YYYY/MM/DD` too.
    """

    period = fields.String(load_default=None, validate=validate.OneOf(periods.PRESETS),
                           metadata={"description": "this_month, last_month, this_quarter, last_quarter, this_year, "
                                                    "last_year or custom (then start and end)"})
    comparison = fields.String(load_default=None, validate=validate.OneOf(periods.COMPARISONS),
                               metadata={"description": "previous (period), last_year (same days a year earlier) "
                                                        "or none"})
    start = fields.String(load_default=None, validate=validate.Length(max=20),
                          metadata={"description": "First day of a custom period"})
    end = fields.String(load_default=None, validate=validate.Length(max=20),
                        metadata={"description": "Last day of a custom period"})

    @validates_schema
    def _custom_dates(self, data: dict[str, Any], **_: Any) -> None:
        errors: dict[str, list[str]] = {}
        days = {}
        for name in ("start", "end"):
            text = data.get(name)
            if text:
                try:
                    days[name] = parse_date(text, current_locale())
                except ValueError:
                    errors[name] = [str(lazy_gettext("Not a valid date."))]
        if data.get("period") == "custom":
            for name in ("start", "end"):
                if not data.get(name) and name not in errors:
                    errors[name] = [str(lazy_gettext("Required for a custom period."))]
            if not errors and days["start"] > days["end"]:
                errors["end"] = [str(lazy_gettext("The end must not come before the start."))]
            elif not errors and (days["end"] - days["start"]).days >= MAX_DAYS:
                errors["end"] = [str(lazy_gettext("A period can be at most ten years long."))]
        if errors:
            raise ValidationError(errors)
        data["start_day"], data["end_day"] = days.get("start"), days.get("end")


class LayoutForm(Schema):
    """The dashboard's layout form: each widget's position and whether it is hidden, the default
    period and comparison, the scheduled mail, and whose layout it is."""

    keys = fields.List(fields.String(validate=validate.Length(min=1, max=120)), load_default=list)
    positions = fields.List(fields.Integer(validate=validate.Range(min=1, max=999)), load_default=list)
    hidden = fields.List(fields.String(validate=validate.Length(max=120)), load_default=list)
    period = fields.String(required=True, validate=validate.OneOf([p for p in periods.PRESETS if p != "custom"]))
    comparison = fields.String(required=True, validate=validate.OneOf(periods.COMPARISONS))
    mail_frequency = fields.String(load_default="none", validate=validate.OneOf(dashboard.FREQUENCIES))
    scope = fields.String(load_default="personal", validate=validate.OneOf(["personal", "shared"]))

    @validates_schema
    def _aligned(self, data: dict[str, Any], **_: Any) -> None:
        if len(data.get("positions", [])) != len(data.get("keys", [])):
            raise ValidationError({"positions": [str(lazy_gettext("Give every widget a position."))]})
