"""Tickets: opening, the conversation (replies, notes, calls, visits), the status machine,
assignment, merging and splitting, and the inbox hook.

Every state change locks the ticket's row first (`lock_row`), checks, writes, audits and bumps
`version`. A reply or note names the `version` the agent saw: when another entry arrived since,
it is refused (`Collision`, with the entries that arrived meanwhile) so that two agents never
answer over each other unknowingly.

Status machine (`ALLOWED`): new → open/pending/on_hold/solved; open ⇄ pending ⇄ on_hold; any of
them → solved; solved → open (a customer reply reopens), closed; closed is final — a customer
writing to a closed ticket opens a new ticket that references it. Pending customer pauses the
SLA resolution clock. `close_solved` closes tickets solved more than `service.close_after_days`
days ago (a job, one UPDATE).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from payvand.plugins.service.models import ENTRY_KINDS, PRIORITIES, STATUSES, TYPES, Ticket, TicketAttachment, TicketEntry
from payvand.plugins.service.services import routing, sla
from payvand.plugins.service.services import tags as ticket_tags
from payvand.plugins.service.services.timeline import note_on_timeline
from payvand.sdk import (
    SYSTEM,
    Actor,
    Attachment,
    Customer,
    MessageRefused,
    ReceivedMessage,
    UploadRejected,
    audit,
    check_upload,
    get_visible,
    send_message,
    setting,
    utcnow,
)
from payvand.sdk.documents import lock_row

ALLOWED: dict[str, tuple[str, ...]] = {
    "new": ("open", "pending", "on_hold", "solved"),
    "open": ("pending", "on_hold", "solved"),
    "pending": ("open", "on_hold", "solved"),
    "on_hold": ("open", "pending", "solved"),
    "solved": ("open", "closed"),
    "closed": (),
}
#: Attachment types staff may add (the SDK's upload checker decides what a file is).
ATTACHMENT_TYPES = ("pdf", "png", "jpeg", "webp", "csv")
MAX_ATTACHMENT = 10 * 1024 * 1024


class TicketError(Exception):
    """A refused change: `code`, an English `message`, the `field` it is about."""

    def __init__(self, code: str, message: str, field: str = "_schema") -> None:
        super().__init__(message)
        self.code, self.message, self.field = code, message, field


class TicketNotFound(TicketError):
    """No such ticket, or one the caller may not see."""

    def __init__(self, ticket_id: Any) -> None:
        super().__init__("not_found", f"There is no ticket {ticket_id}.", "id")


class Collision(TicketError):
    """Someone else added to the ticket since the agent loaded it; `arrived` are those entries."""

    def __init__(self, arrived: list[TicketEntry], version: int) -> None:
        super().__init__("collision", "Someone else added to this ticket while you were writing; "
                                      "read what arrived and send again.", "version")
        self.arrived, self.version = arrived, version


def get_ticket(session: Session, ticket_id: int, actor: Actor) -> Ticket:
    """The ticket if `actor` may see it (record rule), else TicketNotFound."""
    ticket = get_visible(session, Ticket, ticket_id, actor)
    if ticket is None:
        raise TicketNotFound(ticket_id)
    return ticket


def _attachments(files: Iterable[tuple[str, bytes]]) -> list[TicketAttachment]:
    found = []
    for filename, data in files:
        if len(data) > MAX_ATTACHMENT:
            raise TicketError("too_large", f"{filename} is larger than 10 MB.", "attachments")
        try:
            kind = check_upload(data, filename, ATTACHMENT_TYPES)
        except UploadRejected as exc:
            raise TicketError("attachment", f"{filename} is not an accepted file ({exc}).", "attachments") from None
        found.append(TicketAttachment(filename=filename[:255], content_type=kind.content_type, size=len(data),
                                      content=data))
    return found


def _check(value: Any, choices: Sequence[str], field: str) -> None:
    if value is not None and value not in choices:
        raise TicketError("invalid", f"{field} must be one of {', '.join(choices)}.", field)


def _add_entry(ticket: Ticket, kind: str, body: str, author_id: int | None, *, public: bool = True,
               message_id: int | None = None, attachments: Sequence[TicketAttachment] = (),
               at: dt.datetime | None = None) -> TicketEntry:
    ticket.version = (ticket.version or 1) + 1
    ticket.updated_at = at or utcnow()
    entry = TicketEntry(kind=kind, body=body, public=public, message_id=message_id, author_id=author_id,
                        ticket_version=ticket.version, created_at=at or utcnow(), attachments=list(attachments))
    ticket.entries.append(entry)
    return entry


def create_ticket(session: Session, data: dict[str, Any], actor: Actor, *, source: str = "staff",
                  entry_kind: str = "inbound", message_id: int | None = None,
                  files: Iterable[tuple[str, bytes]] = ()) -> Ticket:
    """Open a ticket from `data` (customer_id, subject, body, type, priority, category, tags, language,
    channel, references, team_id, assignee_id); route it, set its SLA due times, audit it and put it
    on the customer's timeline. `entry_kind` is what the first entry is (`inbound`, `call`, `visit`)."""
    customer = session.get(Customer, data["customer_id"])
    if customer is None or customer.merged_into_id is not None or customer.erased_at is not None:
        raise TicketError("customer", "There is no such customer.", "customer_id")
    _check(data.get("type"), TYPES, "type")
    _check(data.get("priority"), PRIORITIES, "priority")
    _check(entry_kind, ENTRY_KINDS, "kind")
    now = utcnow()
    ticket = Ticket(
        customer_id=customer.id, type=data.get("type") or "question", subject=(data.get("subject") or "")[:500],
        priority=data.get("priority") or "normal", category=data.get("category") or None,
        tags=sorted(set(data.get("tags") or [])), language=data.get("language") or customer.preferred_language,
        channel=data.get("channel") or "email", source=source, references=list(data.get("references") or []),
        team_id=data.get("team_id"), assignee_id=data.get("assignee_id"), created_by_id=actor.user_id,
        status="new", version=0, created_at=now, updated_at=now)
    attachments = _attachments(files)
    from payvand.plugins.service.services.contracts import active_contract

    contract = active_contract(session, customer.id)
    ticket.contract_id = contract.id if contract else None
    # Route before the ticket row exists: the team row is locked first, then the insert takes its
    # key-share lock on the customer — the same order as every other writer (no deadlock).
    routing.route(session, ticket, customer)
    session.add(ticket)
    _add_entry(ticket, entry_kind, data.get("body") or "", actor.user_id if entry_kind != "inbound" else None,
               message_id=message_id, attachments=attachments, at=now)
    session.flush()
    sla.apply_policy(session, ticket, customer)
    session.flush()
    ticket_tags.sync(session, ticket.id, ticket.tags)
    audit("create", "service_ticket", ticket.id, after={"subject": ticket.subject, "type": ticket.type,
                                                        "source": source, "team_id": ticket.team_id,
                                                        "assignee_id": ticket.assignee_id})
    note_on_timeline(ticket, "service.ticket_opened", f"Ticket #{ticket.id} opened: {ticket.subject}", type=ticket.type)
    return ticket


def _stale(session: Session, ticket: Ticket, version: int | None) -> None:
    if version is not None and version != ticket.version:
        arrived = list(session.scalars(sa.select(TicketEntry).where(
            TicketEntry.ticket_id == ticket.id, TicketEntry.ticket_version > version).order_by(TicketEntry.id)))
        raise Collision(arrived, ticket.version)


def _last_inbound_message(session: Session, ticket: Ticket) -> int | None:
    return session.scalar(sa.select(TicketEntry.message_id).where(
        TicketEntry.ticket_id == ticket.id, TicketEntry.kind == "inbound", TicketEntry.message_id.is_not(None))
        .order_by(TicketEntry.id.desc()).limit(1))


def reply(session: Session, ticket: Ticket, actor: Actor, body: str, *, version: int | None,
          public: bool = True, status: str | None = None, files: Iterable[tuple[str, bytes]] = ()) -> TicketEntry:
    """A staff reply (public: sent to the customer on the ticket's channel, threaded under their last
    message) or internal note (`public=False`); then `status` (a public reply defaults to pending).
    Collision when `version` is stale; TicketError when the message is refused (nothing kept)."""
    ticket = lock_row(session, ticket)
    _stale(session, ticket, version)
    if ticket.status == "closed":
        raise TicketError("closed", "A closed ticket takes no more replies.", "status")
    if not body.strip():
        raise TicketError("empty", "Write something.", "body")
    attachments = _attachments(files)
    message_id = None
    if public:
        try:
            queued = send_message(
                ticket.customer_id, ticket.channel, subject=f"Re: {ticket.subject}" if ticket.subject else "",
                body=body, purpose="service", reply_to=_last_inbound_message(session, ticket),
                source=("service.ticket", ticket.id),
                attachments=[Attachment(a.filename, a.content, a.content_type) for a in attachments])
        except MessageRefused as exc:
            raise TicketError("refused", f"The reply cannot be sent: {exc}.", "body") from None
        message_id = queued.id
        sla.staff_answered(ticket, utcnow())
    entry = _add_entry(ticket, "reply" if public else "note", body, actor.user_id, public=public,
                       message_id=message_id, attachments=attachments)
    if ticket.status == "new":
        ticket.status = "open"
    target = status or ("pending" if public else None)
    if target and target != ticket.status:
        _set_status(session, ticket, target)
    session.flush()
    audit("reply" if public else "note", "service_ticket", ticket.id, after={"entry_id": entry.id})
    return entry


def log_contact(session: Session, ticket: Ticket, actor: Actor, kind: str, body: str, *, version: int | None) -> TicketEntry:
    """A phone call or visit logged on an existing ticket."""
    _check(kind, ("call", "visit"), "kind")
    ticket = lock_row(session, ticket)
    _stale(session, ticket, version)
    entry = _add_entry(ticket, kind, body, actor.user_id)
    session.flush()
    audit(kind, "service_ticket", ticket.id, after={"entry_id": entry.id})
    return entry


def _set_status(session: Session, ticket: Ticket, status: str) -> None:
    _check(status, STATUSES, "status")
    if status not in ALLOWED[ticket.status]:
        raise TicketError("transition", f"A {ticket.status} ticket cannot become {status}.", "status")
    now = utcnow()
    if ticket.status == "pending":
        sla.resume(session, ticket, now)
    if status == "pending":
        sla.pause(ticket, now)
    if status == "solved":
        ticket.solved_at = now
    elif status == "closed":
        ticket.closed_at = now
    else:
        ticket.solved_at = None
    ticket.status = status


def change(session: Session, ticket: Ticket, actor: Actor, changes: dict[str, Any]) -> Ticket:
    """Change status, priority, type, category, tags, language, team, assignee or references (locked,
    audited). A new priority or type re-chooses the SLA policy."""
    ticket = lock_row(session, ticket)
    if "version" in changes and changes["version"] is not None and changes["version"] != ticket.version:
        _stale(session, ticket, changes["version"])
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    if changes.get("team_id") is not None and changes.get("team_id") != ticket.team_id:
        from payvand.plugins.service.models import Team

        if session.get(Team, changes["team_id"]) is None:
            raise TicketError("team", "There is no such team.", "team_id")
    if changes.get("assignee_id") is not None and changes.get("assignee_id") != ticket.assignee_id:
        from payvand.sdk import User

        user = session.get(User, changes["assignee_id"])
        if user is None or not getattr(user, "is_active", True):
            raise TicketError("assignee", "There is no such active user.", "assignee_id")
    for field in ("priority", "type", "category", "tags", "language", "team_id", "assignee_id", "references",
                  "subject"):
        if field in changes and changes[field] != getattr(ticket, field):
            if field == "priority":
                _check(changes[field], PRIORITIES, field)
            if field == "type":
                _check(changes[field], TYPES, field)
            before[field], after[field] = getattr(ticket, field), changes[field]
            setattr(ticket, field, changes[field])
    if changes.get("status") and changes["status"] != ticket.status:
        before["status"] = ticket.status
        _set_status(session, ticket, changes["status"])
        after["status"] = ticket.status
    if not after:
        return ticket
    if {"priority", "type"} & set(after):
        sla.apply_policy(session, ticket, session.get(Customer, ticket.customer_id))
    ticket.version += 1
    ticket.updated_at = utcnow()
    session.flush()
    if "tags" in after:
        ticket_tags.sync(session, ticket.id, ticket.tags)
    audit("update", "service_ticket", ticket.id, before=before, after=after)
    if after.get("status") == "solved":
        from payvand.plugins.service.services.csat import send_survey

        note_on_timeline(ticket, "service.ticket_solved", f"Ticket #{ticket.id} solved")
        send_survey(ticket)
    return ticket


def merge(session: Session, source: Ticket, target: Ticket, actor: Actor) -> Ticket:
    """Move `source`'s conversation into `target` and close `source` (marked merged). Both rows are
    locked, lowest id first."""
    if source.id == target.id:
        raise TicketError("same", "A ticket cannot be merged into itself.", "target_id")
    first, second = sorted((source, target), key=lambda t: t.id)
    lock_row(session, first)
    lock_row(session, second)
    if source.status == "closed" or target.status == "closed":
        raise TicketError("closed", "A closed ticket cannot be merged.", "target_id")
    if source.customer_id != target.customer_id:
        raise TicketError("customer", "Only tickets of the same customer can be merged.", "target_id")
    target.version += 1
    session.execute(sa.update(TicketEntry).where(TicketEntry.ticket_id == source.id).values(
        ticket_id=target.id, ticket_version=target.version), execution_options={"synchronize_session": False})
    target.references = sorted(set(target.references or []) | set(source.references or []))
    target.tags = sorted(set(target.tags or []) | set(source.tags or []))
    source.merged_into_id = target.id
    source.status, source.closed_at = "closed", utcnow()
    source.version += 1
    session.flush()
    ticket_tags.sync(session, target.id, target.tags)
    session.expire(source, ["entries"])
    session.expire(target, ["entries"])
    audit("merge", "service_ticket", source.id, after={"merged_into_id": target.id})
    return target


def split(session: Session, entry: TicketEntry, actor: Actor, subject: str | None = None) -> Ticket:
    """Move one entry (and its attachments) off into a new ticket of the same customer and channel."""
    old = lock_row(session, entry.ticket)
    if old.status == "closed":
        raise TicketError("closed", "A closed ticket cannot be split.", "entry_id")
    if len(old.entries) < 2:
        raise TicketError("single", "A ticket with one entry cannot be split.", "entry_id")
    now = utcnow()
    ticket = Ticket(customer_id=old.customer_id, type=old.type, subject=subject or old.subject, priority=old.priority,
                    category=old.category, tags=list(old.tags or []), language=old.language, channel=old.channel,
                    source=old.source, references=[*old.references, f"service.ticket:{old.id}"], team_id=old.team_id,
                    assignee_id=old.assignee_id, created_by_id=actor.user_id, status="open", version=1,
                    created_at=now, updated_at=now)
    session.add(ticket)
    session.flush()
    session.execute(sa.update(TicketEntry).where(TicketEntry.id == entry.id).values(ticket_id=ticket.id, ticket_version=1),
                    execution_options={"synchronize_session": False})
    session.expire(old, ["entries"])
    session.expire(entry)
    old.version += 1
    sla.apply_policy(session, ticket, session.get(Customer, ticket.customer_id))
    session.flush()
    ticket_tags.sync(session, ticket.id, ticket.tags)
    audit("split", "service_ticket", old.id, after={"entry_id": entry.id, "new_ticket_id": ticket.id})
    return ticket


def _follow(session: Session, ticket: Ticket | None) -> Ticket | None:
    seen = 0
    while ticket is not None and ticket.merged_into_id is not None and seen < 20:
        ticket, seen = session.get(Ticket, ticket.merged_into_id), seen + 1
    return ticket


def receive(session: Session, messages: Sequence[ReceivedMessage]) -> list[int]:
    """The `payvand_message_received` hook: thread each customer message into the ticket it answers
    (reopening a solved one) or open a ticket. Automatic mail (auto-replies, loops) is skipped; a
    message already threaded is skipped (the hook may be delivered again). Returns the ticket ids."""
    touched = []
    for received in messages:
        if received.message.automatic:
            continue
        if session.scalar(sa.select(TicketEntry.id).where(TicketEntry.message_id == received.message_id)):
            continue
        parsed = received.message
        body = parsed.body or parsed.summary or ""
        files = [(a.filename, a.content) for a in parsed.attachments]
        ticket = None
        if received.source_type == "service.ticket" and (received.source_id or "").isdigit():
            ticket = _follow(session, session.get(Ticket, int(received.source_id or 0)))
        if ticket is not None and ticket.status != "closed":
            ticket = lock_row(session, ticket)
            try:
                kept = _attachments(files)
            except TicketError:
                kept = []
            _add_entry(ticket, "inbound", body, None, message_id=received.message_id, attachments=kept,
                       at=parsed.received_at)
            if ticket.status in ("solved", "pending", "on_hold"):
                _set_status(session, ticket, "open")
            sla.customer_wrote(session, ticket, utcnow())
            session.flush()
            audit("customer_reply", "service_ticket", ticket.id, after={"message_id": received.message_id})
            touched.append(ticket.id)
            continue
        data: dict[str, Any] = {"customer_id": received.customer_id, "subject": parsed.subject, "body": body,
                                "channel": received.channel, "language": parsed.language}
        if ticket is not None:  # a reply to a closed ticket: a follow-up
            data["references"] = [f"service.ticket:{ticket.id}"]
        try:
            kept_files = files
            _attachments(files)
        except TicketError:
            kept_files = []
        try:
            opened = create_ticket(session, data, SYSTEM, source=received.channel[:16], message_id=received.message_id,
                                   files=kept_files)
        except TicketError:  # the customer went away (merged, erased) meanwhile: nothing to open, no retry
            continue
        touched.append(opened.id)
    return touched


def close_solved(session: Session, now: dt.datetime | None = None, days: int | None = None) -> int:
    """Close every ticket solved more than `days` (default: `service.close_after_days`) days ago;
    how many (one UPDATE)."""
    days = int(setting("service.close_after_days") or 4) if days is None else days
    moment = now or utcnow()
    result = session.execute(sa.update(Ticket).where(
        Ticket.status == "solved", Ticket.solved_at < moment - dt.timedelta(days=days)).values(
        status="closed", closed_at=moment, version=Ticket.version + 1), execution_options={"synchronize_session": False})
    return int(getattr(result, "rowcount", 0) or 0)
