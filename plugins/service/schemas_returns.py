"""Marshmallow schemas of the returns and complaints API (`api/returns.py`, `api/complaints.py`)."""

from __future__ import annotations

import decimal

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from payvand.plugins.service.services.returns import ACTIONS, MAX_ITEMS

_SOURCE = validate.Regexp(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*:[A-Za-z0-9_.-]{1,64}$",
                          error="A source is <plugin>.<kind>:<id>, e.g. sales.order_line:12.")


class ReturnItemIn(Schema):
    """An item sent back: a purchased line picked from `returnable` (`source`) or free text (`label`)."""

    class Meta:
        unknown = EXCLUDE

    source = fields.String(validate=[validate.Length(max=120), _SOURCE], load_default=None, allow_none=True)
    label = fields.String(validate=validate.Length(max=300), load_default=None, allow_none=True)
    quantity = fields.Decimal(required=True, as_string=True, allow_nan=False,
                              validate=validate.Range(min=decimal.Decimal("0.001"), max=decimal.Decimal(1_000_000)))

    @validates_schema
    def _one_of(self, data: dict, **_: object) -> None:
        if not data.get("source") and not (data.get("label") or "").strip():
            raise ValidationError("Give a source (a purchased line) or a label (free text).", "source")


class ReturnIn(Schema):
    """Open the return of a ticket."""

    class Meta:
        unknown = EXCLUDE

    reason = fields.String(load_default="", validate=validate.Length(max=5000))
    items = fields.List(fields.Nested(ReturnItemIn), required=True, validate=validate.Length(min=1, max=MAX_ITEMS))


class ReturnActionIn(Schema):
    """A move of a return; `note` is kept with an approval or rejection."""

    class Meta:
        unknown = EXCLUDE

    action = fields.String(required=True, validate=validate.OneOf(tuple(ACTIONS)))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class ReturnItemOut(Schema):
    """An item of a return."""

    id = fields.Integer(required=True)
    source = fields.String(allow_none=True)
    document = fields.String(allow_none=True)
    label = fields.String(required=True)
    quantity = fields.Decimal(as_string=True, required=True)
    amount = fields.Decimal(as_string=True, allow_none=True)


class ReturnOut(Schema):
    """A return: its state, the amount a refund pays back and its items."""

    id = fields.Integer(required=True)
    ticket_id = fields.Integer(required=True)
    customer_id = fields.Integer(required=True)
    status = fields.String(required=True, metadata={"description": "requested, approved, rejected, received, "
                                                                   "refunded or replaced"})
    reason = fields.String(required=True)
    decision_note = fields.String(allow_none=True)
    total = fields.Decimal(as_string=True, required=True)
    currency = fields.String(allow_none=True)
    created_at = fields.DateTime(required=True)
    status_changed_at = fields.DateTime(allow_none=True)
    items = fields.List(fields.Nested(ReturnItemOut))


class ReturnableOut(Schema):
    """A purchased line the customer may send back (from the selling plugin)."""

    source = fields.String(required=True)
    document = fields.String(required=True)
    label = fields.String(required=True)
    quantity = fields.Decimal(as_string=True, required=True)
    remaining = fields.Decimal(as_string=True, required=True, metadata={"description": "not yet claimed by a return"})
    amount = fields.Decimal(as_string=True, required=True, metadata={"description": "the line's total"})
    currency = fields.String(required=True)
    occurred_at = fields.DateTime(allow_none=True)


class CauseIn(Schema):
    """A new root cause of complaints."""

    class Meta:
        unknown = EXCLUDE

    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    description = fields.String(load_default="", validate=validate.Length(max=500))


class CauseEdit(CauseIn):
    """A root cause changed: its name, description and whether new complaints may be filed under it."""

    active = fields.Boolean(load_default=True)


class CauseOut(Schema):
    """A root cause of complaints."""

    id = fields.Integer(required=True)
    name = fields.String(required=True)
    description = fields.String(required=True)
    active = fields.Boolean(required=True)


class ComplaintIn(Schema):
    """File a ticket as a complaint under a root cause (null: none yet)."""

    class Meta:
        unknown = EXCLUDE

    cause_id = fields.Integer(required=True, allow_none=True, strict=True,
                              validate=validate.Range(min=1, max=2**63 - 1))


class ComplaintOut(Schema):
    """A complaint ticket's root cause."""

    ticket_id = fields.Integer(required=True)
    cause_id = fields.Integer(allow_none=True)
    set_at = fields.DateTime(required=True)


class ComplaintReportArgs(Schema):
    """The complaints report's period."""

    class Meta:
        unknown = EXCLUDE

    days = fields.Integer(load_default=90, validate=validate.Range(min=1, max=3660))
    period = fields.String(load_default="month", validate=validate.OneOf(("day", "week", "month")))


class _PeriodRow(Schema):
    period = fields.String(required=True)
    complaints = fields.Integer(required=True)


class _OverallRow(Schema):
    complaints = fields.Integer(required=True)
    resolved = fields.Integer(required=True)
    open = fields.Integer(required=True)
    mean_hours = fields.Float(allow_none=True)
    median_hours = fields.Float(allow_none=True)


class _CauseRow(Schema):
    cause = fields.String(allow_none=True)
    complaints = fields.Integer(required=True)
    resolved = fields.Integer(required=True)
    open = fields.Integer(required=True)
    mean_hours = fields.Float(allow_none=True)
    median_hours = fields.Float(allow_none=True)


class ComplaintReportOut(Schema):
    """Complaints per period, per root cause, and overall, with the hours to resolve."""

    periods = fields.List(fields.Nested(_PeriodRow))
    causes = fields.List(fields.Nested(_CauseRow))
    overall = fields.Nested(_OverallRow)
