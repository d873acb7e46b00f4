"""A customer's tickets under merge (and its undo), export and erase."""

from __future__ import annotations

import sqlalchemy as sa

from payvand.plugins.service.models import Ticket, TicketEntry


def test_merge_moves_tickets_and_undo_moves_them_back(runtime, api, make_customer):
    target, source = make_customer(), make_customer()
    ticket = api.post("/api/v1/service/tickets", json={"customer_id": source.id, "subject": "s"}).get_json()
    merged = api.post(f"/api/v1/customers/{target.id}/merge", json={"source_id": source.id})
    assert merged.status_code == 200, merged.get_json()
    assert api.get(f"/api/v1/service/tickets/{ticket['id']}").get_json()["customer_id"] == target.id
    undone = api.post(f"/api/v1/customers/merges/{merged.get_json()['id']}/undo")
    assert undone.status_code == 200, undone.get_json()
    assert api.get(f"/api/v1/service/tickets/{ticket['id']}").get_json()["customer_id"] == source.id


def test_export_holds_public_entries_and_erase_blanks_the_text_but_keeps_the_tickets(runtime, api, make_customer):
    customer = make_customer()
    ticket = api.post("/api/v1/service/tickets", json={"customer_id": customer.id, "subject": "SubjectQ",
                                                       "body": "BodyQ"}).get_json()
    api.post(f"/api/v1/service/tickets/{ticket['id']}/replies",
             json={"body": "NoteQ", "public": False, "version": ticket["version"]})
    exported = api.get(f"/api/v1/customers/{customer.id}/export").get_data(as_text=True)
    assert "SubjectQ" in exported and "BodyQ" in exported and "NoteQ" not in exported
    erased = api.post(f"/api/v1/customers/{customer.id}/erase")
    assert erased.status_code == 200, erased.get_json()
    with runtime.sessionmaker() as session:
        assert session.scalar(sa.select(Ticket.subject).where(Ticket.id == ticket["id"])) == ""
        assert set(session.scalars(sa.select(TicketEntry.body).where(TicketEntry.ticket_id == ticket["id"]))) == {""}
