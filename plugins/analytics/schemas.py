"""The analytics plugin's marshmallow schemas shared by pages and the API: the KPI dashboard's
period arguments and its layout form."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from payvand.plugins.analytics.services import dashboard, periods
from payvand.sdk import current_locale, lazy_gettext, parse_date

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
