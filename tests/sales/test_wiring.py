"""The plugin's hooks put activities where staff look: the lead page, the customer 360 page,
the start page and the menu; and its jobs are declared."""

from __future__ import annotations

import datetime as dt

import payvand.plugins.sales as sales
from payvand.plugins.sales import permissions as perm
from payvand.plugins.sales.models import Lead
from payvand.plugins.sales.services import activities
from payvand.sdk import utcnow


def test_a_leads_activities_show_on_its_page(web, db_session):
    lead = Lead(given_name="Nima", email="nima@example.com", source="manual")
    db_session.add(lead)
    db_session.flush()
    activities.create_activity(db_session, {"subject": "Send the catalogue to Nima", "lead_id": lead.id,
                                            "due_at": utcnow() + dt.timedelta(days=2)})
    db_session.commit()
    page = web.get(f"/sales/leads/{lead.id}").text
    assert 'id="lead-activities-heading"' in page and "Send the catalogue to Nima" in page


def test_the_customer_page_and_the_start_page_show_open_activities(web_as, db_session, make_customer):
    rep = web_as([perm.DEAL_VIEW, perm.DEAL_EDIT, "core.customer.view"])
    customer = make_customer(given_name="Sara", family_name="Ahmadi")
    activities.create_activity(db_session, {"subject": "Call Sara about the invoice", "customer_id": customer.id,
                                            "owner_id": rep.user.id, "kind": "call",
                                            "due_at": utcnow() - dt.timedelta(hours=1)})
    db_session.commit()
    assert "Call Sara about the invoice" in rep.get(f"/customers/{customer.id}").text
    start = rep.get("/").text
    assert "My activities due" in start and "Call Sara about the invoice" in start
    nav = rep.get("/sales/activities").text
    assert 'href="/sales/calendar"' in nav and 'href="/sales/activities"' in nav
    outsider = web_as(["core.customer.view"])
    assert "Call Sara about the invoice" not in outsider.get(f"/customers/{customer.id}").text
    assert "My activities due" not in outsider.get("/").text


def test_the_scheduled_jobs_are_declared():
    names = {job.name for job in sales.payvand_jobs()}
    assert {"sales.activity_reminders", "sales.quote_expiry", "sales.lead_scores"} <= names
