"""The staff pages: the inbox and its queues, the ticket page, a note, and the collision warning."""

from __future__ import annotations

EDIT = ["service.ticket.view", "service.ticket.edit", "core.customer.view"]


def test_inbox_ticket_page_note_and_collision(web_as, api, make_customer):
    customer = make_customer()
    ticket = api.post("/api/v1/service/tickets", json={"customer_id": customer.id, "subject": "چاپگر خراب است",
                                                       "body": "روشن نمی‌شود"}).get_json()
    web = web_as(EDIT)
    inbox = web.get("/service/tickets?queue=unassigned")
    assert inbox.status_code == 200 and "چاپگر خراب است" in inbox.get_data(as_text=True)
    page = web.get(f"/service/tickets/{ticket['id']}")
    assert page.status_code == 200 and "روشن نمی‌شود" in page.get_data(as_text=True)
    seen = ticket["version"]
    noted = web.post(f"/service/tickets/{ticket['id']}/reply", {"body": "first note", "public": "0",
                                                               "version": str(seen)})
    assert noted.status_code == 302
    stale = web.post(f"/service/tickets/{ticket['id']}/reply", {"body": "my late note", "public": "0",
                                                               "version": str(seen)})
    text = stale.get_data(as_text=True)
    assert stale.status_code == 409 and "first note" in text and "my late note" in text  # what arrived, and the draft kept
    solved = web.post(f"/service/tickets/{ticket['id']}/status", {"status": "solved"})
    assert solved.status_code == 302
    assert api.get(f"/api/v1/service/tickets/{ticket['id']}").get_json()["status"] == "solved"


def test_a_ticket_outside_the_agents_teams_is_a_404_page(web_as, api, make_customer, in_app):
    from payvand.plugins.service.models import Team

    with in_app() as session:
        team = Team(name="Elsewhere")
        session.add(team)
        session.flush()
        team_id = team.id
    ticket = api.post("/api/v1/service/tickets", json={"customer_id": make_customer().id, "subject": "SecretSubjectXyz",
                                                       "team_id": team_id}).get_json()
    web = web_as(EDIT)
    assert web.get(f"/service/tickets/{ticket['id']}").status_code == 404
    assert "SecretSubjectXyz" not in web.get("/service/tickets").get_data(as_text=True)
