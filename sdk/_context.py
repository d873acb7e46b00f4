"""What the SDK's functions run in: the app's or the CLI command's Runtime, the actor (private)."""

from __future__ import annotations

from typing import Any

from flask import current_app, has_app_context


def runtime() -> Any:
    """The Runtime of the running app (request, job, app context) or CLI command.

    RuntimeError when neither is running (a bare script).
    """
    if has_app_context() and "payvand" in current_app.extensions:
        return current_app.extensions["payvand"]
    import click

    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        from payvand.core.cli.common import get_env

        return get_env(ctx).runtime
    raise RuntimeError("no Payvand app or CLI command is running")


def acting() -> Any:
    """Who the current change is recorded as: the request's actor, else the system."""
    from payvand.core.actor import current_actor

    return current_actor()


def known_channels() -> dict[str, str] | None:
    """The channels the active plugins declare, when an app is running (None otherwise)."""
    if has_app_context() and "payvand" in current_app.extensions:
        return current_app.extensions["payvand"].channels()
    return None
