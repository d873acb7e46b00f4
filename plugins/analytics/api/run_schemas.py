"""What every stored analytics run shows in the API: its id, when it ran, how many customers it
covered and in which currency; `PeriodRunOut` adds the period it read (RFM, costs, social)."""

from __future__ import annotations

from marshmallow import Schema, fields


class RunOut(Schema):
    id = fields.Integer(required=True)
    created_at = fields.DateTime(required=True)
    customers = fields.Integer(required=True)
    currency = fields.String(required=True)


class PeriodRunOut(RunOut):
    start = fields.String(required=True, metadata={"format": "date"})
    end = fields.String(required=True, metadata={"format": "date"})
