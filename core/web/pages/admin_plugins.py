"""Admin: the installed plugins — enable and disable them (with their requirements), see their
problems and the errors they raised, and clear those errors.

The same operations as `payvand plugins list | enable | disable | check` (`core/cli/plugins.py`),
through `Runtime.enable_plugin` / `disable_plugin`, which check `requires`, run migrations and
tell other processes; a change reaches every running process's hooks, pages and API routes
within seconds (see `payvand.core.plugin_routes`). Each change is written to the audit log.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from payvand.core import audit
from payvand.core import permissions as perm
from payvand.core.plugins import requirement_name, static_problems
from payvand.core.runtime import PluginStateError, Runtime
from payvand.core.services import admin
from payvand.core.web.access import staff_required, staff_user

bp = Blueprint("admin_plugins", __name__)

#: Recorded errors shown per plugin (the runtime keeps the last 20).
ERRORS_SHOWN = 10


def _runtime() -> Runtime:
    return current_app.extensions["payvand"]


def _when(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    return None


def plugin_rows(runtime: Runtime) -> list[dict[str, Any]]:
    """Every installed plugin with its metadata, state, problems and newest recorded errors.

    `failed` is true for a plugin that is enabled but fails its checks (it is not loaded), as
    `payvand plugins list` shows it; `enabled` stays what the deployment wants.
    """
    problems = runtime.check_plugins()
    rows = []
    for name in sorted(runtime.plugins.installed):
        info = runtime.plugin_info(name)
        errors = [
            {"at": _when(entry.get("at")), "where": entry.get("where") or "", "error": entry.get("error") or ""}
            for entry in info["recent_errors"][:ERRORS_SHOWN]
        ]
        seen = list(problems.get(name, []))
        seen += [p for p in info["problems"] if p not in seen]
        plugin = runtime.plugins.installed[name]
        # As `payvand plugins list` says: enabled, but its own checks keep it from being loaded.
        failed = bool(info["enabled"] and not info["active"]
                      and static_problems(plugin, runtime.plugins.installed))
        rows.append({**info, "problems": seen, "errors": errors, "failed": failed,
                     "dependants": sorted(
                         other for other, plugin in runtime.plugins.installed.items()
                         if plugin.meta and name in (requirement_name(r) for r in plugin.meta.requires))})
    return rows


def _audit(action: str, name: str, before: dict[str, Any] | None, after: dict[str, Any] | None) -> None:
    user = staff_user()
    actor = user if user is not None else audit.SYSTEM
    with _runtime().sessionmaker.begin() as session:
        audit.record(session, actor, action, "plugin", name, before=before, after=after)


@bp.get("/admin/plugins")
@staff_required(perm.PLUGINS_VIEW)
def index() -> Any:
    """Every installed plugin: title, version, description, requires, state, problems, errors."""
    runtime = _runtime()
    return render_template("admin/plugins.html", plugins=plugin_rows(runtime),
                           overridden=runtime.override() is not None)


@bp.post("/admin/plugins/<name>/enable", defaults={"action": "enable"})
@bp.post("/admin/plugins/<name>/disable", defaults={"action": "disable"})
@staff_required(perm.PLUGINS_MANAGE)
def toggle(name: str, action: str) -> Any:
    """Enable or disable plugin `name`; a refusal (requirement, dependant) is shown as a message."""
    runtime = _runtime()
    if name not in runtime.plugins.installed:
        abort(404)
    try:
        change = runtime.enable_plugin(name) if action == "enable" else runtime.disable_plugin(name)
    except PluginStateError as exc:
        flash(_("Could not change %(name)s: %(reason)s", name=name, reason=str(exc)), "danger")
        return redirect(url_for("admin_plugins.index", _anchor=f"plugin-{name}"))
    _audit(action, name, {"enabled": not change.enabled}, {"enabled": change.enabled})
    version = runtime.plugins.installed[name].version
    if action == "enable":
        message = _("Enabled %(name)s %(version)s.", name=name, version=version)
        if change.migrated:
            message += " " + _("Migrations run: %(branches)s.", branches=", ".join(change.migrated))
        else:
            message += " " + _("No migrations were needed.")
        flash(message, "success")
        if not change.active and not change.overridden:
            problems = "; ".join(runtime.plugins.problems.get(name, []))
            flash(_("%(name)s is enabled but not active: %(problems)s", name=name, problems=problems), "warning")
    else:
        flash(_("Disabled %(name)s; its data is kept.", name=name), "success")
    if change.overridden:
        flash(_("PAYVAND_PLUGINS is set, so the configuration (not this page) decides which plugins run."), "warning")
    return redirect(url_for("admin_plugins.index", _anchor=f"plugin-{name}"))


@bp.post("/admin/plugins/<name>/errors/clear")
@staff_required(perm.PLUGINS_MANAGE)
def clear_errors(name: str) -> Any:
    """Forget the errors recorded for plugin `name` (after fixing their cause)."""
    runtime = _runtime()
    if name not in runtime.plugins.installed:
        abort(404)
    with runtime.sessionmaker.begin() as session:
        user = staff_user()
        admin.clear_plugin_errors(session, user if user else audit.SYSTEM, name)
    flash(_("Cleared the recorded errors of %(name)s.", name=name), "success")
    return redirect(url_for("admin_plugins.index", _anchor=f"plugin-{name}"))
