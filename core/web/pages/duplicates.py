"""Likely duplicate customers: the list of candidate pairs, a side-by-side comparison with a
preview of what a merge moves, the merge itself and its undo."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate
from werkzeug.routing import BuildError

from payvand.core import permissions as perm
from payvand.core.db import MAX_ID, current_session
from payvand.core.plugins import PluginError
from payvand.core.services import duplicates as service
from payvand.core.services.customers import CustomerView, get_customer, read_customer
from payvand.core.services.merge import FILLABLE, MergeError, get_merge, merge_customers, moving_rows, undo_merge
from payvand.core.web.access import staff_required, staff_user
from payvand.core.web.errors import error_page
from payvand.core.web.forms import parse_form

bp = Blueprint("duplicates", __name__)

PAGE_SIZE = 50

#: The list's filter: value → label.
REASON_CHOICES = (
    ("", _l("All reasons")),
    (service.EMAIL, _l("Same email")),
    (service.PHONE, _l("Same phone")),
    (service.NAME, _l("Similar names")),
)

#: Labels of the fields a merge fills on the survivor when it has none.
FIELD_LABELS = {
    "given_name": _l("Given name"),
    "family_name": _l("Family name"),
    "organization_name": _l("Organisation name"),
    "birthday": _l("Birthday"),
    "preferred_language": _l("Preferred language"),
    "preferred_channel": _l("Preferred channel"),
    "owner_id": _l("Owner"),
}


class MergeForm(Schema):
    """The merge form: which customer survives (`target_id`) and which is merged into it."""

    target_id = fields.Integer(required=True, strict=False, validate=validate.Range(min=1, max=MAX_ID))
    source_id = fields.Integer(required=True, strict=False, validate=validate.Range(min=1, max=MAX_ID))


def _require_view() -> None:
    """The pages that show customers need `core.customer.view` besides the merge permission."""
    user = staff_user()
    if user is None or not user.can(perm.CUSTOMER_VIEW):
        abort(403)


def customer_url(customer_id: int) -> str:
    """The customer's 360 page (the duplicates list when that page is not installed)."""
    try:
        return url_for("customer.view", customer_id=customer_id)
    except BuildError:
        return url_for("duplicates.index")


@bp.get("/duplicates")
@staff_required(perm.CUSTOMER_MERGE)
def index() -> Any:
    """Candidate pairs (same email, same phone, similar names) with their reasons, page by page."""
    _require_view()
    reason = request.args.get("reason", "")
    if reason not in dict(REASON_CHOICES):
        reason = ""
    cursor = request.args.get("cursor") or None
    bad_cursor = False
    try:
        page = service.find_duplicates(current_session(), reason=reason or None, cursor=cursor, limit=PAGE_SIZE)
    except service.BadCursor:
        bad_cursor = True
        page = service.find_duplicates(current_session(), reason=reason or None, limit=PAGE_SIZE)
    next_url = url_for("duplicates.index", reason=reason or None, cursor=page.next_cursor) if page.next_cursor else None
    first_url = url_for("duplicates.index", reason=reason or None) if cursor else None
    return render_template("duplicates/index.html", page=page, reason=reason, reason_choices=REASON_CHOICES,
                           next_url=next_url, first_url=first_url, bad_cursor=bad_cursor)


@bp.get("/duplicates/of/<int:customer_id>")
@staff_required(perm.CUSTOMER_MERGE)
def of_customer(customer_id: int) -> Any:
    """A fragment for the 360 page: this customer's likely duplicates, loaded after the page."""
    _require_view()
    pairs = service.duplicates_of(current_session(), customer_id, limit=5)
    return render_template("duplicates/_of_customer.html", customer_id=customer_id, pairs=pairs)


def _arg_id(name: str) -> int:
    value = request.args.get(name, "")
    if not value.isdigit() or not 0 < int(value) <= MAX_ID:
        abort(404)
    return int(value)


def merge_preview(target: CustomerView, source: CustomerView) -> dict[str, Any]:
    """What merging `source` into `target` would move, as `merge_customers` does it.

    Emails, phones and tags the target already has stay behind; interactions, addresses and
    consent records all move (counted with one statement); empty fields of the target are
    filled from the source; plugins move their own rows through `payvand_customer_merge`.
    """
    have_emails = {e.email for e in target.emails}
    have_phones = {p.number for p in target.phones}
    have_tags = {t.tag for t in target.tags}
    counted = moving_rows(current_session(), source.id)
    filled = [
        (FIELD_LABELS[name], getattr(source, name)) for name in FILLABLE
        if getattr(target, name) in (None, "") and getattr(source, name) not in (None, "")
    ]
    target_attributes = target.attributes or {}
    runtime = current_app.extensions["payvand"]
    plugins = []
    for name in runtime.plugins.implementers("payvand_customer_merge"):
        installed = runtime.plugins.installed.get(name)
        meta = installed.meta if installed is not None else None
        plugins.append({"name": name, "title": (meta.title if meta and meta.title else name)})
    return {
        "emails": [e.email for e in source.emails if e.email not in have_emails],
        "phones": [p.number for p in source.phones if p.number not in have_phones],
        "tags": [t.tag for t in source.tags if t.tag not in have_tags],
        "interactions": counted["interactions"],
        "addresses": counted["addresses"],
        "consents": counted["consents"],
        "filled": filled,
        "attributes": sorted(k for k in (source.attributes or {}) if k not in target_attributes),
        "plugins": plugins,
    }


def _inactive(customer: CustomerView) -> str | None:
    if customer.merged_into_id is not None:
        return _("Customer %(id)s was already merged into customer %(other)s.", id=customer.id,
                 other=customer.merged_into_id)
    if customer.erased_at is not None:
        return _("Customer %(id)s is erased.", id=customer.id)
    return None


def _compare_page(target_id: int, source_id: int, *, error: str | None = None, status: int = 200) -> Any:
    session = current_session()
    target = read_customer(session, target_id)
    source = read_customer(session, source_id)
    if target is None or source is None:
        abort(404)
    problems = [p for p in (_inactive(target), _inactive(source)) if p]
    if target_id == source_id:
        problems.append(_("A customer cannot be merged into itself."))
    profiles = service.load_profiles(session, [target_id, source_id])
    pair = None
    if target_id in profiles and source_id in profiles:
        pair = service.make_pair(profiles[target_id], profiles[source_id])
    preview = merge_preview(target, source) if not problems else None
    return render_template("duplicates/compare.html", target=target, source=source, pair=pair,
                           preview=preview, problems=problems, error=error), status


@bp.get("/duplicates/compare")
@staff_required(perm.CUSTOMER_MERGE)
def compare() -> Any:
    """Two customers side by side: which survives (swap link), why they look alike, what would move."""
    _require_view()
    return _compare_page(_arg_id("target"), _arg_id("source"))


@bp.post("/duplicates/merge")
@staff_required(perm.CUSTOMER_MERGE)
def merge() -> Any:
    """Merge `source_id` into `target_id`; a refusal (rule or plugin veto) is shown on the comparison."""
    form = parse_form(MergeForm())
    if not form.ok:
        abort(422)
    target_id, source_id = form.data["target_id"], form.data["source_id"]
    session = current_session()
    target = get_customer(session, target_id)
    source = get_customer(session, source_id)
    if target is None or source is None:
        abort(404)
    user = staff_user()
    assert user is not None
    runtime = current_app.extensions["payvand"]
    try:
        record = merge_customers(session, target, source, user, runtime.plugins)
        session.commit()
    except MergeError as exc:
        session.rollback()
        return _merge_refused(target_id, source_id, str(exc))
    except PluginError as exc:
        session.rollback()
        return _merge_refused(target_id, source_id, exc.message)
    except sa.orm.exc.StaleDataError:
        session.rollback()
        return _merge_refused(target_id, source_id, _("One of the customers changed during the merge; try again."))
    flash(_("Customer %(source)s was merged into customer %(target)s.", source=source_id, target=target_id),
          "undo:" + url_for("duplicates.undo", merge_id=record.id))
    return redirect(customer_url(target_id))


def _merge_refused(target_id: int, source_id: int, message: str) -> Any:
    """Show why the merge was refused: on the comparison, or as a message for a user who cannot view it."""
    user = staff_user()
    if user is None or not user.can(perm.CUSTOMER_VIEW):
        return error_page(409, _("The merge was refused: %(reason)s", reason=message))
    return _compare_page(target_id, source_id, error=message, status=409)


@bp.post("/duplicates/merges/<int:merge_id>/undo")
@staff_required(perm.CUSTOMER_MERGE)
def undo(merge_id: int) -> Any:
    """Undo a merge: the moved rows go back to the merged-away customer; back to the comparison."""
    session = current_session()
    record = get_merge(session, merge_id)
    if record is None:
        abort(404)
    target_id, source_id = record.target_id, record.source_id
    user = staff_user()
    assert user is not None
    try:
        undo_merge(session, record, user)
        session.commit()
        flash(_("The merge was undone: customer %(source)s is separate again.", source=source_id), "success")
    except MergeError as exc:
        session.rollback()
        flash(_("The merge could not be undone: %(reason)s", reason=str(exc)), "error")
    except sa.orm.exc.StaleDataError:
        session.rollback()
        flash(_("A customer changed during the undo; try again."), "error")
    if user.can(perm.CUSTOMER_VIEW):
        return redirect(url_for("duplicates.compare", target=target_id, source=source_id))
    return redirect(url_for("duplicates.index"))
