"""The hook the example plugin offers other plugins (named by its `PluginMeta(hookspecs=...)`)."""

from __future__ import annotations

from payvand.sdk import Customer, hookspec


@hookspec(firstresult=True)
def payvand_example_welcome_text(customer: Customer) -> str | None:
    """Return the welcome message for a new `customer`, or None to leave it to others.

    *First result*: the first plugin answering decides; with no answer the example plugin
    writes its own ("Welcome message sent to <name>").
    """
