"""Marshmallow schemas of NPS sends: one description for the API and the staff page."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

CAMPAIGN = [validate.Length(min=1, max=64), validate.Regexp(r"^[A-Za-z0-9_.:-]+$",
                                                            error="Letters, digits and _ . : - only.")]


class NpsSendIn(Schema):
    """A send of a campaign's survey: to the customers matching `filters` (the customer list's
    filters, as `GET /api/v1/customers` takes them: `stage`, `tag`, `owner_id`, `consent`, `q`,
    ...) or to `customer_ids`. `dry_run` only counts them."""

    campaign = fields.String(required=True, validate=CAMPAIGN)
    channel = fields.String(load_default="email", validate=[validate.Length(min=1, max=32),
                                                            validate.Regexp(r"^[a-z0-9_.-]+$")])
    filters = fields.Dict(keys=fields.String(), values=fields.Raw(), load_default=dict)
    customer_ids = fields.List(fields.Integer(validate=validate.Range(min=1, max=2**62)), load_default=list,
                               validate=validate.Length(max=5000))
    dry_run = fields.Boolean(load_default=False)

    @validates_schema(skip_on_field_errors=False)
    def _filters_are_the_customer_lists(self, data: dict[str, Any], **_kwargs: Any) -> None:
        from payvand.plugins.service.services.nps import filter_errors

        if data.get("filters") and data.get("customer_ids"):
            raise ValidationError("Give filters or customer ids, not both.", "customer_ids")
        errors = filter_errors(data.get("filters") or {})
        if errors:
            raise ValidationError({"filters": errors})


class NpsSendOut(Schema):
    """A send request: how many customers it matched when asked, and the counts once sent."""

    id = fields.Integer(allow_none=True)
    campaign = fields.String()
    channel = fields.String()
    filters = fields.Dict()
    customer_ids = fields.List(fields.Integer())
    matching = fields.Integer()
    sent = fields.Integer(allow_none=True)
    refused = fields.Integer(allow_none=True)
    skipped = fields.Integer(allow_none=True)
    requested_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)
