"""Tickets under concurrency (the `race` kit, SQLite and PostgreSQL): replies with the same
version, round-robin assignment of tickets opened at once, and closing one ticket twice."""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa

from payvand.core.models import AuditLog
from payvand.plugins.service.models import AssignmentRule, Team, TeamMember, TicketEntry

EDIT = ["service.ticket.view", "service.ticket.edit"]


def test_parallel_replies_on_one_version_accept_exactly_one(api, make_customer, race, db_session):
    ticket = api.post("service/tickets", json={"customer_id": make_customer().id, "subject": "r"}).get_json()
    results = race(8, "POST", f"service/tickets/{ticket['id']}/replies", client=api,
                   json={"body": "note", "public": False, "version": ticket["version"]})
    assert Counter(r.status for r in results) == {201: 1, 409: 7}
    assert all(r.json["error"]["code"] == "collision" for r in results if r.status == 409)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(TicketEntry)
                             .where(TicketEntry.ticket_id == ticket["id"])) == 2


def test_tickets_opened_at_once_are_shared_round_robin(api, make_user, make_customer, race, runtime):
    one, two = make_user(permissions=EDIT), make_user(permissions=EDIT)
    with runtime.sessionmaker.begin() as session:
        team = Team(name="RR")
        session.add(team)
        session.flush()
        session.add_all([TeamMember(team_id=team.id, user_id=one.id), TeamMember(team_id=team.id, user_id=two.id),
                         AssignmentRule(position=1, team_id=team.id)])
    customer = make_customer()
    results = race(8, "POST", "service/tickets", client=api, json={"customer_id": customer.id, "subject": "rr"})
    assert Counter(r.status for r in results) == {201: 8}
    assert Counter(r.json["assignee_id"] for r in results) == {one.id: 4, two.id: 4}


def test_closing_one_ticket_at_once_changes_it_once(api, make_customer, race, db_session):
    ticket = api.post("service/tickets", json={"customer_id": make_customer().id, "subject": "c"}).get_json()
    assert api.patch(f"service/tickets/{ticket['id']}", json={"status": "solved"}).status_code == 200
    results = race(8, "PATCH", f"service/tickets/{ticket['id']}", client=api, json={"status": "closed"})
    assert Counter(r.status for r in results) == {200: 8}
    closes = db_session.scalars(sa.select(AuditLog).where(
        AuditLog.object_type == "service_ticket", AuditLog.object_id == str(ticket["id"]), AuditLog.action == "update")).all()
    assert [entry.after.get("status") for entry in closes].count("closed") == 1
