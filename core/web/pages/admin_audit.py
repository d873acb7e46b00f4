"""Admin: the audit log — who changed what and when, filtered by user, object, action and dates.

Rows are listed newest first with keyset pagination on (at, id). Each filter combination is
served by an index of `core_audit_log`: the user by (actor_id, at), the object by
(object_type, object_id, at), the object type alone by (object_type, at), the action by
(action, at); no filter (or dates only) walks (at) in order and stops after one page.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import Any

from flask import Blueprint, current_app, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from payvand.core import audit
from payvand.core import permissions as perm
from payvand.core.db import MAX_ID, current_session
from payvand.core.listing import BadCursor
from payvand.core.locale_format import parse_date
from payvand.core.normalize import to_latin_digits
from payvand.core.services import staff
from payvand.core.services.audit_list import AUDIT
from payvand.core.web.access import staff_required, staff_user
from payvand.core.web.forms import FormResult
from payvand.core.web.forms import validate as validate_form
from payvand.core.web.i18n import current_locale, select_timezone

bp = Blueprint("admin_audit", __name__)

PAGE_SIZE = 50
#: Users offered in the filter's select (by name); beyond that the list is cut.
USER_CHOICES = 500
KNOWN_ACTIONS = ("create", "update", "delete", "merge", "unmerge", "erase", "enable", "disable", "clear_errors")
FILTERS = ("actor", "object_type", "object_id", "action", "date_from", "date_to", "after")


class LocalDate(fields.Field):
    """A date typed in the request's language: ISO, or Jalali in `fa` (Persian digits allowed)."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> dt.date:
        try:
            return parse_date(str(value), current_locale())
        except (ValueError, TypeError):
            if current_locale() == "fa":
                raise ValidationError(_("Not a date; write it as 1403/02/15 (Jalali) or 2024-05-04.")) from None
            raise ValidationError(_("Not a date; write it as 2024-05-04.")) from None


class AuditFilters(Schema):
    """The filters of the audit page (query string)."""

    actor = fields.Integer(validate=validate.Range(min=1, max=MAX_ID))
    object_type = fields.String(validate=validate.Length(max=64))
    object_id = fields.String(validate=validate.Length(max=64))
    action = fields.String(validate=validate.Length(max=32))
    date_from = LocalDate()
    date_to = LocalDate()
    after = fields.String(validate=validate.Length(max=500))

    @validates_schema
    def _order(self, data: Mapping[str, Any], **_kwargs: Any) -> None:
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            raise ValidationError(_("The end date is before the start date."), "date_to")


@dataclasses.dataclass(frozen=True)
class Change:
    """One changed key of an audit entry, with its old and new values as readable JSON."""

    key: str
    old: str
    new: str


def _show(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def changes(before: Any, after: Any) -> list[Change]:
    """The keys that differ between the entry's before and after snapshots (only those)."""
    old = before if isinstance(before, dict) else ({} if before is None else {"value": before})
    new = after if isinstance(after, dict) else ({} if after is None else {"value": after})
    return [Change(key, _show(pair[0]), _show(pair[1])) for key, pair in audit.diff(old, new).items()]


def object_url(object_type: str, object_id: str | None) -> str | None:
    """A link to the audited object's page when there is one (customers)."""
    if object_type == "customer" and object_id and object_id.isdigit() and "customer.view" in current_app.view_functions:
        return url_for("customer.view", customer_id=int(object_id))
    return None


def _args() -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in FILTERS:
        text = to_latin_digits(request.args.get(name, "")).strip()
        if text:
            values[name] = text
    return values


@bp.get("/admin/audit")
@staff_required(perm.AUDIT_VIEW)
def index() -> Any:
    """The audit log, newest first, filtered and paged by (at, id)."""
    session = current_session()
    form: FormResult = validate_form(AuditFilters(), _args())
    users = staff.user_choices(session, limit=USER_CHOICES, active_only=False)
    rows: Sequence[Any] = []
    next_url = None
    status = 200
    if form.ok:
        args = {k: v for k, v in form.data.items() if k != "after"}
        try:
            page = AUDIT.page(session, {**args, "cursor": form.data.get("after"), "limit": PAGE_SIZE},
                              staff_user(), zone=select_timezone())
        except BadCursor:
            form.errors["after"] = [_("This page link is not valid; start again from the first page.")]
            status = 422
        else:
            rows = page.items
            if page.next_cursor:
                kept = {k: v for k, v in form.values.items() if k != "after"}
                next_url = url_for("admin_audit.index", **kept, after=page.next_cursor)
    else:
        status = 422
    entries = [
        {"row": row, "changes": changes(row.before, row.after), "url": object_url(row.object_type, row.object_id)}
        for row in rows
    ]
    first_url = url_for("admin_audit.index", **{k: v for k, v in form.values.items() if k != "after"}) \
        if form.values.get("after") else None
    return render_template(
        "admin/audit.html", form=form, entries=entries, next_url=next_url, first_url=first_url,
        user_choices=[(u.id, f"{u.name} <{u.email}>" if u.name else u.email) for u in users],
        actions=KNOWN_ACTIONS, filtered=any(k != "after" for k in form.values),
    ), status
