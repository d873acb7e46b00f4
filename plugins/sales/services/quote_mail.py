"""Quotes emailed to their customers after the send is committed, through the outbox.

Sending a quote (`documents.deliver_quote`) marks it sent and emits `sales.quote_sent` with
`by_email` in the same transaction; nothing is mailed then. The sales plugin subscribes to its
own event (`SUBSCRIPTION`): after the commit the job runner calls `mail_sent_quotes`, which
renders the quote's email and PDF in the customer's preferred language (else the site's
default language: there is no staff request any more) and sends it to the
customer's primary address. When the server is off or refuses, the handler raises: the outbox
keeps the event for the sales plugin, records the error on the plugin (plugins page, and the
event's `last_error`) and tries again with backoff until the mail goes out. A rolled-back send
mails nothing.

Delivery is at least once: a worker that dies after the server took the mail but before it
recorded the event as handled mails the quote again on the retry.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from payvand.plugins.sales.models import Quote
from payvand.sdk import Customer, Event, Subscription, session
from payvand.sdk import gettext as _
from payvand.sdk.documents import mail_document, mail_problem

#: Why a quote cannot be emailed now (the kit's `mail_problem`), checked when it is sent.
problem = mail_problem

log = logging.getLogger(__name__)


def render(quote: Quote, customer: Customer) -> tuple[str, str, str, bytes]:
    """The subject, text body, HTML body and PDF of the quote's email, in the current locale."""
    from flask import render_template

    from payvand.plugins.sales.services import pdf
    from payvand.plugins.sales.services.document_base import company_name

    company = company_name()
    subject = _("Quote %(number)s from %(company)s", number=quote.number, company=company) if company \
        else _("Quote %(number)s", number=quote.number)
    context = {"quote": quote, "customer": customer, "company": company}
    text = render_template("sales/quote_email.txt", **context)
    html = render_template("sales/quote_email.html", **context)
    return subject, text, html, pdf.quote_pdf(quote)


def mail_quote(quote: Quote, customer: Customer) -> str | None:
    """Email `quote` with its PDF to the customer's primary address, in their language (the kit's
    `mail_document`).

    Returns the Message-ID, or None when there is nobody to mail any more (the customer's
    address was removed, or the customer erased, since the send). Raises `MailError` when
    mail is off or the server refuses: the caller's retry sends it later.
    """
    sent = mail_document(customer, lambda: render(quote, customer), f"{quote.number}.pdf")
    if sent is None:
        log.info("quote %s: the customer has no address any more; not mailed", quote.number)
    return sent


def mail_sent_quotes(events: Sequence[Event]) -> None:
    """`sales.quote_sent` subscriber: mail every quote of the batch that was sent `by_email`.

    Raises the first `MailError` after trying each quote, so the outbox retries the batch.
    """
    failure: Exception | None = None
    for event in events:
        if not event["by_email"]:
            continue
        quote = session().get(Quote, event["quote_id"])
        customer = session().get(Customer, event["customer_id"])
        if quote is None or customer is None:
            continue  # deleted since: nothing to mail
        try:
            mail_quote(quote, customer)
        except Exception as exc:  # try the others; report the first failure
            failure = failure or exc
    if failure is not None:
        raise failure


#: The sales plugin's own subscription to `sales.quote_sent`.
SUBSCRIPTION = Subscription("sales.quote_sent", mail_sent_quotes)
