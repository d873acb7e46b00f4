"""payvand.sdk.hooks: declaring a plugin and implementing hooks.

`hookimpl` marks a hook implementation; `PluginMeta` declares the plugin; the value types are
what the registration and contribution hooks return (`docs/hooks.md` lists every hook and what
it takes and returns); `PluginError` refuses an operation from a veto hook; `call_hook` lets a
plugin that owns a hook call it on every active plugin; `plugins_generation` tells when what
the hooks answer may have changed.

Stability: every name is stable (semantic versioning) except those in `PROVISIONAL`, which may
change in any minor release: `call_hook`, `plugins_generation`, and the newer plugin-defined hooks, events and
configuration keys with the hooks' typed contracts (`hookspec`, `call_hook_first`,
`EventType`, `EventField`, `Event`, `Subscription`, `EventError`, `emit_event`, `ConfigKey`,
`config_value`, `ColumnSpec`, `SelectableShape`, `PURCHASE_FACTS`, `PurchaseFactsSelect`, `LEAD_FACTS`, `LeadFactsSelect`,
`PRODUCT_FACTS`, `ProductFactsSelect`, `MARKETING_COSTS`, `MarketingCostsSelect`,
`SERVICE_FACTS`, `ServiceFactsSelect`, `CUSTOMER_KEYS`, `CustomerKeysSelect`, `Recommendation`, `recommend`,
`JSONValue`, `CustomerExport`, `ErasedRecords`, `CustomerChanges`, `DemoCounts`, and the FAQ bot's
answer-source contract `BotQuestion`, `BotAnswer`, `BotAnswerer`,
the returns contract `ReturnableItem`, and the evaluation programs' `EvaluationProgram`,
`EvaluationScale`, `EvaluationRow`, `EvaluationSummary`, and the KPI dashboard's `KpiWidget`,
`KpiData`, `KpiSeries`, `KpiPeriod`, `kpi_widgets`, `compute_kpi`). New fields of a value type
come with defaults, so building one by keyword
keeps working; build them by keyword. Plugin-defined hooks and events belong here.
"""

from __future__ import annotations

from typing import Any

from payvand.core import __version__ as CORE_VERSION
from payvand.core.contracts import (
    CUSTOMER_KEYS,
    LEAD_FACTS,
    MARKETING_COSTS,
    PRODUCT_FACTS,
    PURCHASE_FACTS,
    SERVICE_FACTS,
    BotAnswer,
    BotAnswerer,
    BotQuestion,
    ChannelSpec,
    ColumnSpec,
    ConfigKey,
    CustomerChanges,
    CustomerExport,
    CustomerField,
    CustomerKeysSelect,
    DemoCounts,
    ErasedRecords,
    EvaluationProgram,
    EvaluationRow,
    EvaluationScale,
    EvaluationSummary,
    Event,
    EventField,
    EventType,
    InteractionKind,
    JobSpec,
    JSONValue,
    KpiData,
    KpiPeriod,
    KpiSeries,
    KpiWidget,
    LeadFactsSelect,
    MarketingCostsSelect,
    MovedRows,
    NavItem,
    Panel,
    PermissionSpec,
    PluginMeta,
    ProductFactsSelect,
    PurchaseFactsSelect,
    Recommendation,
    RecordRule,
    ReturnableItem,
    SelectableShape,
    ServiceFactsSelect,
    SettingSpec,
    Subscription,
)
from payvand.core.events import EventError
from payvand.core.hookspecs import hookimpl, hookspec
from payvand.core.plugins import PluginError
from payvand.sdk import _context

__all__ = [
    "hookimpl", "PluginMeta", "PluginError", "call_hook", "plugins_generation",
    # what hooks return (and receive)
    "ChannelSpec", "CustomerField", "InteractionKind", "JobSpec", "MovedRows", "NavItem", "Panel",
    "PermissionSpec", "RecordRule", "SettingSpec",
    # plugin-defined hooks, events and configuration keys; the core version
    "hookspec", "call_hook_first", "CORE_VERSION",
    "EventType", "EventField", "Event", "Subscription", "EventError", "emit_event",
    "ConfigKey", "config_value",
    # typed contracts of the hooks
    "ColumnSpec", "SelectableShape", "PURCHASE_FACTS", "PurchaseFactsSelect", "LEAD_FACTS", "LeadFactsSelect",
    "PRODUCT_FACTS", "ProductFactsSelect", "MARKETING_COSTS", "MarketingCostsSelect", "SERVICE_FACTS",
    "ServiceFactsSelect", "CUSTOMER_KEYS", "CustomerKeysSelect", "Recommendation", "recommend",
    "JSONValue", "CustomerExport", "ErasedRecords", "CustomerChanges", "DemoCounts",
    # the FAQ bot's answer sources (`payvand_bot_answerers`)
    "BotQuestion", "BotAnswer", "BotAnswerer",
    "ReturnableItem",
    "EvaluationProgram", "EvaluationScale", "EvaluationRow", "EvaluationSummary",
    # the KPI dashboard (`payvand_dashboard_widgets` with purpose "kpi")
    "KpiWidget", "KpiData", "KpiSeries", "KpiPeriod", "kpi_widgets", "compute_kpi",
]

#: Names that may change in a minor release (the rest are stable).
PROVISIONAL = frozenset({
    "call_hook", "plugins_generation", "hookspec", "call_hook_first", "EventType", "EventField", "Event",
    "Subscription", "EventError",
    "emit_event", "ConfigKey", "config_value", "ColumnSpec", "SelectableShape", "PURCHASE_FACTS",
    "PurchaseFactsSelect", "JSONValue", "CustomerExport", "ErasedRecords", "CustomerChanges", "DemoCounts",
    "PRODUCT_FACTS", "ProductFactsSelect", "Recommendation", "recommend",
    "BotQuestion", "BotAnswer", "BotAnswerer",
    "ReturnableItem",
    "LEAD_FACTS", "LeadFactsSelect", "CUSTOMER_KEYS", "CustomerKeysSelect",
    "MARKETING_COSTS", "MarketingCostsSelect", "SERVICE_FACTS", "ServiceFactsSelect",
    "EvaluationProgram", "EvaluationScale", "EvaluationRow", "EvaluationSummary",
    "KpiWidget", "KpiData", "KpiSeries", "KpiPeriod", "kpi_widgets", "compute_kpi",
})


def call_hook(name: str, **kwargs: Any) -> list[Any]:
    """Call hook `name` on every active plugin (in a request, a job or a CLI command).

    Returns the non-None results (lists flattened, as pluggy does); a plugin that raises is
    recorded on the plugins page and left out. For plugins that own a contribution hook, such
    as the sales plugin calling `payvand_lead_score`.
    """
    return list(_context.runtime().plugins.call(name, **kwargs))


def plugins_generation() -> tuple[int, int]:
    """A value that changes whenever the set of active plugins changes (enabled, disabled, reloaded).

    For a plugin that builds something costly from other plugins' hook answers (a statement
    over every plugin's data hooks) and keeps it between calls: keep it under this value and
    build again when it differs.
    """
    plugins = _context.runtime().plugins
    return id(plugins), plugins.generation


def call_hook_first(name: str, **kwargs: Any) -> Any:
    """The one answer of a *first result* hook (`@hookspec(firstresult=True)`), or None.

    The first implementation answering other than None wins (last registered first;
    `@hookimpl(tryfirst=True)` goes earlier); a plugin that raises is recorded and skipped.
    ValueError for a hook that collects every plugin's part (use `call_hook`).
    """
    return _context.runtime().plugins.call_first(name, **kwargs)


def kpi_widgets(actor: Any) -> list[tuple[str, KpiWidget]]:
    """The KPI widgets every active plugin offers `actor` (`payvand_dashboard_widgets` with
    purpose `"kpi"`), as (plugin name, `KpiWidget`), by `order` then key; widgets whose
    permission the actor lacks are left out. For the plugin that draws the KPI dashboard."""
    return _context.runtime().kpi_widgets(actor)


def compute_kpi(plugin: str, widget: KpiWidget, actor: Any, period: KpiPeriod,
                comparison: KpiPeriod | None) -> KpiData | None:
    """`widget.compute(actor, period, comparison)`; None when it fails (the failure is recorded
    on `plugin`, shown on the plugins page), so one broken widget never breaks a dashboard."""
    return _context.runtime().compute_kpi(plugin, widget, actor, period, comparison)


def recommend(customer_id: int, limit: int = 10) -> list[Recommendation]:
    """Up to `limit` products to suggest to customer `customer_id`, best first (`Recommendation`s),
    from the plugin answering `payvand_recommendations` (the analytics plugin); an empty list
    when none is active or it has nothing yet. A stored lookup, cheap enough for a page or a
    message template."""
    answer = _context.runtime().plugins.call_first("payvand_recommendations", customer_id=customer_id,
                                                   limit=max(0, int(limit)))
    return list(answer or [])[:limit]


def emit_event(name: str, payload: dict[str, Any]) -> None:
    """Emit an event of a type declared through `payvand_event_types`, in the current transaction.

    `payload` gives exactly the declared fields (ids and the few values subscribers need; no
    personal data beyond ids). The event is written to the outbox when the current session
    commits, and delivered after the commit to every plugin subscribed to `name`
    (`payvand_subscriptions`), each in its own session, retried alone when it fails; if the
    transaction rolls back, nothing is sent. Raises `EventError` for an undeclared name or a
    payload that does not match the declaration.
    """
    from payvand.core import events
    from payvand.core.db import current_session
    from payvand.core.runtime import runtime_for

    opened = current_session()
    try:
        runtime = _context.runtime()
    except RuntimeError:  # a service called with only a session (a script, a test)
        runtime = runtime_for(opened)
        if runtime is None:
            raise
    event_type = runtime.event_type(name)
    if event_type is None:
        raise EventError(f"unknown event type {name!r}: declare it with the payvand_event_types hook")
    events.emit_event(opened, event_type, payload)


def config_value(name: str) -> Any:
    """The value of configuration key `name`, declared by the core or an installed plugin
    (`payvand_config_keys`): the app's configuration, else the environment, else the default,
    parsed as the declared type at start-up. KeyError for a key nobody declares."""
    from flask import current_app, has_app_context

    runtime = _context.runtime()
    keys = runtime.config_keys()
    if name not in keys:
        raise KeyError(f"no plugin declares the configuration key {name!r}")
    if has_app_context() and name in current_app.config:
        return current_app.config[name]
    return runtime.config.get(name, keys[name][1].default)

