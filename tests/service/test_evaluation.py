"""Evaluation programs: CSAT is registered and summarised per period, agent, team and category on the core's report."""

from __future__ import annotations

import datetime as dt

from payvand.plugins.service.models import Team, Ticket
from payvand.plugins.service.services import csat
from payvand.sdk import utcnow

VIEW = ["core.evaluation.view", "service.ticket.all"]


def _rated_tickets(in_app, make_customer, make_user):
    agent = make_user(name="Agent Dariush")
    customer = make_customer()
    with in_app() as session:
        team = Team(name="Billing desk")
        session.add(team)
        session.flush()
        tickets = [Ticket(customer_id=customer.id, subject=f"t{n}", team_id=team.id, assignee_id=agent.id,
                          category="invoices" if n < 2 else "delivery") for n in range(3)]
        session.add_all(tickets)
        session.flush()
        for ticket, score in zip(tickets, (5, 4, 1), strict=True):
            csat.record(session, ticket, score, "")
    return agent


def test_csat_is_on_the_evaluation_report_by_period_agent_team_and_category(web_as, in_app, make_customer, make_user):
    _rated_tickets(in_app, make_customer, make_user)
    web = web_as(VIEW)
    page = web.get("/reports/evaluation")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="program-service-csat"' in text
    month = f"{utcnow().year:04d}/{utcnow().month:02d}"  # months as the analytics pages write them
    assert month in text and "3.33" in text  # (5 + 4 + 1) / 3
    by_team = web.get("/reports/evaluation?by.service.csat=team").get_data(as_text=True)
    assert "Billing desk" in by_team
    by_agent = web.get("/reports/evaluation?by.service.csat=agent").get_data(as_text=True)
    assert "Agent Dariush" in by_agent
    by_category = web.get("/reports/evaluation?by.service.csat=category").get_data(as_text=True)
    assert "invoices" in by_category and "4.5" in by_category and "delivery" in by_category
    assert "<bdi>Agent Dariush</bdi>" in by_agent and "\u2068Agent Dariush\u2069" in by_agent  # table and chart isolate names
    web.post("/account/locale", {"locale": "fa"})
    table = web.get("/reports/evaluation").get_data(as_text=True).split('id="table-service-csat"')[1].split("</table>")[0]
    assert "۳٫۳۳" in table and "3.33" not in table  # the page's decimal separator and digits


def test_csat_summary_groups_and_leaves_out_answers_outside_the_range(in_app, make_customer, make_user):
    from payvand.plugins.service.services.evaluation import csat_summary

    _rated_tickets(in_app, make_customer, make_user)
    now = utcnow()
    with in_app() as session:
        rows = csat_summary(session, None, now - dt.timedelta(days=1), now + dt.timedelta(days=1), "category")
        assert [(r.key, r.responses, r.score, r.detail["Satisfied, percent"]) for r in rows] == [
            ("delivery", 1, 1.0, 0.0), ("invoices", 2, 4.5, 100.0)]
        assert csat_summary(session, None, now + dt.timedelta(days=1), now + dt.timedelta(days=2), "period") == []


def test_the_report_needs_its_permission_and_each_program_its_own(web_as):
    assert web_as(["service.ticket.all"]).get("/reports/evaluation").status_code == 403
    page = web_as(["core.evaluation.view"]).get("/reports/evaluation")
    assert page.status_code == 200 and 'id="program-service-csat"' not in page.get_data(as_text=True)


def test_a_bad_number_of_months_is_a_field_error(web_as):
    page = web_as(VIEW).get("/reports/evaluation?months=abc")
    assert page.status_code == 400 and 'id="evaluation-months-error"' in page.get_data(as_text=True)
    assert web_as(VIEW).get("/reports/evaluation?months=99").status_code == 400
    assert web_as(VIEW).get("/reports/evaluation?months=۱۲").status_code == 200
