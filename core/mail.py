"""Outgoing mail over SMTP: one small function the core and plugins share.

Configured by `PAYVAND_SMTP_URL` (`smtp://host:port` plain, `smtp+starttls://user:password@host:587`
or `smtps://user:password@host:465`) and `PAYVAND_MAIL_FROM` (`Payvand <crm@example.com>`). With
no URL, mail is off: `mail_enabled()` is False and `send_mail` raises `MailError`, so callers can
say so rather than pretend. The password is never logged; `describe()` shows the URL without it.
"""

from __future__ import annotations

import dataclasses
import email.utils
import smtplib
import ssl
from collections.abc import Iterable, Mapping, Sequence
from email.message import EmailMessage, Message
from typing import Any
from urllib.parse import unquote, urlsplit

DEFAULT_SENDER = "Payvand <noreply@localhost>"
SCHEMES = {"smtp": "none", "smtp+starttls": "starttls", "smtps": "ssl"}


class MailError(Exception):
    """Mail could not be sent: not configured, refused by the server or the server unreachable."""


@dataclasses.dataclass(frozen=True)
class Attachment:
    """A file attached to a message."""

    filename: str
    content: bytes
    content_type: str = "application/octet-stream"


@dataclasses.dataclass(frozen=True)
class MailConfig:
    """Where and how to send: parsed from `PAYVAND_SMTP_URL` and `PAYVAND_MAIL_FROM`."""

    host: str
    port: int
    security: str  # none, starttls, ssl
    username: str | None
    password: str | None
    sender: str
    timeout: float = 10.0

    def describe(self) -> str:
        """The server as text for logs and pages, without the password."""
        user = f"{self.username}@" if self.username else ""
        return f"{self.security}://{user}{self.host}:{self.port}"


def parse_config(config: Mapping[str, Any]) -> MailConfig | None:
    """The mail configuration of an app/CLI config mapping, or None when mail is off."""
    url = config.get("PAYVAND_SMTP_URL")
    if not url:
        return None
    parts = urlsplit(str(url))
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise MailError("PAYVAND_SMTP_URL must look like smtp://host:25, smtp+starttls://user:pw@host:587 "
                        "or smtps://user:pw@host:465")
    security = SCHEMES[parts.scheme]
    port = parts.port or {"none": 25, "starttls": 587, "ssl": 465}[security]
    return MailConfig(
        host=parts.hostname, port=port, security=security,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        sender=str(config.get("PAYVAND_MAIL_FROM") or DEFAULT_SENDER),
    )


def build_message(sender: str, to: Sequence[str], subject: str, text: str, *, html: str | None = None,
                  attachments: Iterable[Attachment] = (), reply_to: str | None = None) -> EmailMessage:
    """A MIME message: plain text, an HTML alternative when given, then the attachments (UTF-8)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(to)
    message["Subject"] = subject
    message["Date"] = email.utils.formatdate(localtime=False)
    message["Message-ID"] = email.utils.make_msgid(domain=email.utils.parseaddr(sender)[1].partition("@")[2] or None)
    if reply_to:
        message["Reply-To"] = reply_to
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    for item in attachments:
        main, _, sub = item.content_type.partition("/")
        message.add_attachment(item.content, maintype=main, subtype=sub or "octet-stream", filename=item.filename)
    return message


def connect(config: MailConfig) -> smtplib.SMTP:
    """An open, logged-in SMTP connection (close it with `quit()` or a `with` block).

    Raises smtplib.SMTPException or OSError when the server cannot be reached or refuses the login.
    """
    if config.security == "ssl":
        client: smtplib.SMTP = smtplib.SMTP_SSL(config.host, config.port, timeout=config.timeout,
                                                context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
    try:
        if config.security == "starttls":
            client.starttls(context=ssl.create_default_context())
        if config.username:
            client.login(config.username, config.password or "")
    except BaseException:
        client.close()
        raise
    return client


def send(config: MailConfig, message: EmailMessage) -> None:
    """Deliver a built message through the configured server; MailError on any failure."""
    try:
        with connect(config) as client:
            refused = client.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        raise MailError(f"mail to {message['To']} via {config.describe()} failed: {exc}") from exc
    if refused:
        raise MailError(f"the server refused: {', '.join(sorted(refused))}")


@dataclasses.dataclass(frozen=True)
class Delivery:
    """What the server said to one message of a batch: accepted, refused for good (5xx) or for now (4xx, a lost connection)."""

    outcome: str  # accepted, failed, retry
    reason: str = ""


def _refusal(code: int, text: Any) -> Delivery:
    detail = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return Delivery("failed" if 500 <= code < 600 else "retry", f"{code} {detail}".strip()[:480])


def send_batch(config: MailConfig, messages: Sequence[Message]) -> list[Delivery]:
    """Send built messages over ONE connection; one `Delivery` per message, in order.

    A recipient the server refuses fails the message (5xx) or asks for a retry (4xx); when the
    connection is lost, that message and the rest of the batch are to be retried (reconnecting
    once first). Never raises for one message.
    """
    results: list[Delivery] = []
    client: smtplib.SMTP | None = None
    reconnects = 1
    try:
        index = 0
        while index < len(messages):
            message = messages[index]
            try:
                if client is None:
                    client = connect(config)
                refused = client.send_message(message)
            except smtplib.SMTPRecipientsRefused as exc:
                code, text = next(iter(exc.recipients.values()), (550, b"refused"))
                results.append(_refusal(code, text))
                index += 1
                _reset(client)
                continue
            except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
                results.append(_refusal(exc.smtp_code, exc.smtp_error))
                index += 1
                _reset(client)
                continue
            except (smtplib.SMTPException, OSError) as exc:
                _close(client)
                client = None
                if reconnects > 0:
                    reconnects -= 1
                    continue
                reason = f"{config.describe()}: {exc}"[:480]
                results.extend(Delivery("retry", reason) for _ in messages[index:])
                break
            if refused:
                code, text = next(iter(refused.values()))
                results.append(_refusal(code, text))
            else:
                results.append(Delivery("accepted"))
            index += 1
    finally:
        if client is not None:
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                _close(client)
    return results


def _reset(client: smtplib.SMTP | None) -> None:
    if client is not None:
        try:
            client.rset()
        except (smtplib.SMTPException, OSError):
            pass


def _close(client: smtplib.SMTP | None) -> None:
    if client is not None:
        try:
            client.close()
        except OSError:
            pass


def send_mail(config: Mapping[str, Any], to: str | Sequence[str], subject: str, text: str, *,
              html: str | None = None, attachments: Iterable[Attachment] = (),
              reply_to: str | None = None) -> str:
    """Send one message with the settings in `config`; return its Message-ID.

    Raises MailError when mail is off (no `PAYVAND_SMTP_URL`), when there is no recipient or
    when the server refuses or cannot be reached.
    """
    parsed = parse_config(config)
    if parsed is None:
        raise MailError("mail is not configured (set PAYVAND_SMTP_URL)")
    recipients = [to] if isinstance(to, str) else [r for r in to if r]
    if not recipients:
        raise MailError("no recipient")
    message = build_message(parsed.sender, recipients, subject, text, html=html,
                            attachments=attachments, reply_to=reply_to)
    send(parsed, message)
    return str(message["Message-ID"])
