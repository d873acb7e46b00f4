"""Reading messages for the staff pages: one message with its files and receipts, channels' recent errors."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from payvand.core.actor import Actor
from payvand.core.models import Customer
from payvand.core.models.message import Message, MessageAttachment, MessageReceipt
from payvand.core.records import may_see


def visible_message(session: Session, actor: Actor, customer_id: int, message_id: int) -> Message | None:
    """The customer's message when `actor` may see the customer and the message (record rules), else None."""
    if not may_see(session, Customer, customer_id, actor) or not may_see(session, Message, message_id, actor):
        return None
    message = session.get(Message, message_id)
    return message if message is not None and message.customer_id == customer_id else None


def message_details(session: Session, message: Message) -> dict[str, Any]:
    """What the message page shows besides the message: its attachments (no content), receipts and customer."""
    files = session.execute(sa.select(MessageAttachment.id, MessageAttachment.filename, MessageAttachment.size,
                                      MessageAttachment.content_type)
                            .where(MessageAttachment.message_id == message.id).order_by(MessageAttachment.id)).all()
    receipts = session.scalars(sa.select(MessageReceipt).where(MessageReceipt.message_id == message.id)
                               .order_by(MessageReceipt.occurred_at, MessageReceipt.id)).all()
    return {"files": files, "receipts": receipts, "customer": session.get(Customer, message.customer_id)}


def attachment_of(session: Session, message_id: int, attachment_id: int) -> MessageAttachment | None:
    """An attachment of the message, else None."""
    item = session.get(MessageAttachment, attachment_id)
    return item if item is not None and item.message_id == message_id else None


def channel_activity(session: Session, channel: str) -> dict[str, Any]:
    """A channel's last five errors and how many of its messages wait or failed."""
    errors = session.execute(sa.select(Message.id, Message.customer_id, Message.error, Message.status_at)
                             .where(Message.channel == channel, Message.direction == "outbound",
                                    Message.status.in_(("failed", "queued")), Message.error.is_not(None))
                             .order_by(Message.status_at.desc()).limit(5)).all()
    counts = {status: n for status, n in session.execute(
        sa.select(Message.status, sa.func.count()).where(
            Message.channel == channel, Message.status.in_(("queued", "sending", "failed"))).group_by(Message.status))}
    return {"errors": errors, "counts": counts}
