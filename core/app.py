"""The Flask application factory."""

from __future__ import annotations

import decimal
import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask, g, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import HTTPException, NotFound

from payvand.core import idempotency
from payvand.core.api import customers as customers_api
from payvand.core.api import interactions as interactions_api
from payvand.core.api import messages as messages_api
from payvand.core.api import plugins as plugins_api
from payvand.core.api.base import API_PREFIX, init_api
from payvand.core.api.errors import ApiError, error_response, from_api_error, from_http_exception
from payvand.core.auth import actor_for_token
from payvand.core.config import build_config
from payvand.core.plugin_routes import PluginRoutes, register_plugin_blueprints
from payvand.core.plugins import PluginError
from payvand.core.runtime import Runtime
from payvand.core.services.customers import CustomerInactive
from payvand.core.web.errors import error_page, handle_ui_error, inactive_customer_text

log = logging.getLogger(__name__)

CORE_API_BLUEPRINTS = (customers_api.blp, interactions_api.blp, messages_api.blp, plugins_api.blp)
PUBLIC_API_PATHS = {f"{API_PREFIX}/openapi.json"}


class JSONProvider(DefaultJSONProvider):
    """JSON with Persian text kept readable and decimals as exact strings."""

    ensure_ascii = False
    sort_keys = False

    @staticmethod
    def default(o: Any) -> Any:
        if isinstance(o, decimal.Decimal):
            return str(o)
        return DefaultJSONProvider.default(o)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build a Payvand application: configuration, plugins, API, hooks and error handling.

    `config` overrides the defaults and the `PAYVAND_*` environment; see the admin guide.
    """
    settings = build_config(config)
    app = Flask("payvand.core", instance_path=settings["PAYVAND_INSTANCE"], instance_relative_config=False)
    app.json_provider_class = JSONProvider
    app.json = JSONProvider(app)

    runtime = Runtime(settings)  # adds the installed plugins' configuration keys to `settings`
    app.config.update(settings)
    app.extensions["payvand"] = runtime
    runtime.activate_plugins()
    runtime.sync_permissions()
    from payvand.core.importing.bulk_sqlite import recover_engine

    recover_engine(runtime.engine)  # indexes an interrupted SQLite bulk import dropped

    api = init_api(app)
    for blueprint in CORE_API_BLUEPRINTS:
        api.register_blueprint(blueprint, url_prefix=API_PREFIX + (blueprint.url_prefix or ""))
    routes = register_plugin_blueprints(app, api, runtime)  # every installed plugin's, active or not

    from payvand.core import observability

    observability.install(app)  # first: request ids and timing wrap every other hook
    _install_request_hooks(app, runtime, routes)
    idempotency.install(app)  # after the API's authentication: keys belong to the principal
    _install_error_handlers(app)
    from payvand.core.web import init_web

    init_web(app)
    from payvand.core.jobs import JobRunner

    runtime.job_runner = JobRunner(runtime, app=app)
    return app


def _install_request_hooks(app: Flask, runtime: Runtime, routes: PluginRoutes) -> None:
    from payvand.core import db

    @app.before_request
    def _own_session() -> None:
        # A request uses its own session (`g.payvand_session`), even when the calling thread
        # has one bound (a test's `db_session`, a job calling the app): shield it.
        g.payvand_outer_session = db._current_session.set(None)

    @app.teardown_request
    def _restore_outer_session(_: BaseException | None) -> None:
        token = g.pop("payvand_outer_session", None)
        if token is not None:
            db._current_session.reset(token)

    @app.before_request
    def _plugin_gate() -> Any:
        if request.endpoint == "static":
            return None
        runtime.refresh_plugins()  # picks up `payvand plugins enable/disable` from other processes
        owner = routes.owner(request.blueprint)  # no query: the refresh above is the only one
        if owner is not None and owner not in runtime.plugins.enabled:
            if request.path.startswith("/api/"):
                return error_response(404, "not_found", "The plugin serving this route is disabled.")
            return handle_ui_error(NotFound())
        return None

    @app.before_request
    def _api_auth() -> Any:
        if not request.path.startswith("/api/") or request.path in PUBLIC_API_PATHS:
            return None
        header = request.headers.get("Authorization", "")
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            return error_response(401, "unauthorized", "Authentication required: send 'Authorization: Bearer <token>'.",
                                  headers={"WWW-Authenticate": 'Bearer realm="payvand"'})
        from payvand.core.db import current_session

        found = actor_for_token(current_session(), secret.strip())
        if found is None:
            return error_response(401, "invalid_token", "The token is unknown, revoked or expired.",
                                  headers={"WWW-Authenticate": 'Bearer realm="payvand", error="invalid_token"'})
        g.payvand_actor = found
        return None

    @app.teardown_appcontext
    def _close_session(_: BaseException | None) -> None:
        session = g.pop("payvand_session", None)
        if session is not None:
            session.rollback()
            session.close()


def _install_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError) -> Any:
        return from_api_error(exc)

    @app.errorhandler(CustomerInactive)
    def _customer_inactive(exc: CustomerInactive) -> Any:
        # Raised by the services for any door (a core route, a plugin's route through the SDK).
        if request.path.startswith("/api/"):
            return error_response(409, exc.code, str(exc))
        return error_page(409, inactive_customer_text(exc))

    @app.errorhandler(PluginError)
    def _plugin_error(exc: PluginError) -> Any:
        if request.path.startswith("/api/"):
            return error_response(exc.status, exc.code, exc.message)
        return error_page(exc.status, exc.message)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Any:
        if request.path.startswith("/api/"):
            return from_http_exception(exc)
        return handle_ui_error(exc)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Any:
        if isinstance(exc, HTTPException):
            return _http_error(exc)
        if request.path.startswith("/api/"):
            log.exception("unhandled error on %s %s", request.method, request.path)
            return error_response(500, "internal_error", "An internal error occurred; it has been logged.")
        return handle_ui_error(exc)

