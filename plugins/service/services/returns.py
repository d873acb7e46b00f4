"""Returns: a return ticket's purchased items, and the flow requested → approved/rejected →
received → refunded or replaced.

The items come from whichever plugin sells (`payvand_returnable_items`, answered by the sales
plugin): opaque line references with the quantity bought and the amount paid, of which the
return keeps what it needs. With no plugin answering (sales disabled) a return names its items
as free text and still moves along the flow; nobody then acts on its events.

Every move goes through the SDK's `transition` (row lock, flow check, audit), so of two refunds
(or replacements, approvals) at once one wins and the other is refused (409). Opening a return
first locks the customer's claims (`_lock_claims`): what other returns already claim of a line and the new claim
are checked and written by one writer at a time, so returns opened at once (on two tickets, or
twice on one) never claim more than was bought. Approval, refund and replacement emit the
declared events (`events.py`) in the same transaction; the seller acts on them after the commit
(the sales plugin refunds the invoice and marks a wholly returned order `returned`).
"""

from __future__ import annotations

import decimal
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from payvand.plugins.service.events import return_event
from payvand.plugins.service.models import Ticket
from payvand.plugins.service.models_returns import ReturnItem, ReturnRequest
from payvand.sdk import Actor, Customer, MovedRows, ReturnableItem, audit, call_hook, lazy_gettext, utcnow
from payvand.sdk.documents import DocumentError, StatusFlow, transition

RETURN = StatusFlow("return", {
    "requested": ("approved", "rejected"),
    "approved": ("received", "rejected"),
    "rejected": (),
    "received": ("refunded", "replaced"),
    "refunded": (),
    "replaced": (),
}, labels={"requested": lazy_gettext("Requested"), "approved": lazy_gettext("Approved"),
           "rejected": lazy_gettext("Rejected"), "received": lazy_gettext("Received"),
           "refunded": lazy_gettext("Refunded"), "replaced": lazy_gettext("Replaced")})
#: The action of each button / API call, and the state it moves the return to.
ACTIONS = {"approve": "approved", "reject": "rejected", "receive": "received", "refund": "refunded",
           "replace": "replaced"}
MAX_ITEMS = 50
MAX_QUANTITY = decimal.Decimal(1_000_000)


class ReturnError(DocumentError):
    """A refused return: 404 (no such ticket or return), 409 (wrong state), 422 (invalid `field`)."""


def returnable_items(session: Session, customer_id: int) -> list[dict[str, Any]]:
    """The customer's purchased lines that may be returned, from every selling plugin, each with
    `remaining` (bought minus what other returns not rejected already claim). Empty when no plugin
    answers the hook."""
    found: list[ReturnableItem] = []
    for item in call_hook("payvand_returnable_items", customer_id=customer_id):
        if isinstance(item, ReturnableItem):
            found.append(item)
    claimed = _claimed(session, [item.source for item in found])
    return [{"source": item.source, "document": item.document, "label": item.label, "quantity": item.quantity,
             "amount": item.amount, "currency": item.currency, "occurred_at": item.occurred_at,
             "remaining": max(item.quantity - claimed.get(item.source, decimal.Decimal(0)), decimal.Decimal(0))}
            for item in found]


def _claimed(session: Session, sources: Sequence[str], *, besides: int | None = None) -> dict[str, decimal.Decimal]:
    if not sources:
        return {}
    query = (sa.select(ReturnItem.source, ReturnItem.quantity).join(ReturnRequest)
             .where(ReturnItem.source.in_(sources), ReturnRequest.status != "rejected"))
    if besides is not None:
        query = query.where(ReturnRequest.id != besides)
    claimed: dict[str, decimal.Decimal] = {}
    for source, quantity in session.execute(query):
        if source is not None:
            claimed[source] = claimed.get(source, decimal.Decimal(0)) + quantity
    return claimed


def _share(item: dict[str, Any], quantity: decimal.Decimal) -> decimal.Decimal:
    """What `quantity` units of a line cost: the whole amount for the whole line, else the pro-rata
    share rounded to the amount's own decimals."""
    amount: decimal.Decimal = item["amount"]
    if quantity == item["quantity"]:
        return amount
    exponent = min(int(amount.as_tuple().exponent), 0)
    return (amount * quantity / item["quantity"]).quantize(decimal.Decimal(1).scaleb(exponent),
                                                           rounding=decimal.ROUND_HALF_UP)


def _items(session: Session, customer_id: int, wanted: Sequence[dict[str, Any]]) -> tuple[list[ReturnItem], str | None]:
    if not wanted:
        raise ReturnError("Name at least one item.", field="items")
    if len(wanted) > MAX_ITEMS:
        raise ReturnError(f"At most {MAX_ITEMS} items.", field="items")
    offered = {item["source"]: item for item in returnable_items(session, customer_id)} \
        if any(w.get("source") for w in wanted) else {}
    items: list[ReturnItem] = []
    currencies = set()
    asked: dict[str, decimal.Decimal] = {}
    for want in wanted:
        try:
            quantity = decimal.Decimal(want["quantity"])
        except (decimal.InvalidOperation, TypeError, ValueError):
            raise ReturnError("Enter quantities as numbers.", field="items") from None
        if not quantity.is_finite() or quantity <= 0 or quantity > MAX_QUANTITY \
                or quantity != quantity.quantize(decimal.Decimal("0.001"), rounding=decimal.ROUND_DOWN):
            raise ReturnError("A quantity is a number above zero with at most three decimals.", field="items")
        source = want.get("source")
        if not source:
            label = (want.get("label") or "").strip()
            if not label:
                raise ReturnError("Describe an item that is not picked from the purchases.", field="items")
            items.append(ReturnItem(label=label[:300], quantity=quantity))
            continue
        item = offered.get(source)
        if item is None:
            raise ReturnError(f"{source} is not a purchase of this customer that can be returned.", field="items")
        asked[source] = asked.get(source, decimal.Decimal(0)) + quantity
        if asked[source] > item["remaining"]:
            raise ReturnError(f"At most {item['remaining'].normalize():f} of {item['label']} can be returned.",
                              field="items")
        currencies.add(item["currency"])
        items.append(ReturnItem(source=source, document=item["document"], label=item["label"][:300],
                                quantity=quantity, amount=_share(item, quantity)))
    if len(currencies) > 1:
        raise ReturnError("The items of one return must be in one currency.", field="items")
    return items, (currencies.pop() if currencies else None)


def open_return(session: Session, ticket: Ticket, data: dict[str, Any], actor: Actor) -> ReturnRequest:
    """Open the return of `ticket` (one per ticket; the ticket becomes of type `return`) with `reason`
    and `items` (`{"source", "quantity"}` picked from `returnable_items`, or `{"label", "quantity"}`).
    The caller has checked the ticket is visible to `actor`; the caller commits.

    The claims on the customer's purchases are locked first (`_lock_claims`, until the commit),
    so they are counted and made by one request at a time."""
    _lock_claims(session, ticket)
    if session.scalar(sa.select(ReturnRequest.id).where(ReturnRequest.ticket_id == ticket.id)) is not None:
        raise ReturnError(f"Ticket {ticket.id} already has a return.", status=409)
    items, currency = _items(session, ticket.customer_id, data.get("items") or [])
    total = sum((item.amount or decimal.Decimal(0) for item in items), decimal.Decimal(0))
    request = ReturnRequest(ticket_id=ticket.id, customer_id=ticket.customer_id, status="requested",
                            reason=(data.get("reason") or "").strip(), total=total, currency=currency,
                            created_by_id=actor.user_id, created_at=utcnow(), items=items)
    session.add(request)
    if ticket.type != "return":
        ticket.type = "return"
    session.flush()
    audit("create", ReturnRequest.__tablename__, request.id,
          after={"ticket_id": ticket.id, "total": f"{total}", "items": len(items)})
    return request


def _lock_claims(session: Session, ticket: Ticket) -> None:
    """Serialise the claims on the ticket's customer's purchases until the commit: PostgreSQL
    locks the customer's row (`FOR NO KEY UPDATE`: other claims wait, rows pointing at the
    customer do not); SQLite takes its one writer lock by a no-op update of the ticket (its reads
    then see every claim committed before). The customer row itself is not written."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(sa.update(Ticket).where(Ticket.id == ticket.id).values(type=Ticket.type)
                        .execution_options(synchronize_session=False))
    else:
        session.execute(sa.select(Customer.id).where(Customer.id == ticket.customer_id)
                        .with_for_update(key_share=True))


def return_of(session: Session, ticket_id: int) -> ReturnRequest | None:
    """The return of ticket `ticket_id`, or None."""
    return session.scalar(sa.select(ReturnRequest).where(ReturnRequest.ticket_id == ticket_id))


def move(session: Session, request: ReturnRequest, action: str, note: str | None = None) -> ReturnRequest:
    """Do `action` (`ACTIONS`: approve, reject, receive, refund, replace) on the return: lock its row,
    check the flow (409 when its state does not allow it), audit, and emit `service.return_approved`,
    `service.return_refunded` or `service.return_replaced`. The caller commits."""
    target = ACTIONS.get(action)
    if target is None:
        raise ReturnError(f"Unknown action; use one of: {', '.join(ACTIONS)}.", field="action")
    transition(session, request, RETURN, target, stamp="status_changed_at",
               audit_extra={"note": note} if note else None)
    if note and action in ("approve", "reject"):
        request.decision_note = note[:500]
    return_event(request, target)
    session.flush()
    return request


def merge_returns(session: Session, target_id: int, source_id: int) -> list[MovedRows]:
    """Customer merge: re-point the source customer's returns to the target (their tickets move too)."""
    ids = list(session.scalars(sa.select(ReturnRequest.id).where(ReturnRequest.customer_id == source_id)))
    if not ids:
        return []
    session.execute(sa.update(ReturnRequest).where(ReturnRequest.id.in_(ids)).values(customer_id=target_id)
                    .execution_options(synchronize_session=False))
    return [MovedRows(table=ReturnRequest.__tablename__, column="customer_id", ids=ids)]


def erase_returns(session: Session, customer_id: int) -> dict[str, list[int]]:
    """Customer erasure: blank the reasons and decision notes of the customer's returns (free text);
    items, amounts and states stay for the figures."""
    ids = list(session.scalars(sa.select(ReturnRequest.id).where(ReturnRequest.customer_id == customer_id)))
    if not ids:
        return {}
    session.execute(sa.update(ReturnRequest).where(ReturnRequest.id.in_(ids)).values(reason="", decision_note=None)
                    .execution_options(synchronize_session=False))
    return {ReturnRequest.__tablename__: ids}
