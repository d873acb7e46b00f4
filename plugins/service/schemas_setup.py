"""Marshmallow schemas of the macros API and of the settings pages' forms.

The form schemas are the API's schemas with numbers read from text (a form sends "3", the
API's `strict` integers refuse it) and checkboxes false when absent; everything else is
validated exactly as the API validates it.
"""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from payvand.plugins.service.models import PRIORITIES, STATUSES
from payvand.plugins.service.schemas import ContractIO, PolicyIO, RuleIO

_LANGUAGE = validate.OneOf(["fa", "en"])


class MacroIO(Schema):
    """A macro: its text with placeholders and the changes it makes; no team: offered on every ticket."""

    class Meta:
        unknown = EXCLUDE

    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    team_id = fields.Integer(allow_none=True, strict=True)
    language = fields.String(allow_none=True, validate=_LANGUAGE)
    body = fields.String(required=True, validate=validate.Length(min=1, max=20_000),
                         metadata={"description": "Placeholders: {customer_name}, {ticket_number}, {ticket_subject}, "
                                                  "{agent_name}, {today}, {ticket_date}"})
    set_status = fields.String(allow_none=True, validate=validate.OneOf(STATUSES))
    set_priority = fields.String(allow_none=True, validate=validate.OneOf(PRIORITIES))
    add_tags = fields.List(fields.String(validate=validate.Length(min=1, max=60)), load_default=list)


class MacroApplyIn(Schema):
    """Apply a macro to a ticket."""

    ticket_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=2**63 - 1))


class MacroApplied(Schema):
    """The text to insert into the reply, and the ticket's state after the macro's changes."""

    text = fields.String(required=True)
    ticket_id = fields.Integer(required=True)
    status = fields.String(required=True)
    priority = fields.String(required=True)
    tags = fields.List(fields.String())
    version = fields.Integer(required=True)


def _loose(name: str, base: type[Schema], **overrides: fields.Field) -> type[Schema]:
    """`base` with its integer fields not strict (form text) and the given fields replaced."""
    loose: dict[str, fields.Field] = {}
    for key, field in base._declared_fields.items():
        if isinstance(field, fields.Integer) and not field.dump_only:
            loose[key] = fields.Integer(required=field.required, allow_none=field.allow_none,
                                        validate=field.validators, load_default=field.load_default)
    loose.update(overrides)
    return type(name, (base,), loose)


class TeamForm(Schema):
    """The team form: members are the ticked users."""

    class Meta:
        unknown = EXCLUDE

    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    languages = fields.List(fields.String(validate=validate.OneOf(["fa", "en"])), load_default=list)
    skills = fields.List(fields.String(validate=validate.Length(min=1, max=60)), load_default=list)
    strategy = fields.String(load_default="round_robin", validate=validate.OneOf(["round_robin", "least_open"]))
    calendar_id = fields.Integer(allow_none=True, load_default=None)
    member_ids = fields.List(fields.Integer(validate=validate.Range(min=1, max=2**63 - 1)), load_default=list)


class CalendarForm(Schema):
    """The calendar form: one text per weekday ("08:00-12:00, 13:00-16:00") and one holiday per line."""

    class Meta:
        unknown = EXCLUDE

    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    timezone = fields.String(load_default="Asia/Tehran", validate=validate.Length(min=1, max=64))
    is_default = fields.Boolean(load_default=False)
    lunar_holidays = fields.Boolean(load_default=False)
    holidays = fields.List(fields.String(validate=validate.Length(max=200)), load_default=list)
    day_1 = fields.String(load_default="")
    day_2 = fields.String(load_default="")
    day_3 = fields.String(load_default="")
    day_4 = fields.String(load_default="")
    day_5 = fields.String(load_default="")
    day_6 = fields.String(load_default="")
    day_7 = fields.String(load_default="")


RuleForm = _loose("RuleForm", RuleIO, assign_agent=fields.Boolean(load_default=False))
PolicyForm = _loose("PolicyForm", PolicyIO)
ContractForm = _loose("ContractForm", ContractIO)
MacroForm = _loose("MacroForm", MacroIO)


class HolidayYearForm(Schema):
    """One Jalali year's lunar holidays: one per line, `MM-DD, name` (or `YYYY-MM-DD, name`)."""

    class Meta:
        unknown = EXCLUDE

    year = fields.Integer(required=True, validate=validate.Range(min=1300, max=1500))
    holidays = fields.List(fields.String(validate=validate.Length(max=200)), load_default=list)


class HolidayIn(Schema):
    """A lunar holiday of the year: a Jalali date (`1405-04-03`, or `04-03` read in the year) and a name."""

    date = fields.String(required=True, validate=validate.Length(min=3, max=10))
    name = fields.String(load_default="", validate=validate.Length(max=120))


class HolidayYearIO(Schema):
    """One Jalali year's lunar holidays; `edited` when an administrator's list replaces the shipped one."""

    class Meta:
        unknown = EXCLUDE

    year = fields.Integer(dump_only=True)
    holidays = fields.List(fields.Nested(HolidayIn), required=True)
    edited = fields.Boolean(dump_only=True)
    recomputed = fields.Integer(dump_only=True, metadata={"description": "Tickets whose due times were recomputed"})
