"""The running kernel: engine, sessions, plugins and what the plugins registered."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from payvand.core import db, permissions as core_permissions
from payvand.core.contracts import ChannelSpec, CustomerField, PermissionSpec
from payvand.core.models import CORE_CHANNELS, PluginState
from payvand.core.plugins import PluginManager, discover, env_enabled_override, format_exception

log = logging.getLogger(__name__)


class Runtime:
    """Everything a Payvand process shares: one per app (or CLI invocation)."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.engine = db.make_engine(config["PAYVAND_DATABASE_URL"])
        self.sessionmaker: sessionmaker[Session] = sessionmaker(self.engine, expire_on_commit=False)
        installed = discover() if config.get("PAYVAND_DISCOVER_PLUGINS", True) else {}
        self.plugins = PluginManager(installed)
        for obj in config.get("PAYVAND_EXTRA_PLUGINS") or ():
            self.plugins.add(obj)
        self.plugins.error_sink = self.record_plugin_error
        self.job_runner: Any = None

    # ------------------------------------------------------------------ plugins

    def schema_ready(self) -> bool:
        """True once the core tables exist (after `payvand db upgrade`)."""
        return sa.inspect(self.engine).has_table(PluginState.__tablename__)

    def wanted_plugins(self) -> set[str]:
        """The plugins to enable: `PAYVAND_PLUGINS` if set, else the database's state.

        The `PAYVAND_PLUGINS` configuration key (a list, or "all") wins over the environment
        variable, which wins over the database. A plugin seen for the first time is recorded
        as enabled.
        """
        configured = self.config.get("PAYVAND_PLUGINS")
        override = env_enabled_override()
        if configured is not None:
            override = {configured} if isinstance(configured, str) else set(configured)
            override = {"*"} if "all" in override else override
        if override is not None:
            return set(self.plugins.installed) if "*" in override else override
        if not self.schema_ready():
            return set()
        with self.sessionmaker.begin() as session:
            states = {s.name: s for s in session.scalars(sa.select(PluginState))}
            for name, plugin in self.plugins.installed.items():
                if name not in states:
                    session.add(PluginState(name=name, enabled=True, version=plugin.version))
                elif plugin.meta and states[name].version != plugin.version:
                    states[name].version = plugin.version
            return {n for n, s in states.items() if s.enabled} | {
                n for n in self.plugins.installed if n not in states
            }

    def activate_plugins(self) -> list[str]:
        """(Re)register the wanted plugins whose migrations are applied."""
        from payvand.core.migrations.runner import applied_heads

        heads = applied_heads(self.engine, self.plugins.installed) if self.schema_ready() else {}
        wanted = self.wanted_plugins()
        self.plugins.applied_heads = heads  # type: ignore[attr-defined]
        enabled = self.plugins.activate(
            name for name in wanted if heads.get(name, True)
        )
        for name in wanted - set(enabled):
            if not heads.get(name, True):
                self.plugins.problems.setdefault(name, []).append(
                    "its migrations are not applied: run `payvand db upgrade`"
                )
        return enabled

    def record_plugin_error(self, plugin_name: str, where: str, exc: BaseException) -> None:
        """Record a plugin's exception on its PluginState row, in its own transaction."""
        if not self.schema_ready():
            return
        text = f"{where}: {type(exc).__name__}: {exc}"
        with self.sessionmaker.begin() as session:
            state = session.get(PluginState, plugin_name, with_for_update=True)
            if state is None:
                state = PluginState(name=plugin_name, enabled=True, error_count=0, recent_errors=[])
                session.add(state)
            state.error_count = (state.error_count or 0) + 1
            state.last_error = text
            state.last_error_at = db.utcnow()
            entry = {"at": db.utcnow().isoformat(), "where": where, "error": text,
                     "traceback": format_exception(exc)}
            state.recent_errors = ([entry] + list(state.recent_errors or []))[:20]

    # ------------------------------------------------------------------ registries

    def customer_fields(self) -> dict[str, CustomerField]:
        """Custom customer fields declared by the enabled plugins, by name."""
        fields: dict[str, CustomerField] = {}
        for field in self.plugins.call_cached("payvand_customer_fields"):
            if isinstance(field, CustomerField):
                fields[field.name] = field
        return fields

    def channels(self) -> dict[str, str]:
        """Every interaction channel: the core's and the plugins'."""
        channels = dict(CORE_CHANNELS)
        for spec in self.plugins.call_cached("payvand_channels"):
            if isinstance(spec, ChannelSpec):
                channels[spec.name] = spec.label
        return channels

    def permissions(self) -> dict[str, tuple[str, str]]:
        """Every permission: name -> (plugin, description)."""
        result = {p.name: ("core", p.description) for p in core_permissions.CORE_PERMISSIONS}
        for name in self.plugins.enabled:
            for spec in self._permissions_of(name):
                result[spec.name] = (name, spec.description)
        return result

    def _permissions_of(self, plugin_name: str) -> Iterable[PermissionSpec]:
        obj = self.plugins.installed[plugin_name].obj
        function = getattr(obj, "payvand_permissions", None)
        if function is None:
            return []
        try:
            return [p for p in function() or [] if isinstance(p, PermissionSpec)]
        except Exception as exc:
            self.plugins.report_error(plugin_name, "payvand_permissions", exc)
            return []

    def sync_permissions(self) -> None:
        """Record every declared permission so admins can grant it (idempotent)."""
        from payvand.core.models import Permission

        if not self.schema_ready():
            return
        declared = self.permissions()
        with self.sessionmaker.begin() as session:
            existing = {p.name: p for p in session.scalars(sa.select(Permission))}
            for name, (plugin, description) in declared.items():
                row = existing.get(name)
                if row is None:
                    session.add(Permission(name=name, plugin=plugin, description=description))
                elif (row.plugin, row.description) != (plugin, description):
                    row.plugin, row.description = plugin, description
