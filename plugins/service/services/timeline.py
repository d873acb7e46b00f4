"""Timeline entries the service plugin writes on a ticket's customer."""

from __future__ import annotations

from typing import Any

from payvand.plugins.service.models import Ticket
from payvand.sdk import record_interaction


def note_on_timeline(ticket: Ticket, kind: str, summary: str, **payload: Any) -> None:
    """A timeline entry on the ticket's customer (skipped for an erased or merged-away customer)."""
    from payvand.sdk import CustomerInactive

    try:
        record_interaction(ticket.customer_id, kind, "other", summary, direction="internal",
                           payload={"ticket_id": ticket.id, "subject": ticket.subject, **payload},
                           source=("service.ticket", ticket.id))
    except CustomerInactive:
        pass
