"""Staff login and logout: Flask-Login over server-side sessions, with rate-limited failures."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, login_user, logout_user
from marshmallow import Schema, fields, validate

from payvand.core.auth import hash_password, verify_password
from payvand.core.db import current_session
from payvand.core.models import User
from payvand.core.web.access import load_staff_user, local_path, staff_required, staff_user
from payvand.core.web.forms import FormResult, parse_form

#: Failed logins allowed per address and account in the window, and per address overall.
LOGIN_FAILURES_PER_ACCOUNT = "5 per 15 minutes"
LOGIN_FAILURES_PER_ADDRESS = "50 per 15 minutes"
_DUMMY_HASH: dict[str, str] = {}


class LoginForm(Schema):
    """The login form."""

    email = fields.String(required=True, validate=validate.Length(min=3, max=254))
    password = fields.String(required=True, validate=validate.Length(min=1, max=1000))
    next = fields.String(load_default="", validate=validate.Length(max=2000))


def _account_key() -> str:
    email = (request.form.get("email") or "").strip().lower()[:254]
    return f"login:{get_remote_address()}:{email}"


def _failed(response: Any) -> bool:
    return response.status_code != 302


def _safe_next(target: str) -> str:
    """Only a local path may be the target after login (no open redirect)."""
    return local_path(target) or url_for("home.index")


def _check_password(email: str, password: str) -> User | None:
    db = current_session()
    user = db.scalars(sa.select(User).where(User.email == email.strip().lower())).first()
    profile = current_app.config.get("PAYVAND_PASSWORD_PROFILE", "default")
    if user is None or not user.is_active or not user.password_hash:
        # Spend the same time as a real check, so response times do not reveal accounts.
        dummy = User(password_hash=_DUMMY_HASH.setdefault(profile, hash_password("not-a-password", profile)))
        verify_password(dummy, password, profile)
        return None
    if not verify_password(user, password, profile):
        return None
    db.commit()  # a rehash on new parameters
    return user


def login() -> Any:
    """Show the login form; check the password and start a fresh session."""
    if staff_user() is not None and request.method == "GET":
        return redirect(_safe_next(request.args.get("next", "")))
    form = FormResult.empty({"next": request.args.get("next", "")})
    if request.method == "POST":
        form = parse_form(LoginForm(), verbatim=["password"])
        if form.ok:
            user = _check_password(form.data["email"], form.data["password"])
            if user is not None:
                locale = session.get("locale")
                session.clear()
                session.regenerate()  # type: ignore[attr-defined]
                if locale:
                    session["locale"] = locale
                staff = load_staff_user(current_session().connection(), user.id)
                login_user(staff)
                return redirect(_safe_next(form.data.get("next", "")))
            form.errors["_form"] = [_("The email or password is not correct.")]
        return render_template("auth/login.html", form=form), 200
    return render_template("auth/login.html", form=form)


@staff_required()
def logout() -> Any:
    """End this session."""
    logout_user()
    session.clear()
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


def init_auth(app: Flask) -> None:
    """Install Flask-Login and the rate limiter on `app`."""
    manager = LoginManager()
    manager.session_protection = "basic"
    manager.login_view = "auth.login"

    @manager.user_loader
    def _load(user_id: str) -> Any:
        if not user_id.isdigit():
            return None
        return load_staff_user(current_session().connection(), int(user_id))

    manager.init_app(app)
    # One limiter per app (its storage is per instance): `memory://`, or Redis at scale.
    limiter = Limiter(get_remote_address, app=app, default_limits=[], strategy="moving-window",
                      storage_uri=app.config.get("PAYVAND_RATELIMIT_STORAGE_URI") or "memory://",
                      headers_enabled=False)
    app.extensions["payvand_limiter"] = limiter  # plugins count through it too (`payvand.sdk.over_rate_limit`)
    message = _l("Too many failed attempts. Wait a few minutes and try again.")
    limited_login = limiter.limit(LOGIN_FAILURES_PER_ADDRESS, methods=["POST"], deduct_when=_failed,
                                  error_message=message)(login)
    limited_login = limiter.limit(LOGIN_FAILURES_PER_ACCOUNT, key_func=_account_key, methods=["POST"],
                                  deduct_when=_failed, error_message=message)(limited_login)
    bp = Blueprint("auth", __name__)
    bp.add_url_rule("/login", view_func=limited_login, methods=["GET", "POST"])
    bp.add_url_rule("/logout", view_func=logout, methods=["POST"])
    app.register_blueprint(bp)
