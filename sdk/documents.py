"""payvand.sdk.documents: the document kit — numbering per fiscal year, a declared status flow
with a locking `transition` (audit entry and timeline entry included), lines and exact totals,
PDF pages, and mailing a document after the commit. Quotes, orders and invoices of the sales
plugin are built on it; repair invoices, credit notes and vouchers are meant to be; see the
integrator guide's "Documents" section for a document type declared with it.

Not re-exported by `payvand.sdk` (a kit for the plugins that write documents, like
`payvand.sdk.pdf`): import it from here (`from payvand.sdk.documents import StatusFlow`).
`pricing` is the module of exact money (`round_money`, `compute_document`, `fiscal_year`, ...);
the PDF font is `payvand.sdk.pdf.font_path`.

Stability: provisional as a whole (every name is in `PROVISIONAL`): the kit has one user so
far (sales); the service, returns and marketing plugins may still reshape it, so its names
may change in a minor release until a second document type has been built on it.
"""

from __future__ import annotations

from collections.abc import Callable
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
from payvand.core.documents.pdf import VOID_RED, DocumentPdf, labelled, money_rows
from payvand.core.mail import Attachment

__all__ = [
    "MAX_AMOUNT",
    "VOID_RED",
    "CounterMixin",
    "DocumentError",
    "DocumentMixin",
    "DocumentPdf",
    "LineMixin",
    "StatusFlow",
    "compute_totals",
    "conflict",
    "labelled",
    "line_amounts",
    "line_input",
    "lock_row",
    "mail_document",
    "mail_locale",
    "mail_problem",
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

#: Names that may change in a minor release (here: all of them).
PROVISIONAL = frozenset(__all__)

MAIL_OFF = "mail_off"
NO_EMAIL = "no_email"


def mail_problem(to: str | None) -> tuple[str, str] | None:
    """Why a document cannot be queued for mailing to `to` now: (`mail_off` or `no_email`, an
    English explanation), or None when it can. Call it in the transaction that records the send;
    the mail itself goes out after the commit (`mail_document`, from an event subscriber)."""
    from payvand.sdk.mail import mail_enabled

    if not mail_enabled():
        return MAIL_OFF, "Mail is not configured on this server (PAYVAND_SMTP_URL)."
    if not to:
        return NO_EMAIL, "The customer has no email address."
    return None


def mail_locale(customer: Any) -> str:
    """The customer's preferred language when Payvand speaks it (`fa`, `en`), else the site's
    default language (the `core.default_locale` setting)."""
    from payvand.sdk.records import setting

    preferred = (customer.preferred_language or "").lower()[:2]
    if preferred in ("fa", "en"):
        return preferred
    default = str(setting("core.default_locale") or "fa")
    return default if default in ("fa", "en") else "fa"


def mail_document(customer: Any, render: Callable[[], tuple[str, str, str, bytes]], filename: str) -> str | None:
    """Email a document with its PDF to the customer's primary address, in `mail_locale(customer)`.

    `render()` returns (subject, text body, HTML body, PDF bytes) and runs in that language; the
    PDF is attached as `filename`. Meant for an event subscriber after the commit (the outbox
    retries it). Returns the Message-ID, or None when there is nobody to mail any more (no
    address, or the customer erased). Raises `MailError` when mail is off or the server refuses.
    """
    from flask_babel import force_locale

    from payvand.sdk.mail import send_mail

    to = customer.primary_email
    if not to or customer.erased_at is not None:
        return None
    with force_locale(mail_locale(customer)):
        subject, text, html, document = render()
    return send_mail(to, subject, text, html=html, attachments=[Attachment(filename, document, "application/pdf")])
