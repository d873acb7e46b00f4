"""`/api/v1/plugins`: installed plugins, their state, version and recorded errors."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from marshmallow import Schema, fields

from payvand.core import permissions as perm
from payvand.core.api.base import ApiBlueprint, require, runtime
from payvand.core.db import current_session
from payvand.core.models import PluginState

blp = ApiBlueprint("plugins", __name__, url_prefix="/plugins", description="Installed plugins.")


class PluginOut(Schema):
    """A plugin as the API reports it."""

    name = fields.String(required=True)
    title = fields.String(required=True)
    version = fields.String(required=True)
    requires = fields.List(fields.String(), required=True)
    enabled = fields.Boolean(required=True, metadata={"description": "Wanted on in this deployment"})
    active = fields.Boolean(required=True, metadata={"description": "Actually loaded in this process"})
    problems = fields.List(fields.String(), required=True)
    error_count = fields.Integer(required=True)
    last_error = fields.String(allow_none=True, required=True)
    last_error_at = fields.DateTime(allow_none=True, required=True)
    recent_errors = fields.List(fields.Dict(), required=True)


def plugin_rows() -> list[dict[str, Any]]:
    """Every installed plugin with its state, for the API, the CLI and the admin page."""
    rt = runtime()
    states = {s.name: s for s in current_session().scalars(sa.select(PluginState))}
    rows = []
    for name, plugin in sorted(rt.plugins.installed.items()):
        state = states.get(name)
        rows.append({
            "name": name,
            "title": (plugin.meta.title if plugin.meta else "") or name,
            "version": plugin.version,
            "requires": list(plugin.meta.requires) if plugin.meta else [],
            "enabled": state.enabled if state else name in rt.plugins.enabled,
            "active": name in rt.plugins.enabled,
            "problems": rt.plugins.problems.get(name, []) + ([plugin.load_error] if plugin.load_error else []),
            "error_count": state.error_count if state else 0,
            "last_error": state.last_error if state else None,
            "last_error_at": state.last_error_at if state else None,
            "recent_errors": [{k: v for k, v in e.items() if k != "traceback"} for e in (state.recent_errors or [])] if state else [],
        })
    return rows


@blp.route("", methods=["GET"])
@require(perm.PLUGINS_VIEW)
@blp.response(200, PluginOut(many=True))
def list_plugins() -> list[dict[str, Any]]:
    """Installed plugins: enabled or not, version, problems and recorded errors."""
    return plugin_rows()
