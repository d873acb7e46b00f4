"""Lead scoring in bulk SQL: profile rules, activity facts, recency decay, plugin points and the explanation."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from marshmallow import ValidationError

from payvand.plugins.sales.models import Lead, ScoringRule
from payvand.plugins.sales.services import scoring
from payvand.sdk import Interaction

pytestmark = pytest.mark.usefixtures("in_app")  # the services call hooks through the app

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)


def _lead(db_session, **values):
    defaults = {"given_name": "Sara", "source": "web_form", "utm": {}, "score_details": [], "created_at": NOW}
    lead = Lead(**(defaults | values))
    db_session.add(lead)
    db_session.flush()
    return lead


def _rules(db_session, *specs):
    for name, field, operator, value, points in specs:
        db_session.add(ScoringRule(name=name, field=field, operator=operator, value=value, points=points))
    db_session.flush()


def _scores(db_session):
    db_session.expire_all()
    return {lead.id: (lead.score, [tuple(p) for p in lead.score_details])
            for lead in db_session.scalars(sa.select(Lead))}


def test_profile_rules_add_points_and_explain_each_rule(db_session):
    _rules(db_session,
           ("Web form", "source", "eq", "web_form", 10),
           ("Company email", "email_domain", "eq", "acme.ir", 15),
           ("Gmail", "email_domain", "eq", "gmail.com", -5),
           ("Reachable by phone", "has_phone", "exists", None, 5),
           ("Consented", "consent", "eq", "true", 3),
           ("Spring campaign", "utm_campaign", "contains", "spring", 7))
    hot = _lead(db_session, email="ceo@ACME.ir", phone="0912", consent=True, utm_campaign="Spring-2026")
    cold = _lead(db_session, email="x@gmail.com", source="import")
    result = scoring.recompute_scores(db_session, now=NOW)
    assert result.leads == 2
    scores = _scores(db_session)
    assert scores[hot.id] == (40, [("Web form", 10), ("Company email", 15), ("Reachable by phone", 5),
                                   ("Consented", 3), ("Spring campaign", 7)])
    assert scores[cold.id] == (-5, [("Gmail", -5)])


def test_activity_facts_count_interactions_of_the_linked_and_same_email_customers(db_session, make_customer,
                                                                                  make_interaction):
    by_email = make_customer(emails=["lead@example.com"])
    linked = make_customer()
    recent = NOW - dt.timedelta(days=2)
    for customer_id, kind in ((by_email.id, "core.web_visit"), (by_email.id, "core.web_visit"),
                              (linked.id, "core.web_visit"), (linked.id, "marketing.email_opened"),
                              (by_email.id, "core.form_submitted")):
        make_interaction(customer_id, kind=kind, channel="web", occurred_at=recent)
    make_interaction(by_email.id, kind="core.web_visit", channel="web", occurred_at=NOW - dt.timedelta(days=90))
    _rules(db_session,
           ("Visited 3+ times", "web_visits", "gte", "3", 20),
           ("Opened an email", "email_opens", "exists", None, 5),
           ("Filled a form", "form_fills", "gte", "1", 8),
           ("Quiet", "interactions", "eq", "0", -1))
    lead = _lead(db_session, email="lead@example.com", customer_id=linked.id)
    quiet = _lead(db_session, email="nobody@example.com")
    scoring.recompute_scores(db_session, now=NOW)
    scores = _scores(db_session)
    assert scores[lead.id] == (33, [("Visited 3+ times", 20), ("Opened an email", 5), ("Filled a form", 8)])
    assert scores[quiet.id] == (-1, [("Quiet", -1)])
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Interaction)) == 6


def test_recency_halves_per_half_life_and_stops_after_four(db_session):
    _rules(db_session, ("Fresh", "recency", "decay", "7", 16))
    ages = {days: _lead(db_session, created_at=NOW - dt.timedelta(days=days)).id for days in (1, 8, 15, 22, 40)}
    scoring.recompute_scores(db_session, now=NOW)
    scores = _scores(db_session)
    assert [scores[ages[d]][0] for d in (1, 8, 15, 22, 40)] == [16, 8, 4, 2, 0]
    assert scores[ages[40]][1] == []


def test_plugin_contributions_are_added_and_explained_with_escaped_labels(db_session):
    _rules(db_session, ("Web form", "source", "eq", "web_form", 10))
    a = _lead(db_session)
    b = _lead(db_session, source="manual")
    leads = scoring.leads_subquery()
    rows = sa.select(leads.c.id.label("lead_id"), sa.literal('Bought "pro"').label("rule"),
                     sa.literal(12).label("points")).where(leads.c.id == a.id)
    more = sa.select(leads.c.id.label("lead_id"), sa.literal("Support tickets").label("rule"),
                     sa.literal(-3).label("points"))
    result = scoring.recompute_scores(db_session, contributions=[rows, more], now=NOW)
    assert result.plugins == 2
    scores = _scores(db_session)
    assert scores[a.id][0] == 19
    assert sorted(scores[a.id][1]) == sorted([("Web form", 10), ('Bought "pro"', 12), ("Support tickets", -3)])
    assert scores[b.id] == (-3, [("Support tickets", -3)])


def test_recompute_of_some_leads_leaves_the_others(db_session):
    _rules(db_session, ("Web form", "source", "eq", "web_form", 10))
    a, b = _lead(db_session), _lead(db_session)
    scoring.recompute_scores(db_session, lead_ids=[a.id], now=NOW)
    scores = _scores(db_session)
    assert scores[a.id][0] == 10 and scores[b.id] == (0, [])


def test_no_rules_gives_zero_and_an_empty_explanation(db_session):
    lead = _lead(db_session)
    lead.score, lead.score_details = 5, [["old", 5]]
    db_session.flush()
    scoring.recompute_scores(db_session, now=NOW)
    assert _scores(db_session)[lead.id] == (0, [])


@pytest.mark.parametrize("data, field", [
    ({"name": "x", "field": "source", "operator": "gte", "value": "1", "points": 1}, "operator"),
    ({"name": "x", "field": "web_visits", "operator": "gte", "value": "many", "points": 1}, "value"),
    ({"name": "x", "field": "source", "operator": "eq", "points": 1}, "value"),
    ({"name": "x", "field": "nothing", "operator": "eq", "value": "1", "points": 1}, "field"),
])
def test_rule_input_is_checked_per_field(data, field):
    with pytest.raises(ValidationError) as caught:
        scoring.RuleIn().load(data)
    assert field in caught.value.messages
