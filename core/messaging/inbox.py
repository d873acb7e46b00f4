"""The receive side: recording inbound messages and delivery receipts, whatever their channel.

`receive_messages` records what channels parsed (an IMAP poll, `payvand mail ingest`, an SMS
webhook, the chat endpoint): one row per (channel, inbound, external id), so a message read
twice is recorded once, also when two workers read it at the same moment (the unique
constraint decides and the loser's row is dropped). The sender becomes a customer (matched by
normalised email or phone, else a new prospect with its source; a lock per unknown address,
held to the commit, makes two mails from one new sender at once create one prospect), the message is matched to
what it answers (our references in `replies_to`, then the `[#id]` subject tag of a thread of
the same customer), recorded on the timeline, and — unless it is `automatic` — delivered to
`payvand_message_received` after the commit, in one batch per transaction.

`record_receipts` applies providers' news about what we sent: each receipt is kept
(`core_message_receipt`), the message's status only moves forward (`store.moves_forward`) and
a permanent failure suppresses the address on that channel.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from payvand.core import events
from payvand.core.actor import SYSTEM
from payvand.core.db import utcnow
from payvand.core.messaging import store
from payvand.core.messaging.contract import DeliveryReceipt, InboundMessage, ReceivedMessage
from payvand.core.messaging.received import received_messages as received_messages  # re-exported
from payvand.core.models import Customer, CustomerEmail, CustomerPhone, Interaction
from payvand.core.models.message import Message, MessageAttachment, MessageReceipt, Suppression
from payvand.core.normalize import NormalizationError, looks_like_phone, normalize_email, normalize_phone

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- senders


def sender_address(channel: str, sender: str, address_kind: str | None = None) -> tuple[str, str]:
    """(kind, normalised address) of a sender: `email`, `phone` or `other` (as given)."""
    text = (sender or "").strip()
    # A channel whose addresses are neither (web chat) passes the visitor's email or phone when known.
    kind = address_kind if address_kind in ("email", "phone") else (
        "email" if "@" in text else "phone" if looks_like_phone(text) else "other")
    try:
        if kind == "email":
            return "email", normalize_email(text)
        if kind == "phone":
            return "phone", normalize_phone(text)
    except NormalizationError:
        pass
    return "other", text[:320]


def _active(query: sa.Select[Any]) -> sa.Select[Any]:
    return query.where(Customer.merged_into_id.is_(None), Customer.erased_at.is_(None))


def find_customer(session: Session, kind: str, address: str) -> int | None:
    """The active customer (lowest id) with this normalised email or phone, or None."""
    if kind == "email":
        query = sa.select(CustomerEmail.customer_id).join(Customer, Customer.id == CustomerEmail.customer_id).where(
            CustomerEmail.email == address)
    elif kind == "phone":
        query = sa.select(CustomerPhone.customer_id).join(Customer, Customer.id == CustomerPhone.customer_id).where(
            CustomerPhone.number == address)
    else:
        return None
    return session.scalars(_active(query).order_by(Customer.id).limit(1)).first()


def _create_prospect(session: Session, channel: str, kind: str, address: str, name: str) -> int:
    """A new prospect for an unknown sender, recorded with its source (`email inbound`)."""
    from payvand.core.services.customers import create_customer

    source = f"{channel} inbound"
    fallback = address.partition("@")[0] if kind == "email" else address
    data: dict[str, Any] = {
        "kind": "person", "given_name": (name or fallback or "?")[:120], "lifecycle_stage": "prospect",
        "attributes": {"source": source},
    }
    if kind == "email":
        data["emails"] = [{"value": address}]
    elif kind == "phone":
        data["phones"] = [{"value": address}]
    return create_customer(session, data, SYSTEM, source=source).id


# --------------------------------------------------------------------------- replies


def _answered(session: Session, message: InboundMessage, customer_id: int | None) -> Message | None:
    """Our message the inbound one answers: by reference (newest given last wins), then by the
    subject tag of a thread that belongs to the same customer."""
    refs = [r.strip() for r in message.replies_to if r and r.strip()]
    if refs:
        found = {row.reference: row for row in session.scalars(
            sa.select(Message).where(Message.reference.in_(refs[-50:])))}
        for ref in reversed(refs):
            if ref in found:
                return found[ref]
    thread = store.parse_tag(message.subject_tag) or store.find_thread_tag(message.subject)
    if thread is None or customer_id is None:
        return None
    return session.scalars(
        sa.select(Message).where(sa.or_(Message.id == thread, Message.thread_id == thread),
                                 Message.customer_id == customer_id)
        .order_by(Message.id.desc()).limit(1)).first()


# --------------------------------------------------------------------------- receiving


def _meta(message: InboundMessage, new_customer: bool) -> dict[str, Any]:
    """What `core_message.headers` keeps of an inbound message (to rebuild it for the hook)."""
    return {
        "transport": dict(message.headers), "replies_to": list(message.replies_to),
        "subject_tag": message.subject_tag, "automatic": message.automatic, "summary": message.summary,
        "sender_name": message.sender_name, "sender": message.sender, "new_customer": new_customer,
        "received_at": message.received_at.isoformat(),
    }


def _address_kinds() -> dict[str, str]:
    """The address kind of each registered channel (when an app or command runs)."""
    from payvand.core.current import current_runtime

    try:
        return {name: ch.address_kind for name, ch in current_runtime().message_channels().items()}
    except RuntimeError:
        return {}


def receive_messages(session: Session, messages: Sequence[InboundMessage]) -> list[ReceivedMessage]:
    """Record inbound messages in the caller's transaction; return those recorded by this call.

    A message already recorded (same channel and `external_id`) is left out of the result and
    changes nothing. Each new one gets its customer (matched or a new prospect), its thread,
    an inbound `core.message` interaction and its attachments; the non-`automatic` ones are
    delivered to `payvand_message_received` after the commit.
    """
    if not messages:
        return []
    kinds = _address_kinds()
    wanted = {(m.channel, m.external_id[:255]) for m in messages}
    known = {(row.channel, row.reference) for row in session.execute(
        sa.select(Message.channel, Message.reference).where(
            Message.direction == "inbound", Message.reference.in_([ref for _, ref in wanted])))}
    _lock_unknown_senders(session, [m for m in messages if (m.channel, m.external_id[:255]) not in known], kinds)
    prospects: dict[tuple[str, str], int] = {}
    received: list[ReceivedMessage] = []
    for message in messages:
        key = (message.channel, message.external_id[:255])
        if key in known:
            continue
        known.add(key)
        result = _receive_one(session, message, kinds.get(message.channel), prospects)
        if result is not None:
            received.append(result)
    hooked = [r.message_id for r in received if not r.message.automatic]
    if hooked:
        events.emit(session, "payvand_message_received", hooked)
    return received


def _lock_unknown_senders(session: Session, messages: Sequence[InboundMessage], kinds: dict[str, str]) -> None:
    """Hold a lock per unknown sender address to the commit, so two transactions receiving mail
    from the same new address at once make one prospect: the second waits, then finds the
    first's. Known senders take no lock; the locks are taken in name order (no deadlock between
    two batches sharing addresses). PostgreSQL: advisory locks per address; SQLite: its write lock."""
    from payvand.core.locks import transaction_lock

    addresses: set[tuple[str, str]] = set()
    for message in messages:
        kind, address = sender_address(message.channel, message.sender, kinds.get(message.channel))
        if kind in ("email", "phone") and address:
            addresses.add((kind, address))
    if not addresses:
        return
    known: set[tuple[str, str]] = set()
    for kind, model, column in (("email", CustomerEmail, CustomerEmail.email),
                                ("phone", CustomerPhone, CustomerPhone.number)):
        wanted = sorted(a for k, a in addresses if k == kind)
        if wanted:  # one query per kind and batch (not one per sender)
            known.update((kind, found) for found in session.scalars(_active(
                sa.select(column).join(Customer, Customer.id == model.customer_id).where(column.in_(wanted)))))
    unknown = sorted(f"payvand.core.inbound_sender.{kind}:{address}" for kind, address in addresses - known)
    for name in unknown:
        transaction_lock(session, name)


def _receive_one(session: Session, message: InboundMessage, address_kind: str | None,
                 prospects: dict[tuple[str, str], int]) -> ReceivedMessage | None:
    kind, address = sender_address(message.channel, message.sender, address_kind)
    try:
        with store.savepoint(session):
            customer_id = find_customer(session, kind, address) or prospects.get((kind, address))
            answered = _answered(session, message, customer_id)
            new_customer = False
            if customer_id is None and answered is not None:
                customer_id = answered.customer_id
            if customer_id is None:
                customer_id = _create_prospect(session, message.channel, kind, address, message.sender_name)
                new_customer = True
            row = Message(
                customer_id=customer_id, channel=message.channel, direction="inbound", purpose="service",
                status="received", address=address, subject=message.subject[:500], body=message.body,
                html=message.html, language=message.language, reference=message.external_id[:255],
                reply_to_id=answered.id if answered else None,
                thread_id=(answered.thread_id or answered.id) if answered else None,
                source_type=answered.source_type if answered else None,
                source_id=answered.source_id if answered else None,
                headers=_meta(message, new_customer), attempts=0, created_at=message.received_at,
                status_at=utcnow(),
            )
            session.add(row)
            session.flush()
    except IntegrityError:  # another transaction recorded the same message first
        log.info("inbound %s %s already recorded", message.channel, message.external_id)
        return None
    if new_customer:
        prospects[(kind, address)] = customer_id
    if row.thread_id is None:
        row.thread_id = row.id
    for item in message.attachments:
        session.add(MessageAttachment(message_id=row.id, filename=item.filename[:255],
                                      content_type=item.content_type[:127], size=len(item.content),
                                      content_id=getattr(item, "content_id", None), content=item.content))
    from payvand.core.services.interactions import build_interaction, record

    summary = message.summary or message.subject or message.body[:200]
    interaction = record(session, build_interaction(
        customer_id, store.MESSAGE_KIND, message.channel, summary, direction="inbound",
        occurred_at=message.received_at, source=(row.source_type, row.source_id) if row.source_type else None,
        payload={"message_id": row.id, "status": "received", "subject": message.subject[:200]}))
    row.interaction_id = interaction.id
    session.flush()
    return ReceivedMessage(
        message_id=row.id, interaction_id=interaction.id, customer_id=customer_id, channel=message.channel,
        reply_to_message_id=row.reply_to_id, source_type=row.source_type, source_id=row.source_id,
        new_customer=new_customer, message=message)


# --------------------------------------------------------------------------- receipts


def suppress(session: Session, channel: str, address: str, reason: str, source: str = "bounce") -> bool:
    """Suppress `address` on `channel` (no message goes there again); False when it already was."""
    if not address:
        return False
    exists = session.scalar(sa.select(Suppression.id).where(Suppression.channel == channel,
                                                            Suppression.address == address))
    if exists is not None:
        return False
    try:
        with store.savepoint(session):
            session.add(Suppression(channel=channel, address=address, reason=reason[:500], source=source))
            session.flush()
    except IntegrityError:  # suppressed at the same moment by another transaction
        return False
    return True


def set_status(session: Session, row: Message, status: str, *, reason: str = "",
               at: dt.datetime | None = None) -> None:
    """Set a message's status (and its interaction's payload status) without the forward check."""
    row.status = status
    row.status_at = at or utcnow()
    if reason:
        row.error = reason[:500]
    if row.interaction_id is not None:
        interaction = session.get(Interaction, row.interaction_id)
        if interaction is not None:
            interaction.payload = {**(interaction.payload or {}), "status": status}


def record_receipts(session: Session, receipts: Sequence[DeliveryReceipt]) -> int:
    """Apply delivery receipts in the caller's transaction; return how many found their message.

    The message is found by (channel, provider id), else by our reference. Every receipt is
    kept; the status moves forward only (a late `delivered` never overwrites `clicked`;
    `failed`/`bounced` are final); a `permanent` receipt suppresses the address.
    """
    matched = 0
    for receipt in receipts:
        row = session.scalars(
            sa.select(Message).where(Message.channel == receipt.channel, Message.direction == "outbound",
                                     sa.or_(Message.provider_id == receipt.provider_id,
                                            Message.reference == receipt.provider_id))
            .order_by(Message.id).limit(1)).first()
        if row is None:
            log.info("receipt for unknown %s message %s", receipt.channel, receipt.provider_id)
            continue
        matched += 1
        session.add(MessageReceipt(message_id=row.id, status=receipt.status, occurred_at=receipt.occurred_at,
                                   reason=receipt.reason[:500]))
        if store.moves_forward(row.status, receipt.status):
            set_status(session, row, receipt.status, reason=receipt.reason if receipt.status in
                       store.FINAL_STATUSES else "", at=receipt.occurred_at)
        if receipt.permanent and receipt.status in ("failed", "bounced"):
            suppress(session, row.channel, row.address, receipt.reason or receipt.status)
    session.flush()
    return matched
