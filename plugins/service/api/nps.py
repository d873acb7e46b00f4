"""`/api/v1/service/nps/invitations`: send the NPS survey of a campaign to a list of customers now;
`/api/v1/service/nps/sends`: send it in the background to a segment chosen by the customer list's
filters (or a list), with a dry run that counts the customers.

Needs `service.nps.send`. Each customer is invited once per campaign; those without marketing
consent for the channel (or without an address on it) are refused by the messaging core and
counted as `refused`; those already invited as `skipped`.
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from payvand.plugins.service import permissions as perm
from payvand.plugins.service.api import blp
from payvand.plugins.service.schemas_nps import NpsSendIn, NpsSendOut
from payvand.plugins.service.services import nps
from payvand.sdk import current_actor, require, session


class NpsInviteIn(Schema):
    """Whom to survey, in which campaign, on which channel."""

    campaign = fields.String(required=True, validate=[validate.Length(min=1, max=64),
                                                      validate.Regexp(r"^[A-Za-z0-9_.:-]+$")])
    customer_ids = fields.List(fields.Integer(validate=validate.Range(min=1)), required=True,
                               validate=validate.Length(min=1, max=5000))
    channel = fields.String(load_default="email", validate=validate.Length(min=1, max=32))


class NpsInviteOut(Schema):
    """How many were sent, refused (no consent, no address) and skipped (already invited)."""

    sent = fields.Integer()
    refused = fields.Integer()
    skipped = fields.Integer()


@blp.route("/nps/invitations")
class NpsInvitations(MethodView):
    """NPS invitations."""

    @require(perm.NPS_SEND)
    @blp.arguments(NpsInviteIn, example={"campaign": "2026-q4", "customer_ids": [1, 2, 3]})
    @blp.response(200, NpsInviteOut)
    def post(self, data: dict[str, Any]) -> Any:
        """Send the campaign's survey to each customer not yet invited in it."""
        counts = nps.invite(session(), data["campaign"], data["customer_ids"], data["channel"])
        session().commit()
        return counts


@blp.route("/nps/sends")
class NpsSends(MethodView):
    """NPS sends to a segment (the customer list's filters) or a list, in the background."""

    @require(perm.NPS_SEND)
    @blp.response(200, NpsSendOut(many=True))
    def get(self) -> Any:
        """The latest sends, newest first, with their counts once done."""
        return nps.recent_sends(session())

    @require(perm.NPS_SEND)
    @blp.arguments(NpsSendIn, example={"campaign": "2026-q4", "filters": {"stage": "customer", "consent": "email"}})
    @blp.response(202, NpsSendOut)
    def post(self, data: dict[str, Any]) -> Any:
        """Queue the campaign's survey to the matching customers (those already invited in the
        campaign are skipped; those without marketing consent on the channel are refused);
        with `dry_run` only count them (`matching`, nothing recorded, status 200)."""
        if data["dry_run"]:
            matching = nps.preview(session(), data["filters"], data["customer_ids"], current_actor())
            return {"id": None, "campaign": data["campaign"], "channel": data["channel"], "filters": data["filters"],
                    "customer_ids": data["customer_ids"], "matching": matching}, 200
        row = nps.request_send(session(), current_actor(), data["campaign"], data["channel"],
                               filters=data["filters"], ids=data["customer_ids"])
        session().commit()
        return row, 202
