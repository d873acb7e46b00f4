"""The running kernel: engine, sessions, plugins and what the plugins registered.

Which plugins are enabled is recorded per deployment in `PluginState` (overridable by the
`PAYVAND_PLUGINS` configuration key or environment variable). Enabling or disabling a plugin
bumps a generation counter in the settings table; every process compares it with the one it
activated (at most every `PAYVAND_PLUGIN_REFRESH_SECONDS`, default 2) and re-activates its
plugins when it moved, so `payvand plugins enable/disable` takes effect in running servers and
workers without a restart: hooks, menu entries, permissions, and pages and API routes (the app
registers every installed plugin's routes at start and serves them only while the plugin is
active: `payvand.core.plugin_routes`). Only a plugin installed after a process started needs
that process restarted.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import threading
import time
import weakref
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from payvand.core import db
from payvand.core import permissions as core_permissions
from payvand.core.actor import Actor
from payvand.core.config import CORE_KEYS
from payvand.core.contracts import (
    ConfigKey,
    CustomerField,
    EventType,
    InteractionKind,
    JobSpec,
    KpiData,
    KpiPeriod,
    KpiWidget,
    NavItem,
    Panel,
    PermissionSpec,
    RecordRule,
    SettingSpec,
    Subscription,
)
from payvand.core.hookspecs import REGISTRATION_HOOKS
from payvand.core.models import CORE_CHANNELS, PluginState, Setting
from payvand.core.plugins import (
    PluginManager,
    check_plugin,
    discover,
    env_enabled_override,
    format_exception,
    hook_functions,
    registration_problem,
    registration_problems,
    requirement_name,
    resolve_plugin_keys,
    subscription_problems,
)

log = logging.getLogger(__name__)

GENERATION_KEY = "core.plugins.generation"
RECENT_ERRORS = 20
_DEFERRED_ERRORS = "payvand_plugin_errors"
#: Registration hooks called (and cached) when plugins are activated; the app calls
#: `payvand_blueprints` and the CLI `payvand_cli` themselves, and `payvand_config_keys` is read
#: once, when the Runtime is made (`plugin_config_keys`).
WARMED_HOOKS = tuple(h for h in REGISTRATION_HOOKS if h not in ("payvand_blueprints", "payvand_cli", "payvand_config_keys"))


#: Each engine's Runtime, both held weakly: a strong reference to the Runtime (which holds its
#: engine) would keep every Runtime ever made, and its pooled connections, alive for good.
_BY_ENGINE: weakref.WeakKeyDictionary[sa.Engine, weakref.ref[Runtime]] = weakref.WeakKeyDictionary()


def runtime_for(session: Session) -> Runtime | None:
    """The Runtime whose engine `session` is bound to (for SDK calls made outside an app or a
    command, e.g. a service called from a script or a test with only a session), else None."""
    try:
        bind = session.get_bind()
    except Exception:  # an unbound session
        return None
    found = _BY_ENGINE.get(bind.engine if isinstance(bind, sa.Connection) else bind)
    return found() if found is not None else None


class PluginStateError(Exception):
    """Enabling or disabling a plugin is refused; the message says why and what to do."""


@dataclasses.dataclass
class StateChange:
    """What `enable_plugin` / `disable_plugin` did."""

    name: str
    enabled: bool
    migrated: list[str] = dataclasses.field(default_factory=list)
    overridden: bool = False
    active: bool = False


class Runtime:
    """Everything a Payvand process shares: one per app (or CLI invocation)."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.engine = db.make_engine(config["PAYVAND_DATABASE_URL"])
        self.sessionmaker: sessionmaker[Session] = sessionmaker(self.engine, expire_on_commit=False)
        _BY_ENGINE[self.engine] = weakref.ref(self)
        installed = discover() if config.get("PAYVAND_DISCOVER_PLUGINS", True) else {}
        self.plugins = PluginManager(installed)
        for obj in config.get("PAYVAND_EXTRA_PLUGINS") or ():
            self.plugins.add(obj)
        #: The configuration keys the installed plugins declare, by name: (plugin, key).
        self.plugin_config_keys = resolve_plugin_keys(self.config, self.plugins.installed)
        self._event_tables: tuple[int, dict[str, tuple[str, EventType]], dict[str, list[tuple[str, Subscription]]]] | None = None
        self.plugins.error_sink = self.record_plugin_error
        self.job_runner: Any = None
        self._email_channel: Any = None
        self._chat_channel: Any = None
        self._configured_channels: dict[int, Any] = {}
        self._schema_ready = False
        self._generation: int | None = None
        self._checked_at = 0.0
        self._refresh_lock = threading.RLock()

    # ------------------------------------------------------------------ enabled state

    def schema_ready(self) -> bool:
        """True once the core tables exist (after `payvand db upgrade`)."""
        if not self._schema_ready:
            self._schema_ready = sa.inspect(self.engine).has_table(PluginState.__tablename__)
        return self._schema_ready

    def override(self) -> set[str] | None:
        """The enabled set forced by configuration or `PAYVAND_PLUGINS` ({"*"} = all), or None.

        The configuration key (a list, or "all"/"none") wins over the environment variable.
        """
        configured = self.config.get("PAYVAND_PLUGINS")
        if configured is None:
            return env_enabled_override()
        names = {n.strip() for n in configured.split(",")} if isinstance(configured, str) else set(configured)
        if "all" in names:
            return {"*"}
        return {n for n in names if n not in ("none", "")}

    def wanted_plugins(self) -> set[str]:
        """The plugins to enable: the override if set, else the database's state.

        A plugin seen for the first time is recorded as enabled.
        """
        override = self.override()
        if override is not None:
            return set(self.plugins.installed) if "*" in override else override
        if not self.schema_ready():
            return set()
        with self.sessionmaker.begin() as session:
            states = self._states(session, create=True)
            return {n for n, s in states.items() if s.enabled}

    def _states(self, session: Session, *, create: bool = False) -> dict[str, PluginState]:
        states = {s.name: s for s in session.scalars(sa.select(PluginState))}
        if create:
            for name, plugin in self.plugins.installed.items():
                if name not in states:
                    states[name] = PluginState(name=name, enabled=True, version=plugin.version,
                                               error_count=0, recent_errors=[])
                    session.add(states[name])
                elif plugin.meta and states[name].version != plugin.version:
                    states[name].version = plugin.version
        return states

    def activate_plugins(self) -> list[str]:
        """(Re)register the wanted plugins whose migrations are applied; warm their registrations."""
        from payvand.core.migrations.runner import applied_heads

        with self._refresh_lock:
            ready = self.schema_ready()
            self._generation = self._read_generation() if ready else None
            self._checked_at = time.monotonic()
            heads = applied_heads(self.engine, self.plugins.installed) if ready else {}
            wanted = self.wanted_plugins()
            enabled = self.plugins.activate(name for name in wanted if heads.get(name, True))
            self.plugins.applied_heads = heads
            for name in sorted(wanted - set(enabled)):
                if name in self.plugins.installed and not heads.get(name, True):
                    self.plugins.problems.setdefault(name, []).append(
                        f"its migrations are not applied: run `payvand plugins enable {name}` or `payvand db upgrade`"
                    )
            for hook in WARMED_HOOKS:
                self.plugins.call_cached_by_plugin(hook)
            return enabled

    def _read_generation(self) -> int:
        with self.sessionmaker() as session:
            value = session.scalar(sa.select(Setting.value).where(Setting.key == GENERATION_KEY))
        return int(value or 0)

    def _bump_generation(self, session: Session) -> None:
        row = session.get(Setting, GENERATION_KEY, with_for_update=True)
        if row is None:
            session.add(Setting(key=GENERATION_KEY, value=1))
        else:
            row.value = int(row.value or 0) + 1

    def refresh_plugins(self, *, force: bool = False) -> bool:
        """Re-activate the plugins if another process enabled or disabled one; True if it did.

        Looks at the database at most every `PAYVAND_PLUGIN_REFRESH_SECONDS` (0: every call).
        """
        interval = float(self.config.get("PAYVAND_PLUGIN_REFRESH_SECONDS", 2.0))
        if not force and time.monotonic() - self._checked_at < interval:
            return False
        if not self.schema_ready():
            return False
        self._checked_at = time.monotonic()
        try:
            current = self._read_generation()
        except Exception:  # a busy database must not fail the request that asked
            log.warning("could not read the plugins generation", exc_info=True)
            return False
        if current == self._generation and not force:
            return False
        self.activate_plugins()
        return True

    def enable_plugin(self, name: str) -> StateChange:
        """Enable an installed plugin: check it and its `requires`, run its migrations, record it.

        Raises PluginStateError with a message that says what to do when it cannot be.
        """
        from payvand.core.migrations.runner import upgrade

        plugin = self.plugins.installed.get(name)
        if plugin is None:
            raise PluginStateError(f"no installed plugin is named {name!r}{self._installed_hint()}")
        if plugin.load_error:
            raise PluginStateError(f"{name} cannot be loaded: {plugin.load_error}")
        self._require_schema()
        with self.sessionmaker() as session:
            states = self._states(session)
        disabled = [
            dep for dep in (requirement_name(r) for r in plugin.meta.requires)  # type: ignore[union-attr]
            if dep in self.plugins.installed and not (states.get(dep) is None or states[dep].enabled)
        ]
        if disabled:
            raise PluginStateError(
                f"cannot enable {name}: it requires {', '.join(disabled)}, which "
                f"{'is' if len(disabled) == 1 else 'are'} disabled; enable "
                f"{'it' if len(disabled) == 1 else 'them'} first (`payvand plugins enable {disabled[0]}`)"
            )
        problems = check_plugin(plugin, self.plugins.installed)
        if problems:
            raise PluginStateError(f"cannot enable {name}: {'; '.join(problems)}")
        try:
            migrated = upgrade(self.engine, [plugin])[1:]
        except Exception as exc:
            raise PluginStateError(f"the migrations of {name} failed: {type(exc).__name__}: {exc}") from exc
        return self._record_state(name, True, migrated)

    def disable_plugin(self, name: str) -> StateChange:
        """Disable a plugin, keeping its data; refused while an enabled plugin requires it."""
        self._require_schema()
        with self.sessionmaker() as session:
            states = self._states(session)
        if name not in self.plugins.installed and name not in states:
            raise PluginStateError(f"no installed plugin is named {name!r}{self._installed_hint()}")
        dependants = sorted(
            other.name for other in self.plugins.installed.values()
            if other.meta and other.name != name
            and (states.get(other.name) is None or states[other.name].enabled)
            and name in (requirement_name(r) for r in other.meta.requires)
        )
        if dependants:
            raise PluginStateError(
                f"cannot disable {name}: {', '.join(dependants)} "
                f"{'requires' if len(dependants) == 1 else 'require'} it; disable "
                f"{'it' if len(dependants) == 1 else 'them'} first"
            )
        return self._record_state(name, False, [])

    def _record_state(self, name: str, enabled: bool, migrated: list[str]) -> StateChange:
        plugin = self.plugins.installed.get(name)
        with self.sessionmaker.begin() as session:
            state = session.get(PluginState, name, with_for_update=True)
            if state is None:
                state = PluginState(name=name, error_count=0, recent_errors=[])
                session.add(state)
            state.enabled = enabled
            if plugin is not None and plugin.meta is not None:
                state.version = plugin.version
            self._bump_generation(session)
        self.activate_plugins()
        if enabled:
            self.sync_permissions()
        return StateChange(name=name, enabled=enabled, migrated=migrated,
                           overridden=self.override() is not None,
                           active=name in self.plugins.enabled)

    def _require_schema(self) -> None:
        if not self.schema_ready():
            raise PluginStateError("the database is not initialised: run `payvand db upgrade` first")

    def _installed_hint(self) -> str:
        names = sorted(self.plugins.installed)
        return f"; installed: {', '.join(names)}" if names else "; no plugins are installed"

    def check_plugins(self) -> dict[str, list[str]]:
        """Every problem of every installed plugin, enabled or not (what `plugins check` shows)."""
        from payvand.core.migrations.runner import applied_heads

        heads: dict[str, bool] | None = None
        enabled: set[str] = set()
        if self.schema_ready():
            heads = applied_heads(self.engine, self.plugins.installed)
            enabled = self.wanted_plugins()
        result: dict[str, list[str]] = {}
        for name, plugin in sorted(self.plugins.installed.items()):
            problems = check_plugin(plugin, self.plugins.installed, applied_heads=heads, enabled=name in enabled)
            more = registration_problems(plugin) + subscription_problems(plugin, self.plugins.installed)
            problems += [p for p in more if p not in problems]
            result[name] = problems
        return result

    # ------------------------------------------------------------------ errors

    def record_plugin_error(self, plugin_name: str, where: str, exc: BaseException) -> None:
        """Record a plugin's exception on its PluginState row, in a transaction of its own.

        The caller's transaction may roll back afterwards; the record stays. On SQLite a
        second connection cannot write while the caller's transaction holds the write lock,
        so the record is written as soon as that transaction ends (commit or rollback).
        """
        if not self.schema_ready():
            return
        text = f"{where}: {type(exc).__name__}: {exc}"[:2000]
        entry = {"at": db.utcnow().isoformat(), "where": where, "error": text, "traceback": format_exception(exc)}
        session = self._open_session()
        if session is not None and self.engine.dialect.name == "sqlite":
            self._defer(session, plugin_name, entry)
            return
        self._write_errors([(plugin_name, entry)])

    def _open_session(self) -> Session | None:
        """The current request's or job's session when it is inside a transaction on our engine."""
        session = db._current_session.get()
        if session is None:
            from flask import g, has_app_context

            if has_app_context():
                session = g.get("payvand_session")
        if session is None or not session.in_transaction():
            return None
        try:
            bind = session.get_bind()
        except Exception:
            return None
        return session if getattr(bind, "engine", bind) is self.engine else None

    def _defer(self, session: Session, plugin_name: str, entry: dict[str, Any]) -> None:
        pending = session.info.get(_DEFERRED_ERRORS)
        if pending is None:
            pending = session.info[_DEFERRED_ERRORS] = []

            def flush(sess: Session, *_: Any) -> None:
                entries = sess.info.pop(_DEFERRED_ERRORS, None)
                if entries:
                    try:
                        self._write_errors(entries)
                    except Exception:
                        log.exception("could not record plugin errors")

            for name in ("after_commit", "after_rollback"):
                event.listen(session, name, flush, once=True)
        pending.append((plugin_name, entry))

    def _write_errors(self, entries: list[tuple[str, dict[str, Any]]]) -> None:
        for attempt in range(2):
            try:
                with self.sessionmaker.begin() as session:
                    for plugin_name, entry in entries:
                        state = session.get(PluginState, plugin_name, with_for_update=True)
                        if state is None:
                            plugin = self.plugins.installed.get(plugin_name)
                            state = PluginState(name=plugin_name, enabled=True, error_count=0, recent_errors=[],
                                                version=plugin.version if plugin else None)
                            session.add(state)
                        state.error_count = (state.error_count or 0) + 1
                        state.last_error = entry["error"]
                        state.last_error_at = db.utcnow()
                        state.recent_errors = ([entry, *(state.recent_errors or [])])[:RECENT_ERRORS]
                return
            except IntegrityError:  # two processes created the same state row: once more
                if attempt:
                    raise

    # ------------------------------------------------------------------ registries

    def _registered(self, hook_name: str) -> Iterable[tuple[str, Any]]:
        """(plugin, item) for each valid item the active plugins registered through `hook_name`."""
        for plugin_name, items in self.plugins.call_cached_by_plugin(hook_name).items():
            for item in items:
                problem = registration_problem(plugin_name, hook_name, item)
                if problem:
                    log.warning("plugin %s: %s (ignored)", plugin_name, problem)
                    continue
                yield plugin_name, item

    def customer_fields(self) -> dict[str, CustomerField]:
        """Custom customer fields declared by the active plugins, by name."""
        return {field.name: field for _, field in self._registered("payvand_customer_fields")}

    def channels(self) -> dict[str, str]:
        """Every interaction channel: the core's and the plugins' (label-only or messaging), name -> label."""
        channels = dict(CORE_CHANNELS)
        for _, spec in self._registered("payvand_channels"):
            channels[spec.name] = spec.label or spec.name
        return channels

    def message_channels(self, *, fresh: bool = False) -> dict[str, Any]:
        """The channels that send messages, name -> `MessageChannel`: the core's `email` and `chat` and the
        active plugins' (a plugin's channel of the same name replaces the core's). Each is
        configured (`configure(config)`) with the app's configuration and the settings stored on
        the Channels page, again whenever those change (read at most every few seconds; `fresh`
        reads them now: the dispatcher does before sending)."""
        from payvand.core.messaging.contract import MessageChannel
        from payvand.core.messaging.email_channel import EmailChannel

        if self._email_channel is None:
            self._email_channel = EmailChannel()
        if self._chat_channel is None:
            from payvand.core.messaging.chat import ChatChannel

            self._chat_channel = ChatChannel()
        found: dict[str, Any] = {"email": self._email_channel, "chat": self._chat_channel}
        for _, item in self._registered("payvand_channels"):
            if isinstance(item, MessageChannel) and item.name:
                found[item.name] = item
        for channel in found.values():
            self._configured_channels.setdefault(id(channel), channel)
        from payvand.core.messaging.channel_settings import refresh

        refresh(self, found, force=fresh)  # configured with environment + stored settings when they change
        return found

    def channel_jobs(self) -> list[tuple[str, JobSpec]]:
        """A polling job (`<owner>.poll_<channel>`) for each messaging channel with `polls=True`."""
        jobs: list[tuple[str, JobSpec]] = []
        for name, channel in self.message_channels().items():
            if channel.polls:
                owner = self.channel_owner(name)
                jobs.append((owner, JobSpec(f"{owner}.poll_{name}", functools.partial(_poll_channel, channel),
                                            int(channel.poll_every_seconds), f"Fetch inbound {name} messages")))
        return jobs

    def channel_owner(self, name: str) -> str:
        """Who registered channel `name`: a plugin's name, or `core`."""
        from payvand.core.messaging.contract import MessageChannel

        for plugin_name, item in self._registered("payvand_channels"):
            if isinstance(item, MessageChannel) and item.name == name:
                return plugin_name
        return "core"

    def interaction_kinds(self) -> dict[str, InteractionKind]:
        """The interaction kinds the active plugins declared (label, summary template), by name."""
        return {kind.name: kind for _, kind in self._registered("payvand_interaction_kinds")}

    def evaluation_programs(self) -> list[tuple[str, Any]]:
        """(plugin, EvaluationProgram) for every program the active plugins registered, by key."""
        return sorted(self._registered("payvand_evaluation_programs"), key=lambda item: item[1].key)

    def permissions(self) -> dict[str, tuple[str, str]]:
        """Every permission: name -> (plugin, description)."""
        result = {p.name: ("core", p.description) for p in core_permissions.CORE_PERMISSIONS}
        for plugin_name, spec in self._registered("payvand_permissions"):
            assert isinstance(spec, PermissionSpec)
            result[spec.name] = (plugin_name, spec.description)
        return result

    def record_rules(self) -> dict[type, list[RecordRule]]:
        """The record rules of the active plugins, by model (see `payvand.core.records`)."""
        found: dict[type, list[RecordRule]] = {}
        for _, rule in self._registered("payvand_record_rules"):
            found.setdefault(rule.model, []).append(rule)
        return found

    def settings(self) -> dict[str, SettingSpec]:
        """Every deployment setting, the core's and the active plugins', by key."""
        from payvand.core.settings import core_settings

        result = {spec.key: spec for spec in core_settings(self.config)}
        result.update((spec.key, spec) for _, spec in self._registered("payvand_settings"))
        return result

    def plugin_settings(self) -> list[tuple[str, SettingSpec]]:
        """(plugin, spec) for every setting the active plugins declare, by plugin then key."""
        return sorted(self._registered("payvand_settings"), key=lambda item: (item[0], item[1].key))

    def settings_values(self, session: Session, keys: Iterable[str]) -> dict[str, Any]:
        """The values of several settings in one query: stored ones, else their defaults."""
        from payvand.core.models import Setting

        specs = self.settings()
        wanted = list(keys)
        values = {key: specs[key].default for key in wanted if key in specs}
        stored = session.execute(sa.select(Setting.key, Setting.value).where(Setting.key.in_(wanted)))
        values.update({key: value for key, value in stored})
        return values

    def setting(self, session: Session, key: str) -> Any:
        """A setting's value: the stored one, else the default its plugin declared.

        Raises KeyError for a key no enabled plugin (nor the core) declares.
        """
        from payvand.core.models import Setting

        row = session.get(Setting, key)
        if row is not None:
            return row.value
        specs = self.settings()
        if key not in specs:
            raise KeyError(f"no enabled plugin declares the setting {key!r}")
        return specs[key].default

    def jobs(self) -> list[tuple[str, JobSpec]]:
        """(plugin, job) for every scheduled job of the active plugins."""
        return list(self._registered("payvand_jobs"))

    # ------------------------------------------------------------------ events and configuration

    def _events(self) -> tuple[dict[str, tuple[str, EventType]], dict[str, list[tuple[str, Subscription]]]]:
        """The plugins' event types (of every installed plugin, so events emitted before a plugin
        was disabled still decode) and the active plugins' subscriptions, per activation."""
        generation = self.plugins.generation
        if self._event_tables is None or self._event_tables[0] != generation:
            types: dict[str, tuple[str, EventType]] = {}
            for name in sorted(self.plugins.installed):
                for item in self._contributions(name, "payvand_event_types"):
                    types.setdefault(item.name, (name, item))
            subscriptions: dict[str, list[tuple[str, Subscription]]] = {}
            for name, item in self._registered("payvand_subscriptions"):
                subscriptions.setdefault(item.event, []).append((name, item))
            self._event_tables = (generation, types, subscriptions)
        return self._event_tables[1], self._event_tables[2]

    def event_types(self) -> dict[str, tuple[str, EventType]]:
        """Every declared event type by name: (owner, type); the core's (owner `core`) and the installed plugins'."""
        from payvand.core.events import CORE_EVENT_TYPES

        return {**{t.name: ("core", t) for t in CORE_EVENT_TYPES}, **self._events()[0]}

    def event_type(self, name: str) -> EventType | None:
        """The declared event type `name` (or the core's type its hook delivers), else None."""
        from payvand.core.events import core_event_type

        found = core_event_type(name)
        if found is not None:
            return found
        entry = self._events()[0].get(name)
        return entry[1] if entry is not None else None

    def subscriptions(self, name: str, plugin: str | None = None) -> list[Subscription]:
        """The active plugins' subscriptions to event `name` (only `plugin`'s when given)."""
        found = self.event_type(name)
        entries = self._events()[1].get(found.name if found is not None else name, [])
        return [item for owner, item in entries if plugin is None or owner == plugin]

    def event_recipients(self, name: str) -> list[str]:
        """The active plugins an event goes to: its hook's implementers, then its subscribers."""
        found = self.event_type(name)
        hooked = self.plugins.implementers(found.hook) if found is not None and found.hook else []
        subscribed = [owner for owner, _ in self._events()[1].get(found.name if found is not None else name, [])]
        return list(dict.fromkeys([*hooked, *subscribed]))

    def config_keys(self) -> dict[str, tuple[str, ConfigKey]]:
        """Every configuration key by name: (owner, key); the core's (owner `core`), then the plugins'."""
        return {**{key.name: ("core", key) for key in CORE_KEYS}, **self.plugin_config_keys}

    def nav_items(self, actor: Actor | None) -> list[NavItem]:
        """The navigation entries `actor` may see, sorted by `order` then label.

        An entry without a permission is shown to every staff user; `actor` None (nobody
        logged in) sees only those.
        """
        visible = [
            item for _, item in self._registered("payvand_nav_items")
            if item.permission is None or (actor is not None and actor.can(item.permission))
        ]
        return sorted(visible, key=lambda item: (item.order, item.label))

    def customer_panels(self, customer: Any, actor: Actor) -> list[Panel]:
        """The panels of every active plugin for `customer` as seen by `actor`, sorted by `order`.

        A plugin that raises, or returns something other than a Panel, is recorded and left out.
        """
        return self._panels("payvand_customer_panels", customer=customer, actor=actor)

    def _panels(self, hook_name: str, also: tuple[type, ...] = (), **kwargs: Any) -> list[Panel]:
        """The Panels every active plugin returns from `hook_name`, keyed by plugin, sorted by `order`.

        Items of the types in `also` are passed over silently (another page's part of the hook).
        """
        panels: list[Panel] = []
        for plugin_name, result in self.plugins.call_by_plugin(hook_name, **kwargs).items():
            for item in result if isinstance(result, (list, tuple)) else [result]:
                if isinstance(item, Panel):
                    panels.append(item if item.key else dataclasses.replace(item, key=plugin_name))
                elif item is not None and not isinstance(item, also):
                    self.plugins.report_error(plugin_name, hook_name,
                                              TypeError(f"returned a {type(item).__name__}, not a Panel"))
        return sorted(panels, key=lambda panel: (panel.order, panel.title))

    def dashboard_widgets(self, actor: Actor) -> list[Panel]:
        """The start page's widgets of every active plugin for `actor`, sorted by `order`."""
        return self._panels("payvand_dashboard_widgets", also=(KpiWidget,), actor=actor, purpose="start")

    def kpi_widgets(self, actor: Actor) -> list[tuple[str, KpiWidget]]:
        """The KPI dashboard's widgets `actor` may see, as (plugin, widget), sorted by `order` then key.

        A widget whose `permission` the actor lacks is left out; a plugin returning something
        other than a Panel or a KpiWidget is recorded; a second widget with a key already taken
        is recorded and left out.
        """
        hook = "payvand_dashboard_widgets"
        found: dict[str, tuple[str, KpiWidget]] = {}
        for plugin_name, result in self.plugins.call_by_plugin(hook, actor=actor, purpose="kpi").items():
            for item in result if isinstance(result, (list, tuple)) else [result]:
                if isinstance(item, KpiWidget):
                    if item.key in found:
                        self.plugins.report_error(plugin_name, hook, ValueError(f"KPI key {item.key!r} is taken"))
                    elif item.permission is None or actor.can(item.permission):
                        found[item.key] = (plugin_name, item)
                elif item is not None and not isinstance(item, Panel):
                    self.plugins.report_error(plugin_name, hook, TypeError(
                        f"returned a {type(item).__name__}, not a Panel or a KpiWidget"))
        return sorted(found.values(), key=lambda pair: (pair[1].order, pair[1].key))

    def compute_kpi(self, plugin_name: str, widget: KpiWidget, actor: Actor, period: KpiPeriod,
                    comparison: KpiPeriod | None) -> KpiData | None:
        """`widget.compute(actor, period, comparison)`, or None when it raises or returns something
        else than a KpiData (recorded on `plugin_name`, as a failing hook is)."""
        try:
            data = widget.compute(actor, period, comparison)
        except Exception as exc:  # a plugin's failure must not break the dashboard
            self.plugins.report_error(plugin_name, f"KPI {widget.key}", exc)
            return None
        if not isinstance(data, KpiData):
            self.plugins.report_error(plugin_name, f"KPI {widget.key}",
                                      TypeError(f"returned a {type(data).__name__}, not a KpiData"))
            return None
        return data

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

    # ------------------------------------------------------------------ reporting

    def plugin_info(self, name: str) -> dict[str, Any]:
        """Everything about one installed plugin: meta, state, hooks, contributions, errors."""
        plugin = self.plugins.installed.get(name)
        if plugin is None:
            raise PluginStateError(f"no installed plugin is named {name!r}{self._installed_hint()}")
        state = None
        if self.schema_ready():
            with self.sessionmaker() as session:
                state = session.get(PluginState, name)
        override = self.override()
        if override is not None:
            enabled = "*" in override or name in override
        else:
            enabled = state.enabled if state is not None else True
        meta = plugin.meta
        return {
            "name": name,
            "version": plugin.version,
            "title": (meta.title if meta else "") or name,
            "description": meta.description if meta else "",
            "requires": list(meta.requires) if meta else [],
            "source": plugin.source,
            "enabled": enabled,
            "overridden": override is not None,
            "active": name in self.plugins.enabled,
            "problems": self.plugins.problems.get(name, []) or ([f"cannot be loaded: {plugin.load_error}"]
                                                                if plugin.load_error else []),
            "hooks": self.plugins.implemented_hooks(name),
            "offers_hooks": sorted(h.name for h in self.plugins.hooks.values() if h.owner == name),
            "emits": [t.name for t in self._contributions(name, "payvand_event_types")],
            "subscribes": [s.event for s in self._contributions(name, "payvand_subscriptions")],
            "config_keys": sorted(k for k, (owner, _) in self.plugin_config_keys.items() if owner == name),
            "permissions": [(p.name, p.description) for p in self._contributions(name, "payvand_permissions")],
            "customer_fields": [(f.name, f.type, f.label) for f in self._contributions(name, "payvand_customer_fields")],
            "error_count": state.error_count if state else 0,
            "last_error": state.last_error if state else None,
            "last_error_at": state.last_error_at if state else None,
            "recent_errors": [{k: v for k, v in e.items() if k != "traceback"}
                              for e in (state.recent_errors or [])] if state else [],
        }

    def _contributions(self, name: str, hook_name: str) -> list[Any]:
        """What plugin `name` registers through `hook_name`, active or not (for `plugins info`)."""
        if name in self.plugins.enabled:
            items: list[Any] | tuple[Any, ...] = self.plugins.call_cached_by_plugin(hook_name).get(name, [])
        else:
            function = hook_functions(self.plugins.installed[name].obj).get(hook_name)
            try:
                result = function() if function else None
            except Exception:
                result = None
            items = result if isinstance(result, (list, tuple)) else [result] if result is not None else []
        return [item for item in items if registration_problem(name, hook_name, item) is None]


def _poll_channel(channel: Any) -> None:
    """A channel's polling job: what `poll()` returns goes to `receive_messages` and `record_receipts`."""
    from payvand.core.db import current_session
    from payvand.core.messaging.contract import DeliveryReceipt, InboundMessage
    from payvand.core.messaging.inbox import receive_messages, record_receipts

    items = list(channel.poll())
    session = current_session()
    receive_messages(session, [i for i in items if isinstance(i, InboundMessage)])
    record_receipts(session, [i for i in items if isinstance(i, DeliveryReceipt)])
