"""Site administration writes: stored settings and the errors recorded for plugins, audited."""

from __future__ import annotations

import decimal
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from payvand.core import audit
from payvand.core.actor import Actor
from payvand.core.models import PluginState, Setting


def save_settings(session: Session, actor: Actor, new_values: Mapping[str, Any], current: Mapping[str, Any]) -> list[str]:
    """Store every value that differs from `current`, each with an audit entry as `actor`; the changed keys."""
    stored = {row.key: row for row in session.scalars(sa.select(Setting).where(Setting.key.in_(list(new_values))))}
    changed = []
    for key, value in new_values.items():
        if isinstance(value, decimal.Decimal):
            value = str(value)
        old = current.get(key)
        if old == value:
            continue
        row = stored.get(key)
        if row is None:
            session.add(Setting(key=key, value=value))
        else:
            row.value = value
        audit.record(session, actor, "update", "setting", key, before={"value": old}, after={"value": value})
        changed.append(key)
    return changed


def clear_plugin_errors(session: Session, actor: Actor, name: str) -> int:
    """Forget the errors recorded for plugin `name` (audited as `actor`); how many there were."""
    count = session.scalar(sa.select(PluginState.error_count).where(PluginState.name == name)) or 0
    session.execute(sa.update(PluginState).where(PluginState.name == name).values(
        error_count=0, last_error=None, last_error_at=None, recent_errors=[]))
    audit.record(session, actor, "clear_errors", "plugin", name, before={"error_count": count}, after={"error_count": 0})
    return count
