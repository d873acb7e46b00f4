"""`/service/ref/<reference>`: open one of the service plugin's opaque references in the staff UI.

Other plugins keep the service plugin's records only as opaque references (the sales plugin
records `service.return:7` on the order lines a return took back). They link to them through the
endpoint `service.reference` — the convention every plugin that hands out references follows
(`<plugin>.reference`, see docs/decisions.md) — without knowing this plugin's pages:
`service.return:<id>` and `service.ticket:<id>` open the ticket page (the return's section for a
return). The ticket's record rule applies: a reference the user may not see answers 404, as an
unknown one does.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from flask import abort, redirect, url_for

from payvand.plugins.service import permissions as perm
from payvand.plugins.service.models_returns import ReturnRequest
from payvand.plugins.service.services import tickets
from payvand.plugins.service.views import bp
from payvand.sdk import current_actor, session, staff_required

_REFERENCE = re.compile(r"^service\.(return|ticket):([0-9]{1,18})$")


def target_of(reference: str) -> tuple[int, str] | None:
    """The ticket a reference opens and the page anchor, or None when it names no record of ours."""
    match = _REFERENCE.match(reference)
    if match is None:
        return None
    kind, ident = match.group(1), int(match.group(2))
    if kind == "ticket":
        return ident, ""
    ticket_id = session().scalar(sa.select(ReturnRequest.ticket_id).where(ReturnRequest.id == ident))
    return (int(ticket_id), "ticket-return") if ticket_id is not None else None


@bp.route("/service/ref/<reference>")
@staff_required(perm.TICKET_VIEW)
def reference(reference: str) -> Any:
    """Redirect to the page of `reference` (`service.return:7`, `service.ticket:3`); 404 when the
    reference is unknown or its ticket is hidden from the user by the record rule."""
    found = target_of(reference)
    if found is None:
        abort(404)
    ticket_id, anchor = found
    try:
        tickets.get_ticket(session(), ticket_id, current_actor())
    except tickets.TicketNotFound:
        abort(404)
    return redirect(url_for("service.ticket", ticket_id=ticket_id, _anchor=anchor or None))
