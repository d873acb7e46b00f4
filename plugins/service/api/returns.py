"""`/api/v1/service/tickets/<id>/return` and `/api/v1/service/returns/<id>/actions`: returns.

Reading needs `service.ticket.view`; opening a return and marking its items received
`service.ticket.edit`; approving, rejecting, refunding and replacing `service.return.decide`
too. The ticket's record rule applies (a ticket the caller may not see answers 404). A move the
return's state does not allow answers 409 (of two refunds at once, one wins).
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from payvand.plugins.service import permissions as perm
from payvand.plugins.service.api import blp
from payvand.plugins.service.models_returns import ReturnRequest
from payvand.plugins.service.schemas_returns import ReturnableOut, ReturnActionIn, ReturnIn, ReturnOut
from payvand.plugins.service.services import returns as service
from payvand.plugins.service.services import tickets
from payvand.sdk import ApiError, current_actor, current_user_can, require, session
from payvand.sdk.documents import DocumentError

#: Actions that decide about money or goods, beyond working the ticket.
DECISIONS = ("approve", "reject", "refund", "replace")


def _fail(exc: DocumentError | tickets.TicketError) -> ApiError:
    session().rollback()
    if isinstance(exc, tickets.TicketError):
        if isinstance(exc, tickets.TicketNotFound):
            return ApiError(404, exc.message)
        return ApiError(422, exc.message, fields={exc.field: [exc.message]})
    if exc.status == 422:
        return ApiError(422, exc.message, fields={exc.field or "_schema": [exc.message]})
    return ApiError(exc.status, exc.message)


def _ticket(ticket_id: int) -> Any:
    try:
        return tickets.get_ticket(session(), ticket_id, current_actor())
    except tickets.TicketError as exc:
        raise _fail(exc) from None


@blp.route("/tickets/<int:ticket_id>/return")
class TicketReturn(MethodView):
    """The return of a ticket."""

    @require(perm.TICKET_VIEW)
    @blp.response(200, ReturnOut)
    def get(self, ticket_id: int) -> Any:
        """The ticket's return (404 when it has none)."""
        found = service.return_of(session(), _ticket(ticket_id).id)
        if found is None:
            raise ApiError(404, f"Ticket {ticket_id} has no return.")
        return found

    @require(perm.TICKET_EDIT)
    @blp.arguments(ReturnIn, example={"reason": "Arrived broken", "items": [{"source": "sales.order_line:12",
                                                                             "quantity": "1"}]})
    @blp.response(201, ReturnOut)
    def post(self, data: dict[str, Any], ticket_id: int) -> Any:
        """Open the ticket's return: items picked from `returnable` (source) or described (label)."""
        ticket = _ticket(ticket_id)
        try:
            found = service.open_return(session(), ticket, data, current_actor())
        except DocumentError as exc:
            raise _fail(exc) from None
        session().commit()
        return found, 201


@blp.route("/tickets/<int:ticket_id>/returnable")
class Returnable(MethodView):
    """What the ticket's customer bought and may send back."""

    @require(perm.TICKET_VIEW)
    @blp.response(200, ReturnableOut(many=True))
    def get(self, ticket_id: int) -> Any:
        """The customer's purchased lines from the selling plugins (empty without one), with what remains."""
        return service.returnable_items(session(), _ticket(ticket_id).customer_id)


@blp.route("/returns/<int:return_id>/actions")
class ReturnActions(MethodView):
    """Moves of a return."""

    @require(perm.TICKET_EDIT)
    @blp.arguments(ReturnActionIn, example={"action": "approve", "note": "Within the 7-day window"})
    @blp.response(200, ReturnOut)
    def post(self, data: dict[str, Any], return_id: int) -> Any:
        """approve, reject (`service.return.decide`), receive, refund, replace (`service.return.decide`)."""
        found = session().get(ReturnRequest, return_id) if return_id <= 2**63 - 1 else None
        if found is None:
            raise ApiError(404, f"There is no return {return_id}.")
        _ticket(found.ticket_id)  # the ticket's record rule decides who sees its return
        if data["action"] in DECISIONS and not current_user_can(perm.RETURN_DECIDE):
            raise ApiError(403, "Deciding about returns needs the permission service.return.decide.")
        try:
            service.move(session(), found, data["action"], data.get("note"))
        except DocumentError as exc:
            raise _fail(exc) from None
        session().commit()
        return found
