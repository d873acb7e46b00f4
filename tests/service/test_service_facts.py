"""The service plugin answers `payvand_service_facts`: one `SERVICE_FACTS` row per ticket, merged-away
tickets left out (analytics prices service per customer from it)."""

from __future__ import annotations

import sqlalchemy as sa

from payvand.core.audit import SYSTEM
from payvand.plugins.service.models import Ticket
from payvand.plugins.service.services.tickets import create_ticket
from payvand.sdk import SERVICE_FACTS


def test_each_ticket_not_merged_away_is_a_service_fact(in_app, runtime, make_customer):
    customer = make_customer()
    with in_app() as session:
        kept = create_ticket(session, {"customer_id": customer.id, "subject": "Broken"}, SYSTEM).id
        merged = create_ticket(session, {"customer_id": customer.id, "subject": "Same"}, SYSTEM).id
        session.execute(sa.update(Ticket).where(Ticket.id == merged).values(merged_into_id=kept))
    with in_app() as session:
        (facts,) = runtime.plugins.call("payvand_service_facts")
        assert SERVICE_FACTS.problems(facts) == []
        rows = session.execute(facts).all()
    assert [(row.ticket_id, row.customer_id, row.solved_at, row.handling_minutes) for row in rows] == [
        (kept, customer.id, None, None)]
    assert rows[0].opened_at is not None
