"""The audit log: who changed what, with before and after, in the change's own transaction."""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy.orm import Session

from payvand.core.models import AuditLog


@dataclasses.dataclass(frozen=True)
class Actor:
    """Who is acting: a staff user (through a session or an API token) or the system."""

    user_id: int | None = None
    label: str = "system"
    token_id: int | None = None


SYSTEM = Actor()


def record(
    session: Session,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: Any,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditLog:
    """Add an audit entry to `session`; it commits or rolls back with the change itself."""
    entry = AuditLog(
        actor_id=actor.user_id,
        actor_label=actor.label if actor.token_id is None else f"{actor.label} (token {actor.token_id})",
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        before=before,
        after=after,
    )
    session.add(entry)
    return entry


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """The fields that differ between two snapshots, as `{field: [old, new]}`."""
    return {
        key: [before.get(key), after.get(key)]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }
