"""The audit log: who changed what, with before and after, in the change's own transaction."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from payvand.core.actor import SYSTEM as SYSTEM  # re-exported: `audit.SYSTEM` is the system actor
from payvand.core.actor import Actor
from payvand.core.models import AuditLog


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


#: What an erased record's audit values become: the entry (who, when, what action) stays.
ERASED = {"erased": True}
#: Ids per UPDATE statement when scrubbing (keeps each statement's parameter list bounded).
_SCRUB_CHUNK = 500


def scrub(session: Session, records: Mapping[str, Iterable[Any]]) -> int:
    """Replace the before and after values of the audit entries of `records` with `ERASED`.

    `records` maps an object type (`customer`, `sales_deal`, ...) to the ids of erased
    records. Set-based: one UPDATE per object type and 500 ids, on the (object_type,
    object_id) index, whatever the number of entries. The entries themselves stay (the fact
    that someone changed something then). Returns how many entries were scrubbed.
    """
    count = 0
    for object_type, ids in records.items():
        keys = sorted({str(i) for i in ids if i is not None})
        for start in range(0, len(keys), _SCRUB_CHUNK):
            result = cast("CursorResult[Any]", session.execute(
                sa.update(AuditLog)
                .where(AuditLog.object_type == object_type, AuditLog.object_id.in_(keys[start:start + _SCRUB_CHUNK]))
                .values(before=ERASED, after=ERASED)
                .execution_options(synchronize_session=False)
            ))
            count += result.rowcount or 0
    return count
