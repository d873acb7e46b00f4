"""The return section of the ticket page (`service_return_section(ticket)`, a template global) and
its forms: open a return picking the customer's purchased items, and the flow's buttons."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from markupsafe import Markup

from payvand.plugins.service import permissions as perm
from payvand.plugins.service.models import Ticket
from payvand.plugins.service.models_returns import ReturnRequest
from payvand.plugins.service.services import returns as service
from payvand.plugins.service.services import tickets
from payvand.plugins.service.views import bp
from payvand.sdk import current_actor, current_user_can, session, staff_required, to_latin_digits
from payvand.sdk import gettext as _
from payvand.sdk import lazy_gettext as _l
from payvand.sdk.documents import DocumentError

DECISIONS = ("approve", "reject", "refund", "replace")
#: The service's refusals a page may show (listed so that message extraction finds them).
MESSAGES = (_l("Enter quantities as numbers."), _l("A quantity is a number above zero with at most three decimals."),
            _l("Name at least one item."), _l("Describe an item that is not picked from the purchases."),
            _l("The items of one return must be in one currency."))


def action_labels() -> dict[str, str]:
    """The flow's buttons in the reader's language."""
    return {"approve": _("Approve"), "reject": _("Reject"), "receive": _("Mark received"), "refund": _("Refund"),
            "replace": _("Replace")}


@bp.app_template_global("service_return_section")
def return_section(ticket: Ticket) -> Markup:
    """The ticket's return (items, state, buttons), or the form to open one on a return ticket."""
    found = service.return_of(session(), ticket.id)
    if found is None and ticket.type != "return":
        return Markup("")
    offered = service.returnable_items(session(), ticket.customer_id) if found is None else []
    actions = []
    if found is not None:
        targets = service.RETURN.allowed(found.status)
        actions = [action for action, target in service.ACTIONS.items() if target in targets
                   and (action not in DECISIONS or current_user_can(perm.RETURN_DECIDE))]
    return Markup(render_template("service/ticket_return.html", ticket=ticket, found=found, offered=offered,
                                  actions=actions, labels=action_labels(), flow=service.RETURN))


def _ticket(ticket_id: int) -> Ticket:
    try:
        return tickets.get_ticket(session(), ticket_id, current_actor())
    except tickets.TicketNotFound:
        abort(404)


def _wanted() -> list[dict[str, Any]]:
    wanted = []
    for key, source in request.form.items():
        if key.startswith("source-"):
            text = to_latin_digits(request.form.get(f"quantity-{key[7:]}", "")).strip().replace("٫", ".")
            if text and text != "0":
                wanted.append({"source": source, "quantity": text})
    label = request.form.get("label", "").strip()
    if label:
        quantity = to_latin_digits(request.form.get("label_quantity", "1")).strip().replace("٫", ".")
        wanted.append({"label": label, "quantity": quantity or "1"})
    return wanted


@bp.route("/service/tickets/<int:ticket_id>/return", methods=["POST"])
@staff_required(perm.TICKET_EDIT)
def return_open(ticket_id: int) -> Any:
    """Open the ticket's return from the section's form."""
    ticket = _ticket(ticket_id)
    try:
        service.open_return(session(), ticket, {"reason": request.form.get("reason", "")[:5000], "items": _wanted()},
                            current_actor())
    except DocumentError as exc:
        session().rollback()
        flash(_(exc.message), "danger")
        return redirect(url_for("service.ticket", ticket_id=ticket_id))
    session().commit()
    flash(_("The return was opened."), "success")
    return redirect(url_for("service.ticket", ticket_id=ticket_id))


@bp.route("/service/returns/<int:return_id>/<action>", methods=["POST"])
@staff_required(perm.TICKET_EDIT)
def return_action(return_id: int, action: str) -> Any:
    """A button of the return's flow (deciding ones need `service.return.decide`)."""
    found = session().get(ReturnRequest, return_id) if return_id <= 2**63 - 1 else None
    if found is None or action not in service.ACTIONS:
        abort(404)
    _ticket(found.ticket_id)
    if action in DECISIONS and not current_user_can(perm.RETURN_DECIDE):
        abort(403)
    try:
        service.move(session(), found, action, request.form.get("note") or None)
    except DocumentError as exc:
        session().rollback()
        flash(exc.message, "danger")
        return redirect(url_for("service.ticket", ticket_id=found.ticket_id))
    session().commit()
    return redirect(url_for("service.ticket", ticket_id=found.ticket_id))
