"""The send side: queueing outbound messages in the caller's transaction.

`queue_messages` checks each request (the customer is active, the channel exists and is
enabled, the customer has an address for it that is not suppressed, and — for marketing
purposes only — the customer's current consent for the channel), renders its templates in
Jinja's sandbox, sanitises its HTML, and writes a `queued` `core_message` row with a `core.message`
interaction, in the caller's transaction: nothing is sent when the caller rolls back, and the
dispatcher (`core/messaging/dispatch.py`), woken after the commit, sends it. A refused request
is recorded too, as a `refused` row on the timeline, and reported with a `MessageRefused` code.
The same `idempotency_key` always gives back the first message.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from payvand.core.actor import SYSTEM, Actor
from payvand.core.db import utcnow
from payvand.core.mail import Attachment
from payvand.core.messaging import store
from payvand.core.messaging.contract import base_purpose, needs_consent
from payvand.core.models import Customer, CustomerConsent
from payvand.core.models.message import Message, MessageAttachment, Suppression
from payvand.core.normalize import NormalizationError, normalize_email, normalize_phone

#: Why a message was refused (`MessageRefused.code`).
REFUSAL_CODES = ("no_consent", "no_address", "suppressed", "channel_disabled", "unknown_channel")


class MessageRefused(Exception):
    """A message that may not be sent: `code` says why (one of `REFUSAL_CODES`), `message_id`
    names the `refused` row recorded on the timeline (None when none could be: unknown channel)."""

    def __init__(self, code: str, reason: str, message_id: int | None = None) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.message_id = message_id


@dataclasses.dataclass(frozen=True)
class MessageTemplate:
    """Jinja sources for a message (rendered in the sandbox with the request's context).

    `name` is kept on the message (e.g. `sales.quote_sent`) for reports.
    """

    name: str
    subject: str
    body: str
    html: str | None = None


@dataclasses.dataclass(frozen=True)
class MessageRequest:
    """One message to queue: the arguments of `send_message` as a value (for `send_messages`)."""

    customer_id: int
    channel: str
    purpose: str
    subject: str = ""
    body: str = ""
    html: str | None = None
    attachments: Sequence[Attachment] = ()
    template: MessageTemplate | None = None
    context: Mapping[str, Any] | None = None
    reply_to: int | None = None
    idempotency_key: str | None = None
    source: tuple[str, Any] | str | None = None
    to: str | None = None


@dataclasses.dataclass(frozen=True)
class QueuedMessage:
    """What became of one request: the message row's id, its status (`queued`, or `refused`
    with `refused` the code), its reference and its interaction."""

    id: int | None
    status: str
    reference: str | None = None
    interaction_id: int | None = None
    refused: str | None = None
    reason: str = ""


# --------------------------------------------------------------------------- templates and HTML


@functools.lru_cache(maxsize=2)
def _environment(html: bool) -> Any:
    from jinja2.sandbox import SandboxedEnvironment

    return SandboxedEnvironment(autoescape=html, keep_trailing_newline=True)


@functools.lru_cache(maxsize=256)
def _compiled(source: str, html: bool) -> Any:
    return _environment(html).from_string(source)


def render(source: str, context: Mapping[str, Any], *, html: bool = False) -> str:
    """Render a Jinja template in the sandbox (autoescaped for HTML); compiled once per source."""
    from jinja2 import TemplateError

    if "{" not in source:
        return source
    try:
        return str(_compiled(source, html).render(**context))
    except TemplateError as exc:  # a syntax error, or the sandbox refused (SecurityError)
        raise ValueError(f"template: {exc}") from None


def sanitise_html(html: str) -> str:
    """HTML with scripts, handlers and other executable markup removed (nh3 / ammonia)."""
    import nh3

    return str(nh3.clean(html))


def html_to_text(html: str) -> str:
    """A plain-text alternative of sanitised HTML: tags dropped, paragraphs and breaks kept."""
    import html as html_lib
    import re

    text = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</li>|</h\d>|</tr>", "\n", html)
    text = re.sub(r"<[^>]+>", "", text)
    text = html_lib.unescape(text)
    return re.sub(r"\n{3,}", "\n\n", re.sub(r"[ \t]+", " ", text)).strip()


# --------------------------------------------------------------------------- addresses


def normalise_address(kind: str, value: str) -> str:
    """An explicit address in the core's form for its kind (email lower-cased, phone E.164)."""
    if kind == "email":
        return normalize_email(value)
    if kind == "phone":
        return normalize_phone(value)
    return value.strip()


def _customer_address(customer: Customer, kind: str) -> str | None:
    if kind == "email":
        return customer.primary_email
    if kind == "phone":
        return customer.primary_phone
    return None


def _consented(consents: Sequence[CustomerConsent], channel: str) -> bool:
    latest: CustomerConsent | None = None
    for consent in consents:
        if consent.channel != channel or consent.purpose != "marketing":
            continue
        if latest is None or (consent.recorded_at, consent.id or 0) >= (latest.recorded_at, latest.id or 0):
            latest = consent
    return bool(latest and latest.granted)


# --------------------------------------------------------------------------- queueing


def _split_source(source: Any) -> tuple[str | None, str | None]:
    from payvand.core.services.interactions import _split_source as split

    return split(source)


def queue_messages(session: Session, requests: Sequence[MessageRequest], actor: Actor = SYSTEM, *,
                   channels: Mapping[str, Any], config: Mapping[str, Any]) -> list[QueuedMessage]:
    """Queue (or refuse) each request in the caller's transaction; one result per request, in order.

    Raises CustomerInactive (nothing queued) when a customer was merged away or erased, and
    ValueError for a request that is wrong in itself (an unknown purpose form, `to=` on a
    marketing message, an address that is not one).
    """
    from payvand.core.services.customers import check_active_ids

    if not requests:
        return []
    check_active_ids(session, {r.customer_id for r in requests})
    results: list[QueuedMessage | None] = [None] * len(requests)
    # the same idempotency key gives back the first message
    keys = [r.idempotency_key for r in requests if r.idempotency_key]
    if keys:
        for row in session.scalars(sa.select(Message).where(Message.idempotency_key.in_(keys))):
            for n, request in enumerate(requests):
                if request.idempotency_key == row.idempotency_key:
                    results[n] = _result(row)
    customers = {c.id: c for c in session.scalars(
        sa.select(Customer).where(Customer.id.in_({r.customer_id for r in requests}))
        .options(selectinload(Customer.emails), selectinload(Customer.phones), selectinload(Customer.consents)))}
    replied = {m.id: m for m in session.scalars(
        sa.select(Message).where(Message.id.in_({r.reply_to for r in requests if r.reply_to})))}
    domain = store.mail_domain(config)
    rows: list[tuple[int, Message]] = []
    for n, request in enumerate(requests):
        if results[n] is not None:
            continue
        if request.idempotency_key and any(r.idempotency_key == request.idempotency_key for _, r in rows):
            continue  # twice in one batch: filled in below
        customer = customers.get(request.customer_id)
        if customer is None:
            raise ValueError(f"customer {request.customer_id} does not exist")
        row = _build(request, customer, channels, replied.get(request.reply_to or 0), actor)
        row.__dict__["_payvand_attachments"] = tuple(request.attachments)
        rows.append((n, row))
    suppressed = _suppressed(session, [row for _, row in rows])
    for _, row in rows:
        if row.status == "queued" and (row.channel, row.address) in suppressed:
            row.status, row.error = "refused", "suppressed"
            row.headers = {**row.headers, "refusal": "suppressed"}
    try:
        with store.savepoint(session):
            _insert(session, [row for _, row in rows], domain)
    except IntegrityError:
        if not keys or session.info.get("payvand_message_retry"):
            raise
        # another transaction queued one of these idempotency keys first: take its message
        session.info["payvand_message_retry"] = True
        try:
            return queue_messages(session, requests, actor, channels=channels, config=config)
        finally:
            session.info.pop("payvand_message_retry", None)
    for n, row in rows:
        results[n] = _result(row)
    for n, request in enumerate(requests):  # a key repeated within the batch
        if results[n] is None:
            first = next(row for _, row in rows if row.idempotency_key == request.idempotency_key)
            results[n] = _result(first)
    if any(row.status == "queued" for _, row in rows):
        session.info["payvand_outbox_written"] = True  # wake the dispatcher after the commit
    return [r for r in results if r is not None]


def _result(row: Message) -> QueuedMessage:
    code = (row.headers or {}).get("refusal") if row.status == "refused" else None
    return QueuedMessage(id=row.id, status=row.status, reference=row.reference, interaction_id=row.interaction_id,
                         refused=code, reason=row.error or "" if code else "")


def _build(request: MessageRequest, customer: Customer, channels: Mapping[str, Any], replied: Message | None,
           actor: Actor) -> Message:
    """The message row of one request, `queued` or `refused` (not yet added)."""
    if not request.purpose or not base_purpose(request.purpose).isidentifier():
        raise ValueError(f"purpose: {request.purpose!r} is not a purpose (service, transactional, marketing[.x])")
    if base_purpose(request.purpose) not in ("service", "transactional", "marketing"):
        raise ValueError(f"purpose: {request.purpose!r} must be service, transactional or marketing (or marketing.x)")
    channel = channels.get(request.channel)
    refusal: tuple[str, str] | None = None
    address = ""
    if channel is None:
        raise MessageRefused("unknown_channel", f"no channel named {request.channel!r} sends messages")
    if request.to:
        if needs_consent(request.purpose):
            raise ValueError("to: a marketing message goes to the customer's own address")
        try:
            address = normalise_address(channel.address_kind, request.to)
        except NormalizationError as exc:
            raise ValueError(f"to: {exc}") from None
    elif replied is not None and replied.channel == request.channel and replied.address:
        address = replied.address
    else:
        address = _customer_address(customer, channel.address_kind) or ""
    if not channel.switched_on:
        refusal = ("channel_disabled", f"the {request.channel} channel is switched off on the Channels page")
    elif not channel.enabled():
        refusal = ("channel_disabled", f"the {request.channel} channel is not configured to send")
    elif not address:
        refusal = ("no_address", f"the customer has no {channel.address_kind} address for {request.channel}")
    elif needs_consent(request.purpose) and not _consented(customer.consents, request.channel):
        refusal = ("no_consent", f"no current marketing consent for {request.channel}")
    context = {"customer": _customer_context(customer), **(request.context or {})}
    template = request.template
    subject, body, html = (template.subject, template.body, template.html) if template else (
        request.subject, request.body, request.html)
    if template is not None or request.context is not None:
        subject = render(subject, context)
        body = render(body, context)
        html = render(html, context, html=True) if html is not None else None
    html = sanitise_html(html) if html else None
    if not body and html:
        body = html_to_text(html)
    thread_id = (replied.thread_id or replied.id) if replied is not None else None
    headers: dict[str, Any] = {}
    if template is not None:
        headers["template"] = template.name
    if replied is not None:
        chain = [r for r in (replied.headers or {}).get("replies_to", []) if isinstance(r, str)]
        transport_refs = str((replied.headers or {}).get("References", "")).split()
        refs = [*(transport_refs or chain), replied.reference][-20:]
        headers["In-Reply-To"] = replied.reference
        headers["References"] = " ".join(dict.fromkeys(refs))
        subject = store.tag_subject(subject, thread_id)
    source_type, source_id = _split_source(request.source)
    if source_type is None and replied is not None:
        source_type, source_id = replied.source_type, replied.source_id
    if refusal is not None:
        headers["refusal"] = refusal[0]
    language = customer.preferred_language or "fa"
    return Message(
        customer_id=customer.id, channel=request.channel, direction="outbound", purpose=request.purpose,
        status="refused" if refusal else "queued", address=address[:320], subject=subject[:500], body=body,
        html=html, language=language, reference=store.pending_reference(), reply_to_id=replied.id if replied else None,
        thread_id=thread_id, source_type=source_type, source_id=source_id,
        idempotency_key=request.idempotency_key, headers=headers, attempts=0,
        next_attempt_at=None if refusal else utcnow(), error=refusal[1] if refusal else None,
        created_by_id=actor.user_id, created_at=utcnow(), status_at=utcnow(),
    )


def _insert(session: Session, rows: Sequence[Message], domain: str) -> None:
    """Insert the rows (Core multi-row INSERT ... RETURNING: the ORM would write them one by one),
    record their interactions, then give each its reference and interaction in one executemany."""
    from payvand.core.services.interactions import build_interaction, record_many

    if not rows:
        return
    table: sa.Table = Message.__table__  # type: ignore[assignment]
    columns = [column.key for column in table.columns if column.key != "id"]
    values = [{key: getattr(row, key) for key in columns} for row in rows]
    ids = list(session.scalars(sa.insert(table).returning(table.c.id, sort_by_parameter_order=True), values))
    for row, message_id in zip(rows, ids, strict=True):
        row.id = message_id
    interactions = [build_interaction(
        row.customer_id, store.MESSAGE_KIND, row.channel, row.subject or row.body[:200], direction="outbound",
        source=(row.source_type, row.source_id) if row.source_type else None, created_by_id=row.created_by_id,
        payload={"message_id": row.id, "status": row.status, "purpose": row.purpose, "subject": row.subject[:200]},
    ) for row in rows]
    for row, interaction_id in zip(rows, record_many(session, interactions), strict=True):
        row.interaction_id = interaction_id
        row.reference = store.make_reference(row.id, domain)
    session.execute(table.update().where(table.c.id == sa.bindparam("b_id")).values(
        reference=sa.bindparam("b_reference"), interaction_id=sa.bindparam("b_interaction")),
        [{"b_id": row.id, "b_reference": row.reference, "b_interaction": row.interaction_id} for row in rows])
    files = [{"message_id": row.id, "filename": item.filename[:255], "content_type": item.content_type[:127],
              "size": len(item.content), "content_id": None, "content": item.content}
             for row in rows for item in row.__dict__.pop("_payvand_attachments", ())]
    if files:
        attachments: sa.Table = MessageAttachment.__table__  # type: ignore[assignment]
        session.execute(sa.insert(attachments), files)


def _customer_context(customer: Customer) -> dict[str, Any]:
    return {"id": customer.id, "display_name": customer.display_name, "given_name": customer.given_name or "",
            "family_name": customer.family_name or "", "language": customer.preferred_language or "fa"}


def _suppressed(session: Session, rows: Sequence[Message]) -> set[tuple[str, str]]:
    pairs = {(row.channel, row.address) for row in rows if row.address}
    if not pairs:
        return set()
    found: set[tuple[str, str]] = set()
    addresses = sorted({a for _, a in pairs})
    for start in range(0, len(addresses), 1000):
        found.update((r.channel, r.address) for r in session.execute(
            sa.select(Suppression.channel, Suppression.address).where(
                Suppression.address.in_(addresses[start:start + 1000]))))
    return found & pairs
