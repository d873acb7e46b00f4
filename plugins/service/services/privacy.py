"""The customer's tickets under a merge, a data-portability export and an erasure.

Merge: the source customer's tickets move to the target (one UPDATE; the core can undo it).
Export: the tickets the exporting actor may see, with their public conversation (internal notes
are staff working notes and stay out). Erase: subjects and every entry's text are blanked and
attachments deleted; the tickets themselves stay (counts, statuses, SLA figures for reports).
NPS invitations move, export and lose their comments alike (`nps_privacy.py`).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from payvand.plugins.service.models import Ticket, TicketAttachment, TicketEntry
from payvand.plugins.service.services import nps_privacy
from payvand.sdk import Actor, MovedRows, restrict, session


def merge_customer(target: Any, source: Any) -> list[Any]:
    """`payvand_customer_merge`: re-point the source customer's tickets to the target."""
    s = session()
    moved = nps_privacy.merge(s, target.id, source.id)
    ids = list(s.scalars(sa.select(Ticket.id).where(Ticket.customer_id == source.id)))
    if not ids:
        return moved
    s.execute(sa.update(Ticket).where(Ticket.id.in_(ids)).values(customer_id=target.id)
              .execution_options(synchronize_session=False))
    from payvand.plugins.service.services.returns import merge_returns

    return [MovedRows(table=Ticket.__tablename__, column="customer_id", ids=ids),
            *merge_returns(s, target.id, source.id), *moved]


def export_customer(customer: Any, actor: Actor) -> dict[str, Any] | None:
    """`payvand_customer_export`: the tickets `actor` may see, with their public entries."""
    s = session()
    tickets = list(s.scalars(restrict(sa.select(Ticket).where(Ticket.customer_id == customer.id)
                                      .order_by(Ticket.id), actor)))
    answers = nps_privacy.export(s, customer.id)
    if not tickets and not answers:
        return None
    return {**({"nps": answers} if answers else {}), "tickets": [{
        "id": t.id, "type": t.type, "subject": t.subject, "status": t.status, "created_at": t.created_at.isoformat(),
        "entries": [{"kind": e.kind, "body": e.body, "created_at": e.created_at.isoformat(),
                     "attachments": [a.filename for a in e.attachments]} for e in t.entries if e.public],
    } for t in tickets]}


def erase_customer(customer: Any) -> dict[str, list[int]]:
    """`payvand_customer_erase`: blank ticket subjects and entry texts, delete attachments; keep the rows."""
    s = session()
    nps_ids = nps_privacy.erase(s, customer.id)
    ticket_ids = list(s.scalars(sa.select(Ticket.id).where(Ticket.customer_id == customer.id)))
    if not ticket_ids:
        return {"service_nps_response": nps_ids} if nps_ids else {}
    entries = sa.select(TicketEntry.id).where(TicketEntry.ticket_id.in_(ticket_ids))
    entry_ids = list(s.scalars(entries))
    s.execute(sa.delete(TicketAttachment).where(TicketAttachment.entry_id.in_(entries))
              .execution_options(synchronize_session=False))
    s.execute(sa.update(TicketEntry).where(TicketEntry.ticket_id.in_(ticket_ids)).values(body="")
              .execution_options(synchronize_session=False))
    s.execute(sa.update(Ticket).where(Ticket.id.in_(ticket_ids)).values(subject="", tags=[], references=[])
              .execution_options(synchronize_session=False))
    from payvand.plugins.service.services.tags import clear

    clear(s, ticket_ids)
    from payvand.plugins.service.services.returns import erase_returns

    return {Ticket.__tablename__: ticket_ids, TicketEntry.__tablename__: entry_ids,
            **erase_returns(s, customer.id),
            **({"service_nps_response": nps_ids} if nps_ids else {})}
