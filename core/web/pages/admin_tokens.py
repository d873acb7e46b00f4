"""Admin: API tokens — list, create (the secret is shown once, on the answer to the form), revoke.

Scopes follow `payvand tokens create --scope`: declared permission names, `plugin.*` prefixes or
`*`. The secret is rendered into the response to the POST and nowhere else: it is not put in
the session, flashed, logged or audited (the audit entry has the token's prefix only).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import Schema, fields, validate

from payvand.core import permissions as perm
from payvand.core.actor import Actor
from payvand.core.db import current_session
from payvand.core.locale_format import parse_date
from payvand.core.services import staff
from payvand.core.services import users as svc
from payvand.core.web.access import staff_required, staff_user
from payvand.core.web.forms import FormResult, parse_form
from payvand.core.web.i18n import current_locale, select_timezone

bp = Blueprint("admin_tokens", __name__)

PAGE_SIZE = 50
#: The token form offers at most this many users (staff accounts, by email).
USER_CHOICES = 1000


class TokenForm(Schema):
    """The form creating an API token."""

    user_id = fields.Integer(required=True, error_messages={"required": "Choose a user.", "invalid": "Choose a user."})
    name = fields.String(required=True, error_messages={"required": "This field is required."},
                         validate=validate.Length(min=1, max=svc.MAX_TOKEN_NAME,
                                                  error="A token name must have 1 to 120 characters."))
    scopes = fields.List(fields.String(validate=validate.Length(max=120)), load_default=list)
    expires_on = fields.String(load_default=None, validate=validate.Length(max=40), metadata={"latin_digits": True})


def _me() -> Actor:
    user = staff_user()
    assert user is not None  # guaranteed by staff_required
    return user


def _user_choices(me: Actor) -> list[tuple[int, str]]:
    """Active users a token may be made for (superusers only by a superuser), by email."""
    rows = staff.user_choices(current_session(), limit=USER_CHOICES, order="email", superusers=me.is_superuser)
    return [(row.id, f"{row.email} ({row.name})" if row.name else row.email) for row in rows]


def _expiry(text: str, form: FormResult) -> dt.datetime | None:
    """The moment a token given an expiry date stops working: the end of that day, deployment time."""
    try:
        day = parse_date(text, current_locale())
    except ValueError:
        form.errors["expires_on"] = [_("Not a date; write it as %(format)s.",
                                       format="YYYY/MM/DD" if current_locale() == "fa" else "YYYY-MM-DD")]
        return None
    zone = ZoneInfo(select_timezone())
    if day < dt.datetime.now(zone).date():
        form.errors["expires_on"] = [_("The expiry must be in the future.")]
        return None
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=zone).astimezone(dt.UTC)


@bp.get("/admin/tokens")
@staff_required(perm.USERS_MANAGE)
def index() -> Any:
    """Every API token (of one user with `?user_id=`), newest first, in keyset pages."""
    user_id = request.args.get("user_id", type=int)
    before = request.args.get("before", type=int)
    rows = staff.token_page(current_session(), user_id=user_id, before=before, limit=PAGE_SIZE + 1)
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    next_url = url_for(".index", user_id=user_id or None, before=rows[-1][0].id) if more else None
    first_url = url_for(".index", user_id=user_id or None) if before else None
    return render_template("admin/tokens.html", tokens=rows, user_id=user_id, next_url=next_url,
                           first_url=first_url, now=dt.datetime.now(dt.UTC))


@bp.route("/admin/tokens/new", methods=["GET", "POST"])
@staff_required(perm.USERS_MANAGE)
def new() -> Any:
    """Create a token for a user; the answer shows its secret this once."""
    me = _me()
    choices = _user_choices(me)
    if request.method == "GET":
        form = FormResult.empty({"user_id": request.args.get("user_id", ""), "scopes": ["*"]})
        return render_template("admin/token_new.html", form=form, choices=choices)
    form = parse_form(TokenForm(), lists=["scopes"])
    db = current_session()
    user = None
    if form.ok:
        user = staff.get_user(db, form.data["user_id"])
        if user is None or (user.is_superuser and not me.is_superuser):
            form.errors["user_id"] = [_("Choose a user.")]
    expires_at = _expiry(form.data["expires_on"], form) if form.ok and form.data.get("expires_on") else None
    if form.ok and user is not None:
        try:
            scopes = svc.check_scopes(current_app.extensions["payvand"].permissions(), form.data["scopes"])
            token, secret = svc.create_api_token(db, user, me, form.data["name"], scopes, expires_at)
        except svc.RuleError as exc:
            form.errors.setdefault(exc.field, []).append(_(exc.message, **exc.params))
        else:
            db.commit()
            return render_template("admin/token_created.html", token=token, user=user, secret=secret)
    db.rollback()
    return render_template("admin/token_new.html", form=form, choices=choices), 422


@bp.post("/admin/tokens/<int:token_id>/revoke")
@staff_required(perm.USERS_MANAGE)
def revoke(token_id: int) -> Any:
    """Revoke a token: it is refused from the next API request on."""
    db = current_session()
    token = staff.get_token(db, token_id)
    if token is None:
        abort(404)
    if svc.revoke_token(db, token, _me()):
        db.commit()
        flash(_("Token %(prefix)s… revoked.", prefix=token.prefix), "success")
    else:
        flash(_("Token %(prefix)s… was already revoked.", prefix=token.prefix), "info")
    target = request.form.get("next", "")
    return redirect(target if target.startswith("/admin/tokens") else url_for(".index"))
