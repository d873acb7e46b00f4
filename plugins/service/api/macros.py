"""`/api/v1/service/macros`: canned responses with placeholders, and applying one to a ticket.

Reading and applying need `service.ticket.edit`; creating, changing and deleting `service.manage`.
`POST /macros/{id}/apply` makes the macro's changes to the ticket (status, priority, tags) and
answers the text to insert into the reply, its placeholders filled.
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from payvand.plugins.service import permissions as perm
from payvand.plugins.service.api import blp
from payvand.plugins.service.api.admin import api_error, run
from payvand.plugins.service.models_macros import Macro
from payvand.plugins.service.schemas_setup import MacroApplied, MacroApplyIn, MacroIO
from payvand.plugins.service.services import macros as service
from payvand.plugins.service.services import setup, tickets
from payvand.sdk import ApiError, current_actor, require, session


def _macro(macro_id: int) -> Macro:
    try:
        return setup.get(session(), Macro, macro_id)
    except setup.SetupError as exc:
        raise api_error(exc) from None


@blp.route("/macros")
class Macros(MethodView):
    """Macros."""

    @require(perm.TICKET_EDIT)
    @blp.response(200, MacroIO(many=True))
    def get(self) -> Any:
        """Every macro, global ones first."""
        return service.macros(session())

    @require(perm.MANAGE)
    @blp.arguments(MacroIO, example={"name": "Thanks", "language": "en", "set_status": "solved",
                                     "body": "Dear {customer_name}, ticket {ticket_number} is solved. {agent_name}"})
    @blp.response(201, MacroIO)
    def post(self, data: dict[str, Any]) -> Any:
        """Create a macro."""
        return run(lambda: service.save_macro(session(), None, data)), 201


@blp.route("/macros/<int:macro_id>")
class MacroItem(MethodView):
    """One macro."""

    @require(perm.TICKET_EDIT)
    @blp.response(200, MacroIO)
    def get(self, macro_id: int) -> Any:
        """A macro."""
        return _macro(macro_id)

    @require(perm.MANAGE)
    @blp.arguments(MacroIO)
    @blp.response(200, MacroIO)
    def put(self, data: dict[str, Any], macro_id: int) -> Any:
        """Replace a macro."""
        macro = _macro(macro_id)
        return run(lambda: service.save_macro(session(), macro, data))

    @require(perm.MANAGE)
    @blp.response(204)
    def delete(self, macro_id: int) -> None:
        """Delete a macro."""
        macro = _macro(macro_id)
        run(lambda: service.delete_macro(session(), macro))


@blp.route("/macros/<int:macro_id>/apply")
class MacroApply(MethodView):
    """Apply a macro."""

    @require(perm.TICKET_EDIT)
    @blp.arguments(MacroApplyIn)
    @blp.response(200, MacroApplied)
    def post(self, data: dict[str, Any], macro_id: int) -> Any:
        """Make the macro's changes to the ticket and answer the text to insert (placeholders filled)."""
        macro = _macro(macro_id)
        try:
            ticket = tickets.get_ticket(session(), data["ticket_id"], current_actor())
            text, ticket = service.apply(session(), ticket, macro, current_actor())
        except tickets.TicketNotFound:
            session().rollback()
            raise ApiError(404, f"There is no ticket {data['ticket_id']}.") from None
        except tickets.TicketError as exc:
            session().rollback()
            raise ApiError(422, exc.message, fields={exc.field: [exc.message]}) from None
        except setup.SetupError as exc:
            session().rollback()
            raise api_error(exc) from None
        session().commit()
        return {"text": text, "ticket_id": ticket.id, "status": ticket.status, "priority": ticket.priority,
                "tags": ticket.tags, "version": ticket.version}
