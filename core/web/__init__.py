"""The staff web UI: server-rendered pages in Persian and English over the core services.

`init_web(app)` installs sessions, login, CSRF protection, languages, the layout's context and
the core's page blueprints. Every page is guarded by `access.staff_required(permission)`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask, abort, request
from flask_wtf.csrf import CSRFProtect

from payvand.core.web import pages
from payvand.core.web.access import set_request_actor, staff_user
from payvand.core.web.auth import init_auth
from payvand.core.web.i18n import current_locale, init_i18n, is_rtl, site_settings
from payvand.core.web.labels import init_labels
from payvand.core.web.messages import init_messages
from payvand.core.web.nav import ADMIN_GROUP, nav_groups, nav_links
from payvand.core.web.security import install_security_headers, secure_cookies
from payvand.core.web.sessions import ServerSessionInterface, make_store


def _is_ui_request() -> bool:
    return not request.path.startswith("/api/")


def init_web(app: Flask) -> None:
    """Install the staff UI on `app`."""
    runtime = app.extensions["payvand"]
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)  # checked below for UI routes only
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # valid as long as the session
    app.config.setdefault("SEND_FILE_MAX_AGE_DEFAULT", 3600)  # static files: revalidate hourly, not per page
    secure_cookies(app)
    lifetime = dt.timedelta(hours=float(app.config.get("PAYVAND_SESSION_HOURS", 12)))
    app.session_interface = ServerSessionInterface(make_store(app, runtime.engine), lifetime)
    csrf = CSRFProtect(app)
    init_auth(app)
    init_i18n(app)
    init_messages(app)
    init_labels(app)

    @app.before_request
    def _protect_forms() -> None:
        if _is_ui_request() and request.method not in ("GET", "HEAD", "OPTIONS"):
            view = app.view_functions.get(request.endpoint or "")
            if not getattr(view, "__payvand_csrf_exempt__", False):
                csrf.protect()

    @app.before_request
    def _refuse_nul() -> None:
        """A form or query holding a NUL character (no browser sends one) is refused with 400,
        before any page passes it to a database that cannot store it.

        For a route called by other servers (CSRF-exempt: webhooks, one-click unsubscribe) the
        raw body is kept first (bounded by MAX_CONTENT_LENGTH), so the view can still read the
        bytes a signature covers after `request.form` was parsed from them."""
        if not _is_ui_request():
            return
        view = app.view_functions.get(request.endpoint or "")
        if getattr(view, "__payvand_csrf_exempt__", False) and request.method not in ("GET", "HEAD", "OPTIONS"):
            request.get_data(cache=True, parse_form_data=False)
        if any("\x00" in value for source in (request.args, request.form)
               for values in source.listvalues() for value in values):
            abort(400)

    @app.before_request
    def _actor() -> None:
        if _is_ui_request():
            set_request_actor()

    install_security_headers(app)

    @app.after_request
    def _private_pages(response: Any) -> Any:
        if _is_ui_request() and staff_user() is not None:
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.context_processor
    def _layout() -> dict[str, Any]:
        user = staff_user()
        links = nav_links(user) if user is not None else []
        return {
            "locale": current_locale(),
            "rtl": is_rtl(),
            "site": site_settings(),
            "staff": user,
            "nav_main": [link for link in links if link.group is None],
            "nav_groups": nav_groups(links),
            "nav_admin": [link for link in links if link.group == ADMIN_GROUP],
            "can": (lambda permission: bool(user and user.can(permission))),
        }

    for blueprint in pages.load_blueprints():
        app.register_blueprint(blueprint)
