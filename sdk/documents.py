"""payvand.sdk.documents: the document kit for plugins — numbering per fiscal year, a declared
status flow with a locking `transition`, lines and exact totals, PDF pages and mailing a
document. Quotes, orders and invoices of the sales plugin are built on it; see the integrator
guide's "Documents" section for a document type declared with it.

Stable: the names in `__all__`. `pricing` is the module of exact money (`round_money`,
`compute_document`, `fiscal_year`, ...).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from payvand.core.documents import pricing
from payvand.core.documents.errors import DocumentError, conflict
from payvand.core.documents.flow import StatusFlow, record_on_timeline, transition, write_audit
from payvand.core.documents.lines import (
    MAX_AMOUNT,
    compute_totals,
    line_amounts,
    line_input,
    plain,
    set_totals,
    tax_summary,
)
from payvand.core.documents.locking import lock_row
from payvand.core.documents.models import DocumentMixin, LineMixin, money_column
from payvand.core.documents.numbering import CounterMixin, next_number
from payvand.core.documents.pdf import VOID_RED, DocumentPdf, font_path, labelled, money_rows
from payvand.core.mail import Attachment, MailError

__all__ = [
    "MAX_AMOUNT",
    "VOID_RED",
    "CounterMixin",
    "DocumentError",
    "DocumentMixin",
    "DocumentPdf",
    "LineMixin",
    "MailOutcome",
    "StatusFlow",
    "compute_totals",
    "conflict",
    "font_path",
    "labelled",
    "line_amounts",
    "line_input",
    "lock_row",
    "mail_document",
    "money_column",
    "money_rows",
    "next_number",
    "plain",
    "pricing",
    "record_on_timeline",
    "set_totals",
    "tax_summary",
    "transition",
    "write_audit",
]


@dataclass(frozen=True)
class MailOutcome:
    """What mailing a document did: `emailed` (to `to`), else `problem` (`mail_off`, `no_email` or
    `mail_failed`) and `error`, an English explanation (with the server's answer when it failed)."""

    emailed: bool
    to: str | None = None
    problem: str | None = None
    error: str | None = None


def mail_document(customer: Any, render: Callable[[], tuple[str, str, str, bytes]], filename: str) -> MailOutcome:
    """Email a document to the customer's primary address, in their preferred language (fa or en).

    `render()` returns (subject, text body, HTML body, PDF bytes) and runs in that language; the
    PDF is attached as `filename`. Mail off, no address or a refusing server is not an error:
    the outcome says so. Sending is not transactional (see `send_mail`)."""
    from flask_babel import force_locale
    from payvand.sdk import mail_enabled, send_mail

    to = customer.primary_email
    if not mail_enabled():
        return MailOutcome(False, problem="mail_off", error="Mail is not configured on this server (PAYVAND_SMTP_URL).")
    if not to:
        return MailOutcome(False, problem="no_email", error="The customer has no email address.")
    preferred = (customer.preferred_language or "").lower()[:2]
    locale = preferred if preferred in ("fa", "en") else None
    try:
        with force_locale(locale) if locale else contextlib.nullcontext():
            subject, text, html, document = render()
        send_mail(to, subject, text, html=html, attachments=[Attachment(filename, document, "application/pdf")])
    except MailError as exc:
        return MailOutcome(False, problem="mail_failed", error=f"The email could not be sent: {exc}")
    return MailOutcome(True, to=to)
