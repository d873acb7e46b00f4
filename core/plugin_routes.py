"""Plugins' routes: registered once, at start, for every installed plugin; served while it is active.

Flask cannot add routes to a running app, yet enabling or disabling a plugin must take effect
in every web process within `PAYVAND_PLUGIN_REFRESH_SECONDS`, without a restart. So the app
registers, when it starts, the blueprints of every installed plugin that *could* become active
(the enabled ones, and the disabled ones that load and pass their checks), and a gate in front
of every request answers 404 for a route whose plugin is not active in this process. The gate
reads only memory: the refresh check it calls first was already made on every request, and is
the one place that reads the database (at most every few seconds).

What a plugin's blueprints install beyond their routes — request functions and context
processors, app-wide (`before_app_request`, `app_context_processor`, ...) or their own — is
wrapped so it does nothing while the plugin is inactive. The OpenAPI document leaves an
inactive plugin's operations out (`Api.document`), the navigation lists only active plugins'
entries (`Runtime.nav_items`), and `url_for` to an inactive plugin's page still builds (the
page answers 404), so a template linking to it never fails.

When `PAYVAND_PLUGINS` forces the set of plugins, only those are registered: that set cannot
change while the process runs. A plugin installed with pip after the process started is
unknown to it until it restarts (its package is not imported).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask
from flask.templating import _default_template_ctx_processor
from flask_smorest import Blueprint as SmorestBlueprint

from payvand.core.api.base import API_BLUEPRINT_PREFIX, API_PREFIX
from payvand.core.plugins import InstalledPlugin, check_plugin, dependency_order, hook_functions

HOOK = "payvand_blueprints"

#: The app's registries of request functions, keyed by blueprint name (None: app-wide).
_REQUEST_FUNCTIONS = (
    "before_request_funcs",
    "after_request_funcs",
    "teardown_request_funcs",
    "template_context_processors",
    "url_value_preprocessors",
    "url_default_functions",
)


@dataclasses.dataclass
class PluginRoutes:
    """Which plugin serves each top-level blueprint registered for plugins."""

    owners: dict[str, str] = dataclasses.field(default_factory=dict)

    def owner(self, blueprint: str | None) -> str | None:
        """The plugin serving a request of `blueprint` (a nested one's name starts with its parent's)."""
        return self.owners.get(blueprint.partition(".")[0]) if blueprint else None


def routable_plugins(runtime: Any) -> list[InstalledPlugin]:
    """The installed plugins whose routes the app registers, those a plugin requires first.

    Every active plugin, and every other one that loads and passes its checks and that
    `PAYVAND_PLUGINS` (when set) lets run: enabling it later needs no restart.
    """
    installed: dict[str, InstalledPlugin] = runtime.plugins.installed
    override = runtime.override()
    allowed = set(installed) if override is None or "*" in override else set(override) & set(installed)
    active = set(runtime.plugins.enabled)
    chosen = [
        installed[name] for name in allowed
        if name in active or (installed[name].obj is not None and not check_plugin(installed[name], installed))
    ]
    return dependency_order(chosen)


def register_plugin_blueprints(app: Flask, api: Any, runtime: Any) -> PluginRoutes:
    """Register the blueprints of every routable plugin (see `routable_plugins`), active or not.

    A plugin whose `payvand_blueprints` raises, or returns something other than blueprints, is
    recorded as a plugin error and its other blueprints are still registered.
    """
    routes = PluginRoutes()
    for plugin in routable_plugins(runtime):
        function = hook_functions(plugin.obj).get(HOOK)
        if function is None:
            continue
        try:
            result = function()
        except Exception as exc:
            runtime.plugins.report_error(plugin.name, HOOK, exc)
            continue
        before = _request_functions(app)
        for blueprint in result if isinstance(result, (list, tuple)) else [result]:
            if blueprint is None:
                continue
            try:
                routes.owners[_register(app, api, plugin.name, blueprint)] = plugin.name
            except Exception as exc:
                runtime.plugins.report_error(plugin.name, HOOK, exc)
        _guard_new_functions(app, before, functools.partial(_is_active, runtime, plugin.name))
    return routes


def _register(app: Flask, api: Any, plugin_name: str, blueprint: Any) -> str:
    """Register one blueprint of `plugin_name`; return its Flask name."""
    if isinstance(blueprint, SmorestBlueprint):
        api.register_blueprint(blueprint, url_prefix=API_PREFIX + (blueprint.url_prefix or f"/{plugin_name}"),
                               owner=plugin_name)
        return f"{API_BLUEPRINT_PREFIX}{blueprint.name}"
    if isinstance(blueprint, Blueprint):
        app.register_blueprint(blueprint)
        return str(blueprint.name)
    raise TypeError(f"{HOOK} returned {type(blueprint).__name__}, not a Blueprint")


def _is_active(runtime: Any, plugin_name: str) -> bool:
    return plugin_name in runtime.plugins.enabled


def _request_functions(app: Flask) -> dict[str, dict[str | None, int]]:
    """How many request functions the app holds now, per registry and blueprint (None: app-wide)."""
    return {attr: {key: len(functions) for key, functions in getattr(app, attr).items()} for attr in _REQUEST_FUNCTIONS}


def _guard_new_functions(app: Flask, before: dict[str, dict[str | None, int]], active: Callable[[], bool]) -> None:
    """Wrap every request function added since `before` so it does nothing while not `active()`.

    Flask appends what a blueprint registers, so the new ones are those past the old length
    (the same function may be registered by others too, e.g. `ApiBlueprint`'s checks).
    """
    for attr in _REQUEST_FUNCTIONS:
        for key, functions in getattr(app, attr).items():
            for index in range(before[attr].get(key, 0), len(functions)):
                if functions[index] is not _default_template_ctx_processor:  # Flask's own, for every blueprint
                    functions[index] = _while_active(attr, functions[index], active)


def _while_active(attr: str, function: Callable[..., Any], active: Callable[[], bool]) -> Callable[..., Any]:
    """`function`, doing nothing while not `active()`: an after-request function hands the
    response back untouched, a context processor adds nothing, the others return None."""

    @functools.wraps(function)
    def guarded(*args: Any) -> Any:
        if active():
            return function(*args)
        if attr == "after_request_funcs":
            return args[0]
        if attr == "template_context_processors":
            return {}
        return None

    return guarded
