"""payvand.sdk.mail: sending email through the deployment's SMTP server.

`send_mail` sends at once (text, optional HTML, `Attachment`s) and returns the Message-ID;
`mail_enabled` says whether an SMTP server is set (`PAYVAND_SMTP_URL`, else the email channel's
server saved on *Admin → Channels*); `MailError` is what a refusal raises.
Tests use the real local SMTP server of the `mail_sink` fixture (`payvand.sdk.testing`).

Stability: every name is stable (semantic versioning); `PROVISIONAL` is empty. Mail sent after
the commit through the outbox (so that a rolled-back change mails nothing) is expected to join
this module as a new name; `send_mail` keeps sending at once.
"""

from __future__ import annotations

from typing import Any

from payvand.core.mail import Attachment, MailError
from payvand.sdk import _context

__all__ = ["send_mail", "mail_enabled", "Attachment", "MailError"]

#: Names that may change in a minor release (the rest are stable).
PROVISIONAL: frozenset[str] = frozenset()


def _config() -> Any:
    """The app's configuration with the email settings saved on the Channels page (the environment wins)."""
    from payvand.core.messaging.channel_settings import mail_config

    return mail_config(_context.runtime())


def mail_enabled() -> bool:
    """True when outgoing mail is configured (`PAYVAND_SMTP_URL`, or the Channels page)."""
    from payvand.core.mail import parse_config

    return parse_config(_config()) is not None


def send_mail(to: str | list[str], subject: str, text: str, *, html: str | None = None,
              attachments: list[Attachment] | tuple[Attachment, ...] = (), reply_to: str | None = None) -> str:
    """Send an email through the configured SMTP server; returns its Message-ID.

    Raises `MailError` when mail is off, there is no recipient or the server refuses. Sending
    is not transactional: call it after the change it reports is safe to keep (or accept that
    a rolled-back change may still have been mailed).
    """
    from payvand.core.mail import send_mail as deliver

    return deliver(_config(), to, subject, text, html=html, attachments=attachments,
                   reply_to=reply_to)
