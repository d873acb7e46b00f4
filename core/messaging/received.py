"""Inbound messages as `payvand_message_received` gives them, rebuilt from their stored rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from payvand.core.messaging.contract import InboundMessage, ReceivedMessage
from payvand.core.models.message import Message, MessageAttachment


def received_messages(session: Session, ids: Sequence[int]) -> list[ReceivedMessage]:
    """Rebuild `ReceivedMessage`s from stored inbound rows (what the hook is given), in id order given."""
    from payvand.core.mail import Attachment

    rows = {row.id: row for row in session.scalars(sa.select(Message).where(Message.id.in_(list(ids))))}
    files: dict[int, list[Attachment]] = {}
    for item in session.scalars(sa.select(MessageAttachment).where(MessageAttachment.message_id.in_(list(rows)))
                                .order_by(MessageAttachment.id)):
        files.setdefault(item.message_id, []).append(Attachment(item.filename, item.content, item.content_type))
    result = []
    for message_id in ids:
        row = rows.get(message_id)
        if row is None or row.direction != "inbound":
            continue
        meta: Mapping[str, Any] = row.headers or {}
        received_at = meta.get("received_at")
        inbound = InboundMessage(
            channel=row.channel, external_id=row.reference, sender=str(meta.get("sender") or row.address),
            received_at=dt.datetime.fromisoformat(received_at) if received_at else row.created_at,
            subject=row.subject, body=row.body, summary=str(meta.get("summary") or ""), html=row.html,
            sender_name=str(meta.get("sender_name") or ""), attachments=tuple(files.get(row.id, ())),
            replies_to=tuple(meta.get("replies_to") or ()), subject_tag=meta.get("subject_tag"),
            automatic=bool(meta.get("automatic")), language=row.language,
            headers=dict(meta.get("transport") or {}))
        result.append(ReceivedMessage(
            message_id=row.id, interaction_id=row.interaction_id or 0, customer_id=row.customer_id,
            channel=row.channel, reply_to_message_id=row.reply_to_id, source_type=row.source_type,
            source_id=row.source_id, new_customer=bool(meta.get("new_customer")), message=inbound))
    return result
