"""`/api/v1/sales/activities`: tasks, calls, meetings and emails on deals, leads and customers.

Reading needs `sales.deal.view`, planning, changing, completing and deleting `sales.deal.edit`.
The record rule applies: without `sales.manage` a caller sees and changes only the
activities they own and those on deals or leads they own (others answer 404).
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from payvand.plugins.sales import permissions as perm
from payvand.plugins.sales.api import blp
from payvand.plugins.sales.api.fields import needs_json
from payvand.plugins.sales.schemas import ActivityIn, ActivityListArgs, ActivityOut, ActivityPage, ActivityPatch
from payvand.plugins.sales.services import activities as service
from payvand.sdk import ApiError, api_page, current_actor, require, session


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
            spec = service.activity_list(args)
        except service.ActivityError as exc:
            raise _fail(exc) from None
        return api_page(spec, session(), args, current_actor())

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
