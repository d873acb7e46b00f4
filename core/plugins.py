"""The plugin manager: discovery, validation, enabled state and fault-isolated hook calls.

Plugins are found through the entry-point group `payvand.plugins` and loaded one by one, so
a plugin that fails to import is recorded and the others still load (pluggy's own
`load_setuptools_entrypoints` stops at the first failure). Every hook implementation is
checked against its specification before the plugin is registered; `check_plugin` lists
*every* problem of a plugin rather than stopping at the first.

The hook contract is the kernel's `core/hookspecs.py` plus the specifications modules that
installed plugins declare (`PluginMeta(hookspecs=...)`), whether those plugins are enabled or
not: a plugin implementing another's hook is checked against that plugin's spec, and a hook
nobody declares is refused (unless the implementation is marked `optionalhook=True`).

Each call of a hook implementation is guarded: an exception is logged, handed to the error
sink (the Runtime records it on the plugin's `PluginState`) and counts as "no
contribution", so one broken plugin never fails a request. Veto hooks are the exception:
there `PluginError` propagates, and any other exception is turned into a `PluginError`
refusing the operation (a half-done merge or erasure is worse than a refused one).
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import importlib.metadata
import inspect
import logging
import os
import re
import sys
import threading
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import pluggy

from payvand.core import __version__ as CORE_VERSION
from payvand.core import hookspecs
from payvand.core.config import config_key_problem, parse_config_value
from payvand.core.contracts import ConfigKey, PluginMeta

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "payvand.plugins"
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{1,62}$")
_REQ_NAME_RE = re.compile(r"^\s*([a-z][a-z0-9_]*)\s*(.*?)\s*$")
_SPECIFIER_RE = re.compile(r"^\s*(>=|<=|==|!=|>|<)\s*([0-9][0-9a-zA-Z.]*)\s*$")
_OPERATORS: dict[str, Callable[[tuple[int, ...], tuple[int, ...]], bool]] = {
    ">=": lambda have, want: have >= want,
    "<=": lambda have, want: have <= want,
    "==": lambda have, want: have == want,
    "!=": lambda have, want: have != want,
    ">": lambda have, want: have > want,
    "<": lambda have, want: have < want,
}
_SPEC_MARKER = f"{hookspecs.PROJECT}_spec"
_IMPL_MARKER = f"{hookspecs.PROJECT}_impl"
#: The name a plugin's `requires` gives the Payvand core (`"payvand>=0.1"`); no plugin may take it.
CORE_NAME = "payvand"


class PluginError(Exception):
    """Raised by a plugin to refuse an operation; its message is shown to the user."""

    def __init__(self, message: str, *, code: str = "plugin_refused", status: int = 409) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


@dataclasses.dataclass
class InstalledPlugin:
    """A plugin found through an entry point (or given directly), loaded or not."""

    name: str
    obj: Any = None
    meta: PluginMeta | None = None
    source: str = ""
    load_error: str | None = None
    #: The plugin's own hook specifications (`meta.hookspecs`), once imported.
    hookspecs: ModuleType | None = None
    hookspecs_error: str | None = None
    #: What is wrong with the values of the configuration keys it declares (set by the Runtime).
    config_problems: list[str] = dataclasses.field(default_factory=list)

    @property
    def version(self) -> str:
        """The plugin's declared version, or '?' when it failed to load."""
        return self.meta.version if self.meta else "?"

    @property
    def package_dir(self) -> Path | None:
        """The folder of the plugin's package, where its `migrations/` live."""
        if self.obj is None:
            return None
        module = self.obj if inspect.ismodule(self.obj) else inspect.getmodule(self.obj)
        file = getattr(module, "__file__", None)
        return Path(file).parent if file else None


ErrorSink = Callable[[str, str, BaseException], None]


# --------------------------------------------------------------------------- requirements


def parse_requirement(text: str) -> tuple[str, list[tuple[str, str]]]:
    """Split `sales>=1.2,<2` into the plugin name and its version constraints.

    Raises ValueError on a malformed requirement.
    """
    match = _REQ_NAME_RE.match(text or "")
    if not match:
        raise ValueError(f"malformed requirement {text!r}")
    name, rest = match.group(1), match.group(2)
    constraints: list[tuple[str, str]] = []
    if rest:
        for piece in rest.split(","):
            spec = _SPECIFIER_RE.match(piece)
            if not spec:
                raise ValueError(f"malformed requirement {text!r}")
            constraints.append((spec.group(1), spec.group(2)))
    return name, constraints


def requirement_name(text: str) -> str:
    """The plugin name a requirement refers to (the text itself when it is malformed)."""
    try:
        return parse_requirement(text)[0]
    except ValueError:
        return text.strip()


def version_tuple(version: str) -> tuple[int, ...]:
    """`1.10.2` as `(1, 10, 2)`, for comparisons; non-numeric parts count as 0."""
    parts = []
    for piece in version.split("."):
        digits = re.match(r"\d+", piece)
        parts.append(int(digits.group()) if digits else 0)
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def requirement_met(requirement: str, installed: dict[str, InstalledPlugin]) -> str | None:
    """Return why `requirement` is not met by the `installed` plugins, or None when it is."""
    try:
        name, constraints = parse_requirement(requirement)
    except ValueError as exc:
        return str(exc)
    if name == CORE_NAME:
        return core_requirement_met(constraints)
    plugin = installed.get(name)
    if plugin is None:
        return f"requires plugin {name!r}, which is not installed"
    if plugin.meta is None:
        return f"requires plugin {name!r}, which cannot be loaded"
    have = version_tuple(plugin.version)
    for op, version in constraints:
        if not _OPERATORS[op](have, version_tuple(version)):
            wanted = ",".join(f"{o}{v}" for o, v in constraints)
            return f"requires {name}{wanted}, but {name} {plugin.version} is installed"
    return None


def core_requirement_met(constraints: Sequence[tuple[str, str]], version: str = CORE_VERSION) -> str | None:
    """Why the running Payvand core (`version`) does not meet `constraints`, or None when it does."""
    have = version_tuple(version)
    for op, wanted in constraints:
        if not _OPERATORS[op](have, version_tuple(wanted)):
            needed = ",".join(f"{o}{v}" for o, v in constraints)
            return (f"requires Payvand {needed}, but this is Payvand {version}: upgrade Payvand, "
                    "or install a version of the plugin made for this one")
    return None


def plugin_requirements(meta: PluginMeta) -> list[str]:
    """The plugins `meta.requires` names (the core's version requirement left out)."""
    return [r for r in meta.requires if requirement_name(r) != CORE_NAME]


# --------------------------------------------------------------------------- discovery


_ENTRY_POINTS: dict[tuple[Any, ...], tuple[importlib.metadata.EntryPoint, ...]] = {}


def _path_state() -> tuple[Any, ...]:
    """The import path and when each of its folders last changed (installing a package changes its folder)."""
    state: list[Any] = []
    for entry in sys.path:
        try:
            state.append((entry, os.stat(entry or ".").st_mtime_ns))
        except OSError:
            state.append((entry, None))
    return tuple(state)


def entry_points(group: str = ENTRY_POINT_GROUP) -> tuple[importlib.metadata.EntryPoint, ...]:
    """The group's entry points, read again only when the import path or one of its folders changed
    (reading every installed distribution's metadata costs more than building the rest of an app)."""
    key = (group, _path_state())
    found = _ENTRY_POINTS.get(key)
    if found is None:
        found = _ENTRY_POINTS[key] = tuple(importlib.metadata.entry_points(group=group))
        if len(_ENTRY_POINTS) > 16:
            _ENTRY_POINTS.clear()
            _ENTRY_POINTS[key] = found
    return found


def discover(group: str = ENTRY_POINT_GROUP) -> dict[str, InstalledPlugin]:
    """Load every plugin of the entry-point group, one by one, recording load failures."""
    found: dict[str, InstalledPlugin] = {}
    for ep in entry_points(group):
        if ep.name in found:
            log.warning("two entry points are named %r; keeping %s", ep.name, found[ep.name].source)
            continue
        plugin = InstalledPlugin(name=ep.name, source=ep.value)
        try:
            plugin.obj = ep.load()
            plugin.meta = read_meta(plugin.obj)
        except Exception as exc:  # a broken plugin must not stop the others
            plugin.load_error = f"{type(exc).__name__}: {exc}"
            log.error("plugin %s failed to load: %s", ep.name, plugin.load_error)
        load_hookspecs(plugin)
        found[ep.name] = plugin
    return found


def load_hookspecs(plugin: InstalledPlugin) -> None:
    """Import the hook specifications module the plugin's meta names, recording a failure."""
    name = plugin.meta.hookspecs if plugin.meta is not None else None
    plugin.hookspecs, plugin.hookspecs_error = None, None
    if not name:
        return
    try:
        if not isinstance(name, str):
            raise TypeError("meta.hookspecs must be a module's dotted name, e.g. 'payvand_loyalty.hookspecs'")
        plugin.hookspecs = importlib.import_module(name)
    except Exception as exc:
        plugin.hookspecs_error = f"{type(exc).__name__}: {exc}"
        log.error("the hook specifications of plugin %s failed to load: %s", plugin.name, plugin.hookspecs_error)


def read_meta(obj: Any) -> PluginMeta:
    """Return the `meta` a plugin object declares, or raise TypeError when it has none."""
    meta = getattr(obj, "meta", None)
    if not isinstance(meta, PluginMeta):
        raise TypeError("plugin has no `meta = PluginMeta(...)`")
    return meta


# --------------------------------------------------------------------------- validation


def spec_names(module: ModuleType = hookspecs) -> list[str]:
    """The name of every hook specification in `module` (the kernel's by default), in module order."""
    return [
        name for name, value in vars(module).items()
        if callable(value) and hasattr(value, _SPEC_MARKER)
    ]


@dataclasses.dataclass(frozen=True)
class DeclaredHook:
    """A hook specification and who declares it: the core or a plugin."""

    name: str
    owner: str
    function: Callable[..., Any]
    module: ModuleType

    @property
    def firstresult(self) -> bool:
        """True when one answer is wanted: the first non-None result ends the call."""
        return bool((getattr(self.function, _SPEC_MARKER, None) or {}).get("firstresult"))

    @property
    def veto(self) -> bool:
        """True when an implementation may refuse the operation by raising PluginError."""
        return self.name in getattr(self.module, "VETO_HOOKS", ())

    @property
    def argnames(self) -> list[str]:
        """The arguments the spec offers."""
        return list(inspect.signature(self.function).parameters)


def _own_spec_problems(plugin: InstalledPlugin) -> list[str]:
    """What is wrong with a plugin's specifications module, on its own."""
    if plugin.hookspecs_error:
        return [f"its hook specifications ({plugin.meta.hookspecs if plugin.meta else '?'}) cannot be loaded: "
                f"{plugin.hookspecs_error}"]
    if plugin.hookspecs is None:
        return []
    names = spec_names(plugin.hookspecs)
    if not names:
        return [f"its hook specifications module {plugin.hookspecs.__name__} declares no hook (mark them with @hookspec)"]
    return [f"declares hook {name!r}, whose name must start with '{hookspecs.PROJECT}_'"
            for name in names if not name.startswith(f"{hookspecs.PROJECT}_")]


def declared_hooks(installed: dict[str, InstalledPlugin]) -> dict[str, DeclaredHook]:
    """Every hook specification: the kernel's, then each installed plugin's (by plugin name).

    A plugin whose module fails to load, or that declares a name already declared (by the core
    or a plugin earlier by name), adds nothing; `hookspec_problems` says why.
    """
    table = {name: DeclaredHook(name, "core", getattr(hookspecs, name), hookspecs) for name in spec_names()}
    for name in sorted(installed):
        plugin = installed[name]
        if plugin.hookspecs is None or _own_spec_problems(plugin):
            continue
        names = spec_names(plugin.hookspecs)
        if any(spec in table for spec in names):
            continue
        table.update((spec, DeclaredHook(spec, name, getattr(plugin.hookspecs, spec), plugin.hookspecs))
                     for spec in names)
    return table


def hookspec_problems(plugin: InstalledPlugin, installed: dict[str, InstalledPlugin]) -> list[str]:
    """What is wrong with the hook specifications a plugin declares (load errors, clashes)."""
    problems = _own_spec_problems(plugin)
    if problems or plugin.hookspecs is None:
        return problems
    table = declared_hooks(installed)
    for spec in spec_names(plugin.hookspecs):
        owner = table[spec].owner if spec in table else None
        if owner is not None and owner != plugin.name:
            problems.append(f"declares hook {spec!r}, which {'the core' if owner == 'core' else f'plugin {owner!r}'} "
                            "declares already")
    return problems


def hook_functions(obj: Any) -> dict[str, Callable[..., Any]]:
    """The functions of a plugin object marked with `@hookimpl`, by the hook they implement."""
    result = {}
    for attr in dir(obj):
        if attr.startswith("__"):
            continue
        try:
            value = getattr(obj, attr)
        except Exception:
            continue
        if callable(value) and hasattr(value, _IMPL_MARKER):
            opts = getattr(value, _IMPL_MARKER) or {}
            result[opts.get("specname") or attr] = value
    return result


def _impl_problems(spec: DeclaredHook, function: Callable[..., Any]) -> list[str]:
    """What is wrong with one implementation of a known hook."""
    hook_name = spec.name
    problems: list[str] = []
    opts = getattr(function, _IMPL_MARKER, None) or {}
    if opts.get("hookwrapper") or opts.get("wrapper"):
        problems.append(f"hook {hook_name} is declared as a wrapper, which Payvand does not support")
    spec_args = spec.argnames
    try:
        parameters = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):
        return [*problems, f"hook {hook_name}: its signature cannot be read"]
    if parameters and parameters[0].name == "self" and not inspect.ismethod(function):
        parameters = parameters[1:]
    required = [p for p in parameters if p.default is p.empty]
    unknown = [p.name for p in required if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
               and p.name not in spec_args]
    if unknown:
        problems.append(
            f"hook {hook_name} takes unknown argument(s) {', '.join(unknown)}; "
            f"the spec offers {', '.join(spec_args) or 'none'}"
        )
    keyword_only = [p.name for p in required if p.kind == p.KEYWORD_ONLY]
    if keyword_only:
        problems.append(
            f"hook {hook_name} takes keyword-only argument(s) {', '.join(keyword_only)}; "
            "hook arguments are passed by position, list them as ordinary parameters"
        )
    return problems


def check_plugin(
    plugin: InstalledPlugin,
    installed: dict[str, InstalledPlugin],
    *,
    applied_heads: dict[str, bool] | None = None,
    enabled: bool = True,
) -> list[str]:
    """Return every incompatibility of one plugin (empty when it is sound).

    Checks the name, the plugin's own hook specifications (they load, do not clash), each
    hook implementation against its spec, the kernel's or an installed plugin's (unknown hooks
    unless marked `optionalhook=True`, arguments the spec does not offer, wrappers),
    `payvand_*` functions not marked `@hookimpl`, `requires` (the Payvand core's version;
    plugins installed, loadable, version constraints, cycles), the values of its
    configuration keys, and migrations (declared tables without a migrations folder; with
    `applied_heads`, migrations of an `enabled` plugin that are not applied to the database).
    """
    if plugin.load_error and plugin.obj is None:
        return [f"cannot be loaded: {plugin.load_error}"]  # its module did not import: nothing to look at
    meta = plugin.meta
    problems: list[str] = []
    if meta is None:  # the module imported: go on, and report every problem at once
        problems.append(f"cannot be loaded: {plugin.load_error or 'it has no `meta = PluginMeta(...)`'}")
    else:
        problems.extend(_meta_problems(plugin, meta))
    problems.extend(hookspec_problems(plugin, installed))
    known = declared_hooks(installed)
    marked = hook_functions(plugin.obj)
    for hook_name, function in sorted(marked.items()):
        if hook_name not in known:
            if not (getattr(function, _IMPL_MARKER, None) or {}).get("optionalhook"):
                problems.append(f"implements unknown hook {hook_name!r}")
            continue
        problems.extend(_impl_problems(known[hook_name], function))
    marked_functions = {id(f) for f in marked.values()}
    for attr in sorted(dir(plugin.obj)):
        if not attr.startswith(f"{hookspecs.PROJECT}_"):
            continue
        value = getattr(plugin.obj, attr, None)
        if callable(value) and not inspect.isclass(value) and id(value) not in marked_functions \
                and not hasattr(value, _IMPL_MARKER):
            problems.append(f"{attr} looks like a hook but is not marked with @hookimpl")
    if meta is None:
        return problems
    for requirement in meta.requires if isinstance(meta.requires, (list, tuple)) else ():
        reason = requirement_met(requirement, installed)
        if reason:
            problems.append(reason)
    problems.extend(plugin.config_problems)
    cycle = requirement_cycle(plugin.name, installed)
    if cycle:
        problems.append(f"requirements form a cycle: {' -> '.join(cycle)}")
    problems.extend(migration_problems(plugin, installed, applied_heads if enabled else None))
    return problems


def _meta_problems(plugin: InstalledPlugin, meta: PluginMeta) -> list[str]:
    """What is wrong with a plugin's `meta`: its name and the form of `requires`."""
    problems: list[str] = []
    if meta.name != plugin.name:
        problems.append(f"entry point is named {plugin.name!r} but meta.name is {meta.name!r}")
    if not _NAME_RE.match(meta.name):
        problems.append(f"name {meta.name!r} must be lower-case letters, digits and _ (2 to 63 characters)")
    if meta.name == CORE_NAME:
        problems.append(f"name {CORE_NAME!r} is the core's (used in `requires` for the core version)")
    if not isinstance(meta.requires, (list, tuple)):
        problems.append("meta.requires must be a list of plugin names, e.g. ['payvand>=0.1', 'sales>=1.0']")
    return problems


def _registration_types() -> dict[str, tuple[type | tuple[type, ...], str | None]]:
    import click
    from flask import Blueprint

    from payvand.core import contracts
    from payvand.core.messaging.contract import MessageChannel

    return {
        "payvand_blueprints": (Blueprint, None),
        "payvand_cli": (click.Command, None),
        "payvand_permissions": (contracts.PermissionSpec, "name"),
        "payvand_customer_fields": (contracts.CustomerField, "name"),
        "payvand_nav_items": (contracts.NavItem, None),
        "payvand_jobs": (contracts.JobSpec, "name"),
        "payvand_channels": ((contracts.ChannelSpec, MessageChannel), None),
        "payvand_interaction_kinds": (contracts.InteractionKind, "name"),
        "payvand_settings": (contracts.SettingSpec, "key"),
        "payvand_record_rules": (contracts.RecordRule, "name"),
        "payvand_event_types": (contracts.EventType, "name"),
        "payvand_subscriptions": (contracts.Subscription, None),
        "payvand_config_keys": (contracts.ConfigKey, None),
        "payvand_bot_answerers": (contracts.BotAnswerer, "name"),
        "payvand_evaluation_programs": (contracts.EvaluationProgram, "key"),
    }


def registration_problem(plugin_name: str, hook_name: str, item: Any) -> str | None:
    """Why one item a registration hook returned is unusable (wrong type, unprefixed name, bad form)."""
    kind, name_attr = _registration_types()[hook_name]
    if not isinstance(item, kind):
        wanted = " or ".join(k.__name__ for k in kind) if isinstance(kind, tuple) else kind.__name__
        return f"{hook_name} returned a {type(item).__name__}, not a {wanted}"
    if name_attr is not None:
        name = getattr(item, name_attr)
        if not isinstance(name, str) or not name.startswith(f"{plugin_name}."):
            return f"{hook_name}: {name!r} must be named '{plugin_name}.<...>'"
    from payvand.core import contracts

    if isinstance(item, contracts.EventType):
        return _event_type_problem(item)
    if isinstance(item, contracts.Subscription):
        return None if callable(item.handler) else f"{hook_name}: the handler of {item.event!r} is not callable"
    if isinstance(item, contracts.ConfigKey):
        return config_key_problem(item)
    if isinstance(item, contracts.EvaluationProgram):
        return _evaluation_program_problem(item)
    return None


def _evaluation_program_problem(item: Any) -> str | None:
    """What is wrong with an EvaluationProgram beyond its key's prefix."""
    from payvand.core.contracts import EvaluationScale

    if not callable(item.summarise):
        return f"payvand_evaluation_programs: the summarise of {item.key!r} is not callable"
    if not isinstance(item.scale, EvaluationScale) or item.scale.low >= item.scale.high:
        return f"payvand_evaluation_programs: {item.key!r} needs an EvaluationScale with low < high"
    if not item.dimensions or item.dimensions[0] != "period":
        return f"payvand_evaluation_programs: the dimensions of {item.key!r} must start with 'period'"
    return None


def _event_type_problem(item: Any) -> str | None:
    """What is wrong with a plugin's EventType beyond its name's prefix."""
    from payvand.core.contracts import EVENT_FIELD_TYPES, EventField

    if item.hook is not None:
        return f"payvand_event_types: {item.name!r} names hook {item.hook!r}; only the core's events are hook-delivered"
    for field in item.fields:
        if not isinstance(field, EventField):
            return f"payvand_event_types: {item.name!r} has a {type(field).__name__} among its fields, not an EventField"
        if field.type not in EVENT_FIELD_TYPES:
            allowed = ", ".join(t.__name__ for t in EVENT_FIELD_TYPES)
            return f"payvand_event_types: field {field.name!r} of {item.name!r} is a {field.type!r}; use one of {allowed}"
    return None


def registration_problems(plugin: InstalledPlugin) -> list[str]:
    """Call the plugin's registration hooks (unguarded) and list what is wrong with their results."""
    problems: list[str] = []
    if plugin.obj is None:
        return problems
    for hook_name, function in sorted(hook_functions(plugin.obj).items()):
        if hook_name not in hookspecs.REGISTRATION_HOOKS:
            continue
        try:
            items = _flatten(function())
        except Exception as exc:
            problems.append(f"{hook_name} raised {type(exc).__name__}: {exc}")
            continue
        for item in items:
            problem = registration_problem(plugin.name, hook_name, item)
            if problem:
                problems.append(problem)
    return problems


def declared_event_names(installed: dict[str, InstalledPlugin]) -> set[str]:
    """The names of the core's event types and of those every installed plugin declares."""
    from payvand.core.events import CORE_EVENT_TYPES

    names = {event.name for event in CORE_EVENT_TYPES}
    for plugin in installed.values():
        function = hook_functions(plugin.obj).get("payvand_event_types") if plugin.obj is not None else None
        try:
            items = _flatten(function()) if function else []
        except Exception:  # reported by its own registration_problems
            items = []
        names.update(name for item in items if isinstance(name := getattr(item, "name", None), str))
    return names


def subscription_problems(plugin: InstalledPlugin, installed: dict[str, InstalledPlugin]) -> list[str]:
    """Subscriptions of the plugin to events that neither the core nor an installed plugin declares."""
    function = hook_functions(plugin.obj).get("payvand_subscriptions") if plugin.obj is not None else None
    try:
        items = _flatten(function()) if function else []
    except Exception:  # reported by registration_problems
        return []
    from payvand.core.contracts import Subscription

    wanted = [item for item in items if isinstance(item, Subscription) and not item.optional]
    if not wanted:
        return []
    known = declared_event_names(installed)
    return [f"subscribes to unknown event {item.event!r} (no installed plugin declares it; "
            "pass optional=True if its owner may be missing)" for item in wanted if item.event not in known]


def static_problems(plugin: InstalledPlugin, installed: dict[str, InstalledPlugin]) -> list[str]:
    """Every problem of the plugin itself (not of this database's migration state): the
    checks of `check_plugin` and what its registration hooks return. A plugin with any is not
    loaded, whatever its recorded state."""
    problems = check_plugin(plugin, installed)
    more = registration_problems(plugin) + subscription_problems(plugin, installed)
    return problems + [p for p in more if p not in problems]


def requirement_cycle(name: str, installed: dict[str, InstalledPlugin]) -> list[str] | None:
    """The cycle of requirements through plugin `name`, if there is one."""

    def visit(current: str, path: list[str]) -> list[str] | None:
        plugin = installed.get(current)
        if plugin is None or plugin.meta is None:
            return None
        for requirement in plugin_requirements(plugin.meta):
            dep = requirement_name(requirement)
            if dep == name:
                return [*path, dep]
            if dep not in path:
                found = visit(dep, [*path, dep])
                if found:
                    return found
        return None

    return visit(name, [name])


def owned_tables(plugin_name: str, installed: Iterable[str]) -> list[str]:
    """Tables of the shared metadata named `<plugin_name>_...` (and not a longer plugin's)."""
    from payvand.core.db import metadata

    prefix = f"{plugin_name}_"
    longer = [f"{n}_" for n in installed if n != plugin_name and n.startswith(prefix)]
    return sorted(
        t for t in metadata.tables
        if t.startswith(prefix) and not any(t.startswith(other) for other in longer)
    )


def has_migrations(plugin: InstalledPlugin) -> bool:
    """True when the plugin ships a `migrations/versions` folder with revisions."""
    folder = plugin.package_dir / "migrations" / "versions" if plugin.package_dir else None
    return bool(folder and folder.is_dir() and any(folder.glob("*.py")))


def migration_problems(
    plugin: InstalledPlugin,
    installed: dict[str, InstalledPlugin],
    applied_heads: dict[str, bool] | None,
) -> list[str]:
    """Migrations missing for declared tables, or (given `applied_heads`) not yet applied."""
    tables = owned_tables(plugin.name, installed)
    migrations = has_migrations(plugin)
    if tables and not migrations:
        return [f"declares table(s) {', '.join(tables)} but ships no migrations/versions folder"]
    if migrations and applied_heads is not None and not applied_heads.get(plugin.name, False):
        return [f"its migrations are not applied: run `payvand plugins enable {plugin.name}` or `payvand db upgrade`"]
    return []


def dependency_order(plugins: Iterable[InstalledPlugin]) -> list[InstalledPlugin]:
    """Order plugins so each comes after the plugins it requires (stable by name otherwise)."""
    by_name = {p.name: p for p in plugins}
    ordered: list[InstalledPlugin] = []
    seen: set[str] = set()

    def visit(plugin: InstalledPlugin, stack: tuple[str, ...]) -> None:
        if plugin.name in seen or plugin.name in stack:
            return
        for requirement in plugin_requirements(plugin.meta) if plugin.meta else ():
            dep = by_name.get(requirement_name(requirement))
            if dep is not None:
                visit(dep, (*stack, plugin.name))
        seen.add(plugin.name)
        ordered.append(plugin)

    for plugin in sorted(by_name.values(), key=lambda p: p.name):
        visit(plugin, ())
    return ordered


def env_enabled_override() -> set[str] | None:
    """The plugin names forced on by `PAYVAND_PLUGINS` (`all`, `none` or a comma list).

    None when the variable is not set: then the database decides.
    """
    raw = os.environ.get("PAYVAND_PLUGINS")
    if raw is None:
        return None
    raw = raw.strip()
    if raw == "all":
        return {"*"}
    if raw in ("", "none"):
        return set()
    return {name.strip() for name in raw.split(",") if name.strip()}


# --------------------------------------------------------------------------- the manager


class PluginManager:
    """Payvand's wrapper around pluggy: which plugins are active, and calling their hooks.

    `activate()` builds a fresh pluggy manager with the sound, wanted plugins and swaps it
    in at once, so a request running during a re-activation sees the old set or the new
    one, never half of each. Every hook implementation is wrapped at registration (see the
    module docstring for what the wrapper does with exceptions).
    """

    def __init__(self, installed: dict[str, InstalledPlugin] | None = None) -> None:
        self.installed: dict[str, InstalledPlugin] = dict(installed or {})
        self.hooks: dict[str, DeclaredHook] = {}
        self.pm = self._new_pluggy()
        self.enabled: list[str] = []
        self.problems: dict[str, list[str]] = {}
        self.error_sink: ErrorSink | None = None
        self.generation = 0
        self.applied_heads: dict[str, bool] = {}
        self._cache: dict[str, dict[str, list[Any]]] = {}
        self._lock = threading.RLock()

    def _new_pluggy(self) -> pluggy.PluginManager:
        """A pluggy manager with the kernel's specifications and those of the installed plugins."""
        pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.hooks = declared_hooks(self.installed)
        for module in dict.fromkeys(hook.module for hook in self.hooks.values()):
            pm.add_hookspecs(module)
        return pm

    def is_firstresult(self, hook_name: str) -> bool:
        """True when `hook_name` wants one answer (its spec says `firstresult=True`)."""
        declared = self.hooks.get(hook_name)
        return bool(declared and declared.firstresult)

    @property
    def hook(self) -> pluggy.HookRelay:
        """pluggy's hook relay; prefer `call()` which flattens the results."""
        return self.pm.hook

    def add(self, obj: Any, name: str | None = None) -> InstalledPlugin:
        """Make a plugin object known without an entry point (tests, embedded use)."""
        meta = read_meta(obj)
        plugin = InstalledPlugin(name=name or meta.name, obj=obj, meta=meta, source=repr(obj))
        load_hookspecs(plugin)
        self.installed[plugin.name] = plugin
        return plugin

    def activate(self, wanted: Iterable[str]) -> list[str]:
        """Register exactly the plugins in `wanted` that are sound; return the ones registered.

        A plugin with problems (see `check_plugin`), or whose requirements are not active, is
        left out and its problems are kept in `self.problems`.
        """
        wanted = set(wanted)
        pm = self._new_pluggy()
        enabled: list[str] = []
        problems: dict[str, list[str]] = {}
        for name in sorted(wanted - set(self.installed)):
            problems[name] = ["is enabled but not installed"]
        candidates = [p for p in self.installed.values() if p.name in wanted]
        for plugin in dependency_order(candidates):
            found = check_plugin(plugin, self.installed)
            for requirement in plugin_requirements(plugin.meta) if plugin.meta else ():
                dep = requirement_name(requirement)
                if dep not in enabled and requirement_met(requirement, self.installed) is None:
                    found.append(f"requires plugin {dep!r}, which is not enabled")
            if not found:
                try:
                    pm.register(plugin.obj, name=plugin.name)
                except Exception as exc:  # pluggy's own validation, or a duplicate object
                    found.append(f"cannot be registered: {exc}".replace("\n", " "))
            if found:
                problems[plugin.name] = found
                log.error("plugin %s not enabled: %s", plugin.name, "; ".join(found))
                continue
            self._guard_impls(pm, plugin.name)
            enabled.append(plugin.name)
        with self._lock:
            self.pm, self.enabled, self.problems = pm, enabled, problems
            self._cache = {}
            self.generation += 1
        return list(enabled)

    def _guard_impls(self, pm: pluggy.PluginManager, plugin_name: str) -> None:
        for caller in pm.get_hookcallers(pm.get_plugin(plugin_name)) or []:
            for impl in caller.get_hookimpls():
                if impl.plugin_name == plugin_name:
                    # pluggy types HookImpl.function as Final; the guard replaces it in place on purpose
                    impl.function = self._guard(plugin_name, caller.name, impl.function)  # type: ignore[misc]

    def _guard(self, plugin_name: str, hook_name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        declared = self.hooks.get(hook_name)
        veto = bool(declared and declared.veto)

        @functools.wraps(function)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            try:
                return function(*args, **kwargs)
            except PluginError as exc:
                if veto:
                    raise
                self.report_error(plugin_name, hook_name, exc)
                return None
            except Exception as exc:
                self.report_error(plugin_name, hook_name, exc)
                if veto:
                    raise PluginError(
                        f"The plugin {plugin_name!r} failed in {hook_name}, so nothing was changed; "
                        "the error is recorded on the plugins page.",
                        code="plugin_failed",
                    ) from exc
                return None

        guarded.__payvand_unguarded__ = function  # type: ignore[attr-defined]
        return guarded

    def report_error(self, plugin_name: str, where: str, exc: BaseException) -> None:
        """Log a plugin's exception and hand it to the error sink (its PluginState row)."""
        log.error("plugin %s failed in %s: %s", plugin_name, where, exc, exc_info=exc)
        if self.error_sink is not None:
            try:
                self.error_sink(plugin_name, where, exc)
            except Exception:  # recording must never break the caller
                log.exception("could not record the error of plugin %s", plugin_name)

    # ------------------------------------------------------------------ calling hooks

    def call(self, hook_name: str, **kwargs: Any) -> list[Any]:
        """Call a hook on every active plugin and flatten the results (None dropped).

        A *first result* hook stops at the first implementation answering other than None:
        the list then holds that one answer (flattened), or nothing.
        """
        results = getattr(self.pm.hook, hook_name)(**kwargs)
        if self.is_firstresult(hook_name):
            return _flatten(results)
        flat: list[Any] = []
        for result in results:
            flat.extend(_flatten(result))
        return flat

    def call_first(self, hook_name: str, **kwargs: Any) -> Any:
        """The one answer of a *first result* hook (None when no active plugin answers).

        Raises ValueError for a hook whose spec does not say `firstresult=True`: its callers
        want every plugin's part (`call`).
        """
        if not self.is_firstresult(hook_name):
            raise ValueError(f"{hook_name} is not a first-result hook; use call() for every plugin's part")
        return getattr(self.pm.hook, hook_name)(**kwargs)

    def call_by_plugin(self, hook_name: str, **kwargs: Any) -> dict[str, Any]:
        """Call a hook and return each plugin's non-None result under the plugin's name.

        Exceptions are handled as in `call` (recorded and skipped; a veto propagates).
        """
        results: dict[str, Any] = {}
        caller = getattr(self.pm.hook, hook_name)
        for impl in reversed(caller.get_hookimpls()):
            result = impl.function(*[kwargs[name] for name in impl.argnames])
            if result is not None:
                results[impl.plugin_name] = result
        return results

    def call_cached_by_plugin(self, hook_name: str) -> dict[str, list[Any]]:
        """Call a registration hook once per activation; each plugin's flattened result."""
        with self._lock:
            cached = self._cache.get(hook_name)
            if cached is None:
                cached = {name: _flatten(result) for name, result in self.call_by_plugin(hook_name).items()}
                self._cache[hook_name] = cached
            return cached

    def call_cached(self, hook_name: str) -> list[Any]:
        """Call a registration hook once per activation and remember its flattened result."""
        return [item for items in self.call_cached_by_plugin(hook_name).values() for item in items]

    def call_each(
        self, hook_name: str, kwargs: dict[str, Any], only: Sequence[str] | None = None
    ) -> dict[str, BaseException | None]:
        """Call each plugin's implementation separately; return each plugin's exception or None.

        Used by the outbox to retry only the plugins that failed. Exceptions are not
        swallowed or recorded here: the unguarded function is called.
        """
        outcome: dict[str, BaseException | None] = {}
        caller = getattr(self.pm.hook, hook_name)
        for impl in reversed(caller.get_hookimpls()):
            if only is not None and impl.plugin_name not in only:
                continue
            function = getattr(impl.function, "__payvand_unguarded__", impl.function)
            try:
                function(*[kwargs[name] for name in impl.argnames])
                outcome[impl.plugin_name] = None
            except Exception as exc:
                outcome[impl.plugin_name] = exc
        return outcome

    def call_each_result(self, hook_name: str, kwargs: dict[str, Any], plugin_name: str) -> Any:
        """Call one plugin's implementation of `hook_name` and return its result; exceptions propagate."""
        caller = getattr(self.pm.hook, hook_name)
        for impl in caller.get_hookimpls():
            if impl.plugin_name == plugin_name:
                function = getattr(impl.function, "__payvand_unguarded__", impl.function)
                return function(*[kwargs[name] for name in impl.argnames])
        raise KeyError(f"{plugin_name} does not implement {hook_name}")

    def implementers(self, hook_name: str) -> list[str]:
        """Names of the active plugins implementing `hook_name`, in call order."""
        caller = getattr(self.pm.hook, hook_name)
        return [impl.plugin_name for impl in reversed(caller.get_hookimpls())]

    def implemented_hooks(self, name: str) -> list[str]:
        """The hooks the installed plugin `name` implements (marked with `@hookimpl`)."""
        plugin = self.installed.get(name)
        if plugin is None or plugin.obj is None:
            return []
        return sorted(hook_functions(plugin.obj))


def _flatten(result: Any) -> list[Any]:
    if result is None:
        return []
    if isinstance(result, (list, tuple)):
        return [r for r in result if r is not None]
    return [result]


def format_exception(exc: BaseException) -> str:
    """A short, single-string rendering of an exception with its last frames."""
    frames = traceback.format_exception(type(exc), exc, exc.__traceback__, limit=-3)
    return "".join(frames)[-4000:]


def resolve_plugin_keys(config: dict[str, Any], installed: Mapping[str, Any]) -> dict[str, tuple[str, ConfigKey]]:
    """Read the configuration keys every installed plugin declares into `config`; return them by name.

    Each value comes from `config` (given to the app), else the environment, else the key's
    default, parsed as its type. What goes wrong (a declaration, a clash with another plugin's
    key, a value that does not parse) is put on the plugin's `config_problems`: the plugin is
    then not loaded, and `payvand plugins check` says why.
    """
    declared: dict[str, tuple[str, ConfigKey]] = {}
    for name in sorted(installed):
        plugin = installed[name]
        plugin.config_problems = []
        function = hook_functions(plugin.obj).get("payvand_config_keys") if plugin.obj is not None else None
        if function is None:
            continue
        try:
            items = _flatten(function())
        except Exception as exc:  # a broken plugin must not stop the others
            plugin.config_problems.append(f"payvand_config_keys raised {type(exc).__name__}: {exc}")
            continue
        for item in items:
            problem = registration_problem(name, "payvand_config_keys", item)
            if problem is None and item.name in declared:
                problem = f"payvand_config_keys: {item.name} is declared by plugin {declared[item.name][0]!r} already"
            if problem is not None:
                plugin.config_problems.append(problem)
                continue
            declared[item.name] = (name, item)
            raw = config[item.name] if item.name in config else os.environ.get(item.name)
            try:
                config[item.name] = item.default if raw is None else parse_config_value(item, raw)
            except ValueError as exc:
                plugin.config_problems.append(f"configuration: {exc}")
                config[item.name] = item.default
    return declared
