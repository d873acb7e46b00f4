"""payvand.sdk.messages: sending and receiving messages on any channel, and writing a channel.

Send: `send_message(customer_id, channel, subject=, body=, purpose=, ...)` queues one message
in the current transaction (nothing is sent if it rolls back; sent by the dispatcher after the
commit, at the channel's rate) and returns a `QueuedMessage`; it raises `MessageRefused`
(`code`: `no_consent`, `no_address`, `suppressed`, `channel_disabled`, `unknown_channel`) after
recording the refusal on the timeline. `send_messages([MessageRequest(...), ...])` is the batch
form for campaigns: it never raises for one refused message, each result says. Marketing
purposes (`marketing`, `marketing.*`: `needs_consent`) need the customer's current marketing
consent for the channel; `service` and `transactional` need none. Templates (`MessageTemplate`,
or any subject/body with a `context`) are rendered in Jinja's sandbox; HTML is sanitised.

Receive: a channel hands what it parsed to `receive_messages(session, [InboundMessage, ...])`
(one record per channel and external id, customer matched or created as a prospect, replies
threaded) and `record_receipts(session, [DeliveryReceipt, ...])`; plugins react through the
`payvand_message_received` hook.

Write a channel: subclass `MessageChannel`, return an instance from `payvand_channels`; its
`send` gets batches of `OutboundMessage` and returns one `SendResult` each. Declare what staff
may set on the Channels page in `settings_fields` (`ChannelSetting`: text, secret, int, bool,
url; an environment variable that overrides each); `configure` receives the values under
those keys, and a webhook route reads its secrets with `channel_settings(name)`.

Stability: every name is in `PROVISIONAL` while the messaging layer settles (the first
channels — email, SMS, web chat — are being written against it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from payvand.core.mail import Attachment
from payvand.core.messaging.contract import (
    ChannelSetting,
    DeliveryReceipt,
    InboundMessage,
    MessageChannel,
    OutboundMessage,
    ReceivedMessage,
    SendResult,
    needs_consent,
)
from payvand.core.messaging.inbox import receive_messages, record_receipts
from payvand.core.messaging.outbox import MessageRefused, MessageRequest, MessageTemplate, QueuedMessage
from payvand.core.messaging.store import thread_tag
from payvand.core.models.chat import ChatConversation
from payvand.core.models.message import Message
from payvand.sdk import _context

__all__ = [
    "send_message", "send_messages", "MessageRequest", "MessageTemplate", "QueuedMessage", "MessageRefused",
    "needs_consent", "receive_messages", "record_receipts", "thread_tag",
    "MessageChannel", "OutboundMessage", "SendResult", "InboundMessage", "DeliveryReceipt", "ReceivedMessage",
    "ChannelSetting", "channel_settings",
    "ChatConversation", "Message",
]

#: Names that may change in a minor release (here: all of them, for now).
PROVISIONAL: frozenset[str] = frozenset(__all__)


def channel_settings(name: str) -> Mapping[str, Any]:
    """The current value of each setting channel `name` declares (environment, else the value saved
    on the Channels page, else the default), re-read at most every few seconds; empty for an
    unknown channel. For webhook routes that check a secret per request."""
    channel = _context.runtime().message_channels().get(name)
    return channel.current_settings if channel is not None else {}


def send_messages(requests: Sequence[MessageRequest]) -> list[QueuedMessage]:
    """Queue a batch of messages in the current transaction; one `QueuedMessage` per request.

    A refused request is recorded (`status` `refused`, `refused` its code) and does not stop
    the others. Raises CustomerInactive (nothing queued) for a merged-away or erased customer
    and `MessageRefused("unknown_channel")` for a channel nobody provides.
    """
    from payvand.core.db import current_session
    from payvand.core.messaging.outbox import queue_messages

    runtime = _context.runtime()
    return queue_messages(current_session(), list(requests), _context.acting(),
                          channels=runtime.message_channels(), config=runtime.config)


def send_message(customer_id: int, channel: str, *, subject: str = "", body: str = "", purpose: str,
                 html: str | None = None, attachments: Sequence[Attachment] = (),
                 template: MessageTemplate | None = None, context: Mapping[str, Any] | None = None,
                 reply_to: int | None = None, idempotency_key: str | None = None,
                 source: tuple[str, Any] | str | None = None, to: str | None = None) -> QueuedMessage:
    """Queue one message to a customer in the current transaction (sent after the commit).

    `reply_to` is the id of the message answered (threading headers and the `[#id]` subject
    tag follow); `to` overrides the address for service and transactional messages only;
    `source` links it to a record (`("service.ticket", 42)`); the same `idempotency_key`
    returns the first message. Raises `MessageRefused` (the refusal is recorded) when it may
    not be sent.
    """
    [queued] = send_messages([MessageRequest(
        customer_id=customer_id, channel=channel, purpose=purpose, subject=subject, body=body, html=html,
        attachments=tuple(attachments), template=template, context=context, reply_to=reply_to,
        idempotency_key=idempotency_key, source=source, to=to)])
    if queued.refused:
        raise MessageRefused(queued.refused, queued.reason, queued.id)
    return queued
