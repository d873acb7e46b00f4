"""Render the hook reference (`docs/hooks.md`) from the hook specifications, so the two never disagree.

The reference has the kernel's hooks (`core/hookspecs.py`), a section per first-party plugin
that offers hooks of its own (its `PluginMeta(hookspecs=...)` module), and every declared event
type with its payload (the core's and those the plugins declare through `payvand_event_types`).
Run `python -m payvand.core.hookdoc > docs/hooks.md`; a test fails when the file is stale.
"""

from __future__ import annotations

import inspect
from types import ModuleType
from typing import Any

from payvand.core import hookspecs

KINDS = (
    ("Registration hooks", "called once at start-up", hookspecs.REGISTRATION_HOOKS),
    ("Contribution hooks", "called per request or computation", hookspecs.CONTRIBUTION_HOOKS),
    ("Data hooks", "SQL selectables other plugins read without importing the owner", hookspecs.DATA_HOOKS),
    ("Event hooks", "called after commit, through the outbox, with a batch", hookspecs.EVENT_HOOKS),
)
_KIND_ATTRS = (("REGISTRATION_HOOKS", "registration"), ("CONTRIBUTION_HOOKS", "contribution"),
               ("DATA_HOOKS", "data"), ("EVENT_HOOKS", "event"))

#: First-party plugins are documented here; a third party documents its hooks in its own docs.
FIRST_PARTY = "payvand.plugins."


def spec_names(module: ModuleType = hookspecs) -> list[str]:
    """Every hook specification's name in `module` (the kernel's by default), in module order."""
    return [name for name, value in vars(module).items() if name.startswith("payvand_") and callable(value)
            and hasattr(value, f"{hookspecs.PROJECT}_spec")]


def first_party_plugins() -> list[Any]:
    """The installed first-party plugins (entry points into `payvand.plugins.*`), loaded, by name."""
    from payvand.core.plugins import discover

    return [plugin for _, plugin in sorted(discover().items())
            if plugin.source.startswith(FIRST_PARTY) and plugin.meta is not None]


def render() -> str:
    """The Markdown hook reference."""
    lines = [
        "# Hook reference",
        "",
        "Generated from `core/hookspecs.py` and the first-party plugins' own specifications and event types "
        "by `python -m payvand.core.hookdoc`; do not edit by hand.",
        "",
        inspect.cleandoc(hookspecs.__doc__ or ""),
        "",
    ]
    listed: set[str] = set()
    for title, when, names in KINDS:
        lines += [f"## {title}", "", f"*{when.capitalize()}.*", ""]
        for name in names:
            listed.add(name)
            lines += _render_one(hookspecs, name, "###")
    rest = [n for n in spec_names() if n not in listed]
    if rest:
        lines += ["## Other hooks", ""]
        for name in rest:
            lines += _render_one(hookspecs, name, "###")
    plugins = first_party_plugins()
    for plugin in plugins:
        if plugin.hookspecs is not None:
            lines += _render_plugin(plugin)
    lines += _render_events(plugins)
    return "\n".join(lines).rstrip() + "\n"


def _render_plugin(plugin: Any) -> list[str]:
    module = plugin.hookspecs
    lines = [f"## Hooks of the {plugin.name} plugin", "",
             f"*Declared in `{module.__name__}`; called only while {plugin.name} is enabled.*", "",
             inspect.cleandoc(module.__doc__ or ""), ""]
    for name in spec_names(module):
        lines += _render_one(module, name, "###")
    return lines


def _render_one(module: ModuleType, name: str, level: str) -> list[str]:
    spec = getattr(module, name)
    signature = str(inspect.signature(spec)).replace("'", "")
    flags = [kind for attr, kind in _KIND_ATTRS if module is not hookspecs and name in getattr(module, attr, ())]
    if name in getattr(module, "EVENT_HOOKS", ()):
        flags = [f for f in flags if f != "event"] + ["event (after commit, batched)"]
    if name in getattr(module, "VETO_HOOKS", ()):
        flags.append("may veto with `PluginError`")
    if (getattr(spec, f"{hookspecs.PROJECT}_spec", None) or {}).get("firstresult"):
        flags.append("first result: one answer wanted")
    out = [f"{level} `{name}{signature}`", ""]
    if flags:
        out += ["*" + "; ".join(flags) + "*", ""]
    out += [inspect.cleandoc(spec.__doc__ or ""), ""]
    shape = getattr(module, "SHAPES", {}).get(name)
    if shape is not None:
        out += ["Columns of the rows returned:", "", shape.describe(), ""]
    return out


def _render_events(plugins: list[Any]) -> list[str]:
    """Every declared event type: the core's, then each first-party plugin's."""
    from payvand.core.events import CORE_EVENT_TYPES
    from payvand.core.plugins import _flatten, hook_functions

    lines = ["## Event types", "",
             "*Emitted in the changing transaction, delivered after its commit through the outbox to the "
             "plugins subscribed with `payvand_subscriptions` (and, for the core's, to its event hook). "
             "Payload values have the Python types shown.*", ""]
    owners: list[tuple[str, list[Any]]] = [("core", list(CORE_EVENT_TYPES))]
    for plugin in plugins:
        function = hook_functions(plugin.obj).get("payvand_event_types")
        if function is not None:
            owners.append((plugin.name, _flatten(function())))
    for owner, types in owners:
        for event_type in types:
            hook = f" (also the hook `{event_type.hook}`)" if event_type.hook else ""
            lines += [f"### `{event_type.name}`", "", f"*Emitted by {owner}{hook}.* {event_type.description}", ""]
            lines += [f"- `{f.name}` ({f.type.__name__}{', optional' if f.optional else ''}): {f.description}"
                      for f in event_type.fields]
            lines.append("")
    return lines


if __name__ == "__main__":
    print(render(), end="")
