"""The plugin manager: discovery, validation, enabled state and fault-isolated hook calls."""

from __future__ import annotations

import dataclasses
import functools
import importlib.metadata
import inspect
import logging
import os
import re
import traceback
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import pluggy

from payvand.core import hookspecs
from payvand.core.contracts import PluginMeta

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "payvand.plugins"
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{1,62}$")
_REQUIREMENT_RE = re.compile(r"^\s*([a-z][a-z0-9_]*)\s*(?:(>=|==|>)\s*([0-9][0-9a-zA-Z.]*))?\s*$")


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

    @property
    def version(self) -> str:
        """The plugin's declared version, or '?' when it failed to load."""
        return self.meta.version if self.meta else "?"

    @property
    def package_dir(self) -> Path | None:
        """The folder of the plugin's package, where its `migrations/` live."""
        module = inspect.getmodule(self.obj) if self.obj is not None else None
        file = getattr(module, "__file__", None)
        return Path(file).parent if file else None


ErrorSink = Callable[[str, str, BaseException], None]


def _parse_requirement(text: str) -> tuple[str, str | None, str | None]:
    match = _REQUIREMENT_RE.match(text)
    if not match:
        raise ValueError(f"malformed requirement {text!r}")
    return match.group(1), match.group(2), match.group(3)


def _version_tuple(version: str) -> tuple[int, ...]:
    parts = []
    for piece in version.split("."):
        digits = re.match(r"\d+", piece)
        parts.append(int(digits.group()) if digits else 0)
    return tuple(parts)


def requirement_met(requirement: str, installed: dict[str, InstalledPlugin]) -> str | None:
    """Return why `requirement` is not met by `installed`, or None when it is."""
    try:
        name, op, version = _parse_requirement(requirement)
    except ValueError as exc:
        return str(exc)
    plugin = installed.get(name)
    if plugin is None or plugin.meta is None:
        return f"requires plugin {name!r}, which is not installed"
    if op and version:
        have, want = _version_tuple(plugin.version), _version_tuple(version)
        ok = {">=": have >= want, "==": have == want, ">": have > want}[op]
        if not ok:
            return f"requires {name} {op} {version}, installed is {plugin.version}"
    return None


def discover(group: str = ENTRY_POINT_GROUP) -> dict[str, InstalledPlugin]:
    """Load every plugin of the entry-point group, one by one, recording load failures."""
    found: dict[str, InstalledPlugin] = {}
    for ep in importlib.metadata.entry_points(group=group):
        plugin = InstalledPlugin(name=ep.name, source=ep.value)
        try:
            plugin.obj = ep.load()
            plugin.meta = read_meta(plugin.obj)
        except Exception as exc:  # a broken plugin must not stop the others
            plugin.load_error = f"{type(exc).__name__}: {exc}"
            log.error("plugin %s failed to load: %s", ep.name, plugin.load_error)
        found[ep.name] = plugin
    return found


def read_meta(obj: Any) -> PluginMeta:
    """Return the `meta` a plugin object declares, or raise TypeError when it has none."""
    meta = getattr(obj, "meta", None)
    if not isinstance(meta, PluginMeta):
        raise TypeError("plugin has no `meta = PluginMeta(...)`")
    return meta


def hook_functions(obj: Any) -> dict[str, Callable[..., Any]]:
    """The functions of a plugin object marked with `@hookimpl`."""
    marker = f"{hookspecs.PROJECT}_impl"
    result = {}
    for attr in dir(obj):
        if attr.startswith("__"):
            continue
        try:
            value = getattr(obj, attr)
        except Exception:
            continue
        if callable(value) and hasattr(value, marker):
            opts = getattr(value, marker) or {}
            result[opts.get("specname") or attr] = value
    return result


def _spec_argnames(name: str) -> list[str]:
    spec = getattr(hookspecs, name)
    return [p for p in inspect.signature(spec).parameters]


def check_plugin(
    plugin: InstalledPlugin,
    installed: dict[str, InstalledPlugin],
    *,
    applied_heads: dict[str, bool] | None = None,
) -> list[str]:
    """Return every incompatibility of one plugin (empty when it is sound)."""
    problems: list[str] = []
    if plugin.load_error:
        return [f"cannot be loaded: {plugin.load_error}"]
    meta = plugin.meta
    assert meta is not None
    if meta.name != plugin.name:
        problems.append(f"entry point is named {plugin.name!r} but meta.name is {meta.name!r}")
    if not _NAME_RE.match(meta.name):
        problems.append(f"name {meta.name!r} must be lower-case letters, digits and _")
    for hook_name, function in sorted(hook_functions(plugin.obj).items()):
        if not hasattr(hookspecs, hook_name) or not hook_name.startswith("payvand_"):
            problems.append(f"implements unknown hook {hook_name!r}")
            continue
        spec_args = _spec_argnames(hook_name)
        impl_args = [
            p.name
            for p in inspect.signature(function).parameters.values()
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.default is p.empty
        ]
        unknown = [a for a in impl_args if a not in spec_args]
        if unknown:
            problems.append(
                f"hook {hook_name} takes unknown argument(s) {', '.join(unknown)}; "
                f"the spec offers {', '.join(spec_args) or 'none'}"
            )
    for attr in dir(plugin.obj):
        if attr.startswith("payvand_") and attr not in hook_functions(plugin.obj):
            value = getattr(plugin.obj, attr, None)
            if inspect.isfunction(value):
                problems.append(f"{attr} looks like a hook but is not marked with @hookimpl")
    for requirement in meta.requires:
        reason = requirement_met(requirement, installed)
        if reason:
            problems.append(reason)
    problems.extend(_migration_problems(plugin, applied_heads))
    return problems


def _migration_problems(plugin: InstalledPlugin, applied_heads: dict[str, bool] | None) -> list[str]:
    from payvand.core.db import metadata

    prefix = f"{plugin.name}_"
    owns_tables = any(name.startswith(prefix) for name in metadata.tables)
    folder = plugin.package_dir / "migrations" if plugin.package_dir else None
    has_migrations = bool(folder and (folder / "versions").is_dir() and any((folder / "versions").glob("*.py")))
    if owns_tables and not has_migrations:
        return [f"declares tables {prefix}* but has no migrations/versions folder"]
    if has_migrations and applied_heads is not None and not applied_heads.get(plugin.name, False):
        return ["its migrations are not applied: run `payvand db upgrade`"]
    return []


def dependency_order(plugins: Iterable[InstalledPlugin]) -> list[InstalledPlugin]:
    """Order plugins so each comes after the plugins it requires (stable by name otherwise)."""
    by_name = {p.name: p for p in plugins}
    ordered: list[InstalledPlugin] = []
    seen: set[str] = set()

    def visit(plugin: InstalledPlugin, stack: tuple[str, ...]) -> None:
        if plugin.name in seen or plugin.name in stack:
            return
        for requirement in plugin.meta.requires if plugin.meta else ():
            try:
                dep = by_name.get(_parse_requirement(requirement)[0])
            except ValueError:
                dep = None
            if dep is not None:
                visit(dep, (*stack, plugin.name))
        seen.add(plugin.name)
        ordered.append(plugin)

    for plugin in sorted(by_name.values(), key=lambda p: p.name):
        visit(plugin, ())
    return ordered


def env_enabled_override() -> set[str] | None:
    """The plugin names forced on by `PAYVAND_PLUGINS` (`all`, `none` or a comma list)."""
    raw = os.environ.get("PAYVAND_PLUGINS")
    if raw is None:
        return None
    raw = raw.strip()
    if raw == "all":
        return {"*"}
    if raw in ("", "none"):
        return set()
    return {name.strip() for name in raw.split(",") if name.strip()}


class PluginManager:
    """Payvand's wrapper around pluggy: which plugins are enabled, and calling their hooks.

    Every hook implementation is wrapped at registration so that an exception is logged,
    reported to the error sink (the plugin's state row) and turned into "no contribution";
    `PluginError` from a veto hook is the exception and propagates.
    """

    def __init__(self, installed: dict[str, InstalledPlugin] | None = None) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.installed: dict[str, InstalledPlugin] = dict(installed or {})
        self.enabled: list[str] = []
        self.problems: dict[str, list[str]] = {}
        self.error_sink: ErrorSink | None = None
        self._cache: dict[str, list[Any]] = {}

    @property
    def hook(self) -> pluggy.HookRelay:
        """pluggy's hook relay; prefer `call()` which flattens the results."""
        return self.pm.hook

    def add(self, obj: Any, name: str | None = None) -> InstalledPlugin:
        """Make a plugin object known without an entry point (tests, embedded use)."""
        meta = read_meta(obj)
        plugin = InstalledPlugin(name=name or meta.name, obj=obj, meta=meta, source=repr(obj))
        self.installed[plugin.name] = plugin
        return plugin

    def activate(self, wanted: Iterable[str]) -> list[str]:
        """Register exactly the plugins in `wanted` that are sound; return the ones registered.

        A plugin with problems (see `check_plugin`) or whose requirements are not enabled is
        left out and its problems are kept in `self.problems`.
        """
        for name in list(self.enabled):
            self.pm.unregister(name=name)
        self.enabled = []
        self._cache.clear()
        wanted = set(wanted)
        candidates = [p for p in self.installed.values() if p.name in wanted]
        for plugin in dependency_order(candidates):
            problems = check_plugin(plugin, self.installed)
            for requirement in plugin.meta.requires if plugin.meta else ():
                dep = _parse_requirement(requirement)[0] if _REQUIREMENT_RE.match(requirement) else requirement
                if dep not in self.enabled:
                    problems.append(f"requires plugin {dep!r}, which is not enabled")
            self.problems[plugin.name] = problems
            if problems:
                log.error("plugin %s not enabled: %s", plugin.name, "; ".join(problems))
                continue
            self.pm.register(plugin.obj, name=plugin.name)
            for impl in self._impls_of(plugin.name):
                impl.function = self._guard(plugin.name, impl.function, impl.plugin_name)
            self.enabled.append(plugin.name)
        return list(self.enabled)

    def _impls_of(self, plugin_name: str) -> Iterable[Any]:
        for caller in self.pm.get_hookcallers(self.pm.get_plugin(plugin_name)) or []:
            for impl in caller.get_hookimpls():
                if impl.plugin_name == plugin_name:
                    yield impl

    def _guard(self, plugin_name: str, function: Callable[..., Any], _: str) -> Callable[..., Any]:
        @functools.wraps(function)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            try:
                return function(*args, **kwargs)
            except PluginError:
                raise
            except Exception as exc:
                self.report_error(plugin_name, function.__name__, exc)
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

    def call(self, hook_name: str, **kwargs: Any) -> list[Any]:
        """Call a hook on every enabled plugin and flatten the results (None dropped)."""
        results = getattr(self.pm.hook, hook_name)(**kwargs)
        flat: list[Any] = []
        for result in results:
            if result is None:
                continue
            if isinstance(result, (list, tuple)):
                flat.extend(r for r in result if r is not None)
            else:
                flat.append(result)
        return flat

    def call_cached(self, hook_name: str) -> list[Any]:
        """Call a registration hook once and remember its flattened result."""
        if hook_name not in self._cache:
            self._cache[hook_name] = self.call(hook_name)
        return self._cache[hook_name]

    def call_by_plugin(self, hook_name: str, **kwargs: Any) -> dict[str, Any]:
        """Call a hook and return each plugin's non-None result under the plugin's name.

        Exceptions are handled as in `call` (recorded and skipped; PluginError propagates).
        """
        results: dict[str, Any] = {}
        caller = getattr(self.pm.hook, hook_name)
        for impl in reversed(caller.get_hookimpls()):
            result = impl.function(*[kwargs[name] for name in impl.argnames])
            if result is not None:
                results[impl.plugin_name] = result
        return results

    def call_each(self, hook_name: str, kwargs: dict[str, Any], only: Sequence[str] | None = None) -> dict[str, BaseException | None]:
        """Call each plugin's implementation separately; return each plugin's exception or None.

        Used by the outbox to retry only the plugins that failed. Exceptions are not
        swallowed here: the unguarded function is called.
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

    def implementers(self, hook_name: str) -> list[str]:
        """Names of the enabled plugins implementing `hook_name`, in call order."""
        caller = getattr(self.pm.hook, hook_name)
        return [impl.plugin_name for impl in reversed(caller.get_hookimpls())]

    def plugin_of(self, obj: Any) -> str | None:
        """The name of the enabled plugin whose package defines `obj`, if any."""
        module = getattr(obj, "__module__", "") or ""
        for name in self.enabled:
            plugin_module = getattr(self.installed[name].obj, "__name__", "")
            if plugin_module and (module == plugin_module or module.startswith(plugin_module + ".")):
                return name
        return None


def format_exception(exc: BaseException) -> str:
    """A short, single-string rendering of an exception with its last frames."""
    frames = traceback.format_exception(type(exc), exc, exc.__traceback__, limit=-3)
    return "".join(frames)[-4000:]
