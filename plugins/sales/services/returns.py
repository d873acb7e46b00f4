"""Returns handled by the sales plugin: what a customer may send back, and the refund of a return.

`returnable_items` answers `payvand_returnable_items` (asked by the service plugin when staff
pick a return's items): the lines of the customer's paid, shipped or delivered orders, as opaque
`sales.order_line:<id>` references with the quantity and the line's total.

`refund_returns` is the subscriber of `service.return_refunded`: for each order the refunded
lines belong to, it records a refund (a negative payment, method `transfer`, reference
`service.return:<id>`) on the order's live invoice through `invoices.record_payment` — so the
invoice's row lock and its rule hold: never more than was paid (the refund is capped at the paid
total). A refund already recorded for that return is not recorded again (the event may be
delivered twice). The units each return takes back are recorded per line
(`sales_order_line_return`, once per line and return): a partial return leaves the order as it
is, with its returned quantities; once every line's refunded units (over all returns) reach
its quantity, a shipped or delivered order becomes `returned` (out of the revenue reports and
the purchase facts). The amounts are the service plugin's pro-rata shares of the lines.

`replace_returns` is the subscriber of `service.return_replaced`: the replaced units are
recorded the same way (kind `replaced`: the order keeps its revenue) and a replacement order
is placed for the customer with the same lines at no charge, marked paid, one per original
order and return (`replacement_order_id`), so the new units are shipped like any order.

Both subscribers lock the order's row (a refund its live invoice's first, the order taken the
way a payment takes them) before they check what is recorded: an event delivered twice at once
acts once, and the units recorded on a line over all returns never exceed what was bought
(`_within_room` caps a forged or stale event; the service plugin already refuses such claims).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from payvand.plugins.sales.models import Invoice, Order, OrderLine, OrderLineReturn, Payment
from payvand.sdk import Event, ReturnableItem, Subscription, session
from payvand.sdk.documents import lock_row

log = logging.getLogger(__name__)

#: Orders whose lines may be returned (placed ones are cancelled instead).
RETURNABLE = ("paid", "shipped", "delivered")
MAX_ITEMS = 300
PREFIX = "sales.order_line:"


def returnable_items(customer_id: int) -> list[ReturnableItem]:
    """The lines of the customer's paid, shipped or delivered orders, newest first (at most `MAX_ITEMS`)."""
    rows = session().execute(
        sa.select(OrderLine, Order.number, Order.currency, Order.placed_at)
        .join(Order, Order.id == OrderLine.order_id)
        .where(Order.customer_id == customer_id, Order.status.in_(RETURNABLE))
        .order_by(Order.placed_at.desc(), Order.id.desc(), OrderLine.position)
        .limit(MAX_ITEMS)).all()
    return [ReturnableItem(source=f"{PREFIX}{line.id}", document=f"sales.order:{line.order_id}",
                           label=f"{number} · {line.description}", quantity=line.quantity, amount=line.total,
                           currency=currency, occurred_at=placed_at)
            for line, number, currency, placed_at in rows]


def _line_ids(sources: Sequence[str]) -> list[int]:
    return [int(source[len(PREFIX):]) for source in sources
            if isinstance(source, str) and source.startswith(PREFIX) and source[len(PREFIX):].isdigit()]


def refund_return(db: Session, event: Event) -> list[int]:
    """Record the refund of one `service.return_refunded` event; the ids of the payments made."""
    wanted: dict[int, tuple[Decimal, Decimal]] = {}
    for source, quantity, amount in zip(event["sources"], event["quantities"], event["amounts"], strict=False):
        ids = _line_ids([source])
        if ids:
            was = wanted.get(ids[0], (Decimal(0), Decimal(0)))
            wanted[ids[0]] = (was[0] + Decimal(quantity), was[1] + Decimal(amount))
    if not wanted:
        return []
    lines = db.scalars(sa.select(OrderLine).where(OrderLine.id.in_(wanted))).all()
    by_order: dict[int, list[OrderLine]] = defaultdict(list)
    for line in lines:
        by_order[line.order_id].append(line)
    reference = f"service.return:{event['return_id']}"
    made = []
    for order_id, returned in sorted(by_order.items()):
        order = db.get(Order, order_id)
        if order is None or order.customer_id != event["customer_id"]:
            continue  # not this customer's order: a forged or stale reference
        invoice = db.scalar(sa.select(Invoice).where(Invoice.order_id == order_id, Invoice.status != "void"))
        if invoice is not None:
            lock_row(db, invoice)  # the invoice before the order, as a payment takes them
        lock_row(db, order)
        taken = _within_room(db, order, {line.id: wanted[line.id] for line in returned}, reference)
        amount = sum((share for _, share in taken.values()), Decimal(0))
        if invoice is not None and amount > 0:
            payment = _refund(db, invoice, amount, reference)
            if payment is not None:
                made.append(payment)
        _record(db, order, {line_id: quantity for line_id, (quantity, _) in taken.items()}, reference, "refunded")
        _mark_returned(db, order)
    return made


def _within_room(db: Session, order: Order, wanted: dict[int, tuple[Decimal, Decimal]],
                 reference: str) -> dict[int, tuple[Decimal, Decimal]]:
    """The units (and their amounts, pro rata) of `wanted` — line id → (quantity, amount) — that
    still fit in each line: never more than the line's quantity over every return recorded so far
    (the caller holds the order's row lock). Empty when this return was recorded already."""
    if db.scalar(sa.select(OrderLineReturn.id).where(OrderLineReturn.order_id == order.id,
                                                     OrderLineReturn.reference == reference).limit(1)) is not None:
        return {}
    done = returned_quantities(db, order.id)
    bought = dict(db.execute(sa.select(OrderLine.id, OrderLine.quantity).where(OrderLine.order_id == order.id)).all())
    taken: dict[int, tuple[Decimal, Decimal]] = {}
    for line_id, (quantity, amount) in sorted(wanted.items()):
        room = Decimal(bought.get(line_id, 0)) - done.get(line_id, Decimal(0))
        units = min(quantity, room)
        if units <= 0 or quantity <= 0:
            continue
        if units == quantity:
            taken[line_id] = (units, amount)
        else:  # a capped line: its amount pro rata, to the amount's own decimals
            places = Decimal(1).scaleb(min(int(amount.as_tuple().exponent), 0))
            taken[line_id] = (units, (amount * units / quantity).quantize(places))
    return taken


def _refund(db: Session, invoice: Invoice, amount: Decimal, reference: str) -> int | None:
    from payvand.plugins.sales.services.invoices import record_payment

    # the caller holds the invoice's row lock: one refund per return, even when the event is delivered twice at once
    if db.scalar(sa.select(Payment.id).where(Payment.invoice_id == invoice.id, Payment.reference == reference)):
        return None
    refund = min(amount, invoice.paid_total)
    if refund <= 0:
        log.info("invoice %s: nothing paid, nothing to refund for %s", invoice.number, reference)
        return None
    payment = record_payment(db, invoice, -refund, method="transfer", reference=reference)
    return int(payment.id)


def _record(db: Session, order: Order, quantities: dict[int, Decimal], reference: str, kind: str) -> bool:
    """Record the units of the order's lines a return took back (once per line and return; the
    caller holds the order's row lock). False when this return was recorded already."""
    if db.scalar(sa.select(OrderLineReturn.id).where(OrderLineReturn.order_id == order.id,
                                                     OrderLineReturn.reference == reference).limit(1)) is not None:
        return False
    db.add_all(OrderLineReturn(order_id=order.id, order_line_id=line_id, reference=reference, kind=kind,
                               quantity=quantity) for line_id, quantity in sorted(quantities.items()) if quantity > 0)
    db.flush()
    return True


def returned_quantities(db: Session, order_id: int, kind: str | None = None) -> dict[int, Decimal]:
    """The units of each line of an order taken back by returns so far (`kind`: refunded or replaced; None: both)."""
    query = (sa.select(OrderLineReturn.order_line_id, sa.func.sum(OrderLineReturn.quantity))
             .where(OrderLineReturn.order_id == order_id).group_by(OrderLineReturn.order_line_id))
    if kind is not None:
        query = query.where(OrderLineReturn.kind == kind)
    return {line_id: Decimal(total) for line_id, total in db.execute(query)}


def line_returns(db: Session, order_id: int) -> list[OrderLineReturn]:
    """What returns took back of an order's lines, in the order they were recorded."""
    return list(db.scalars(sa.select(OrderLineReturn).where(OrderLineReturn.order_id == order_id)
                           .order_by(OrderLineReturn.id)))


def _mark_returned(db: Session, order: Order) -> None:
    """A shipped or delivered order whose every line is refunded in full (over all its returns) becomes `returned`."""
    from payvand.plugins.sales.services.orders import change_order_status

    refunded = returned_quantities(db, order.id, "refunded")
    all_lines = db.scalars(sa.select(OrderLine).where(OrderLine.order_id == order.id)).all()
    if all(refunded.get(line.id, Decimal(0)) >= line.quantity for line in all_lines) \
            and order.status in ("shipped", "delivered"):
        change_order_status(db, order, "returned")


def replace_return(db: Session, event: Event) -> list[int]:
    """Record one `service.return_replaced` event: the replaced units on their lines and, per
    original order, a replacement order of the same lines at no charge (marked paid). Returns the
    ids of the orders placed (none when the event was handled already)."""
    from payvand.plugins.sales.services.document_base import LineIn
    from payvand.plugins.sales.services.orders import change_order_status, place_order
    from payvand.sdk.documents import DocumentError

    wanted: dict[int, Decimal] = {}
    for source, quantity in zip(event["sources"], event["quantities"], strict=False):
        ids = _line_ids([source])
        if ids:
            wanted[ids[0]] = wanted.get(ids[0], Decimal(0)) + Decimal(quantity)
    if not wanted:
        return []
    lines = db.scalars(sa.select(OrderLine).where(OrderLine.id.in_(wanted)).order_by(OrderLine.id)).all()
    by_order: dict[int, list[OrderLine]] = defaultdict(list)
    for line in lines:
        by_order[line.order_id].append(line)
    reference = f"service.return:{event['return_id']}"
    made = []
    for order_id, replaced in sorted(by_order.items()):
        order = db.get(Order, order_id)
        if order is None or order.customer_id != event["customer_id"]:
            continue
        lock_row(db, order)
        taken = _within_room(db, order, {line.id: (wanted[line.id], Decimal(0)) for line in replaced}, reference)
        if not taken or not _record(db, order, {line_id: units for line_id, (units, _) in taken.items()},
                                    reference, "replaced"):
            continue  # recorded already (the event delivered twice), or nothing left of the lines to replace
        entries = [LineIn(quantity=taken[line.id][0], product_id=line.product_id,
                          description=line.description, unit_price=Decimal(0), tax_rate=Decimal(0))
                   for line in replaced if line.id in taken]
        try:
            new = place_order(db, order.customer_id, entries, channel="api")
        except DocumentError:  # a product retired since: the same lines as free text
            new = place_order(db, order.customer_id, [LineIn(quantity=e.quantity, description=e.description,
                                                             unit_price=Decimal(0), tax_rate=Decimal(0))
                                                      for e in entries], channel="api")
        change_order_status(db, new, "paid")
        db.execute(sa.update(OrderLineReturn).where(OrderLineReturn.order_id == order.id,
                                                    OrderLineReturn.reference == reference)
                   .values(replacement_order_id=new.id))
        log.info("order %s: replacement order %s for %s", order.number, new.number, reference)
        made.append(int(new.id))
    return made


def replace_returns(events: Sequence[Event]) -> None:
    """`service.return_replaced` subscriber: a replacement order for each return's replaced lines."""
    for event in events:
        replace_return(session(), event)


def refund_returns(events: Sequence[Event]) -> None:
    """`service.return_refunded` subscriber: refund each return on its orders' invoices."""
    for event in events:
        refund_return(session(), event)


#: The sales plugin's subscription to the service plugin's refunds (optional: service may be absent).
SUBSCRIPTION = Subscription("service.return_refunded", refund_returns, optional=True)
#: ... and to its replacements.
REPLACEMENT = Subscription("service.return_replaced", replace_returns, optional=True)
