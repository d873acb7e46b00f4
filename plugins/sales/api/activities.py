"""`/api/v1/sales/activities`: tasks, calls, meetings and emails on deals, leads and customers.

Reading needs `sales.deal.view`, planning, changing, completing and deleting `sales.deal.edit`.
The record rule applies: without `sales.manage` a caller sees and changes only the
activities they own and those on deals or leads they own (others answer 404).
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from payvand.plugins.sales import permissions as perm
from payvand.plugins.sales.api import blp
from payvand.plugins.sales.api.fields import BusinessDateTime, id_field, needs_json
from payvand.plugins.sales.services import activities as service
from payvand.sdk import ApiError, api_page, current_actor, require, session

_WHEN = {"description": "An ISO 8601 time with its offset, e.g. 2026-12-01T10:30:00+03:30",
         "examples": ["2026-12-01T10:30:00+03:30"]}


class AwareDateTime(BusinessDateTime):
    """An ISO 8601 time that must carry its offset (`Z` or `+03:30`), in the business-date range."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("metadata", _WHEN)
        super().__init__(**kwargs)


class ActivityIn(Schema):
    """A new activity: attach it to a deal, a lead or a customer (at least one)."""

    class Meta:
        unknown = RAISE

    kind = fields.String(load_default="task", validate=validate.OneOf(service.KINDS))
    subject = fields.String(required=True, validate=validate.Length(min=1, max=200))
    notes = fields.String(allow_none=True, validate=validate.Length(max=5000))
    deal_id = id_field(allow_none=True)
    lead_id = id_field(allow_none=True)
    customer_id = id_field(allow_none=True)
    owner_id = id_field(allow_none=True, metadata={"description": "Only with sales.manage; default: the caller"})
    due_at = AwareDateTime(allow_none=True)
    remind_at = AwareDateTime(allow_none=True, metadata={**_WHEN, "description": "When to mail the owner a "
                                                         "reminder; not after `due_at`"})

    @validates_schema
    def _attached(self, data: dict[str, Any], **_: Any) -> None:
        if not any(data.get(k) for k in ("deal_id", "lead_id", "customer_id")):
            raise ValidationError("Attach the activity to a deal, a lead or a customer.", "_schema")


class ActivityPatch(Schema):
    """Changes to an activity (completion goes through `POST .../done`, reopening through `done: false`)."""

    class Meta:
        unknown = RAISE

    kind = fields.String(validate=validate.OneOf(service.KINDS))
    subject = fields.String(validate=validate.Length(min=1, max=200))
    notes = fields.String(allow_none=True, validate=validate.Length(max=5000))
    deal_id = id_field(allow_none=True)
    lead_id = id_field(allow_none=True)
    customer_id = id_field(allow_none=True)
    owner_id = id_field(allow_none=True)
    due_at = AwareDateTime(allow_none=True)
    remind_at = AwareDateTime(allow_none=True)
    done = fields.Boolean(metadata={"description": "true completes the activity, false reopens it"})


class ActivityOut(Schema):
    """An activity."""

    id = fields.Integer(required=True)
    kind = fields.String(required=True, metadata={"enum": list(service.KINDS)})
    subject = fields.String(required=True)
    notes = fields.String(allow_none=True, required=True)
    deal_id = fields.Integer(allow_none=True, required=True)
    lead_id = fields.Integer(allow_none=True, required=True)
    customer_id = fields.Integer(allow_none=True, required=True)
    owner_id = fields.Integer(allow_none=True, required=True)
    due_at = fields.DateTime(allow_none=True, required=True)
    remind_at = fields.DateTime(allow_none=True, required=True)
    reminded_at = fields.DateTime(allow_none=True, required=True)
    done_at = fields.DateTime(allow_none=True, required=True)
    created_at = fields.DateTime(required=True)


#: The query arguments of the activity list (generated from `activities.ACTIVITIES`). Open lists
#: come by due time (those without one last), done ones most recently done first.
ActivityListArgs = service.ACTIVITIES.args_schema("ActivityListArgs")


class ActivityPage(Schema):
    """One page of activities; pass `next_cursor` as `cursor` for the next."""

    items = fields.List(fields.Nested(ActivityOut), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


def _fail(exc: service.ActivityError) -> ApiError:
    session().rollback()
    return ApiError(422, exc.message, fields={exc.field: [exc.message]})


def _activity_or_404(activity_id: int) -> Any:
    try:
        return service.get_activity(session(), activity_id, current_actor())
    except service.ActivityNotFound:
        raise ApiError(404, f"There is no activity {activity_id}.") from None


@blp.route("/activities")
class Activities(MethodView):
    """The activity collection."""

    @require(perm.DEAL_VIEW)
    @blp.arguments(ActivityListArgs, location="query")
    @blp.response(200, ActivityPage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List activities the caller may see: filter by mine, status (open/done/overdue), kind, owner,
        deal, lead, customer and due range; keyset-paged."""
        try:
            args = service.activity_args(args)
        except service.ActivityError as exc:
            raise _fail(exc) from None
        return api_page(service.ACTIVITIES, session(), args, current_actor())

    @require(perm.DEAL_EDIT)
    @needs_json
    @blp.arguments(ActivityIn, example={"kind": "call", "subject": "Call Sara about the quote", "deal_id": 1,
                                        "due_at": "2026-12-01T10:30:00+03:30", "remind_at": "2026-12-01T10:00:00+03:30"})
    @blp.response(201, ActivityOut)
    def post(self, data: dict[str, Any]) -> Any:
        """Plan an activity on a deal, a lead or a customer; owned by the caller unless a manager names `owner_id`."""
        try:
            activity = service.create_activity(session(), data, current_actor())
        except service.ActivityError as exc:
            raise _fail(exc) from None
        session().commit()
        return activity, 201, {"Location": f"/api/v1/sales/activities/{activity.id}"}


@blp.route("/activities/<int:activity_id>")
class ActivityItem(MethodView):
    """One activity."""

    @require(perm.DEAL_VIEW)
    @blp.response(200, ActivityOut)
    def get(self, activity_id: int) -> Any:
        """An activity."""
        return _activity_or_404(activity_id)

    @require(perm.DEAL_EDIT)
    @needs_json
    @blp.arguments(ActivityPatch)
    @blp.response(200, ActivityOut)
    def patch(self, data: dict[str, Any], activity_id: int) -> Any:
        """Change an activity; `done` completes (true) or reopens (false) it. A new `remind_at` re-arms the reminder."""
        activity = _activity_or_404(activity_id)
        done = data.pop("done", None)
        try:
            service.update_activity(session(), activity, data, current_actor())
            if done is True:
                service.complete_activity(session(), activity, current_actor())
            elif done is False:
                service.reopen_activity(session(), activity, current_actor())
        except service.ActivityError as exc:
            raise _fail(exc) from None
        session().commit()
        return activity

    @require(perm.DEAL_EDIT)
    @blp.response(204)
    def delete(self, activity_id: int) -> None:
        """Delete an activity."""
        service.delete_activity(session(), _activity_or_404(activity_id), current_actor())
        session().commit()


@blp.route("/activities/<int:activity_id>/done")
class ActivityDone(MethodView):
    """Complete an activity."""

    @require(perm.DEAL_EDIT)
    @blp.response(200, ActivityOut)
    def post(self, activity_id: int) -> Any:
        """Mark an activity done (again: no change). A call, meeting or email on a customer is recorded on
        the customer's timeline as `sales.activity_done`."""
        activity = _activity_or_404(activity_id)
        service.complete_activity(session(), activity, current_actor())
        session().commit()
        return activity
