"""Inbox saved views and bulk actions: only visible tickets change, each audited; bad input is a field error."""

from __future__ import annotations

import sqlalchemy as sa

from payvand.plugins.service.models import Team, Ticket

EDIT = ["service.ticket.view", "service.ticket.edit", "core.customer.view"]


def test_bulk_priority_and_tag_change_only_the_tickets_the_agent_may_see(api, api_as, make_customer, in_app, db_session):
    customer = make_customer()
    with in_app() as session:
        team = Team(name="Elsewhere")
        session.add(team)
        session.flush()
        hidden = Ticket(customer_id=customer.id, subject="hidden", team_id=team.id)
        session.add(hidden)
        session.flush()
        hidden_id = hidden.id
    mine = [api.post("/api/v1/service/tickets", json={"customer_id": customer.id, "subject": f"s{n}"}).get_json()["id"]
            for n in range(2)]
    agent = api_as(EDIT)
    done = agent.post("/api/v1/service/tickets/bulk", json={"ticket_ids": [*mine, hidden_id], "action": "priority",
                                                             "value": "urgent"})
    assert done.status_code == 200 and done.get_json() == {"changed": 2, "failed": 0, "not_found": 1}
    agent.post("/api/v1/service/tickets/bulk", json={"ticket_ids": mine, "action": "tag", "value": "vip"})
    rows = db_session.execute(sa.select(Ticket.id, Ticket.priority, Ticket.tags).order_by(Ticket.id)).all()
    assert [(r.priority, r.tags) for r in rows if r.id in mine] == [("urgent", ["vip"])] * 2
    assert [r.priority for r in rows if r.id == hidden_id] == ["normal"]
    from payvand.core.models import AuditLog

    audited = db_session.scalars(sa.select(AuditLog.object_id).where(AuditLog.object_type == "service_ticket",
                                                                     AuditLog.action == "update")).all()
    assert sorted(int(x) for x in audited) == sorted(mine * 2)


def test_bulk_needs_edit_and_a_value_that_fits_the_action(api_as):
    assert api_as(["service.ticket.view"]).post("/api/v1/service/tickets/bulk", json={
        "ticket_ids": [1], "action": "status", "value": "open"}).status_code == 403
    bad = api_as(EDIT).post("/api/v1/service/tickets/bulk", json={"ticket_ids": [1], "action": "status", "value": "gone"})
    assert bad.status_code == 422 and "value" in bad.get_json()["error"]["fields"]
    bad = api_as(EDIT).post("/api/v1/service/tickets/bulk", json={"ticket_ids": [], "action": "fly", "value": 1})
    assert bad.status_code == 422 and {"ticket_ids", "action"} <= set(bad.get_json()["error"]["fields"])


def test_saved_views_are_the_owners_or_shared(api_as):
    ana, bob = api_as(EDIT), api_as(EDIT)
    assert ana.post("/api/v1/service/saved-views", json={"name": "Mine urgent",
                                                         "query": "queue=mine&priority=urgent"}).status_code == 201
    ana.post("/api/v1/service/saved-views", json={"name": "Team overdue", "query": "queue=overdue", "shared": True})
    assert [v["name"] for v in bob.get("/api/v1/service/saved-views").get_json()] == ["Team overdue"]
    assert len(ana.get("/api/v1/service/saved-views").get_json()) == 2
    assert bob.post("/api/v1/service/saved-views", json={"name": ""}).status_code == 422


def test_the_inbox_page_saves_a_view_and_applies_a_bulk_action(web_as, api, make_customer, db_session):
    customer = make_customer()
    ids = [api.post("/api/v1/service/tickets", json={"customer_id": customer.id, "subject": f"p{n}"}).get_json()["id"]
           for n in range(2)]
    web = web_as(["service.ticket.view", "service.ticket.edit", "service.ticket.all"])
    saved = web.post("/service/tickets/views", {"name": "Urgent", "query": "priority=urgent&cursor=x", "shared": "true"})
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/service/tickets?priority=urgent")
    page = web.get("/service/tickets").get_data(as_text=True)
    assert "Urgent" in page and 'id="bulk-form"' in page and f'id="bulk-{ids[0]}"' in page
    done = web.post("/service/tickets/bulk", {"ticket_ids": [str(i) for i in ids], "action": "priority", "value": "urgent"})
    assert done.status_code == 302
    assert set(db_session.scalars(sa.select(Ticket.priority).where(Ticket.id.in_(ids)))) == {"urgent"}
    refused = web.post("/service/tickets/bulk", {"ticket_ids": [str(ids[0])], "action": "priority", "value": "someday"})
    assert refused.status_code == 302
    assert "value: Not a valid value for this action." in web.get("/service/tickets").get_data(as_text=True)
    assert web_as(["service.ticket.view"]).post("/service/tickets/bulk", {"ticket_ids": ["1"], "action": "tag",
                                                                          "value": "x"}).status_code == 403
