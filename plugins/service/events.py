"""The events the service plugin emits through the outbox (declared through `payvand_event_types`).

Returns: `service.return_approved`, `service.return_refunded` and `service.return_replaced`,
emitted in the transaction that moves the return (`services/returns.py`) and delivered after its
commit. The items travel as three parallel lists — `sources` (the seller's opaque line
references, e.g. `sales.order_line:12`), `quantities` and `amounts` (decimal strings) — holding
only the items picked from purchases (free-text items have no seller to act). Payloads carry ids,
references and amounts, never names or free text. NPS: `service.nps_send_requested` (the id
of a send request; the plugin handles it itself, `services/nps.py`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from payvand.sdk import EventField, EventType, emit_event

if TYPE_CHECKING:
    from payvand.plugins.service.models_returns import ReturnRequest

RETURN_APPROVED = "service.return_approved"
RETURN_REFUNDED = "service.return_refunded"
RETURN_REPLACED = "service.return_replaced"
#: The event each state of a return emits when it is reached.
BY_STATE = {"approved": RETURN_APPROVED, "refunded": RETURN_REFUNDED, "replaced": RETURN_REPLACED}

_FIELDS = (
    EventField("return_id", int, "the return"),
    EventField("ticket_id", int, "its ticket"),
    EventField("customer_id", int, "the customer"),
    EventField("sources", list, "the seller's references of the returned lines (e.g. sales.order_line:12)"),
    EventField("quantities", list, "how many of each line are returned (decimal strings, same order)"),
    EventField("amounts", list, "what those units cost the customer (decimal strings, same order)"),
    EventField("total", Decimal, "the sum of the amounts: what a refund pays back"),
    EventField("currency", str, "ISO 4217 code of the amounts", optional=True),
)

EVENT_TYPES: tuple[EventType, ...] = (
    EventType(RETURN_APPROVED, "A return was approved: the customer may send the items back.", _FIELDS),
    EventType(RETURN_REFUNDED, "A returned item's money is to be paid back: the items were received and refunded "
                               "(the seller records the refund).", _FIELDS),
    EventType(RETURN_REPLACED, "The received items of a return are replaced by new ones (no money back).", _FIELDS),
    EventType("service.nps_send_requested", "An NPS survey was asked to go to a segment or a list of customers "
              "(the service plugin sends it in the background).",
              (EventField("send_id", int, "the send request (service_nps_send)"),)),
)


def return_event(request: ReturnRequest, state: str) -> None:
    """Emit the event of `state` (`BY_STATE`) for the return, if that state has one."""
    name = BY_STATE.get(state)
    if name is None:
        return
    picked = [item for item in request.items if item.source]
    emit_event(name, {"return_id": request.id, "ticket_id": request.ticket_id, "customer_id": request.customer_id,
                      "sources": [item.source for item in picked],
                      "quantities": [f"{item.quantity.normalize():f}" for item in picked],
                      "amounts": [f"{(item.amount or Decimal(0)):f}" for item in picked],
                      "total": request.total, "currency": request.currency})
