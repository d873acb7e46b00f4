"""payvand.sdk: the one import for plugin authors — small, documented and stable.

Everything a plugin needs is re-exported here; anything else in `payvand.core` is private
and may change between releases. First-party plugins import only this module.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
from collections.abc import Iterator
from typing import Any

from flask import current_app, g, has_app_context
from flask_babel import gettext, lazy_gettext
from sqlalchemy.orm import Session

from payvand.core.api.base import ApiBlueprint, principal, require
from payvand.core.api.errors import ApiError
from payvand.core.contracts import (
    ChannelSpec,
    CustomerField,
    JobSpec,
    MovedRows,
    NavItem,
    Panel,
    PermissionSpec,
    PluginMeta,
    SettingSpec,
    Viewer,
)
from payvand.core.db import Base, BigId, ExactDecimal, JSONText, UTCDateTime, current_session, session_scope, utcnow
from payvand.core.hookspecs import hookimpl
from payvand.core.models import Customer, Interaction, User
from payvand.core.plugins import PluginError
from payvand.core.schemas import CustomerOut, InteractionOut
from payvand.core.services.interactions import InteractionError, Source, build_interaction, record
from payvand.core.web.access import public_page, staff_required
from payvand.core.web.access import staff_user as current_staff
from payvand.core.web.forms import FormResult, parse_form

__all__ = [
    "FormResult", "current_staff", "gettext", "lazy_gettext", "parse_form", "public_page", "staff_required",
    "ApiBlueprint", "ApiError", "Base", "BigId", "ChannelSpec", "Customer", "CustomerField",
    "CustomerOut", "ExactDecimal", "Interaction", "InteractionError", "InteractionOut", "JSONText",
    "JobSpec", "MovedRows", "NavItem", "Panel", "PermissionSpec", "PluginError", "PluginMeta",
    "SettingSpec", "UTCDateTime", "User", "Viewer", "current_user_can", "hookimpl", "principal",
    "record_interaction", "require", "session", "setting", "transaction", "utcnow",
]


def session() -> Session:
    """The current database session (the request's, the job's or the event delivery's).

    Plugins add and query through it. The job runner commits it after a job or an event hook
    returns; in a plugin's own route, call `session().commit()` once the change is complete
    (an uncommitted request session is rolled back at the end of the request).
    """
    return current_session()


def _runtime() -> Any:
    if has_app_context() and "payvand" in current_app.extensions:
        return current_app.extensions["payvand"]
    import click

    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        from payvand.core.cli.common import get_env

        return get_env(ctx).runtime
    raise RuntimeError("no Payvand app or CLI command is running")


@contextlib.contextmanager
def transaction() -> Iterator[Session]:
    """Open a session of the running app or CLI command, current for SDK calls, and commit it.

    For a plugin's CLI commands and scripts::

        with transaction() as s:
            s.add(Card(customer_id=1))
    """
    with session_scope(_runtime().sessionmaker) as opened:
        yield opened


def setting(key: str) -> Any:
    """The value of a setting declared through `payvand_settings` (stored, else its default)."""
    return _runtime().setting(current_session(), key)


def current_user_can(permission: str) -> bool:
    """True when the caller of the current request holds `permission` (False outside requests)."""
    if not has_app_context():
        return False
    found = g.get("payvand_principal")
    return bool(found and found.can(permission))


def _known_channels() -> dict[str, str] | None:
    if has_app_context() and "payvand" in current_app.extensions:
        return current_app.extensions["payvand"].channels()
    return None


def record_interaction(
    customer_id: int,
    kind: str,
    channel: str,
    summary: str,
    *,
    value: decimal.Decimal | int | str | None = None,
    currency: str | None = None,
    occurred_at: dt.datetime | None = None,
    payload: dict[str, Any] | None = None,
    source: Source = None,
    direction: str = "inbound",
) -> Interaction:
    """Record a customer-facing event on the timeline, in the current session.

    `kind` is namespaced by the plugin (`sales.order_placed`); `value` is an exact decimal
    with its ISO `currency`; `source` points at the plugin's row, as `("sales.order", 42)` or
    `"sales.order:42"`. `payvand_interaction_recorded` is delivered after the commit. Raises
    InteractionError on a malformed argument.
    """
    values = build_interaction(
        customer_id, kind, channel, summary, channels=_known_channels(), direction=direction,
        value=value, currency=currency, occurred_at=occurred_at, payload=payload, source=source,
    )
    return record(current_session(), values)
