"""payvand.sdk.hooks: declaring a plugin and implementing hooks.

`hookimpl` marks a hook implementation; `PluginMeta` declares the plugin; the value types are
what the registration and contribution hooks return (`docs/hooks.md` lists every hook and what
it takes and returns); `PluginError` refuses an operation from a veto hook; `call_hook` lets a
plugin that owns a hook call it on every active plugin.

Stability: every name is stable (semantic versioning) except those in `PROVISIONAL`, which may
change in any minor release: `call_hook` (plugins are about to ship their own hook
specifications). New fields of a value type come with defaults, so building one by keyword
keeps working; build them by keyword. Plugin-defined hooks and events belong here.
"""

from __future__ import annotations

from typing import Any

from payvand.core.contracts import (
    ChannelSpec,
    CustomerField,
    InteractionKind,
    JobSpec,
    MovedRows,
    NavItem,
    Panel,
    PermissionSpec,
    PluginMeta,
    RecordRule,
    SettingSpec,
)
from payvand.core.hookspecs import hookimpl
from payvand.core.plugins import PluginError
from payvand.sdk import _context

__all__ = [
    "hookimpl", "PluginMeta", "PluginError", "call_hook",
    # what hooks return (and receive)
    "ChannelSpec", "CustomerField", "InteractionKind", "JobSpec", "MovedRows", "NavItem", "Panel",
    "PermissionSpec", "RecordRule", "SettingSpec",
]

#: Names that may change in a minor release (the rest are stable).
PROVISIONAL = frozenset({"call_hook"})


def call_hook(name: str, **kwargs: Any) -> list[Any]:
    """Call hook `name` on every active plugin (in a request, a job or a CLI command).

    Returns the non-None results (lists flattened, as pluggy does); a plugin that raises is
    recorded on the plugins page and left out. For plugins that own a contribution hook, such
    as the sales plugin calling `payvand_lead_score`.
    """
    return list(_context.runtime().plugins.call(name, **kwargs))
