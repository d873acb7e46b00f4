"""Marshmallow schemas of the live chat console's forms and the bot report's API."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate


class LiveReplyForm(Schema):
    """An agent's answer: typed `text`, or the number of a canned answer (`canned`)."""

    class Meta:
        unknown = EXCLUDE

    text = fields.String(load_default="", validate=validate.Length(max=4000))
    canned = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0, max=29))


class LiveTransferForm(Schema):
    """Transfer to an agent (`user_id`) or a team (`team_id`)."""

    class Meta:
        unknown = EXCLUDE

    user_id = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=2**63 - 1))
    team_id = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=2**63 - 1))


class ResolutionArgs(Schema):
    """The report's period: the last `days` days (1 to 366, 30 by default)."""

    class Meta:
        unknown = EXCLUDE

    days = fields.Integer(load_default=30, validate=validate.Range(min=1, max=366))


class ResolutionOut(Schema):
    """Bot resolution over a period."""

    days = fields.Integer()
    conversations = fields.Integer(metadata={"description": "Conversations the bot took part in."})
    answered = fields.Integer(metadata={"description": "Conversations the bot answered at least once."})
    resolved_by_bot = fields.Integer(metadata={"description": "Answered ones that never went to a person or a ticket."})
    handed_over = fields.Integer(metadata={"description": "Conversations handed to a person or left as a ticket."})
    answers = fields.Integer(metadata={"description": "Bot answers sent."})
    resolution_rate = fields.Float(allow_none=True, metadata={"description": "resolved_by_bot / answered (0 to 1)."})
