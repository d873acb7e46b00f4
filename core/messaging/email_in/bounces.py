"""Delivery status notifications (RFC 3464) to `DeliveryReceipt`s.

A DSN is a `multipart/report; report-type=delivery-status` message whose second part
(`message/delivery-status`) holds one block of per-message fields and one block per recipient
(`Action`, `Status`, `Diagnostic-Code`); the third part is the original message or its headers
(`message/rfc822`, `text/rfc822-headers`), whose `Message-ID` names the message we sent.

`Action: failed` with a `5.x.x` status is a hard bounce (`bounced`, permanent: the address is
suppressed); with a `4.x.x` status or none it is `failed`, not permanent. `delivered` and
`relayed` are `delivered`. `delayed` is news, not an outcome: no receipt.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from email import message_from_bytes, policy
from email.message import Message

from payvand.core.messaging.contract import DeliveryReceipt

_MESSAGE_ID = re.compile(r"<[^<>\s]+>")


@dataclasses.dataclass(frozen=True)
class Dsn:
    """What a delivery report says: the recipient's action and status, and the original Message-ID."""

    action: str
    status: str
    recipient: str
    diagnostic: str
    original_message_id: str | None


def is_dsn(message: Message) -> bool:
    """Whether `message` is a delivery status report (`multipart/report; report-type=delivery-status`)."""
    return (message.get_content_type() == "multipart/report"
            and str(message.get_param("report-type", "")).lower() == "delivery-status")


def _field_blocks(part: Message) -> list[Message]:
    """The field blocks of a `message/delivery-status` part (the email package gives them as messages)."""
    payload = part.get_payload()
    if isinstance(payload, list) and all(isinstance(block, Message) for block in payload):
        return list(payload)
    raw = part.get_payload(decode=True)
    text = raw.decode("ascii", "replace") if isinstance(raw, bytes) else str(payload or "")
    return [message_from_bytes(block.strip().encode("ascii", "replace") + b"\n", policy=policy.compat32)
            for block in re.split(r"\r?\n\s*\r?\n", text) if block.strip()]


def _original_message_id(message: Message) -> str | None:
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "message/rfc822":
            inner = part.get_payload()
            inner_message = inner[0] if isinstance(inner, list) and inner else None
            if isinstance(inner_message, Message) and inner_message.get("Message-ID"):
                found = _MESSAGE_ID.search(str(inner_message.get("Message-ID")))
                if found:
                    return found.group()
        elif kind == "text/rfc822-headers":
            raw = part.get_payload(decode=True) or b""
            headers = message_from_bytes(raw if isinstance(raw, bytes) else b"", policy=policy.compat32)
            if headers.get("Message-ID"):
                found = _MESSAGE_ID.search(str(headers.get("Message-ID")))
                if found:
                    return found.group()
    return None


def read_dsn(message: Message) -> Dsn | None:
    """The first recipient's outcome of a DSN, or None when `message` is not one or says nothing."""
    if not is_dsn(message):
        return None
    status_part = next((p for p in message.walk() if p.get_content_type() == "message/delivery-status"), None)
    if status_part is None:
        return None
    recipients = [block for block in _field_blocks(status_part) if block.get("Action")]
    if not recipients:
        return None
    first = recipients[0]
    recipient = str(first.get("Final-Recipient") or first.get("Original-Recipient") or "")
    return Dsn(
        action=str(first.get("Action")).strip().lower(),
        status=str(first.get("Status") or "").strip(),
        recipient=recipient.split(";", 1)[-1].strip(),
        diagnostic=" ".join(str(first.get("Diagnostic-Code") or "").split()),
        original_message_id=_original_message_id(message),
    )


def receipt_of(dsn: Dsn, channel: str, occurred_at: dt.datetime) -> DeliveryReceipt | None:
    """The receipt a DSN makes for the message it reports on (None: delayed, or no original id)."""
    if dsn.original_message_id is None or dsn.action == "delayed":
        return None
    reason = "; ".join(part for part in (dsn.status, dsn.diagnostic) if part)[:500]
    if dsn.action in ("delivered", "relayed", "expanded"):
        return DeliveryReceipt(channel, dsn.original_message_id, "delivered", occurred_at, reason=reason)
    if dsn.status.startswith("5"):
        return DeliveryReceipt(channel, dsn.original_message_id, "bounced", occurred_at, reason=reason, permanent=True)
    return DeliveryReceipt(channel, dsn.original_message_id, "failed", occurred_at, reason=reason)
