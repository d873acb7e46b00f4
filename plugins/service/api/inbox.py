"""`/api/v1/service/tickets/bulk` (one action on many tickets) and `/api/v1/service/saved-views`.

Bulk needs `service.ticket.edit` and changes only the tickets the caller may see; saved views
need `service.ticket.view` (the caller's own and the shared ones).
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from payvand.plugins.service import permissions as perm
from payvand.plugins.service.api import blp
from payvand.plugins.service.models import PRIORITIES, STATUSES
from payvand.plugins.service.services import inbox
from payvand.sdk import current_actor, require, session


class BulkIn(Schema):
    """Which tickets, which action, and its value (a user id, a status, a priority or a tag)."""

    ticket_ids = fields.List(fields.Integer(validate=validate.Range(min=1)), required=True,
                             validate=validate.Length(min=1, max=500))
    action = fields.String(required=True, validate=validate.OneOf(inbox.ACTIONS))
    value = fields.Raw(required=True)

    @validates_schema
    def _value(self, data: dict[str, Any], **_: Any) -> None:
        check_bulk_value(data)


def check_bulk_value(data: dict[str, Any]) -> None:
    """Raise a field error on `value` when it does not fit the action (the form shares this check)."""
    action, value = data.get("action"), data.get("value")
    ok = {"assign": isinstance(value, int) and not isinstance(value, bool) and value > 0,
          "status": value in STATUSES, "priority": value in PRIORITIES,
          "tag": isinstance(value, str) and 0 < len(value.strip()) <= 64}.get(str(action), True)
    if not ok:
        raise ValidationError("Not a valid value for this action.", "value")


class BulkOut(Schema):
    """How many tickets changed, refused the change, or were not found (or not visible)."""

    changed = fields.Integer()
    failed = fields.Integer()
    not_found = fields.Integer()


class SavedViewIO(Schema):
    """A saved inbox view."""

    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    query = fields.String(load_default="", validate=validate.Length(max=2000))
    shared = fields.Boolean(load_default=False)
    owner_id = fields.Integer(dump_only=True)


@blp.route("/tickets/bulk")
class TicketsBulk(MethodView):
    """One action on many tickets."""

    @require(perm.TICKET_EDIT)
    @blp.arguments(BulkIn, example={"ticket_ids": [1, 2], "action": "priority", "value": "high"})
    @blp.response(200, BulkOut)
    def post(self, data: dict[str, Any]) -> Any:
        """Assign, set the status or priority of, or tag the visible tickets among `ticket_ids`."""
        value = data["value"].strip() if data["action"] == "tag" else data["value"]
        counts = inbox.bulk_change(session(), current_actor(), data["ticket_ids"], data["action"], value)
        session().commit()
        return counts


@blp.route("/saved-views")
class SavedViews(MethodView):
    """Saved inbox views."""

    @require(perm.TICKET_VIEW)
    @blp.response(200, SavedViewIO(many=True))
    def get(self) -> Any:
        """The caller's views and the shared ones."""
        return inbox.views(session(), current_actor())

    @require(perm.TICKET_VIEW)
    @blp.arguments(SavedViewIO, example={"name": "Urgent, mine", "query": "queue=mine&priority=urgent"})
    @blp.response(201, SavedViewIO)
    def post(self, data: dict[str, Any]) -> Any:
        """Save a view (its query: the inbox's filters and sort)."""
        view = inbox.save_view(session(), current_actor(), data["name"], data["query"], data["shared"])
        session().commit()
        return view, 201
