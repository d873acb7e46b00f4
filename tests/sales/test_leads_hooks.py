"""The lead functions behind the customer hooks (merge, export, erase) and the nightly score job."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from payvand.plugins.sales.models import Lead, ScoringRule
from payvand.plugins.sales.services import leads, scoring
from payvand.sdk import Customer

pytestmark = pytest.mark.usefixtures("in_app")  # the services call hooks through the app

def _converted(db_session, customer_id, **values):
    lead = Lead(given_name="Sara", email="sara@example.com", phone="0912", message="hi", referrer="https://x",
                utm={"source": "ig"}, utm_source="ig", source="web_form", status="converted", score=7,
                score_details=[["r", 7]], customer_id=customer_id, **values)
    db_session.add(lead)
    db_session.flush()
    return lead


def test_merge_moves_the_source_customers_leads_and_reports_them(db_session, make_customer):
    target, source = make_customer(), make_customer()
    lead = _converted(db_session, source.id)
    other = _converted(db_session, target.id)
    moved = leads.merge_customer(db_session.get(Customer, target.id), db_session.get(Customer, source.id))
    assert [(m.table, m.column, list(m.ids)) for m in moved] == [("sales_lead", "customer_id", [lead.id])]
    db_session.expire_all()
    assert db_session.get(Lead, lead.id).customer_id == target.id == db_session.get(Lead, other.id).customer_id
    assert leads.merge_customer(db_session.get(Customer, target.id), db_session.get(Customer, source.id)) == []


def test_export_and_erase_of_a_customers_leads(db_session, make_customer):
    customer, unrelated = make_customer(), make_customer()
    lead = _converted(db_session, customer.id)
    row = db_session.get(Customer, customer.id)
    exported = leads.customer_leads(row)  # the export hook dumps them with schemas.LeadOut
    assert [found.email for found in exported] == ["sara@example.com"]
    leads.erase_customer(row)
    db_session.expire_all()
    erased = db_session.get(Lead, lead.id)
    assert (erased.given_name, erased.email, erased.phone, erased.message, erased.referrer, erased.utm) == (
        None, None, None, None, None, {})
    assert (erased.source, erased.score, erased.status) == ("web_form", 7, "converted")
    assert leads.customer_leads(db_session.get(Customer, unrelated.id)) == []


def test_the_score_job_recomputes_every_lead(db_session):
    db_session.add(ScoringRule(name="Web form", field="source", operator="eq", value="web_form", points=4))
    db_session.add(Lead(given_name="A", source="web_form", utm={}, score_details=[]))
    db_session.flush()
    assert scoring.recompute_job() == 1
    assert [job.name for job in scoring.jobs()] == ["sales.lead_scores"]
    db_session.expire_all()
    assert db_session.scalar(sa.select(Lead.score)) == 4
