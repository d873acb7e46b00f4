"""CSAT: solving a ticket mails a signed rating link; the page records one rating on the timeline."""

from __future__ import annotations

import re

import sqlalchemy as sa

from payvand.sdk import Interaction


def test_solving_sends_a_rating_link_and_the_customer_rates_once(runtime, app, api, make_customer, mail_sink,
                                                                  run_jobs, db_session):
    customer = make_customer(emails=[{"value": "mina@example.com"}])
    ticket = api.post("/api/v1/service/tickets", json={"customer_id": customer.id, "subject": "Late"}).get_json()
    assert api.patch(f"/api/v1/service/tickets/{ticket['id']}", json={"status": "solved"}).status_code == 200
    run_jobs()
    [mail] = mail_sink.messages
    text = mail.get_body(("plain",)).get_content()
    url = re.search(r"(\S*/service/csat/\S+)\?score=4", text).group(1)
    path = url[url.index("/service/csat/"):]
    client = app.test_client()
    page = client.get(path + "?score=4")
    assert page.status_code == 200 and 'id="csat-4"' in page.get_data(as_text=True)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Interaction)
                             .where(Interaction.kind == "service.csat_received")) == 0  # a GET records nothing
    missing = client.post(path, data={"score": "9"})  # the survey layout shared with NPS shows the error
    assert missing.status_code == 422 and 'id="csat-score-error"' in missing.get_data(as_text=True)
    done = client.post(path, data={"score": "4", "comment": "خوب بود"})
    assert done.status_code == 200 and 'id="csat-thanks"' in done.get_data(as_text=True)
    client.post(path, data={"score": "1"})
    ratings = db_session.scalars(sa.select(Interaction).where(Interaction.kind == "service.csat_received")).all()
    assert [(r.customer_id, r.payload["score"], r.payload["comment"]) for r in ratings] == [(customer.id, 4, "خوب بود")]
    assert client.get(path[:-3] + "xyz").status_code == 404
