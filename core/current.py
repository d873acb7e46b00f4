"""The Runtime of the running app or CLI command, found without importing `payvand.core.runtime`.

Modules the runtime itself imports (the messaging layer, the job runner's helpers) look the
running Runtime up through here, so the import graph keeps no cycle.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from payvand.core.runtime import Runtime

#: How the running CLI command's Runtime is found from its click context; set by
#: `payvand.core.cli.common` (the CLI builds on this module, not the other way round).
_cli_runtime: Callable[[Any], Runtime] | None = None


def set_cli_runtime(lookup: Callable[[Any], Runtime]) -> None:
    """Tell `current_runtime` how to get the Runtime of a CLI command from its click context."""
    global _cli_runtime
    _cli_runtime = lookup


def current_runtime() -> Runtime:
    """The Runtime of the running app (in an app context) or CLI command; RuntimeError otherwise."""
    from flask import current_app, has_app_context

    if has_app_context() and "payvand" in current_app.extensions:
        return current_app.extensions["payvand"]
    import click

    ctx = click.get_current_context(silent=True)
    if ctx is not None and _cli_runtime is not None:
        return _cli_runtime(ctx)
    raise RuntimeError("no Payvand app or CLI command is running")
