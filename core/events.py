"""Domain events: collected during a transaction, written to the outbox just before commit.

`emit(session, hook, ids)` queues ids for an event hook; all ids queued for one hook in one
transaction become a single outbox row, so plugins receive the transaction's batch in one call.
After the commit the job runner is woken up to deliver it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from payvand.core.hookspecs import EVENT_HOOKS
from payvand.core.models import OutboxEvent

_PENDING = "payvand_events"
_wakers: list[Callable[[], None]] = []


def emit(session: Session, hook: str, ids: Iterable[int], extra: dict[str, Any] | None = None) -> None:
    """Queue an event hook for `ids`, delivered after this session's transaction commits.

    `extra` is merged per id (e.g. `{"changes": {id: {...}}}`) for hooks that take more
    than the objects.
    """
    if hook not in EVENT_HOOKS:
        raise ValueError(f"{hook} is not an event hook")
    pending: dict[str, dict[str, Any]] = session.info.setdefault(_PENDING, {})
    entry = pending.setdefault(hook, {"ids": [], "extra": {}})
    entry["ids"].extend(ids)
    for key, value in (extra or {}).items():
        entry["extra"].setdefault(key, {}).update(value)


def add_waker(callback: Callable[[], None]) -> None:
    """Register a callback run after any commit that wrote outbox rows (wakes the runner)."""
    _wakers.append(callback)


def remove_waker(callback: Callable[[], None]) -> None:
    """Forget a callback given to `add_waker`."""
    if callback in _wakers:
        _wakers.remove(callback)


@event.listens_for(Session, "before_commit")
def _write_outbox(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    for hook, entry in pending.items():
        ids = list(dict.fromkeys(entry["ids"]))
        if not ids:
            continue
        payload = {"ids": ids, **{k: {str(i): v for i, v in d.items()} for k, d in entry["extra"].items()}}
        session.add(OutboxEvent(hook=hook, payload=payload))
    session.flush()
    session.info["payvand_outbox_written"] = True


@event.listens_for(Session, "after_commit")
def _wake_runner(session: Session) -> None:
    if session.info.pop("payvand_outbox_written", False):
        for waker in list(_wakers):
            waker()


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop("payvand_outbox_written", None)
