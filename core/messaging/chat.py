"""The web chat channel (`chat`): conversations of the embeddable widget with staff.

A visitor's widget starts a conversation (`start_conversation`: optional name, email, phone;
or a signed-in portal customer's `Actor`) and gets a signed token naming it (`make_token`,
itsdangerous with the app's secret; no cookie). Each message the visitor posts goes through
the inbox like any channel's (`receive_messages`, channel `chat`, external id
`<conversation>:<client id>`, so a retried post is recorded once): the sender is the given
email or phone (so the inbox matches the customer, or creates a prospect on the first
message), else the conversation's address `chat:<public id>`; later messages name the
previous one in `replies_to`, so the inbox keeps them in one thread and on one customer.

Staff answer with `send_message(customer, "chat", purpose="service", reply_to=<last visitor
message>, to=<conversation address>)` (`reply`); the dispatcher hands the reply to
`ChatChannel.send`, which accepts it when the conversation exists: a `sent` chat message is
what the widget shows (`messages_since`), and the widget fetching it records `delivered`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from payvand.core.actor import Actor
from payvand.core.db import utcnow
from payvand.core.messaging.contract import (
    ChannelSetting,
    DeliveryReceipt,
    InboundMessage,
    MessageChannel,
    OutboundMessage,
    SendResult,
)
from payvand.core.models import Customer
from payvand.core.models.chat import ChatConversation
from payvand.core.models.message import Message
from payvand.core.web.i18n import N_

TOKEN_SALT = "payvand.chat"
#: How long a visitor's token stays valid (a conversation may be taken up again within a month).
TOKEN_MAX_AGE = 30 * 24 * 3600
#: The statuses of an outbound chat message the widget shows (handed to the channel, or later).
VISIBLE_OUTBOUND = ("sent", "delivered", "opened", "clicked")
WIDGET_FILE = Path(__file__).resolve().parent.parent / "static" / "chat" / "chat.js"
DEFAULT_RATES = {"start": "10 per hour", "post": "30 per minute", "fetch": "120 per minute"}


class ChatError(Exception):
    """A chat request that cannot be done (unknown or closed conversation)."""


# --------------------------------------------------------------------------- settings


def _value(config: Mapping[str, Any], key: str) -> Any:
    import os

    value = config.get(key)
    return value if value not in (None, "") else os.environ.get(key)


def chat_enabled(config: Mapping[str, Any]) -> bool:
    """Whether the web chat is on (`PAYVAND_CHAT_ENABLED`: 1/true/yes/on)."""
    raw = _value(config, "PAYVAND_CHAT_ENABLED")
    if isinstance(raw, bool):
        return raw
    return str(raw or "").strip().lower() in ("1", "true", "yes", "on")


def allowed_origins(config: Mapping[str, Any]) -> frozenset[str]:
    """The web sites allowed to embed the widget (`PAYVAND_CHAT_ORIGINS`, comma or space separated)."""
    raw = _value(config, "PAYVAND_CHAT_ORIGINS") or ""
    items = raw if isinstance(raw, (list, tuple, set, frozenset)) else str(raw).replace(",", " ").split()
    return frozenset(str(item).strip().rstrip("/") for item in items if str(item).strip())


def rate(config: Mapping[str, Any], action: str) -> str:
    """The rate limit of a public chat action (`PAYVAND_CHAT_RATE_START`/`_POST`/`_FETCH`)."""
    return str(_value(config, f"PAYVAND_CHAT_RATE_{action.upper()}") or DEFAULT_RATES[action])


@cache
def widget_version() -> str:
    """The widget's version: the first 10 hex digits of its file's SHA-256 (its URL changes with it)."""
    return hashlib.sha256(WIDGET_FILE.read_bytes()).hexdigest()[:10]


# --------------------------------------------------------------------------- tokens


def _serializer(secret: str) -> Any:
    from itsdangerous import URLSafeTimedSerializer

    return URLSafeTimedSerializer(secret, salt=TOKEN_SALT)


def make_token(secret: str, conversation: ChatConversation) -> str:
    """The visitor's signed token naming `conversation`."""
    return str(_serializer(secret).dumps({"cv": conversation.public_id}))


def read_token(secret: str, token: str, max_age: int = TOKEN_MAX_AGE) -> str | None:
    """The conversation public id a valid, unexpired token names, else None."""
    from itsdangerous import BadSignature

    try:
        data = _serializer(secret).loads(token, max_age=max_age)
        value = data["cv"]
    except (BadSignature, KeyError, TypeError, ValueError):
        return None
    return value if isinstance(value, str) and value else None


# --------------------------------------------------------------------------- conversations


def start_conversation(session: Session, *, name: str = "", email: str = "", phone: str = "",
                       language: str = "fa", origin: str = "", page: str = "",
                       actor: Actor | None = None) -> ChatConversation:
    """A new open conversation. A portal customer's `actor` (kind `customer`) links it to that
    customer at once, and their messages are sent as their own email or phone."""
    conversation = ChatConversation(
        public_id=secrets.token_urlsafe(18), name=name[:120], email=email[:320], phone=phone[:32],
        language=language[:16] or "fa", origin=origin[:255], page=page[:500], status="open", unread=0,
        last_activity_at=utcnow())
    if actor is not None and actor.kind == "customer" and actor.customer_id is not None:
        customer = session.get(Customer, actor.customer_id)
        if customer is not None:
            conversation.customer_id = customer.id
            conversation.name = conversation.name or customer.display_name[:120]
            conversation.email = conversation.email or (customer.primary_email or "")
            conversation.phone = conversation.phone or (customer.primary_phone or "")
    session.add(conversation)
    session.flush()
    return conversation


def find_conversation(session: Session, public_id: str) -> ChatConversation | None:
    """The conversation a token names, or None."""
    return session.scalars(sa.select(ChatConversation).where(ChatConversation.public_id == public_id)).first()


def _sender(conversation: ChatConversation) -> str:
    return conversation.email or conversation.phone or conversation.address


def post_message(session: Session, conversation: ChatConversation, text: str, client_id: str,
                 now: dt.datetime | None = None) -> tuple[int, bool]:
    """Record a visitor's message (once per `client_id`); (message id, whether this call recorded it)."""
    from payvand.core.messaging.inbox import receive_messages

    if conversation.status != "open":
        raise ChatError("This conversation is closed.")
    external_id = f"{conversation.public_id}:{client_id}"
    previous = session.scalar(sa.select(Message.reference).where(Message.id == conversation.last_inbound_id)) \
        if conversation.last_inbound_id else None
    now = now or utcnow()
    inbound = InboundMessage(
        channel="chat", external_id=external_id, sender=_sender(conversation), received_at=now,
        body=text, summary=text[:200], sender_name=conversation.name or "Web chat visitor",
        replies_to=(previous,) if previous else (), language=conversation.language,
        headers={"Chat-Conversation": conversation.public_id})
    received = receive_messages(session, [inbound])
    if not received:
        existing = session.scalar(sa.select(Message.id).where(
            Message.channel == "chat", Message.direction == "inbound", Message.reference == external_id))
        return int(existing or 0), False
    [result] = received
    conversation.customer_id = conversation.customer_id or result.customer_id
    if conversation.thread_id is None:
        conversation.thread_id = session.scalar(sa.select(Message.thread_id).where(Message.id == result.message_id))
    conversation.last_inbound_id = result.message_id
    conversation.last_activity_at = now
    conversation.unread = (conversation.unread or 0) + 1
    session.flush()
    return result.message_id, True


def thread_messages(session: Session, conversation: ChatConversation, since: int = 0, *,
                    visitor: bool = False, limit: int = 200) -> list[Message]:
    """The conversation's messages after id `since`, oldest first; the visitor sees staff
    replies only once the channel accepted them (`sent` and later)."""
    if conversation.thread_id is None:
        return []
    query = sa.select(Message).where(Message.thread_id == conversation.thread_id, Message.channel == "chat",
                                     Message.id > since)
    if visitor:
        query = query.where(sa.or_(Message.direction == "inbound", Message.status.in_(VISIBLE_OUTBOUND)))
    else:
        query = query.where(Message.status != "refused")
    return list(session.scalars(query.order_by(Message.id).limit(limit)))


def messages_since(session: Session, conversation: ChatConversation, since: int = 0) -> list[dict[str, Any]]:
    """What the widget shows after id `since` (`from` visitor or staff); staff replies it gets are `delivered`."""
    from payvand.core.messaging.inbox import record_receipts

    rows = thread_messages(session, conversation, since, visitor=True)
    fresh = [row for row in rows if row.direction == "outbound" and row.status == "sent"]
    if fresh:
        now = utcnow()
        record_receipts(session, [DeliveryReceipt("chat", row.provider_id or row.reference, "delivered", now)
                                  for row in fresh])
    return [{"id": row.id, "from": "visitor" if row.direction == "inbound" else "staff", "text": row.body,
             "at": row.created_at.isoformat()} for row in rows]


def reply(session: Session, conversation: ChatConversation, text: str, actor: Actor) -> Any:
    """Queue a staff answer to the conversation (`send_message(..., channel="chat", purpose="service")`)."""
    from payvand.core.current import current_runtime
    from payvand.core.messaging.outbox import MessageRequest, queue_messages

    if conversation.customer_id is None or conversation.last_inbound_id is None:
        raise ChatError("The visitor has not written yet.")
    runtime = current_runtime()
    [queued] = queue_messages(session, [MessageRequest(
        customer_id=conversation.customer_id, channel="chat", body=text, purpose="service",
        reply_to=conversation.last_inbound_id, to=conversation.address, source=("core.chat", conversation.id))],
        actor, channels=runtime.message_channels(), config=runtime.config)
    if queued.refused:
        raise ChatError(queued.reason)
    conversation.unread = 0
    conversation.last_activity_at = utcnow()
    session.flush()
    return queued


def open_conversations(session: Session, actor: Actor | None, limit: int) -> list[tuple[ChatConversation, str | None]]:
    """The open conversations `actor` may see (their customers' record rules), newest activity first."""
    from payvand.core.records import restrict

    visible = restrict(sa.select(Customer.id), actor, Customer) if actor is not None else None
    query = (sa.select(ChatConversation, Customer.display_name)
             .outerjoin(Customer, Customer.id == ChatConversation.customer_id)
             .where(ChatConversation.status == "open", ChatConversation.thread_id.is_not(None))
             .order_by(ChatConversation.last_activity_at.desc(), ChatConversation.id.desc()).limit(limit))
    if visible is not None:
        query = query.where(ChatConversation.customer_id.in_(visible.scalar_subquery()))
    return [(row, name) for row, name in session.execute(query)]


def visible_conversation(session: Session, conversation_id: int,
                         actor: Actor | None) -> tuple[ChatConversation, Customer] | None:
    """The conversation and its customer when `actor` may see them, else None."""
    from payvand.core.records import get_visible

    conversation = session.get(ChatConversation, conversation_id)
    if conversation is None or conversation.customer_id is None or actor is None:
        return None
    customer = get_visible(session, Customer, conversation.customer_id, actor)
    return None if customer is None else (conversation, customer)


def close(session: Session, conversation: ChatConversation) -> None:
    """Close a conversation (it leaves the open list; the visitor can start a new one)."""
    conversation.status = "closed"
    conversation.last_activity_at = utcnow()
    session.flush()


def deliver_now(runtime: Any) -> int:
    """Hand due chat replies to the chat channel at once (a staff answer need not wait for a worker)."""
    from payvand.core.messaging.dispatch import dispatch_channel

    channel = runtime.message_channels().get("chat")
    return dispatch_channel(runtime, channel, utcnow()) if channel is not None else 0


# --------------------------------------------------------------------------- the channel


class ChatChannel(MessageChannel):
    """The web chat widget: a reply is delivered by the widget fetching it, so `send` only
    checks that the conversation exists (it then shows in the widget)."""

    name = "chat"
    label = "Web chat"
    address_kind = "chat"
    max_batch = 500
    settings_fields = (
        ChannelSetting("enabled", N_("Chat widget on"), "bool", env="PAYVAND_CHAT_ENABLED", default=False,
                       help=N_("Visitors can open a conversation from the widget.")),
        ChannelSetting("origins", N_("Web sites"), "text", env="PAYVAND_CHAT_ORIGINS", max_length=4000,
                       help=N_("The sites allowed to embed the widget, e.g. https://shop.example.com (space separated).")),
    )

    def __init__(self) -> None:
        self.config: Mapping[str, Any] = {}

    def configure(self, config: Mapping[str, Any]) -> None:
        """Keep the app's configuration (read at each call)."""
        self.config = config

    def enabled(self) -> bool:
        """On when `PAYVAND_CHAT_ENABLED` is set."""
        return chat_enabled(self.config)

    def check(self) -> list[str]:
        """Problems with the chat settings, one sentence each."""
        problems = []
        if not self.enabled():
            problems.append("PAYVAND_CHAT_ENABLED is not set: the web chat is off")
        elif not allowed_origins(self.config):
            problems.append("PAYVAND_CHAT_ORIGINS is empty: the widget works on Payvand's own pages only")
        return problems

    def send(self, messages: Sequence[OutboundMessage]) -> Sequence[SendResult]:
        """Accept each reply addressed to a conversation (`chat:<id>`, checked when it was queued):
        the widget shows accepted (`sent`) replies when it next fetches."""
        return [SendResult.accepted(m.reference) if m.address.startswith("chat:")
                else SendResult.failed(f"{m.address!r} is not a chat conversation address") for m in messages]
