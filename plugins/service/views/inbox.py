"""The inbox's saved views (save, delete) and bulk actions on the ticked tickets."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask import abort, flash, redirect, request, url_for
from marshmallow import Schema, ValidationError, fields, validate

from payvand.plugins.service import permissions as perm
from payvand.plugins.service.api.inbox import check_bulk_value
from payvand.plugins.service.services import inbox
from payvand.plugins.service.views import bp
from payvand.sdk import current_actor, session, staff_required
from payvand.sdk import gettext as _


class SaveViewForm(Schema):
    """Save the inbox's current query under a name."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    query = fields.String(load_default="", validate=validate.Length(max=2000))
    shared = fields.Boolean(load_default=False)


def _back(query: str = "") -> Any:
    kept = urlencode([(k, v) for k, v in parse_qsl(query) if k in inbox.KEPT])
    return redirect(url_for("service.tickets") + (f"?{kept}" if kept else ""))


def _messages(exc: ValidationError) -> str:
    found = exc.normalized_messages()
    return "; ".join(f"{field}: {' '.join(map(str, msgs))}" for field, msgs in found.items())


@bp.route("/service/tickets/views", methods=["POST"])
@staff_required(perm.TICKET_VIEW)
def view_save() -> Any:
    """Save the current filters and sort as a view (own, or shared)."""
    raw = {key: request.form[key] for key in ("name", "query", "shared") if request.form.get(key)}
    try:
        data = SaveViewForm().load(raw)
    except ValidationError as exc:
        flash(_messages(exc), "danger")
        return _back(request.form.get("query", "")), 400 if request.headers.get("HX-Request") else 302
    inbox.save_view(session(), current_actor(), data["name"].strip(), data["query"], data["shared"])
    session().commit()
    return _back(data["query"])


@bp.route("/service/tickets/views/<int:view_id>/delete", methods=["POST"])
@staff_required(perm.TICKET_VIEW)
def view_delete(view_id: int) -> Any:
    """Delete one of your own views."""
    if not inbox.delete_view(session(), current_actor(), view_id):
        abort(404)
    session().commit()
    return _back()


class BulkForm(Schema):
    """The ticked tickets and one action."""

    ticket_ids = fields.List(fields.Integer(validate=validate.Range(min=1)), required=True,
                             validate=validate.Length(min=1, max=500))
    action = fields.String(required=True, validate=validate.OneOf(inbox.ACTIONS))
    value = fields.String(required=True, validate=validate.Length(min=1, max=64))


@bp.route("/service/tickets/bulk", methods=["POST"])
@staff_required(perm.TICKET_EDIT)
def tickets_bulk() -> Any:
    """Apply one action to the ticked tickets the agent may see; say how many changed."""
    raw: dict[str, Any] = {"ticket_ids": request.form.getlist("ticket_ids"), "action": request.form.get("action", ""),
                           "value": request.form.get("value", "")}
    try:
        data = BulkForm().load(raw)
        if data["action"] == "assign":
            data["value"] = int(data["value"]) if data["value"].isdigit() else data["value"]
        check_bulk_value(data)
    except ValidationError as exc:
        flash(_messages(exc), "danger")
        return _back(request.form.get("query", ""))
    counts = inbox.bulk_change(session(), current_actor(), data["ticket_ids"], data["action"],
                               data["value"].strip() if data["action"] == "tag" else data["value"])
    session().commit()
    flash(_("%(changed)s tickets changed, %(failed)s refused the change.", changed=counts["changed"],
            failed=counts["failed"]), "success")
    return _back(request.form.get("query", ""))
