"""The public support form: no login, its own signed timestamp instead of the session CSRF token,
honeypot, rate limit, the sender matched or created as a prospect, the confirmation in the
visitor's language, embeddable (CSP frame-ancestors)."""

from __future__ import annotations

import time

import sqlalchemy as sa

from payvand.plugins.service.models import Ticket
from payvand.plugins.service.views.public_form import form_token
from payvand.sdk import Customer

GOOD = {"name": "Sara Ahmadi", "email": "Sara@Example.com", "subject": "Kettle leaks", "message": "It leaks since Monday."}


def _post(client, app, data: dict, *, age: float = 10, lang: str = "en", **kwargs):
    with app.test_request_context():
        token = form_token(time.time() - age)
    return client.post(f"/forms/ticket?lang={lang}", data={"form_token": token, **data}, **kwargs)


def test_a_visitor_opens_a_ticket_as_a_new_prospect_and_sees_the_thanks_in_their_language(client, app, db_session):
    page = client.get("/forms/ticket?lang=en")
    assert page.status_code == 200 and 'id="ticket-public-form"' in page.get_data(as_text=True)
    assert "frame-ancestors *" in page.headers["Content-Security-Policy"]
    sent = _post(client, app, GOOD)
    assert sent.status_code == 302 and "/forms/ticket/thanks?lang=en" in sent.headers["Location"]
    [ticket] = db_session.scalars(sa.select(Ticket)).all()
    assert (ticket.source, ticket.channel, ticket.language, ticket.subject) == ("web_form", "email", "en", "Kettle leaks")
    customer = db_session.get(Customer, ticket.customer_id)
    assert (customer.lifecycle_stage, customer.given_name, customer.family_name) == ("prospect", "Sara", "Ahmadi")
    thanks = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert "We have received your message" in thanks
    persian = client.get("/forms/ticket/thanks?lang=fa").get_data(as_text=True)
    assert 'lang="fa"' in persian


def test_a_known_email_is_matched_to_its_customer(client, app, make_customer, db_session):
    known = make_customer(emails=[{"value": "sara@example.com"}])
    assert _post(client, app, GOOD).status_code == 302
    assert db_session.scalar(sa.select(Ticket.customer_id)) == known.id
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Customer)) == 1


def test_bots_and_bad_forms_open_nothing(client, app, db_session):
    assert _post(client, app, {**GOOD, "website": "spam"}).status_code == 302  # honeypot: thanked
    assert _post(client, app, GOOD, age=0).status_code == 422  # too quick
    assert client.post("/forms/ticket", data=GOOD).status_code == 400  # no signed timestamp
    refused = _post(client, app, {**GOOD, "email": "not an address", "message": ""})
    assert refused.status_code == 422
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 0


def test_the_form_is_rate_limited_per_address(client, app):
    app.config["PAYVAND_SERVICE_FORM_RATE"] = "2 per 10 minutes"
    address = {"REMOTE_ADDR": "10.9.8.7"}
    codes = [_post(client, app, {**GOOD, "email": f"v{n}@example.com"}, environ_base=address).status_code
             for n in range(3)]
    assert codes == [302, 302, 429]
