"""The events the sales plugin emits through the outbox, for other plugins and third parties.

Declared through `payvand_event_types` (see `docs/hooks.md` for the generated list) and emitted
by the services in the caller's transaction with one call each (`order_placed(order)`, ...):
the outbox row is written with the commit and delivered after it, so a subscriber never sees
an order that was rolled back. Payloads carry ids and the few values a subscriber needs
(amounts, currency, status): never names, contacts or free text.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from payvand.sdk import EventField, EventType, emit_event

if TYPE_CHECKING:
    from payvand.plugins.sales.models import Deal, Invoice, Order, Quote

ORDER_PLACED = "sales.order_placed"
DEAL_WON = "sales.deal_won"
DEAL_LOST = "sales.deal_lost"
QUOTE_SENT = "sales.quote_sent"
QUOTE_ACCEPTED = "sales.quote_accepted"
INVOICE_ISSUED = "sales.invoice_issued"
INVOICE_PAID = "sales.invoice_paid"

_CUSTOMER = EventField("customer_id", int, "the customer")
_TOTAL = EventField("total", Decimal, "the document's total, tax included")
_CURRENCY = EventField("currency", str, "ISO 4217 code of the amounts")
_ORDER = EventField("order_id", int, "the order")
_QUOTE = EventField("quote_id", int, "the quote")
_INVOICE = EventField("invoice_id", int, "the invoice")
_DEAL = EventField("deal_id", int, "the deal")
_DEAL_CUSTOMER = EventField("customer_id", int, "the deal's customer", optional=True)
_DEAL_OWNER = EventField("owner_id", int, "the deal's owner (a user)", optional=True)

EVENT_TYPES: tuple[EventType, ...] = (
    EventType(ORDER_PLACED, "An order was placed: online, through the API, by staff or by accepting a quote.",
              (_ORDER, _CUSTOMER, EventField("quote_id", int, "the quote it came from", optional=True),
               EventField("channel", str, "staff, web or api"),
               EventField("owner_id", int, "the user the order counts for", optional=True), _TOTAL, _CURRENCY)),
    EventType(DEAL_WON, "A deal entered a won stage.",
              (_DEAL, _DEAL_CUSTOMER, _DEAL_OWNER, EventField("amount", Decimal, "the deal's amount"), _CURRENCY)),
    EventType(DEAL_LOST, "A deal entered a lost stage.",
              (_DEAL, _DEAL_CUSTOMER, _DEAL_OWNER, EventField("reason_id", int, "the lost reason chosen", optional=True))),
    EventType(QUOTE_SENT, "A quote was sent (or sent again) to its customer.",
              (_QUOTE, _CUSTOMER, _TOTAL, _CURRENCY,
               EventField("by_email", bool, "it is to be emailed with its PDF (the sales plugin mails it after the commit)"))),
    EventType(QUOTE_ACCEPTED, "A quote was accepted and became an order.",
              (_QUOTE, _ORDER, _CUSTOMER, _TOTAL, _CURRENCY)),
    EventType(INVOICE_ISSUED, "An order was invoiced.",
              (_INVOICE, EventField("order_id", int, "the order invoiced", optional=True), _CUSTOMER, _TOTAL, _CURRENCY,
               EventField("due_at", dt.date, "when it is due", optional=True))),
    EventType(INVOICE_PAID, "An invoice became paid (in full, or more).",
              (_INVOICE, EventField("order_id", int, "its order", optional=True), _CUSTOMER, _TOTAL, _CURRENCY)),
)


def order_placed(order: Order) -> None:
    """Emit `sales.order_placed` for a new order (flushed: it has its id)."""
    emit_event(ORDER_PLACED, {"order_id": order.id, "customer_id": order.customer_id, "quote_id": order.quote_id,
                              "channel": order.channel, "owner_id": order.owner_id, "total": order.total,
                              "currency": order.currency})


def deal_closed(deal: Deal) -> None:
    """Emit `sales.deal_won` or `sales.deal_lost` for a deal that has just been closed."""
    if deal.status == "won":
        emit_event(DEAL_WON, {"deal_id": deal.id, "customer_id": deal.customer_id, "owner_id": deal.owner_id,
                              "amount": deal.amount, "currency": deal.currency})
    elif deal.status == "lost":
        emit_event(DEAL_LOST, {"deal_id": deal.id, "customer_id": deal.customer_id, "owner_id": deal.owner_id,
                               "reason_id": deal.reason_id})


def quote_sent(quote: Quote, by_email: bool) -> None:
    """Emit `sales.quote_sent`; `by_email` asks the sales plugin's own subscriber to mail it."""
    emit_event(QUOTE_SENT, {"quote_id": quote.id, "customer_id": quote.customer_id, "total": quote.total,
                            "currency": quote.currency, "by_email": by_email})


def quote_accepted(quote: Quote, order: Order) -> None:
    """Emit `sales.quote_accepted` for a quote that became `order`."""
    emit_event(QUOTE_ACCEPTED, {"quote_id": quote.id, "order_id": order.id, "customer_id": quote.customer_id,
                                "total": quote.total, "currency": quote.currency})


def invoice_issued(invoice: Invoice) -> None:
    """Emit `sales.invoice_issued` for a new invoice (flushed: it has its id)."""
    emit_event(INVOICE_ISSUED, {"invoice_id": invoice.id, "order_id": invoice.order_id,
                                "customer_id": invoice.customer_id, "total": invoice.total,
                                "currency": invoice.currency, "due_at": invoice.due_at})


def invoice_paid(invoice: Invoice) -> None:
    """Emit `sales.invoice_paid` for an invoice that has just become paid."""
    emit_event(INVOICE_PAID, {"invoice_id": invoice.id, "order_id": invoice.order_id,
                              "customer_id": invoice.customer_id, "total": invoice.total,
                              "currency": invoice.currency})
