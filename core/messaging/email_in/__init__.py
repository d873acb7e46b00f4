"""Inbound email: raw RFC 5322 messages to `InboundMessage`s and `DeliveryReceipt`s.

`parse.parse_email` reads one message (never raises); `imap.ImapPoller` fetches them from a
mailbox; `ingest.ingest` hands parsed mail to the core's inbox (`payvand mail ingest` and the
email channel's poll both use it).
"""

from payvand.core.messaging.email_in.parse import MailAttachment, ParsedMail, ParseOptions, parse_email

__all__ = ["MailAttachment", "ParseOptions", "ParsedMail", "parse_email"]
