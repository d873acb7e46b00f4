"""The ticket pages: the inbox (list kit, with the queues), a ticket with its conversation and the
reply form (collision-checked), and the 360 panel."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for

from payvand.plugins.service import permissions as perm
from payvand.plugins.service.labels import STATUS_LABELS, shown
from payvand.plugins.service.models import STATUSES, TYPES, Ticket
from payvand.plugins.service.services import tickets as service
from payvand.plugins.service.services.lists import TICKETS
from payvand.plugins.service.services.routing import UNFINISHED
from payvand.plugins.service.services.tickets import ALLOWED
from payvand.plugins.service.views import bp
from payvand.sdk import Actor, Panel, current_actor, lazy_gettext, list_view, restrict, session, staff_required
from payvand.sdk import gettext as _


def status_labels() -> dict[str, str]:
    """The statuses in the reader's language."""
    return shown(STATUS_LABELS)


@bp.route("/service/tickets")
@staff_required(perm.TICKET_VIEW)
def tickets() -> Any:
    """The inbox: the tickets the agent may see, filtered by queue, status, type, priority, team."""
    view = list_view(TICKETS, session(), current_actor(), "service.tickets",
                     message=lambda: _("The page link is no longer valid; start again from the first page."))
    from payvand.plugins.service.services import inbox

    return render_template("service/tickets.html", view=view, items=view.items, statuses=status_labels(),
                           saved_views=inbox.views(session(), current_actor()), query=inbox.query_of(request.args),
                           ), view.status


@bp.route("/service/tickets/<int:ticket_id>")
@staff_required(perm.TICKET_VIEW)
def ticket(ticket_id: int) -> Any:
    """A ticket: its conversation, the reply form and the status buttons."""
    try:
        found = service.get_ticket(session(), ticket_id, current_actor())
    except service.TicketNotFound:
        abort(404)
    from payvand.plugins.service.views.kb_usage import kb_context

    return render_template("service/ticket.html", ticket=found, statuses=status_labels(),
                           flow=ALLOWED[found.status], arrived=[], **_choices(), **_contract_of(found),
                           **kb_context(found))


def _choices() -> dict[str, Any]:
    """The teams and active users the properties form offers."""
    from payvand.plugins.service.models import PRIORITIES, Team
    from payvand.sdk import User

    teams = list(session().execute(sa.select(Team.id, Team.name).order_by(Team.name)).all())
    users = list(session().execute(sa.select(User.id, User.name).where(User.is_active.is_(True))
                                   .order_by(User.name).limit(500)).all())
    return {"teams": teams, "users": users, "priorities": PRIORITIES, "types": TYPES}


def _contract_of(ticket: Ticket) -> dict[str, Any]:
    """The contract the ticket counts against, with its usage (for the ticket page)."""
    from payvand.plugins.service.models import Contract
    from payvand.plugins.service.services.contracts import usage

    contract = session().get(Contract, ticket.contract_id) if ticket.contract_id else None
    return {"contract": contract, "contract_usage": usage(session(), contract) if contract else None,
            "warning_labels": warning_labels()}


def warning_labels() -> dict[str, str]:
    """The contract warnings in the reader's language."""
    return {"expired": _("Expired"), "ending_soon": _("Ends soon"), "used_up": _("Used up"),
            "almost_used": _("Almost used up")}


@bp.route("/service/tickets/<int:ticket_id>/reply", methods=["POST"])
@staff_required(perm.TICKET_EDIT)
def ticket_reply(ticket_id: int) -> Any:
    """Send a reply or add a note; a stale form (someone answered meanwhile) is refused and shows what arrived."""
    try:
        found = service.get_ticket(session(), ticket_id, current_actor())
    except service.TicketNotFound:
        abort(404)
    version = request.form.get("version", "")
    body = request.form.get("body", "")
    public = request.form.get("public") != "0"
    files = [(f.filename or "file", f.read()) for f in request.files.getlist("attachments") if f.filename]
    try:
        service.reply(session(), found, current_actor(), body, version=int(version) if version.isdigit() else -1,
                      public=public, files=files)
    except service.Collision as exc:
        session().rollback()
        found = service.get_ticket(session(), ticket_id, current_actor())
        return render_template("service/ticket.html", ticket=found, statuses=status_labels(),
                               flow=ALLOWED[found.status], arrived=exc.arrived, draft=body, **_choices(), **_contract_of(found),
                               error=_("Someone else added to this ticket while you were writing; read what "
                                       "arrived and send again.")), 409
    except service.TicketError as exc:
        session().rollback()
        found = service.get_ticket(session(), ticket_id, current_actor())
        return render_template("service/ticket.html", ticket=found, statuses=status_labels(),
                               flow=ALLOWED[found.status], arrived=[], draft=body, error=exc.message,
                               **_choices(), **_contract_of(found)), 422
    session().commit()
    flash(_("Reply sent.") if public else _("Note added."), "success")
    return redirect(url_for("service.ticket", ticket_id=ticket_id))


@bp.route("/service/tickets/<int:ticket_id>/status", methods=["POST"])
@staff_required(perm.TICKET_EDIT)
def ticket_status(ticket_id: int) -> Any:
    """Move a ticket along the status machine."""
    try:
        found = service.get_ticket(session(), ticket_id, current_actor())
        status = request.form.get("status", "")
        if status not in STATUSES:
            abort(400)
        service.change(session(), found, current_actor(), {"status": status})
    except service.TicketNotFound:
        abort(404)
    except service.TicketError as exc:
        session().rollback()
        flash(exc.message, "danger")
        return redirect(url_for("service.ticket", ticket_id=ticket_id))
    session().commit()
    return redirect(url_for("service.ticket", ticket_id=ticket_id))


def customer_panel(customer: Any, actor: Actor) -> Panel | None:
    """The 360 page's service panel: the customer's unfinished tickets the viewer may see."""
    if not actor.can(perm.TICKET_VIEW):
        return None
    query = restrict(sa.select(Ticket).where(Ticket.customer_id == customer.id, Ticket.status.in_(UNFINISHED))
                     .order_by(Ticket.id.desc()).limit(10), actor)
    rows = list(session().scalars(query))
    from payvand.plugins.service.services.contracts import active_contract, usage

    contract = active_contract(session(), customer.id)
    html = render_template("service/customer_panel.html", tickets=rows, statuses=status_labels(), contract=contract,
                           contract_usage=usage(session(), contract) if contract else None,
                           warning_labels=warning_labels())
    return Panel(title=str(lazy_gettext("Service")), html=html, order=30, key="service")


@bp.route("/service/tickets/new", methods=["GET", "POST"])
@staff_required(perm.TICKET_EDIT)
def ticket_new() -> Any:
    """Staff entry: log a phone call or a visit (or write down a request) as a new ticket of a customer."""
    from payvand.sdk import Customer, get_visible

    form = request.form if request.method == "POST" else request.args
    errors: dict[str, str] = {}
    customer_text = (form.get("customer_id") or "").strip()
    customer = None
    if customer_text:
        customer = get_visible(session(), Customer, int(customer_text), current_actor()) if customer_text.isdigit() \
            and len(customer_text) < 19 else None
        if customer is None:
            errors["customer_id"] = _("There is no such customer.")
    if request.method == "POST":
        if not customer_text:
            errors["customer_id"] = _("Choose a customer.")
        if not (form.get("subject") or "").strip():
            errors["subject"] = _("Write a subject.")
        kind = form.get("kind", "call")
        if kind not in ("call", "visit", "inbound"):
            abort(400)
        if form.get("type") not in TYPES:
            abort(400)
        if not errors and customer is not None:
            try:
                made = service.create_ticket(session(), {
                    "customer_id": customer.id, "subject": form["subject"].strip(), "body": form.get("body", ""),
                    "type": form["type"], "channel": form.get("channel") or "email"}, current_actor(),
                    source="staff", entry_kind=kind)
            except service.TicketError as exc:
                session().rollback()
                errors[exc.field] = exc.message
            else:
                session().commit()
                flash(_("Ticket opened."), "success")
                return redirect(url_for("service.ticket", ticket_id=made.id))
    return render_template("service/ticket_new.html", form=form, errors=errors, customer=customer, types=TYPES), \
        (422 if errors and request.method == "POST" else 200)


@bp.route("/service/tickets/<int:ticket_id>/properties", methods=["POST"])
@staff_required(perm.TICKET_EDIT)
def ticket_properties(ticket_id: int) -> Any:
    """Change priority, type, category, tags, team and assignee (a new priority or type re-chooses the SLA)."""
    from payvand.plugins.service.models import PRIORITIES

    try:
        found = service.get_ticket(session(), ticket_id, current_actor())
    except service.TicketNotFound:
        abort(404)
    form = request.form
    if form.get("priority") not in PRIORITIES or form.get("type") not in TYPES:
        abort(400)
    changes: dict[str, Any] = {"priority": form["priority"], "type": form["type"],
                               "category": (form.get("category") or "").strip()[:120] or None,
                               "tags": sorted({t.strip()[:60] for t in (form.get("tags") or "").split(",") if t.strip()})}
    for field in ("team_id", "assignee_id"):
        text = (form.get(field) or "").strip()
        if text and not (text.isdigit() and len(text) < 19):
            abort(400)
        changes[field] = int(text) if text else None
    version = form.get("version", "")
    changes["version"] = int(version) if version.isdigit() else -1
    try:
        service.change(session(), found, current_actor(), changes)
    except service.TicketError as exc:
        session().rollback()
        flash(exc.message, "danger")
        return redirect(url_for("service.ticket", ticket_id=ticket_id))
    session().commit()
    flash(_("Ticket updated."), "success")
    return redirect(url_for("service.ticket", ticket_id=ticket_id))


@bp.route("/service/tickets/<int:ticket_id>/merge", methods=["POST"])
@staff_required(perm.TICKET_EDIT)
def ticket_merge(ticket_id: int) -> Any:
    """Merge this ticket into the ticket numbered in the form (same customer); go to the merged one."""
    text = (request.form.get("target_id") or "").strip()
    try:
        found = service.get_ticket(session(), ticket_id, current_actor())
        if not (text.isdigit() and len(text) < 19):
            raise service.TicketError("target", _("Write the number of the ticket to merge into."), "target_id")
        target = service.get_ticket(session(), int(text), current_actor())
        service.merge(session(), found, target, current_actor())
    except service.TicketNotFound:
        session().rollback()
        if request.form.get("target_id") and text != str(ticket_id):
            flash(_("There is no ticket %(number)s.", number=text), "danger")
            return redirect(url_for("service.ticket", ticket_id=ticket_id))
        abort(404)
    except service.TicketError as exc:
        session().rollback()
        flash(exc.message, "danger")
        return redirect(url_for("service.ticket", ticket_id=ticket_id))
    session().commit()
    flash(_("Tickets merged."), "success")
    return redirect(url_for("service.ticket", ticket_id=target.id))


@bp.route("/service/tickets/<int:ticket_id>/entries/<int:entry_id>/split", methods=["POST"])
@staff_required(perm.TICKET_EDIT)
def ticket_split(ticket_id: int, entry_id: int) -> Any:
    """Move one entry off into a new ticket; go to the new ticket."""
    from payvand.plugins.service.models import TicketEntry

    try:
        found = service.get_ticket(session(), ticket_id, current_actor())
    except service.TicketNotFound:
        abort(404)
    entry = session().get(TicketEntry, entry_id)
    if entry is None or entry.ticket_id != found.id:
        abort(404)
    try:
        new = service.split(session(), entry, current_actor())
    except service.TicketError as exc:
        session().rollback()
        flash(exc.message, "danger")
        return redirect(url_for("service.ticket", ticket_id=ticket_id))
    session().commit()
    flash(_("Split into a new ticket."), "success")
    return redirect(url_for("service.ticket", ticket_id=new.id))
