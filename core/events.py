"""Domain events: declared types, collected during a transaction, written to the outbox just before commit.

Every event has a declared `EventType`: the core's own (`CORE_EVENT_TYPES`, each also
delivered through its event hook, e.g. `core.customer_created` → `payvand_customer_created`)
and those plugins declare through `payvand_event_types` (`sales.order_placed`). An emit names
its type; an undeclared name is refused. All events of one type emitted in one transaction
become a single outbox row (filed under the delivering hook for the core's events, under the
event's name for the plugins'), so receivers get the transaction's batch in one call. After the
commit the job runner is woken up to deliver it (`core/jobs.py`), to the implementers of the
type's hook and to the plugins subscribed to its name (`payvand_subscriptions`).

Two emits exist: `emit(session, hook_or_name, ids, extra)` for the core's events (ids, with
per-id extras such as a customer's changes), and `emit_event(session, event_type, payload)`
for plugin events, whose payload is checked against the declared fields and stored as JSON.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session, selectinload

from payvand.core.contracts import Event, EventField, EventType
from payvand.core.models import OutboxEvent

_PENDING = "payvand_events"
_wakers: list[Callable[[], None]] = []


class EventError(ValueError):
    """An emit was refused: the event type is not declared, or its payload does not match."""


# --------------------------------------------------------------------------- the core's event types


def _customer_events(session: Session, payload: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [{"customer_id": int(i)} for i in payload.get("ids", [])]


def _updated_events(session: Session, payload: Mapping[str, Any]) -> list[dict[str, Any]]:
    changes = payload.get("changes", {})
    return [{"customer_id": int(i), "fields": sorted(changes.get(str(i), {}))} for i in payload.get("ids", [])]


def _interaction_events(session: Session, payload: Mapping[str, Any]) -> list[dict[str, Any]]:
    from payvand.core.models import Interaction

    ids = [int(i) for i in payload.get("ids", [])]
    rows = {row.id: row for row in session.execute(
        sa.select(Interaction.id, Interaction.customer_id, Interaction.kind).where(Interaction.id.in_(ids)))}
    return [{"interaction_id": i, "customer_id": rows[i].customer_id, "kind": rows[i].kind} for i in ids if i in rows]


def _load(session: Session, model: Any, ids: Sequence[int], *options: Any) -> list[Any]:
    """Rows of `model` by id, in the order given (missing ones skipped), for a hook's arguments."""
    rows = {row.id: row for row in session.scalars(sa.select(model).where(model.id.in_(ids)).options(*options))}
    return [rows[i] for i in ids if i in rows]


def _customers_arguments(session: Session, payload: Mapping[str, Any]) -> dict[str, Any]:
    from payvand.core.models import Customer

    children = (Customer.emails, Customer.phones, Customer.addresses, Customer.tags, Customer.consents)
    ids = [int(i) for i in payload.get("ids", [])]
    return {"customers": _load(session, Customer, ids, *(selectinload(child) for child in children))}


def _updated_arguments(session: Session, payload: Mapping[str, Any]) -> dict[str, Any]:
    kwargs = _customers_arguments(session, payload)
    loaded = {c.id for c in kwargs["customers"]}
    changes = {int(k): v for k, v in payload.get("changes", {}).items()}
    kwargs["changes"] = {k: v for k, v in changes.items() if k in loaded}
    return kwargs


def _interactions_arguments(session: Session, payload: Mapping[str, Any]) -> dict[str, Any]:
    from payvand.core.models import Interaction

    return {"interactions": _load(session, Interaction, [int(i) for i in payload.get("ids", [])])}


def _message_events(session: Session, payload: Mapping[str, Any]) -> list[dict[str, Any]]:
    from payvand.core.models.message import Message

    ids = [int(i) for i in payload.get("ids", [])]
    rows = {row.id: row for row in session.execute(
        sa.select(Message.id, Message.customer_id, Message.channel).where(Message.id.in_(ids)))}
    return [{"message_id": i, "customer_id": rows[i].customer_id, "channel": rows[i].channel} for i in ids if i in rows]


def _messages_arguments(session: Session, payload: Mapping[str, Any]) -> dict[str, Any]:
    from payvand.core.messaging.received import received_messages

    return {"messages": received_messages(session, [int(i) for i in payload.get("ids", [])])}


def _deleted_arguments(session: Session, payload: Mapping[str, Any]) -> dict[str, Any]:
    return {"customer_ids": [int(i) for i in payload.get("ids", [])]}


@dataclasses.dataclass(frozen=True)
class CoreDelivery:
    """How a core event's stored ids become its hook's arguments and its subscribers' events."""

    arguments: Callable[[Session, Mapping[str, Any]], dict[str, Any]]
    batch: str  # the argument holding the objects: a call that would get none is skipped
    events: Callable[[Session, Mapping[str, Any]], list[dict[str, Any]]]


_CUSTOMER_ID = EventField("customer_id", int, "the customer")

#: The core's event types, each delivered through its event hook and to its subscribers.
CORE_EVENT_TYPES: tuple[EventType, ...] = (
    EventType("core.customer_created", "Customers were created (by form, API, import or a plugin).",
              (_CUSTOMER_ID,), hook="payvand_customer_created"),
    EventType("core.customer_updated", "Customers were changed (also merged, unmerged or erased).",
              (_CUSTOMER_ID, EventField("fields", list, "the names of the fields that changed")),
              hook="payvand_customer_updated"),
    EventType("core.customer_deleted", "Customers were deleted; only their ids remain.",
              (_CUSTOMER_ID,), hook="payvand_customer_deleted"),
    EventType("core.interaction_recorded", "Interactions were recorded on customers' timelines.",
              (EventField("interaction_id", int, "the interaction"), _CUSTOMER_ID,
               EventField("kind", str, "its kind, e.g. `sales.order_placed`")),
              hook="payvand_interaction_recorded"),
    EventType("core.message_received", "Messages were received from customers on a channel (not auto-replies).",
              (EventField("message_id", int, "the message"), _CUSTOMER_ID,
               EventField("channel", str, "its channel, e.g. `email`")),
              hook="payvand_message_received"),
)

CORE_DELIVERY: dict[str, CoreDelivery] = {
    "core.customer_created": CoreDelivery(_customers_arguments, "customers", _customer_events),
    "core.customer_updated": CoreDelivery(_updated_arguments, "customers", _updated_events),
    "core.customer_deleted": CoreDelivery(_deleted_arguments, "customer_ids", _customer_events),
    "core.interaction_recorded": CoreDelivery(_interactions_arguments, "interactions", _interaction_events),
    "core.message_received": CoreDelivery(_messages_arguments, "messages", _message_events),
}

_CORE_BY_KEY = {key: t for t in CORE_EVENT_TYPES for key in (t.name, t.hook)}


def core_event_type(name_or_hook: str) -> EventType | None:
    """The core's event type named `name_or_hook`, or delivered by that hook, else None."""
    return _CORE_BY_KEY.get(name_or_hook)


def outbox_key(event_type: EventType) -> str:
    """What an event's outbox row is filed under (`OutboxEvent.hook`): the hook delivering it
    for the core's events (as rows always were), the event's name for the plugins' events."""
    return event_type.hook or event_type.name


# --------------------------------------------------------------------------- payloads


def _encode(field: EventField, value: Any, type_name: str) -> Any:
    """A payload value as JSON, after checking it has the field's declared type."""
    if value is None:
        if field.optional:
            return None
        raise EventError(f"{type_name}: {field.name} must not be None")
    kind = field.type
    ok = {
        int: isinstance(value, int) and not isinstance(value, bool),
        bool: isinstance(value, bool),
        str: isinstance(value, str),
        float: isinstance(value, (int, float)) and not isinstance(value, bool),
        decimal.Decimal: isinstance(value, (decimal.Decimal, int)) and not isinstance(value, bool),
        dt.datetime: isinstance(value, dt.datetime) and value.tzinfo is not None,
        dt.date: isinstance(value, dt.date) and not isinstance(value, dt.datetime),
        list: isinstance(value, (list, tuple)) and all(isinstance(v, (str, int, float, bool)) or v is None
                                                       for v in value),
    }.get(kind, False)
    if not ok:
        wanted = "an aware datetime" if kind is dt.datetime else f"a {kind.__name__}"
        raise EventError(f"{type_name}: {field.name} must be {wanted}, not {value!r}")
    if kind is decimal.Decimal:
        return str(value)
    if kind in (dt.datetime, dt.date):
        return value.isoformat()
    if kind is list:
        return list(value)
    return value


def _decode(field: EventField | None, value: Any) -> Any:
    """A stored JSON value back as the field's Python type."""
    if value is None or field is None:
        return value
    if field.type is decimal.Decimal:
        return decimal.Decimal(value)
    if field.type is dt.datetime:
        return dt.datetime.fromisoformat(value)
    if field.type is dt.date:
        return dt.date.fromisoformat(value)
    return value


def encode_payload(event_type: EventType, payload: Mapping[str, Any]) -> dict[str, Any]:
    """Check `payload` against the type's declared fields and return it as JSON values.

    Raises EventError naming the first problem: a field not declared, a required field
    missing, or a value of the wrong type.
    """
    declared = {field.name: field for field in event_type.fields}
    extra = sorted(set(payload) - set(declared))
    if extra:
        raise EventError(f"{event_type.name}: {', '.join(extra)} not declared (fields: {', '.join(declared) or 'none'})")
    missing = [name for name, field in declared.items() if name not in payload and not field.optional]
    if missing:
        raise EventError(f"{event_type.name}: missing {', '.join(missing)}")
    return {name: _encode(field, payload.get(name), event_type.name) for name, field in declared.items()}


def decode_payload(event_type: EventType | None, payload: Mapping[str, Any]) -> dict[str, Any]:
    """A stored payload with its values as the declared Python types (as stored when undeclared)."""
    if event_type is None:
        return dict(payload)
    return {name: _decode(event_type.field(name), value) for name, value in payload.items()}


def subscriber_events(session: Session, row: OutboxEvent, event_type: EventType | None) -> list[Event]:
    """The events of one outbox row as subscribers receive them."""
    core = CORE_DELIVERY.get(event_type.name) if event_type is not None else None
    items = core.events(session, row.payload) if core is not None else list(row.payload.get("events", []))
    name = event_type.name if event_type is not None else row.hook
    emitted = row.created_at
    return [Event(name=name, payload=decode_payload(event_type, item), key=f"{row.id}:{n}", emitted_at=emitted)
            for n, item in enumerate(items)]


def hook_arguments(session: Session, row: OutboxEvent, event_type: EventType) -> tuple[dict[str, Any], bool]:
    """The arguments of the event hook delivering a core event, and whether it has any objects."""
    core = CORE_DELIVERY[event_type.name]
    kwargs = core.arguments(session, row.payload)
    return kwargs, bool(kwargs.get(core.batch))


# --------------------------------------------------------------------------- emitting


def emit(session: Session, hook: str, ids: Iterable[int], extra: dict[str, Any] | None = None) -> None:
    """Queue one of the core's events for `ids`, delivered after this session's transaction commits.

    `hook` is the event's name (`core.customer_created`) or its hook (`payvand_customer_created`).
    `extra` is merged per id (e.g. `{"changes": {id: {...}}}`) for hooks that take more than
    the objects. Raises EventError for anything but a core event.
    """
    event_type = core_event_type(hook)
    if event_type is None:
        raise EventError(f"{hook} is not one of the core's events ({', '.join(t.name for t in CORE_EVENT_TYPES)})")
    entry = _pending(session).setdefault(outbox_key(event_type), {"ids": [], "extra": {}})
    entry["ids"].extend(ids)
    for key, value in (extra or {}).items():
        entry["extra"].setdefault(key, {}).update(value)


def emit_event(session: Session, event_type: EventType, payload: Mapping[str, Any]) -> None:
    """Queue one event of a plugin's declared type, written to the outbox with this session's commit.

    The payload is checked against the type's fields first (EventError when it does not
    match); the core's own types are emitted by the core only.
    """
    if event_type.name in CORE_DELIVERY:
        raise EventError(f"{event_type.name} is emitted by the core only")
    encoded = encode_payload(event_type, payload)
    _pending(session).setdefault(event_type.name, {"events": []})["events"].append(encoded)


def _pending(session: Session) -> dict[str, dict[str, Any]]:
    """The session's queued events, its transaction begun first so that a rollback drops them
    (an emit may come before the transaction's first statement)."""
    if not session.in_transaction():
        session.begin()
    return session.info.setdefault(_PENDING, {})


def pending_events(session: Session) -> dict[str, Sequence[Any]]:
    """What this session has queued so far, by event name (ids or payloads): for tests and debugging."""
    queued = session.info.get(_PENDING) or {}
    return {name: list(entry.get("ids", entry.get("events", []))) for name, entry in queued.items()}


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
    for name, entry in pending.items():
        if "events" in entry:
            if entry["events"]:
                session.add(OutboxEvent(hook=name, payload={"events": entry["events"]}))
            continue
        ids = list(dict.fromkeys(entry["ids"]))
        if not ids:
            continue
        payload = {"ids": ids, **{k: {str(i): v for i, v in d.items()} for k, d in entry["extra"].items()}}
        session.add(OutboxEvent(hook=name, payload=payload))
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
