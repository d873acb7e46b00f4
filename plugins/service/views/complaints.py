"""The complaints report page (Chart.js chart + table), the root causes form on it, and the
complaint section of the ticket page (`service_complaint_section(ticket)`, a template global)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from markupsafe import Markup

from payvand.plugins.service import permissions as perm
from payvand.plugins.service.models import Ticket
from payvand.plugins.service.services import complaints as service
from payvand.plugins.service.services import tickets
from payvand.plugins.service.views import bp
from payvand.sdk import current_actor, session, staff_required, utcnow
from payvand.sdk import gettext as _
from payvand.sdk.documents import DocumentError


@bp.app_template_global("service_complaint_section")
def complaint_section(ticket: Ticket) -> Markup:
    """On a complaint ticket: its root cause and the form to file it under one."""
    if ticket.type != "complaint":
        return Markup("")
    return Markup(render_template("service/ticket_complaint.html", ticket=ticket,
                                  cause=service.cause_of(session(), ticket.id),
                                  causes=service.causes(session(), active_only=True)))


@bp.route("/service/tickets/<int:ticket_id>/complaint", methods=["POST"])
@staff_required(perm.TICKET_EDIT)
def complaint_file(ticket_id: int) -> Any:
    """File the ticket under the chosen root cause."""
    try:
        ticket = tickets.get_ticket(session(), ticket_id, current_actor())
    except tickets.TicketNotFound:
        abort(404)
    text = request.form.get("cause_id", "")
    try:
        service.file_complaint(session(), ticket, int(text) if text.isdigit() and len(text) < 19 else None)
    except DocumentError as exc:
        session().rollback()
        flash(exc.message, "danger")
        return redirect(url_for("service.ticket", ticket_id=ticket_id))
    session().commit()
    return redirect(url_for("service.ticket", ticket_id=ticket_id))


def _int(name: str, default: int, low: int, high: int) -> int:
    try:
        return max(low, min(int(request.args.get(name, str(default))), high))
    except ValueError:
        return default


def period_label(key: str) -> str:
    """A period key as shown: days and months written `1405/09/16`, `1405/09` (as the analytics
    pages write them); ISO weeks (`2026-W50`) as they are."""
    return key if "W" in key else key.replace("-", "/")


@bp.route("/service/reports/complaints")
@staff_required(perm.TICKET_VIEW)
def complaints_report() -> Any:
    """Complaints over the last `days` days (90 by default) per `period`, per root cause, time to resolve."""
    days = _int("days", 90, 1, 3660)
    period = request.args.get("period", "month")
    period = period if period in service.PERIODS else "month"
    end = utcnow() + dt.timedelta(minutes=1)
    report = service.complaint_report(session(), current_actor(), end - dt.timedelta(days=days), end, period)
    chart = {"labels": [period_label(row["period"]) for row in report["periods"]],
             "values": [row["complaints"] for row in report["periods"]],
             "causes": [row["cause"] or _("No cause") for row in report["causes"]],
             "cause_values": [row["complaints"] for row in report["causes"]]}
    return render_template("service/complaints_report.html", report=report, chart=chart, days=days, period=period,
                           period_label=period_label,
                           causes=service.causes(session()))


@bp.route("/service/complaint-causes", methods=["POST"])
@staff_required(perm.MANAGE)
def cause_add() -> Any:
    """Add a root cause from the report page's form."""
    try:
        service.add_cause(session(), request.form.get("name", ""), request.form.get("description", ""))
    except DocumentError as exc:
        session().rollback()
        flash(exc.message, "danger")
        return redirect(url_for("service.complaints_report"))
    session().commit()
    flash(_("The cause was added."), "success")
    return redirect(url_for("service.complaints_report"))


@bp.route("/service/complaint-causes/<int:cause_id>", methods=["POST"])
@staff_required(perm.MANAGE)
def cause_edit(cause_id: int) -> Any:
    """Save a root cause's name, description and whether it is still offered (the report page's form)."""
    from payvand.plugins.service.models_returns import ComplaintCause

    cause = session().get(ComplaintCause, cause_id)
    if cause is None:
        abort(404)
    try:
        service.update_cause(session(), cause, request.form.get("name", ""), request.form.get("description", ""),
                             request.form.get("active") == "1")
    except DocumentError as exc:
        session().rollback()
        flash(exc.message, "danger")
        return redirect(url_for("service.complaints_report"))
    session().commit()
    flash(_("The cause was saved."), "success")
    return redirect(url_for("service.complaints_report"))
