"""Data-protection requests: export everything about a customer, or erase (anonymise) them."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from payvand.core import audit, events, idempotency
from payvand.core.actor import SYSTEM, Actor
from payvand.core.db import utcnow
from payvand.core.models import (
    Customer,
    CustomerAddress,
    CustomerEmail,
    CustomerMerge,
    CustomerPhone,
    CustomerTag,
    Interaction,
    OutboxEvent,
)
from payvand.core.plugins import PluginManager
from payvand.core.schemas import ConsentOut, CustomerOut, InteractionOut
from payvand.core.services.customers import merged_into_ids

ERASED = audit.ERASED
EXPORT_FORMAT = "payvand.customer-export/1"

#: Event hooks whose outbox payload carries per-customer changes (old and new values).
_HOOKS_WITH_CHANGES = ("payvand_customer_updated",)


def export_customer(session: Session, customer: Customer, plugins: PluginManager, actor: Actor = SYSTEM) -> dict[str, Any]:
    """Everything Payvand holds about a customer that `actor` may see, the plugins' parts included, as JSON values.

    The document has the customer record, the whole consent history (oldest first), every
    interaction (oldest first), the merges the customer took part in and, under `plugins`,
    each plugin's `payvand_customer_export` part under the plugin's name. `actor` (the
    request's actor; the system sees everything) is passed to the plugins,
    which leave out the rows their record rules hide from it.
    """
    interactions = session.scalars(
        sa.select(Interaction).where(Interaction.customer_id == customer.id).order_by(Interaction.occurred_at, Interaction.id)
    ).all()
    merges = session.scalars(
        sa.select(CustomerMerge)
        .where(sa.or_(CustomerMerge.target_id == customer.id, CustomerMerge.source_id == customer.id))
        .order_by(CustomerMerge.id)
    ).all()
    return {
        "format": EXPORT_FORMAT,
        "exported_at": utcnow().isoformat(),
        "customer": CustomerOut().dump(customer),
        "consent_history": ConsentOut(many=True).dump(sorted(customer.consents, key=lambda c: (c.recorded_at, c.id))),
        "interactions": InteractionOut(many=True).dump(interactions),
        "messages": _messages(session, customer.id),
        "merges": [
            {"id": m.id, "target_id": m.target_id, "source_id": m.source_id,
             "merged_at": m.merged_at.isoformat(), "undone_at": m.undone_at.isoformat() if m.undone_at else None}
            for m in merges
        ],
        "plugins": {name: _jsonable(part) for name, part in
                    plugins.call_by_plugin("payvand_customer_export", customer=customer, actor=actor).items()},
    }


def _messages(session: Session, customer_id: int) -> list[dict[str, Any]]:
    """The customer's messages, sent and received, oldest first, with their attachments' names and receipts."""
    from payvand.core.models.message import Message, MessageAttachment, MessageReceipt

    rows = session.scalars(sa.select(Message).where(Message.customer_id == customer_id)
                           .order_by(Message.created_at, Message.id)).all()
    ids = [row.id for row in rows]
    files: dict[int, list[dict[str, Any]]] = {}
    for item in session.execute(sa.select(MessageAttachment.message_id, MessageAttachment.filename,
                                          MessageAttachment.content_type, MessageAttachment.size)
                                .where(MessageAttachment.message_id.in_(ids)).order_by(MessageAttachment.id)):
        files.setdefault(item.message_id, []).append(
            {"filename": item.filename, "content_type": item.content_type, "size": item.size})
    receipts: dict[int, list[dict[str, Any]]] = {}
    for receipt in session.scalars(sa.select(MessageReceipt).where(MessageReceipt.message_id.in_(ids))
                                   .order_by(MessageReceipt.occurred_at, MessageReceipt.id)):
        receipts.setdefault(receipt.message_id, []).append(
            {"status": receipt.status, "occurred_at": receipt.occurred_at.isoformat(), "reason": receipt.reason})
    return [{
        "id": row.id, "channel": row.channel, "direction": row.direction, "purpose": row.purpose,
        "status": row.status, "address": row.address, "subject": row.subject, "body": row.body, "html": row.html,
        "created_at": row.created_at.isoformat(), "sent_at": row.sent_at.isoformat() if row.sent_at else None,
        "reply_to_id": row.reply_to_id, "attachments": files.get(row.id, []), "receipts": receipts.get(row.id, []),
    } for row in rows]


def _erase_messages(session: Session, ids: list[int], addresses: list[str]) -> None:
    """Blank the customers' messages (subjects, bodies, addresses, headers, errors), delete their
    attachments, blank receipt reasons and forget suppressions of their addresses."""
    from payvand.core.models.message import Message, MessageAttachment, MessageReceipt, Suppression

    mine = sa.select(Message.id).where(Message.customer_id.in_(ids))
    session.execute(sa.delete(MessageAttachment).where(MessageAttachment.message_id.in_(mine))
                    .execution_options(synchronize_session=False))
    session.execute(sa.update(MessageReceipt).where(MessageReceipt.message_id.in_(mine)).values(reason="")
                    .execution_options(synchronize_session=False))
    session.execute(sa.update(Message).where(Message.customer_id.in_(ids)).values(
        subject="", body="", html=None, address="", headers={}, error=None, provider_id=None)
        .execution_options(synchronize_session=False))
    # an inbound message's reference is its sender's Message-ID (it may name them): replace it
    table: sa.Table = Message.__table__  # type: ignore[assignment]
    session.execute(sa.update(table).where(table.c.customer_id.in_(ids), table.c.direction == "inbound")
                    .values(reference=sa.literal("erased.") + sa.cast(table.c.id, sa.String)))
    if addresses:
        session.execute(sa.delete(Suppression).where(Suppression.address.in_(addresses)))
    from payvand.core.models.chat import ChatConversation

    # web chat conversations: what the visitor typed about themselves and where they wrote from
    session.execute(sa.update(ChatConversation).where(ChatConversation.customer_id.in_(ids)).values(
        name="", email="", phone="", page="", origin="", status="closed").execution_options(synchronize_session=False))


def _jsonable(value: Any) -> Any:
    """A plugin's export part as plain JSON values: dates as ISO text, decimals and the rest as text."""
    def default(item: Any) -> Any:
        if isinstance(item, (dt.date, dt.datetime, dt.time)):
            return item.isoformat()
        if isinstance(item, (set, frozenset, tuple)):
            return list(item)
        return str(item)

    return json.loads(json.dumps(value, default=default))


def erase_customer(session: Session, customer: Customer, actor: Actor, plugins: PluginManager) -> list[int]:
    """Anonymise a customer, and every customer merged into it, across the core and plugins.

    A merged-away duplicate is the same person, so it is erased too. Plugins go first, for
    each customer, so one can veto (raise PluginError) before anything changes; the caller
    rolls back then. Names, contacts, addresses, birthday, custom fields, interaction
    summaries and payloads go, and so does who referred them (the customers they referred keep
    their link to the anonymised row, so referral counts stay), and so do the personal values in the audit trail, in merge
    records and in queued change events, and the tags no other customer carries (a unique
    tag is free text about the person); shared tags, consents, lifecycle stage and
    interaction kinds, dates and amounts stay, so counts and reports do not change. Each plugin returns the
    records it erased (`{object_type: ids}`); their audit entries keep who did what and when
    but lose their before/after values, as the customer's own do (set-based, `audit.scrub`).
    Returns the ids erased.
    """
    ids = [customer.id, *merged_into_ids(session, customer.id)]
    customers = [customer] + [session.get(Customer, i) for i in ids[1:]]
    erased: dict[str, set[Any]] = {"customer": set(ids)}
    for each in customers:
        if each is not None and each.erased_at is None:
            for part in plugins.call("payvand_customer_erase", customer=each):
                for object_type, object_ids in (part.items() if isinstance(part, Mapping) else ()):
                    erased.setdefault(str(object_type), set()).update(object_ids)
    idempotency.forget_customers(session, ids)  # stored API answers showing them
    keys = [str(i) for i in ids]
    addresses = [*session.scalars(sa.select(CustomerEmail.email).where(CustomerEmail.customer_id.in_(ids))),
                 *session.scalars(sa.select(CustomerPhone.number).where(CustomerPhone.customer_id.in_(ids)))]
    _erase_messages(session, ids, addresses)
    for model in (CustomerEmail, CustomerPhone, CustomerAddress):
        session.execute(sa.delete(model).where(model.customer_id.in_(ids)))
    # A tag no other customer carries is free text about this person; shared tags stay (segment counts).
    others = sa.select(CustomerTag.tag).where(CustomerTag.customer_id.not_in(ids))
    session.execute(sa.delete(CustomerTag).where(CustomerTag.customer_id.in_(ids), CustomerTag.tag.not_in(others))
                    .execution_options(synchronize_session=False))
    session.execute(sa.update(Interaction).where(Interaction.customer_id.in_(ids)).values(summary="", payload={}))
    audit.scrub(session, erased)
    session.execute(
        sa.update(CustomerMerge)
        .where(sa.or_(CustomerMerge.target_id.in_(ids), CustomerMerge.source_id.in_(ids)))
        .values(target_before=ERASED)
    )
    _scrub_outbox(session, keys)
    now = utcnow()
    for each in customers:
        if each is None:
            continue
        session.expire(each)
        each.given_name = each.family_name = each.organization_name = None
        each.display_name = f"Erased customer #{each.id}"
        each.search_name = each.search_name_alt = ""
        each.birthday = None
        each.attributes = {}
        each.preferred_language = each.preferred_channel = each.timezone = None
        each.referred_by_id = None  # who brought them in is about them; those they referred keep the link
        each.erased_at = now
        each.updated_at = now
    session.flush()
    for each_id in ids:
        audit.record(session, actor, "erase", "customer", each_id, before=None, after=ERASED)
    events.emit(session, "payvand_customer_updated", ids, {"changes": {i: {"erased": [False, True]} for i in ids}})
    return ids


def _scrub_outbox(session: Session, keys: list[str]) -> None:
    """Drop the old and new values of erased customers from queued change events."""
    dialect = session.get_bind().dialect.name
    rows = session.scalars(
        sa.select(OutboxEvent).where(OutboxEvent.hook.in_(_HOOKS_WITH_CHANGES), _changes_mention(keys, dialect))
    ).all()
    for row in rows:
        payload = dict(row.payload)
        changes = dict(payload.get("changes") or {})
        for key in keys:
            if key in changes:
                changes[key] = {field: [None, None] for field in changes[key]}
        payload["changes"] = changes
        row.payload = payload


def _changes_mention(keys: list[str], dialect: str) -> Any:
    """SQL: the event's `changes` has an entry for one of `keys` (customer ids as strings)."""
    if dialect == "sqlite":
        return sa.or_(*[sa.func.json_extract(OutboxEvent.payload, f'$.changes."{key}"').is_not(None) for key in keys])
    return sa.or_(*[OutboxEvent.payload["changes"][key].is_not(None) for key in keys])
