"""NPS: invitations need marketing consent, a signed link records one answer, NPS per month on the report."""

from __future__ import annotations

import re

import sqlalchemy as sa

from payvand.plugins.service.models_nps import NpsResponse
from payvand.plugins.service.services.nps import nps_row
from payvand.sdk import Interaction


def test_only_consenting_customers_are_surveyed_and_an_answer_is_recorded_once(app, api_as, make_customer, mail_sink,
                                                                            run_jobs, db_session, web_as):
    willing = make_customer(emails=[{"value": "nima@example.com"}], consents=[{"channel": "email", "granted": True}])
    unwilling = make_customer(emails=[{"value": "leila@example.com"}])
    api = api_as(["service.nps.send"])
    body = {"campaign": "2026-q4", "customer_ids": [willing.id, unwilling.id]}
    sent = api.post("/api/v1/service/nps/invitations", json=body)
    assert sent.status_code == 200 and sent.get_json() == {"sent": 1, "refused": 1, "skipped": 0}
    assert api.post("/api/v1/service/nps/invitations", json=body).get_json()["skipped"] == 1
    run_jobs()
    [mail] = mail_sink.messages
    assert mail["To"] == "nima@example.com"
    text = mail.get_body(("plain",)).get_content()
    url = re.search(r"(\S*/service/nps/\S+)\?score=9", text).group(1)
    path = url[url.index("/service/nps/"):]
    client = app.test_client()
    assert client.get(path + "?score=9").status_code == 200
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Interaction)
                             .where(Interaction.kind == "service.nps_received")) == 0  # a GET records nothing
    assert client.post(path, data={"score": "11"}).status_code == 422
    done = client.post(path, data={"score": "9", "comment": "عالی"})
    assert done.status_code == 200 and 'id="nps-thanks"' in done.get_data(as_text=True)
    client.post(path, data={"score": "0"})
    [answer] = db_session.scalars(sa.select(Interaction).where(Interaction.kind == "service.nps_received")).all()
    assert (answer.customer_id, answer.payload["score"], answer.payload["comment"]) == (willing.id, 9, "عالی")
    assert db_session.scalar(sa.select(NpsResponse.score).where(NpsResponse.customer_id == willing.id)) == 9
    assert client.get(path[:-3] + "xyz").status_code == 404
    report = web_as(["core.evaluation.view"]).get("/reports/evaluation").get_data(as_text=True)
    assert 'id="program-service-nps"' in report and "100.0" in report


def test_nps_is_promoters_minus_detractors_in_percent():
    row = nps_row("2026-12", [10, 9, 8, 7, 6, 0, 3, 10])
    assert (row.responses, row.score) == (8, 0.0)
    assert list(row.detail.values()) == [3, 2, 3]
    assert nps_row("2026-11", [9, 9, 7, 2]).score == 25.0


def test_sending_needs_its_permission_and_bad_input_is_a_field_error(api_as):
    body = {"campaign": "q4", "customer_ids": [1]}
    assert api_as(["service.ticket.all"]).post("/api/v1/service/nps/invitations", json=body).status_code == 403
    bad = api_as(["service.nps.send"]).post("/api/v1/service/nps/invitations",
                                            json={"campaign": "no spaces!", "customer_ids": []})
    assert bad.status_code == 422
    errors = bad.get_json()["error"]["fields"]
    assert "campaign" in errors and "customer_ids" in errors


def test_an_erased_customers_nps_comment_is_blanked_and_the_score_kept(in_app, make_customer, api):
    customer = make_customer()
    with in_app() as session:
        session.add(NpsResponse(campaign="q4", customer_id=customer.id, score=3, comment="Call me on 0912 000 0000"))
    exported = api.get(f"/api/v1/customers/{customer.id}/export")
    assert "Call me" in exported.get_data(as_text=True)
    assert api.post(f"/api/v1/customers/{customer.id}/erase").status_code == 200
    with in_app() as session:
        row = session.scalar(sa.select(NpsResponse).where(NpsResponse.customer_id == customer.id))
        assert (row.score, row.comment) == (3, "")
