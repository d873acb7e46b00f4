"""Quotes: a draft priced from a price list, sent (by email with its PDF), accepted into an
order, rejected, or expired by the daily job; each step recorded on the timeline.

`deliver_quote` marks a quote sent and queues its email (the `sales.quote_sent` event; the
plugin's subscriber in `quote_mail.py` mails it after the commit); every state change locks
the quote's row first (`lock_row`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from payvand.plugins.sales import events
from payvand.plugins.sales.models import Order, OrderLine, Quote, QuoteLine
from payvand.plugins.sales.services import quote_mail
from payvand.plugins.sales.services.document_base import (
    ACTING,
    QUOTE_FLOW,
    DocumentError,
    LineIn,
    acting_user_id,
    active_customer,
    check_deal,
    core_currency,
    get_document,
    local_today,
    next_number,
    price_lines,
    price_list_or_default,
    require_visible,
    set_totals,
)
from payvand.plugins.sales.services.orders import place
from payvand.sdk import (
    JobSpec,
    audit,
    keep_text,
    record_interaction,
    record_interactions,
    utcnow,
)
from payvand.sdk import session as current_session
from payvand.sdk.documents import conflict, lock_row


def create_quote(session: Session, customer_id: int, lines: Sequence[LineIn], *, price_list_id: int | None = None,
                 currency: str | None = None, valid_until: dt.date | None = None, deal_id: int | None = None) -> Quote:
    """A draft quote for a customer; product prices come from the price list (the default one).
    `deal_id` names the deal it is for (its order then counts for the deal's owner)."""
    active_customer(session, customer_id)
    check_deal(session, deal_id)
    price_list = price_list_or_default(session, price_list_id)
    currency = currency or (price_list.currency if price_list else str(core_currency()))
    if price_list is not None and currency != price_list.currency:
        raise DocumentError(f"The price list is in {price_list.currency}, not {currency}.", field="currency")
    rows, totals = price_lines(session, lines, price_list, currency)
    _, _, number = next_number(session, "quote", "Q")
    quote = Quote(number=number, customer_id=customer_id, currency=currency, status="draft", deal_id=deal_id,
                  created_by_id=acting_user_id(),
                  price_list_id=price_list.id if price_list else None, valid_until=valid_until,
                  lines=[QuoteLine(**row) for row in rows])
    set_totals(quote, totals)
    session.add(quote)
    session.flush()
    return quote


def get_quote(session: Session, quote_id: int, actor: Any = ACTING) -> Quote:
    """The quote with this id if `actor` (default: the request's) may see it; DocumentError 404 otherwise."""
    return get_document(session, Quote, quote_id, actor)


def _check_sendable(quote: Quote) -> None:
    if quote.status not in ("draft", "sent"):
        raise DocumentError(f"Quote {quote.number} is {quote.status}; only a draft or sent quote can be sent.", status=409)


def send_quote(session: Session, quote: Quote, *, emailed: bool = False, to: str | None = None) -> Quote:
    """Mark a draft (or re-send a sent) quote as sent; recorded as `sales.quote_sent` (with `emailed`).

    Only marks it: `deliver_quote` also queues its email (`emailed`: the `sales.quote_sent`
    event asks the plugin's subscriber to mail it after the commit). The quote's row is locked
    first, so a quote accepted, rejected or expired meanwhile is refused (409), never taken back.
    """
    require_visible(session, quote)
    lock_row(session, quote)
    _check_sendable(quote)
    quote.status = "sent"
    quote.sent_at = utcnow()
    payload: dict[str, Any] = {"number": quote.number, "emailed": emailed}
    if to:
        payload["to"] = to
    record_interaction(quote.customer_id, "sales.quote_sent", "email" if emailed else "other",
                       f"Quote {quote.number} sent", value=quote.total, currency=quote.currency,
                       source=("sales.quote", quote.id), direction="outbound", payload=payload)
    events.quote_sent(quote, by_email=emailed)
    session.flush()
    return quote


@dataclass(frozen=True)
class QuoteDelivery:
    """What sending a quote did: it is marked sent; `emailed` says whether its email to `to` is
    queued (mailed after the commit), else `problem` says why not (`mail_off` or `no_email`) and
    `mail_error` explains it in English."""

    quote: Quote
    emailed: bool
    to: str | None = None
    problem: str | None = None
    mail_error: str | None = None


def deliver_quote(session: Session, quote: Quote) -> QuoteDelivery:
    """Send a draft or sent quote: mark it sent (`sales.quote_sent`) and, when mail is on and the
    customer has an address, queue its email with the PDF in the same transaction: the event's
    subscriber (`quote_mail.py`) mails it after the commit, in the customer's preferred language,
    and the outbox retries it until the server takes it. A quote is marked sent even when it
    cannot be emailed; the result says why (`emailed` then False)."""
    _check_sendable(quote)
    to = active_customer(session, quote.customer_id).primary_email
    refused = quote_mail.problem(to)
    emailed = refused is None
    send_quote(session, quote, emailed=emailed, to=to if emailed else None)
    return QuoteDelivery(quote=quote, emailed=emailed, to=to if emailed else None,
                         problem=refused[0] if refused else None, mail_error=refused[1] if refused else None)


def reject_quote(session: Session, quote: Quote, reason: str | None = None) -> Quote:
    """The customer declined a draft or sent quote: it becomes `rejected` with the reason given;
    recorded as `sales.quote_rejected` and audited. Locks the quote's row: a concurrent accept
    and reject cannot both succeed."""
    require_visible(session, quote)
    lock_row(session, quote)
    if quote.status not in ("draft", "sent"):
        raise DocumentError(f"Quote {quote.number} is {quote.status}; only a draft or sent quote can be rejected.",
                            status=409)
    reason = keep_text((reason or "")[:500])  # what the person wrote, as written
    audit("reject", Quote.__tablename__, quote.id, before={"status": quote.status},
          after={"status": "rejected", "reason": reason})
    quote.status = "rejected"
    quote.rejected_at = utcnow()
    quote.reject_reason = reason
    record_interaction(quote.customer_id, "sales.quote_rejected", "other", f"Quote {quote.number} rejected",
                       value=quote.total, currency=quote.currency, source=("sales.quote", quote.id),
                       payload={"number": quote.number, "reason": reason})
    session.flush()
    return quote


def expire_quotes() -> int:
    """Mark every draft or sent quote whose `valid_until` is before the local today `expired`, in
    one UPDATE; the sent ones (the customer had them) are recorded as `sales.quote_expired` in one
    bulk insert. Returns how many quotes expired. The daily job `sales.quote_expiry`.

    The UPDATE returns the rows it changed, so a quote accepted or rejected while the job runs
    is neither expired nor recorded as expired."""
    session = current_session()
    today = local_today()
    now = utcnow()
    due = (Quote.status.in_(("draft", "sent")), Quote.valid_until < today)
    changed = session.execute(sa.update(cast(sa.Table, Quote.__table__)).where(*due).values(status="expired", expired_at=now)
                              .returning(Quote.id, Quote.customer_id, Quote.number, Quote.total, Quote.currency,
                                         Quote.sent_at)).all()
    expired = len(changed)
    sent = [row for row in changed if row.sent_at is not None]  # only a sent quote has a sent_at
    record_interactions([
        {"customer_id": row.customer_id, "kind": "sales.quote_expired", "channel": "other",
         "summary": f"Quote {row.number} expired", "value": row.total, "currency": row.currency,
         "source": ("sales.quote", row.id), "direction": "internal", "payload": {"number": row.number}}
        for row in sent
    ], skip_inactive=True)  # a quote of an erased customer still expires; its timeline is closed
    session.flush()
    return expired


def jobs() -> list[JobSpec]:
    """`payvand_jobs`: expire the quotes past their validity once a day."""
    return [JobSpec("sales.quote_expiry", expire_quotes, 24 * 3600, "Expire draft and sent quotes past their validity")]


def accept_quote(session: Session, quote: Quote) -> Order:
    """Accept a draft or sent quote: it becomes `accepted` and an order (channel staff) copies its lines.

    One quote makes one order: the quote's row is locked before its status is checked, so of
    concurrent accepts one wins and the others get 409; a unique `quote_id` on orders backs it.
    """
    require_visible(session, quote)
    lock_row(session, quote)
    if quote.status not in ("draft", "sent"):
        raise DocumentError(f"Quote {quote.number} is {quote.status}; only a draft or sent quote can be accepted.", status=409)
    if quote.valid_until is not None and quote.valid_until < local_today():
        raise DocumentError(f"Quote {quote.number} expired on {quote.valid_until.isoformat()}.", status=409)
    quote.status = "accepted"
    quote.accepted_at = utcnow()
    lines = [OrderLine(**{key: getattr(line, key) for key in _LINE_COLUMNS}) for line in quote.lines]
    refused = f"Quote {quote.number} has an order already."  # the rollback below expires the quote
    try:
        order = place(session, quote.customer_id, quote.currency, lines, quote, channel="staff", quote_id=quote.id,
                      deal_id=quote.deal_id)
    except sa.exc.IntegrityError:
        raise conflict(session, refused) from None
    events.quote_accepted(quote, order)
    return order


_LINE_COLUMNS = ("position", "product_id", "description", "quantity", "unit_price", "discount", "tax_rate", "net", "tax", "total")


__all__ = ["QUOTE_FLOW", "QuoteDelivery", "accept_quote", "create_quote", "deliver_quote", "expire_quotes", "get_quote",
           "jobs", "reject_quote", "send_quote"]
