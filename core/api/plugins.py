"""`/api/v1/plugins`: installed plugins, their state, version and recorded errors."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields

from payvand.core import permissions as perm
from payvand.core.api.base import ApiBlueprint, require, runtime

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
    """Every installed plugin with its state (the same facts `payvand plugins info` shows)."""
    rt = runtime()
    keys = PluginOut().fields
    return [{k: v for k, v in rt.plugin_info(name).items() if k in keys} for name in sorted(rt.plugins.installed)]


@blp.route("", methods=["GET"])
@require(perm.PLUGINS_VIEW)
@blp.response(200, PluginOut(many=True))
def list_plugins() -> list[dict[str, Any]]:
    """Installed plugins: enabled or not, version, problems and recorded errors."""
    return plugin_rows()
