"""The start page after login, the global search and the language switch."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from marshmallow import Schema, fields, validate

from payvand.core import permissions as perm
from payvand.core import settings as core_settings
from payvand.core.db import current_session
from payvand.core.services import users as user_service
from payvand.core.services.interaction_list import recent_interactions
from payvand.core.web.access import local_path, staff_required, staff_user
from payvand.core.web.forms import parse_form

bp = Blueprint("home", __name__)

RECENT_LIMIT = 10


class LocaleForm(Schema):
    """The language switch."""

    locale = fields.String(required=True, validate=validate.OneOf(list(core_settings.LOCALES)))
    next = fields.String(load_default="", validate=validate.Length(max=2000))


@bp.get("/")
@staff_required()
def index() -> Any:
    """The start page: search, shortcuts and the interactions recorded last (by id: indexed)."""
    user = staff_user()
    assert user is not None
    recent: Sequence[Any] = []
    if user.can(perm.INTERACTION_VIEW) and user.can(perm.CUSTOMER_VIEW):
        recent = recent_interactions(current_session(), RECENT_LIMIT)
    widgets = current_app.extensions["payvand"].dashboard_widgets(user)
    return render_template("home/index.html", recent=recent, widgets=widgets)


@bp.post("/account/locale")
@staff_required()
def set_locale() -> Any:
    """Switch the user's language and remember it on their account."""
    form = parse_form(LocaleForm())
    if form.ok:
        user = staff_user()
        assert user is not None
        db = current_session()
        user_service.set_locale(db, user.user_id, form.data["locale"])
        db.commit()
        session["locale"] = form.data["locale"]
    return redirect(local_path(form.values.get("next")) or url_for("home.index"))


@bp.post("/locale")
def set_guest_locale() -> Any:
    """Switch the language before logging in (kept in the session)."""
    form = parse_form(LocaleForm())
    if form.ok:
        session["locale"] = form.data["locale"]
    return redirect(url_for("auth.login"))


@bp.get("/search")
@staff_required(perm.CUSTOMER_VIEW)
def search() -> Any:
    """The header's search box: opens the customer list filtered by the query."""
    return redirect(url_for("customers.index", q=request.args.get("q", "").strip()[:200] or None))
