"""`/api/v1/service/tickets`: list, open, read, change, reply to, merge and split tickets.

Reading needs `service.ticket.view`, every change `service.ticket.edit`. The record rule
applies (agents: their teams' tickets, their own and those with no team); a ticket the caller
may not see answers 404. A reply with a stale `version` answers 409 with the entries that
arrived meanwhile.
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from payvand.plugins.service import permissions as perm
from payvand.plugins.service.api import blp
from payvand.plugins.service.models import TicketEntry
from payvand.plugins.service.schemas import (
    EntryOut,
    MergeIn,
    ReplyIn,
    SplitIn,
    TicketDetail,
    TicketIn,
    TicketListArgs,
    TicketOut,
    TicketPage,
    TicketPatch,
)
from payvand.plugins.service.services import tickets as service
from payvand.plugins.service.services.lists import TICKETS
from payvand.sdk import ApiError, api_page, current_actor, require, session


def _fail(exc: service.TicketError) -> ApiError:
    session().rollback()
    if isinstance(exc, service.TicketNotFound):
        return ApiError(404, exc.message)
    if isinstance(exc, service.Collision):
        arrived = ", ".join(str(entry.id) for entry in exc.arrived)
        return ApiError(409, exc.message, code="collision",
                        fields={"version": [f"{exc.message} Current version: {exc.version}; new entries: {arrived}."]})
    return ApiError(422, exc.message, fields={exc.field: [exc.message]})


def _ticket(ticket_id: int) -> Any:
    try:
        return service.get_ticket(session(), ticket_id, current_actor())
    except service.TicketError as exc:
        raise _fail(exc) from None


@blp.route("/tickets")
class Tickets(MethodView):
    """The ticket collection."""

    @require(perm.TICKET_VIEW)
    @blp.arguments(TicketListArgs, location="query")
    @blp.response(200, TicketPage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Tickets the caller may see: queues (unassigned, overdue, mine, open), status, type, priority,
        team, assignee, customer; keyset-paged, newest first."""
        return api_page(TICKETS, session(), args, current_actor())

    @require(perm.TICKET_EDIT)
    @blp.arguments(TicketIn, example={"customer_id": 1, "subject": "The printer does not start", "type": "problem",
                                      "body": "Since yesterday...", "references": ["sales.order:42"]})
    @blp.response(201, TicketDetail)
    def post(self, data: dict[str, Any]) -> Any:
        """Open a ticket (routed and given its SLA due times)."""
        kind = data.pop("kind")
        try:
            ticket = service.create_ticket(session(), data, current_actor(), source="api", entry_kind=kind)
        except service.TicketError as exc:
            raise _fail(exc) from None
        session().commit()
        return ticket, 201, {"Location": f"/api/v1/service/tickets/{ticket.id}"}


@blp.route("/tickets/<int:ticket_id>")
class TicketItem(MethodView):
    """One ticket."""

    @require(perm.TICKET_VIEW)
    @blp.response(200, TicketDetail)
    def get(self, ticket_id: int) -> Any:
        """A ticket with its conversation."""
        return _ticket(ticket_id)

    @require(perm.TICKET_EDIT)
    @blp.arguments(TicketPatch)
    @blp.response(200, TicketOut)
    def patch(self, data: dict[str, Any], ticket_id: int) -> Any:
        """Change status (the status machine applies), priority, type, category, tags, team, assignee..."""
        ticket = _ticket(ticket_id)
        try:
            ticket = service.change(session(), ticket, current_actor(), data)
        except service.TicketError as exc:
            raise _fail(exc) from None
        session().commit()
        return ticket


@blp.route("/tickets/<int:ticket_id>/replies")
class Replies(MethodView):
    """Replies and notes."""

    @require(perm.TICKET_EDIT)
    @blp.arguments(ReplyIn)
    @blp.response(201, EntryOut)
    def post(self, data: dict[str, Any], ticket_id: int) -> Any:
        """Reply to the customer (sent on the ticket's channel) or add an internal note (`public` false)."""
        ticket = _ticket(ticket_id)
        try:
            entry = service.reply(session(), ticket, current_actor(), data["body"], version=data["version"],
                                  public=data["public"], status=data.get("status"))
        except service.TicketError as exc:
            raise _fail(exc) from None
        session().commit()
        return entry, 201


@blp.route("/tickets/<int:ticket_id>/merge")
class Merge(MethodView):
    """Merging."""

    @require(perm.TICKET_EDIT)
    @blp.arguments(MergeIn)
    @blp.response(200, TicketDetail)
    def post(self, data: dict[str, Any], ticket_id: int) -> Any:
        """Merge this ticket into `target_id` (same customer); this one is closed."""
        source, target = _ticket(ticket_id), _ticket(data["target_id"])
        try:
            merged = service.merge(session(), source, target, current_actor())
        except service.TicketError as exc:
            raise _fail(exc) from None
        session().commit()
        return merged


@blp.route("/tickets/<int:ticket_id>/entries/<int:entry_id>/split")
class Split(MethodView):
    """Splitting."""

    @require(perm.TICKET_EDIT)
    @blp.arguments(SplitIn)
    @blp.response(201, TicketDetail)
    def post(self, data: dict[str, Any], ticket_id: int, entry_id: int) -> Any:
        """Move one entry of this ticket into a new ticket."""
        ticket = _ticket(ticket_id)
        entry = session().get(TicketEntry, entry_id)
        if entry is None or entry.ticket_id != ticket.id:
            raise ApiError(404, f"There is no entry {entry_id} on ticket {ticket_id}.")
        try:
            new = service.split(session(), entry, current_actor(), data.get("subject"))
        except service.TicketError as exc:
            raise _fail(exc) from None
        session().commit()
        return new, 201
