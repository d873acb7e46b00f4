"""Alembic environment shared by the core and every plugin branch.

The caller passes the connection and the version table (`alembic_version` for the core,
`alembic_version_<plugin>` for a plugin) through `config.attributes`.
"""

from __future__ import annotations

from alembic import context

import payvand.core.models  # noqa: F401  (registers the core tables)
from payvand.core.db import metadata

config = context.config
connection = config.attributes["connection"]
version_table = config.attributes.get("version_table", "alembic_version")
plugin_prefix = config.attributes.get("table_prefix")


def include_object(obj, name, type_, reflected, compare_to):
    """Autogenerate only looks at the tables of the branch being generated."""
    if type_ == "table":
        table_name = name
    else:
        table_name = getattr(getattr(obj, "table", None), "name", None)
    if table_name is None or table_name.startswith("alembic_version"):
        return table_name is None
    if plugin_prefix:
        return table_name.startswith(plugin_prefix)
    return table_name.startswith("core_")


def render_item(type_, obj, autogen_context):
    """Render Payvand's column types by the module the revision may import.

    A plugin's revision imports only `payvand.sdk` (plugins never import `payvand.core`), so
    the kernel's types are written `payvand.sdk.UTCDateTime(...)`; the core's own revisions
    keep `payvand.core.db.UTCDateTime(...)`. Anything else is rendered as Alembic does.
    """
    if type_ != "type" or type(obj).__module__ != "payvand.core.db":
        return False
    module = "payvand.sdk" if plugin_prefix else "payvand.core.db"
    if plugin_prefix:
        import payvand.sdk

        if getattr(payvand.sdk, type(obj).__name__, None) is not type(obj):
            raise TypeError(f"{type(obj).__name__} is not part of payvand.sdk: a plugin's tables cannot use it")
    autogen_context.imports.add(f"import {module}")
    return f"{module}.{obj!r}"


context.configure(
    connection=connection,
    render_item=render_item,
    target_metadata=metadata,
    version_table=version_table,
    render_as_batch=connection.dialect.name == "sqlite",
    include_object=include_object,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
