"""Macros: placeholders filled per language, changes applied to the ticket, team scoping, API and pages."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from payvand.plugins.service.models import Team, Ticket
from payvand.plugins.service.services.macros import local_date, render

EDIT = ["service.ticket.view", "service.ticket.edit", "core.customer.view"]
MANAGE = ["service.manage", *EDIT]


def test_placeholders_are_replaced_and_nothing_else_runs():
    values = {"customer_name": "Sara", "ticket_number": "42"}
    assert render("Dear {customer_name}, #{ticket_number}", values) == "Dear Sara, #42"
    assert render("{{ 7*7 }} {__class__} {unknown} {customer_name.__class__}", values) == \
        "{{ 7*7 }} {__class__} {unknown} {customer_name.__class__}"


def test_dates_are_jalali_in_persian_and_gregorian_in_english():
    moment = dt.datetime(2026, 3, 21, 8, 0, tzinfo=dt.UTC)
    assert local_date(moment, "fa") == "۱۴۰۵/۰۱/۰۱"
    assert local_date(moment, "en") == "2026-03-21"


def test_a_macro_is_created_and_applied_through_the_api(api, api_as, make_customer):
    customer = make_customer(given_name="Sara", family_name="Rad", preferred_language="en")
    ticket = api.post("/api/v1/service/tickets", json={"customer_id": customer.id, "subject": "Login",
                                                       "language": "en"}).get_json()
    assert api_as(EDIT).post("/api/v1/service/macros", json={"name": "x", "body": "y"}).status_code == 403
    bad = api.post("/api/v1/service/macros", json={"name": "", "body": "", "set_status": "gone", "team_id": "x"})
    assert bad.status_code == 422
    assert set(bad.get_json()["error"]["fields"]) >= {"name", "body", "set_status", "team_id"}
    made = api.post("/api/v1/service/macros", json={
        "name": "Solved", "language": "en", "set_status": "solved", "set_priority": "low", "add_tags": ["faq"],
        "body": "Dear {customer_name}, ticket {ticket_number} ({ticket_subject}) is solved on {today}. {agent_name}"})
    assert made.status_code == 201, made.get_json()
    macro = made.get_json()
    agent = api_as(EDIT)
    assert [m["name"] for m in agent.get("/api/v1/service/macros").get_json()] == ["Solved"]
    applied = agent.post(f"/api/v1/service/macros/{macro['id']}/apply", json={"ticket_id": ticket["id"]})
    assert applied.status_code == 200, applied.get_json()
    out = applied.get_json()
    assert out["text"].startswith(f"Dear Sara Rad, ticket {ticket['id']} (Login) is solved on 20")
    assert (out["status"], out["priority"], out["tags"]) == ("solved", "low", ["faq"])
    assert out["version"] > ticket["version"]
    missing = agent.post(f"/api/v1/service/macros/{macro['id']}/apply", json={"ticket_id": 10**12})
    assert missing.status_code == 404
    assert api.put(f"/api/v1/service/macros/{macro['id']}", json={"name": "Solved", "body": "Hi"}).status_code == 200
    assert api.delete(f"/api/v1/service/macros/{macro['id']}").status_code == 204
    assert api.get(f"/api/v1/service/macros/{macro['id']}").status_code == 404


def test_a_team_macro_is_offered_only_on_that_teams_tickets(api, make_customer, in_app):
    with in_app() as session:
        desk, other = Team(name="Desk"), Team(name="Other")
        session.add_all([desk, other])
        session.flush()
        desk_id, other_id = desk.id, other.id
    macro = api.post("/api/v1/service/macros", json={"name": "Desk only", "body": "Hi", "team_id": desk_id}).get_json()
    persian = api.post("/api/v1/service/macros", json={"name": "فارسی", "body": "سلام {customer_name}",
                                                       "language": "fa"}).get_json()
    customer = make_customer()
    ticket = api.post("/api/v1/service/tickets", json={"customer_id": customer.id, "subject": "t", "team_id": other_id,
                                                       "language": "en"}).get_json()
    refused = api.post(f"/api/v1/service/macros/{macro['id']}/apply", json={"ticket_id": ticket["id"]})
    assert refused.status_code == 422
    assert api.post(f"/api/v1/service/macros/{persian['id']}/apply",
                    json={"ticket_id": ticket["id"]}).status_code == 422  # a Persian macro on an English ticket
    mine = api.post("/api/v1/service/tickets", json={"customer_id": customer.id, "subject": "t",
                                                     "team_id": desk_id}).get_json()
    assert api.post(f"/api/v1/service/macros/{macro['id']}/apply", json={"ticket_id": mine["id"]}).status_code == 200


def test_macro_pages_create_edit_delete_and_apply_on_the_ticket_page(web_as, api, make_customer, runtime):
    manager = web_as(MANAGE)
    assert web_as(EDIT).get("/service/settings/macros").status_code == 403
    bad = manager.post("/service/settings/macros", {"name": "", "set_priority": "huge"})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422 and all(f'id="f-{n}-error"' in text for n in ("name", "body", "set_priority"))
    made = manager.post("/service/settings/macros", {"name": "پاسخ اول", "language": "fa", "set_status": "pending",
                                                     "body": "{customer_name} عزیز، درخواست {ticket_number} ثبت شد.",
                                                     "add_tags": "پیگیری"})
    assert made.status_code == 302
    from payvand.plugins.service.models_macros import Macro

    with runtime.sessionmaker() as session:
        macro = session.scalars(sa.select(Macro)).one()
    assert manager.get(f"/service/settings/macros/{macro.id}").status_code == 200
    customer = make_customer(given_name="سارا", family_name="راد")
    ticket = api.post("/api/v1/service/tickets", json={"customer_id": customer.id, "subject": "چاپگر",
                                                       "language": "fa"}).get_json()
    agent = web_as(EDIT)
    page = agent.get(f"/service/tickets/{ticket['id']}").get_data(as_text=True)
    assert 'id="macro-form"' in page and "پاسخ اول" in page
    applied = agent.post(f"/service/tickets/{ticket['id']}/macro", {"macro_id": str(macro.id)})
    body = applied.get_data(as_text=True)
    number = str(ticket["id"]).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    assert applied.status_code == 200 and f"سارا راد عزیز، درخواست {number} ثبت شد." in body
    with runtime.sessionmaker() as session:
        row = session.get(Ticket, ticket["id"])
        assert (row.status, row.tags) == ("pending", ["پیگیری"])
    assert agent.post(f"/service/tickets/{ticket['id']}/macro", {"macro_id": "x"}).status_code == 302
    assert manager.post(f"/service/settings/macros/{macro.id}", {"name": "پاسخ", "body": "سلام"}).status_code == 302
    with runtime.sessionmaker() as session:
        edited = session.get(Macro, macro.id)
        assert (edited.name, edited.language, edited.set_status) == ("پاسخ", None, None)
    assert manager.post(f"/service/settings/macros/{macro.id}/delete", {}).status_code == 302
    with runtime.sessionmaker() as session:
        assert session.get(Macro, macro.id) is None


def test_the_demo_has_persian_and_english_macros(in_app, make_customer, runtime):
    from payvand.plugins.service.demo import load_service_demo
    from payvand.plugins.service.models_macros import Macro

    make_customer()
    with in_app():
        counts = load_service_demo(seed=1)
    assert counts["service_macros"] >= 5
    with runtime.sessionmaker() as session:
        languages = {m.language for m in session.scalars(sa.select(Macro))}
    assert {"fa", "en"} <= languages
