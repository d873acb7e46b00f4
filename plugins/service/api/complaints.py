"""`/api/v1/service/complaint-causes`, `/tickets/<id>/complaint` and `/reports/complaints`.

Reading needs `service.ticket.view`; filing a ticket under a cause `service.ticket.edit`;
adding and editing causes `service.manage`. The report covers the tickets the caller may see.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask.views import MethodView

from payvand.plugins.service import permissions as perm
from payvand.plugins.service.api import blp
from payvand.plugins.service.api.returns import _fail, _ticket
from payvand.plugins.service.models_returns import ComplaintCause
from payvand.plugins.service.schemas_returns import (
    CauseEdit,
    CauseIn,
    CauseOut,
    ComplaintIn,
    ComplaintOut,
    ComplaintReportArgs,
    ComplaintReportOut,
)
from payvand.plugins.service.services import complaints as service
from payvand.sdk import current_actor, require, session, utcnow
from payvand.sdk.documents import DocumentError


@blp.route("/complaint-causes")
class Causes(MethodView):
    """The root causes of complaints."""

    @require(perm.TICKET_VIEW)
    @blp.response(200, CauseOut(many=True))
    def get(self) -> Any:
        """Every root cause, by name."""
        return service.causes(session())

    @require(perm.MANAGE)
    @blp.arguments(CauseIn, example={"name": "Late delivery"})
    @blp.response(201, CauseOut)
    def post(self, data: dict[str, Any]) -> Any:
        """Add a root cause (409 when the name is taken)."""
        try:
            cause = service.add_cause(session(), data["name"], data.get("description") or "")
        except DocumentError as exc:
            raise _fail(exc) from None
        session().commit()
        return cause, 201


@blp.route("/complaint-causes/<int:cause_id>", methods=["PUT"])
@require(perm.MANAGE)
@blp.arguments(CauseEdit, example={"name": "Late delivery", "description": "", "active": True})
@blp.response(200, CauseOut)
def cause_edit(data: dict[str, Any], cause_id: int) -> Any:
    """Change a root cause (409 when another has the name; `active: false` retires it)."""
    from payvand.sdk import ApiError

    cause = session().get(ComplaintCause, cause_id)
    if cause is None:
        raise ApiError(404, f"There is no cause {cause_id}.")
    try:
        service.update_cause(session(), cause, data["name"], data.get("description") or "", data["active"])
    except DocumentError as exc:
        raise _fail(exc) from None
    session().commit()
    return cause


@blp.route("/tickets/<int:ticket_id>/complaint", methods=["PUT"])
@require(perm.TICKET_EDIT)
@blp.arguments(ComplaintIn, example={"cause_id": 1})
@blp.response(200, ComplaintOut)
def file_complaint(data: dict[str, Any], ticket_id: int) -> Any:
    """File the ticket as a complaint under a root cause (its type becomes complaint)."""
    ticket = _ticket(ticket_id)
    try:
        found = service.file_complaint(session(), ticket, data["cause_id"])
    except DocumentError as exc:
        raise _fail(exc) from None
    session().commit()
    return found


@blp.route("/reports/complaints")
@require(perm.TICKET_VIEW)
@blp.arguments(ComplaintReportArgs, location="query")
@blp.response(200, ComplaintReportOut)
def complaint_report(args: dict[str, Any]) -> Any:
    """Complaints opened in the last `days` days: per period (day, week or month of the site's time
    zone; Jalali, with weeks from Saturday, for a Persian reader), per root cause, overall."""
    end = utcnow() + dt.timedelta(minutes=1)
    return service.complaint_report(session(), current_actor(), end - dt.timedelta(days=args["days"]), end,
                                    args["period"])
