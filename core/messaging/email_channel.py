"""The core's `email` channel: batches of queued messages over one SMTP connection.

Each message is built with its reference as `Message-ID`, the `In-Reply-To`/`References` the
core decided for replies, a plain-text part with the sanitised HTML as its alternative, and —
for marketing purposes — `List-Unsubscribe` (an https link, and a mailto when
`PAYVAND_UNSUBSCRIBE_MAILTO` is set) with `List-Unsubscribe-Post: List-Unsubscribe=One-Click`
(RFC 8058) carrying a signed token that names the customer, the channel and the purpose.
Tracked purposes (`PAYVAND_MAIL_TRACKING`, see `tracking`) get an open pixel and click-tracked
links in their HTML part; the text part keeps the original links.
The server's answer per recipient decides each result: accepted, failed (5xx) or retry (4xx,
a lost connection).
"""

from __future__ import annotations

import email.utils
from collections.abc import Mapping, Sequence
from email import encoders
from email.header import Header
from email.message import Message
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from typing import Any

from payvand.core import mail
from payvand.core.messaging import tracking
from payvand.core.messaging.contract import ChannelSetting, MessageChannel, OutboundMessage, SendResult, needs_consent
from payvand.core.web.i18n import N_

UNSUBSCRIBE_SALT = "payvand.unsubscribe"


def _serializer(secret: str) -> Any:
    from itsdangerous import URLSafeSerializer

    return URLSafeSerializer(secret, salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(secret: str, customer_id: int, channel: str, purpose: str) -> str:
    """A signed token naming who unsubscribes from what (it does not expire: mail is read late)."""
    return str(_serializer(secret).dumps({"c": customer_id, "ch": channel, "p": purpose}))


def read_unsubscribe_token(secret: str, token: str) -> tuple[int, str, str] | None:
    """(customer id, channel, purpose) of a valid token, else None."""
    from itsdangerous import BadSignature

    try:
        data = _serializer(secret).loads(token)
        return int(data["c"]), str(data["ch"]), str(data["p"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return None


def unsubscribe_url(config: Mapping[str, Any], token: str) -> str:
    """The public one-click unsubscribe address of a token (`PAYVAND_BASE_URL` + `/unsubscribe/<token>`)."""
    base = str(config.get("PAYVAND_BASE_URL") or "http://localhost:5000").rstrip("/")
    return f"{base}/unsubscribe/{token}"


class EmailChannel(MessageChannel):
    """Email over the deployment's SMTP server (`PAYVAND_SMTP_URL`, `PAYVAND_MAIL_FROM`)."""

    name = "email"
    label = "Email"
    address_kind = "email"
    max_batch = 200
    rate_per_second = None  # as fast as the server takes it; `PAYVAND_CHANNEL_EMAIL_RATE` limits it
    settings_fields = (
        ChannelSetting("smtp_url", N_("Outgoing mail server"), "secret", required=True, env="PAYVAND_SMTP_URL",
                       schemes=("smtp", "smtp+starttls", "smtps"),
                       help=N_("smtp+starttls://user:password@host:587 (or smtps://…:465, smtp://host:25). "
                               "It holds the password, so it is never shown again.")),
        ChannelSetting("mail_from", N_("Sender"), "text", env="PAYVAND_MAIL_FROM", default="Payvand <noreply@localhost>",
                       help=N_("The From of the mail Payvand sends, e.g. Shop <support@example.com>.")),
        ChannelSetting("imap_url", N_("Inbound mailbox (IMAP)"), "secret", env="PAYVAND_IMAP_URL",
                       schemes=("imap", "imaps"),
                       help=N_("imaps://user:password@host:993/INBOX; the worker reads it every minute.")),
        ChannelSetting("unsubscribe_mailto", N_("Unsubscribe address"), "text", env="PAYVAND_UNSUBSCRIBE_MAILTO",
                       help=N_("An address for mailto unsubscribes in marketing mail (optional).")),
    )

    def __init__(self) -> None:
        self.config: Mapping[str, Any] = {}

    def configure(self, config: Mapping[str, Any]) -> None:
        """Keep the app's configuration mapping (read at each send, so a changed URL takes effect);
        poll for inbound mail when `PAYVAND_IMAP_URL` is set."""
        self.config = config
        self.polls = bool(config.get("PAYVAND_IMAP_URL"))

    def poll(self) -> Sequence[Any]:
        """Read the IMAP mailbox (`payvand.core.messaging.email_in`): each batch is recorded and
        committed there, then marked processed, so nothing is returned to record again."""
        from payvand.core.messaging.email_in.ingest import poll_current

        poll_current(self.config)
        return ()

    def mail_config(self) -> mail.MailConfig | None:
        """The SMTP settings, or None when mail is off."""
        return mail.parse_config(self.config)

    def enabled(self) -> bool:
        """True when `PAYVAND_SMTP_URL` is set (and parses)."""
        try:
            return self.mail_config() is not None
        except mail.MailError:
            return False

    def check(self) -> list[str]:
        """Problems with the SMTP settings (not a connection test: see `payvand mail check`)."""
        try:
            return [] if self.mail_config() is not None else ["PAYVAND_SMTP_URL is not set: email is off"]
        except mail.MailError as exc:
            return [str(exc)]

    def build(self, message: OutboundMessage, sender: str) -> Message:
        """The MIME message of one outbound message (the `compat32` API: no header re-parsing,
        several times faster than `EmailMessage` for bulk mail; non-ASCII as RFC 2047 words)."""
        text = MIMEText(message.body or " ", "plain", "utf-8")
        body: Message = text
        if message.html:
            body = MIMEMultipart("alternative")
            body.attach(text)
            html = message.html
            if tracking.tracks(self.config, message.purpose):
                html = tracking.track_html(html, self.config, message.reference)
            body.attach(MIMEText(html, "html", "utf-8"))
        if message.attachments:
            mixed = MIMEMultipart("mixed")
            mixed.attach(body)
            for item in message.attachments:
                main, _, sub = item.content_type.partition("/")
                part = MIMEBase(main or "application", sub or "octet-stream")
                part.set_payload(item.content)
                encoders.encode_base64(part)
                filename = item.filename if item.filename.isascii() else ("utf-8", "", item.filename)
                part.add_header("Content-Disposition", "attachment", filename=filename)
                mixed.attach(part)
            body = mixed
        name, address = email.utils.parseaddr(sender)
        body["From"] = email.utils.formataddr((name, address), charset="utf-8") if name else address
        body["To"] = message.address
        body["Subject"] = message.subject if message.subject.isascii() else Header(message.subject, "utf-8").encode()
        body["Date"] = email.utils.formatdate(localtime=False)
        body["Message-ID"] = message.reference
        for header in ("In-Reply-To", "References"):
            if message.headers.get(header):
                body[header] = message.headers[header]
        if needs_consent(message.purpose):
            secret = str(self.config.get("SECRET_KEY") or "")
            token = unsubscribe_token(secret, message.customer_id, message.channel, message.purpose)
            links = [f"<{unsubscribe_url(self.config, token)}>"]
            mailto = self.config.get("PAYVAND_UNSUBSCRIBE_MAILTO")
            if mailto:
                links.append(f"<mailto:{mailto}?subject=unsubscribe%20{token}>")
            body["List-Unsubscribe"] = ", ".join(links)
            body["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
            body["Precedence"] = "bulk"
        return body

    def send(self, messages: Sequence[OutboundMessage]) -> Sequence[SendResult]:
        """Send the batch over one SMTP connection; the Message-ID is the provider id."""
        try:
            config = self.mail_config()
        except mail.MailError as exc:
            return [SendResult.retry(str(exc)) for _ in messages]
        if config is None:
            return [SendResult.retry("mail is not configured (PAYVAND_SMTP_URL)") for _ in messages]
        built: list[Message | None] = []
        results: list[SendResult | None] = []
        for message in messages:
            try:
                built.append(self.build(message, config.sender))
                results.append(None)
            except (ValueError, TypeError) as exc:  # a header the email package refuses
                built.append(None)
                results.append(SendResult.failed(f"could not build the message: {exc}"[:480]))
        ready = [b for b in built if b is not None]
        deliveries = iter(mail.send_batch(config, ready))
        final: list[SendResult] = []
        for message, result in zip(messages, results, strict=True):
            if result is not None:
                final.append(result)
                continue
            delivery = next(deliveries)
            if delivery.outcome == "accepted":
                final.append(SendResult.accepted(message.reference))
            elif delivery.outcome == "failed":
                final.append(SendResult.failed(delivery.reason))
            else:
                final.append(SendResult.retry(delivery.reason))
        return final
