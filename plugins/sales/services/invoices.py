"""Invoices and payments: an order invoiced once (per live invoice), numbered per fiscal year,
paid in parts or refunded under a row lock, voided when nothing is paid net; each step audited
and recorded on the timeline. The invoice's statuses and labels are `INVOICE_FLOW`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from payvand.plugins.sales import events, pricing
from payvand.plugins.sales.models import Invoice, Order, Payment
from payvand.plugins.sales.services.document_base import (
    ACTING,
    INVOICE_DUE_DAYS,
    PAYMENT_METHODS,
    DocumentError,
    get_document,
    local_today,
    next_number,
    plain,
    require_visible,
    sales_setting,
)
from payvand.plugins.sales.services.orders import change_order_status
from payvand.sdk import audit, keep_text, record_interaction, record_interactions, utcnow
from payvand.sdk.documents import conflict, lock_row


def create_invoice(session: Session, order: Order, *, due_at: dt.date | None = None) -> Invoice:
    """Invoice an order (once; not a cancelled one): numbered per fiscal year, due after the due-days setting.

    One order has one live (not void) invoice: the order's row is locked before the check, so of
    concurrent requests one invoices it and the others get 409; a partial unique index on the
    live invoices' `order_id` backs it. A void invoice does not count: the order is invoiced again.
    """
    require_visible(session, order)
    lock_row(session, order)
    if order.status == "cancelled":
        raise DocumentError(f"Order {order.number} is cancelled.", status=409)
    existing = session.scalar(sa.select(Invoice.number).where(Invoice.order_id == order.id, Invoice.status != "void"))
    if existing is not None:
        raise DocumentError(f"Order {order.number} already has invoice {existing}.", status=409)
    today = local_today()
    year, seq, number = next_number(session, "invoice", "INV", today)
    if due_at is None:
        due_at = today + dt.timedelta(days=int(sales_setting(INVOICE_DUE_DAYS) or 0))
    invoice = Invoice(number=number, customer_id=order.customer_id, currency=order.currency, order_id=order.id,
                      year=year, sequence=seq, status="unpaid", issued_at=utcnow(), due_at=due_at,
                      subtotal=order.subtotal, discount_total=order.discount_total, tax_total=order.tax_total,
                      total=order.total, paid_total=pricing.round_money(Decimal(0), order.currency))
    session.add(invoice)
    refused = f"Order {order.number} has a live invoice already."  # the rollback below expires the order
    try:
        session.flush()
    except sa.exc.IntegrityError:
        raise conflict(session, refused) from None
    record_interaction(order.customer_id, "sales.invoice_issued", "other", f"Invoice {number} issued",
                       value=invoice.total, currency=invoice.currency, source=("sales.invoice", invoice.id),
                       direction="outbound", payload={"number": number, "order": order.number})
    events.invoice_issued(invoice)
    return invoice


def get_invoice(session: Session, invoice_id: int, actor: Any = ACTING) -> Invoice:
    """The invoice with this id if `actor` (default: the request's) may see it; DocumentError 404 otherwise."""
    return get_document(session, Invoice, invoice_id, actor)


def record_payment(session: Session, invoice: Invoice, amount: Decimal, *, method: str = "transfer",
                   reference: str | None = None, paid_at: dt.datetime | None = None) -> Any:
    """Record a payment (a refund when negative) and update the invoice's paid total and status.

    The amount must be exact in the invoice's currency. A payment may not exceed the balance due
    and a refund may not exceed what was paid (422, field `amount`): the paid total stays between
    0 and the invoice's total and always equals the sum of its payments. The invoice's row is
    locked before it is read, so concurrent payments and refunds queue and each sees the ones
    before it. The invoice becoming paid is recorded as `sales.invoice_paid`, and its order becomes
    paid if it is still placed (an order cancelled meanwhile stays cancelled; the money is recorded).
    """
    require_visible(session, invoice)
    if method not in PAYMENT_METHODS:
        raise DocumentError(f"Unknown method; use one of: {', '.join(PAYMENT_METHODS)}.", field="method")
    if amount == 0:
        raise DocumentError("A payment must not be zero.", field="amount")
    if pricing.round_money(amount, invoice.currency) != amount:
        raise DocumentError(f"The amount has more decimals than {invoice.currency} allows.", field="amount")
    lock_row(session, invoice)
    if invoice.status == "void":
        raise DocumentError(f"Invoice {invoice.number} is void.", status=409)
    paid = invoice.paid_total + amount
    if paid < 0:
        raise DocumentError(f"A refund cannot exceed the {plain(invoice.paid_total)} {invoice.currency} paid.",
                            field="amount")
    if amount > 0 and paid > invoice.total:
        due = max(invoice.total - invoice.paid_total, Decimal(0))
        raise DocumentError(f"A payment cannot exceed the {plain(due)} {invoice.currency} due.", field="amount")
    was = invoice.status
    payment = Payment(invoice_id=invoice.id, amount=amount, method=method, reference=reference,
                      paid_at=paid_at or utcnow())
    session.add(payment)
    invoice.paid_total = paid
    invoice.status = pricing.payment_status(invoice.total, paid)
    audit("payment", Invoice.__tablename__, invoice.id, before={"paid_total": plain(paid - amount), "status": was},
          after={"paid_total": plain(paid), "status": invoice.status, "method": method})
    if invoice.status in ("paid", "overpaid") and was not in ("paid", "overpaid"):
        record_interactions([{  # money received is recorded; an erased customer's timeline is closed
            "customer_id": invoice.customer_id, "kind": "sales.invoice_paid", "channel": "other",
            "summary": f"Invoice {invoice.number} paid", "value": invoice.total, "currency": invoice.currency,
            "source": ("sales.invoice", invoice.id), "payload": {"number": invoice.number}}], skip_inactive=True)
        events.invoice_paid(invoice)
        order = session.get(Order, invoice.order_id) if invoice.order_id is not None else None
        if order is not None and lock_row(session, order).status == "placed":  # not cancelled meanwhile
            change_order_status(session, order, "paid")
    session.flush()
    return payment


def balance(invoice: Invoice) -> Decimal:
    """What the customer still owes on the invoice (negative: a credit); nothing on a void one."""
    if invoice.status == "void":
        return pricing.round_money(Decimal(0), invoice.currency)
    return pricing.balance_due(invoice.total, [invoice.paid_total])


def void_invoice(session: Session, invoice: Invoice, reason: str | None = None) -> Invoice:
    """Void an invoice whose payments net to zero (refund them first): status `void`, out of the
    balance due; the order may then be invoiced again. Recorded as `sales.invoice_voided`, audited.

    The invoice's row is locked first: a payment racing the void either lands before it (and
    the void is refused) or finds the invoice void (409)."""
    require_visible(session, invoice)
    lock_row(session, invoice)
    if invoice.status == "void":
        raise DocumentError(f"Invoice {invoice.number} is already void.", status=409)
    if invoice.paid_total != 0:
        raise DocumentError(f"Invoice {invoice.number} has {plain(invoice.paid_total)} {invoice.currency} paid; "
                            "refund the payments before voiding it.", status=409)
    reason = keep_text((reason or "")[:500])  # what the person wrote, as written
    audit("void", Invoice.__tablename__, invoice.id, before={"status": invoice.status},
          after={"status": "void", "reason": reason})
    invoice.status = "void"
    invoice.voided_at = utcnow()
    invoice.void_reason = reason
    record_interactions([{  # a wrong invoice is voided whatever became of its customer
        "customer_id": invoice.customer_id, "kind": "sales.invoice_voided", "channel": "other",
        "summary": f"Invoice {invoice.number} voided", "value": invoice.total, "currency": invoice.currency,
        "source": ("sales.invoice", invoice.id), "direction": "internal",
        "payload": {"number": invoice.number, "reason": reason}}], skip_inactive=True)
    session.flush()
    return invoice
