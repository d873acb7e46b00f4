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


def test_the_sla_report_counts_met_and_breached_first_responses(web_as, api, make_customer, in_app):
    import datetime as dt

    import sqlalchemy as sa

    from payvand.plugins.service.models import SlaPolicy, Ticket, TicketSla

    with in_app() as session:
        session.add(SlaPolicy(name="All", first_response_minutes=60, resolution_minutes=600))
    customer = make_customer()
    met = api.post("/api/v1/service/tickets", json={"customer_id": customer.id, "subject": "a"}).get_json()
    late = api.post("/api/v1/service/tickets", json={"customer_id": customer.id, "subject": "b"}).get_json()
    for ticket in (met, late):
        api.post(f"/api/v1/service/tickets/{ticket['id']}/replies", json={"body": "hi", "public": False,
                                                                          "version": ticket["version"]})
    now = dt.datetime.now(dt.UTC)
    with in_app() as session:
        for ticket_id, due in ((met["id"], now + dt.timedelta(hours=1)), (late["id"], now - dt.timedelta(hours=1))):
            session.execute(sa.update(Ticket).where(Ticket.id == ticket_id).values(first_response_at=now))
            session.execute(sa.update(TicketSla).where(TicketSla.ticket_id == ticket_id).values(
                first_response_due_at=due))
    page = web_as(EDIT).get("/service/reports/sla")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="sla-chart"' in text and "chart.umd.min.js" in text
    row = text.split('id="sla-row-normal"')[1].split("</tr>")[0]
    assert "1 / 2 (50%)" in row


def test_staff_log_a_phone_call_as_a_new_ticket(web_as, api, make_customer):
    customer = make_customer()
    web = web_as(EDIT)
    assert web.get("/service/tickets/new").status_code == 200
    refused = web.post("/service/tickets/new", {"customer_id": "", "subject": "", "kind": "call", "type": "question"})
    assert refused.status_code == 422 and "new-subject-error" in refused.get_data(as_text=True)
    made = web.post("/service/tickets/new", {"customer_id": str(customer.id), "subject": "تماس درباره ارسال",
                                             "body": "پرسید سفارش کی می‌رسد", "kind": "call", "type": "question"})
    assert made.status_code == 302
    ticket_id = int(made.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    ticket = api.get(f"/api/v1/service/tickets/{ticket_id}").get_json()
    assert (ticket["source"], ticket["entries"][0]["kind"], ticket["customer_id"]) == ("staff", "call", customer.id)


def test_properties_form_assigns_and_reprioritises(web_as, api, make_customer, make_user):
    agent = make_user(permissions=EDIT, name="Agent Zed")
    ticket = api.post("/api/v1/service/tickets", json={"customer_id": make_customer().id, "subject": "p"}).get_json()
    web = web_as(EDIT)
    page = web.get(f"/service/tickets/{ticket['id']}").get_data(as_text=True)
    assert "Agent Zed" in page
    done = web.post(f"/service/tickets/{ticket['id']}/properties", {
        "priority": "urgent", "type": "problem", "category": "printers", "tags": "vip, hw", "team_id": "",
        "assignee_id": str(agent.id), "version": str(ticket["version"])})
    assert done.status_code == 302
    found = api.get(f"/api/v1/service/tickets/{ticket['id']}").get_json()
    assert (found["priority"], found["type"], found["assignee_id"], found["tags"]) == ("urgent", "problem", agent.id,
                                                                                      ["hw", "vip"])
    stale = web.post(f"/service/tickets/{ticket['id']}/properties", {
        "priority": "low", "type": "problem", "version": str(ticket["version"])})
    assert stale.status_code == 302
    assert api.get(f"/api/v1/service/tickets/{ticket['id']}").get_json()["priority"] == "urgent"


def test_merge_and_split_from_the_ticket_page(web_as, api, make_customer):
    customer = make_customer()
    a = api.post("/api/v1/service/tickets", json={"customer_id": customer.id, "subject": "A", "body": "one"}).get_json()
    b = api.post("/api/v1/service/tickets", json={"customer_id": customer.id, "subject": "B", "body": "two"}).get_json()
    web = web_as(EDIT)
    merged = web.post(f"/service/tickets/{a['id']}/merge", {"target_id": str(b["id"])})
    assert merged.status_code == 302 and merged.headers["Location"].endswith(f"/service/tickets/{b['id']}")
    page = web.get(f"/service/tickets/{b['id']}").get_data(as_text=True)
    assert "one" in page and "two" in page
    entry = api.get(f"/api/v1/service/tickets/{b['id']}").get_json()["entries"][0]
    split = web.post(f"/service/tickets/{b['id']}/entries/{entry['id']}/split", {})
    assert split.status_code == 302
    new_id = int(split.headers["Location"].rsplit("/", 1)[1])
    assert [e["id"] for e in api.get(f"/api/v1/service/tickets/{new_id}").get_json()["entries"]] == [entry["id"]]
    missing = web.post(f"/service/tickets/{b['id']}/merge", {"target_id": "999999"})
    assert missing.status_code == 302


def test_persian_pages_show_the_ticket_vocabulary_in_persian(web_as, api, make_customer):
    import html
    import re

    ticket = api.post("/api/v1/service/tickets", json={"customer_id": make_customer().id, "subject": "چاپگر",
                                                       "priority": "urgent", "type": "problem"}).get_json()
    web = web_as(EDIT)
    web.post("/account/locale", {"locale": "fa"})
    raw = {"low", "normal", "high", "urgent", "question", "request", "problem", "queue", "status", "type", "priority",
           "team_id", "assignee_id", "customer_id", "unassigned", "overdue", "mine"}
    for path in ("/service/tickets", f"/service/tickets/{ticket['id']}", "/service/tickets/new", "/service/reports/sla"):
        page = web.get(path)
        body = page.get_data(as_text=True).split("<main", 1)[1]
        visible = html.unescape(re.sub(r"<script.*?</script>|<[^>]+>", " ", body, flags=re.S))
        assert page.status_code == 200 and set(re.findall(r"[a-z_]+", visible.lower())) & raw == set(), path
    inbox = web.get("/service/tickets").get_data(as_text=True)
    assert 'data-priority="urgent">فوری<' in inbox and ">اولویت</label>" in inbox
    caption = web.get("/service/reports/sla").get_data(as_text=True).split("<caption>", 1)[1].split("</caption>")[0]
    assert "۳۰" in caption and "30" not in caption


def test_the_service_settings_are_labelled_in_persian_and_the_canned_answers_keep_their_lines(web_as):
    import re

    web = web_as(superuser=True)
    web.post("/account/locale", {"locale": "fa"})
    card = web.get("/admin/settings").get_data(as_text=True).split('id="settings-plugin-service"', 1)[1]
    labels = re.findall(r"<label[^>]*>(.*?)</label>", card.split("</div>\n  </div>", 1)[0], re.S)
    assert labels and [label for label in labels if re.search("[A-Za-z]{3}", label)] == []
    assert re.search(r'<textarea[^>]*name="service.canned_answers"', card)
    assert "(True)" not in card and "(بله)" in card  # a yes/no default written as a word of the page
