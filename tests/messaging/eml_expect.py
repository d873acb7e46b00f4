"""What a parsed mail looks like as JSON: the form the corpus' expected-results files use."""

from __future__ import annotations

from typing import Any

from payvand.core.messaging.email_in import ParsedMail


def as_json(parsed: ParsedMail) -> dict[str, Any]:
    """Every field of a parse result, as plain JSON values (attachments by name, type, size, Content-ID)."""
    result: dict[str, Any] = {"kind": parsed.kind, "reason": parsed.reason, "notes": list(parsed.notes)}
    if parsed.receipt is not None:
        receipt = parsed.receipt
        result["receipt"] = {"channel": receipt.channel, "provider_id": receipt.provider_id,
                             "status": receipt.status, "occurred_at": receipt.occurred_at.isoformat(),
                             "reason": receipt.reason, "permanent": receipt.permanent}
    if parsed.message is not None:
        message = parsed.message
        result["message"] = {
            "channel": message.channel, "external_id": message.external_id, "sender": message.sender,
            "sender_name": message.sender_name, "received_at": message.received_at.isoformat(),
            "subject": message.subject, "body": message.body, "summary": message.summary, "html": message.html,
            "attachments": [{"filename": a.filename, "content_type": a.content_type, "size": len(a.content),
                             "content_id": getattr(a, "content_id", None), "inline": getattr(a, "inline", False)}
                            for a in message.attachments],
            "replies_to": list(message.replies_to), "subject_tag": message.subject_tag,
            "automatic": message.automatic, "automatic_reason": parsed.automatic_reason,
            "language": message.language, "headers": dict(message.headers),
        }
    return result
