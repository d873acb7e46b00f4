"""The core's staff forms refuse dates outside the business-date range (1900-01-01 … 2199-12-31)
with a field message, in both languages, and never answer 5xx; far dates stored earlier render."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from payvand.core.models import Customer, Interaction

FAR = ["9999-12-31", "0001-01-01", "1899-12-31", "2200-01-01", "۹۹۹۹/۱۲/۳۱", "0001/01/01"]


@pytest.mark.parametrize("locale", ["fa", "en"])
def test_far_dates_in_core_forms_are_refused_with_a_field_message(web_as, make_customer, db_session, locale):
    web = web_as(superuser=True)
    web.post("/account/locale", {"locale": locale})
    customer = make_customer(given_name="Sara", family_name="Ahmadi")
    for text in FAR:
        edited = web.post(f"/customers/{customer.id}/edit", {"given_name": "Sara", "family_name": "Ahmadi",
                                                             "kind": "person", "birthday": text})
        assert edited.status_code == 422, (text, edited.status_code)
        logged = web.post(f"/customers/{customer.id}/interactions", {"kind": "core.note", "channel": "phone",
                                                                     "summary": "x", "occurred_at": f"{text} 10:00"})
        assert logged.status_code in (400, 422), (text, logged.status_code)
        token = web.post("/admin/tokens/new", {"name": "far", "scopes": "*", "expires_on": text})
        assert token.status_code in (400, 422), (text, token.status_code)
        for name in ("date_from", "date_to"):
            assert web.get(f"/admin/audit?{name}={text}").status_code < 500
    db_session.expire_all()
    assert db_session.get(Customer, customer.id).birthday is None
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Interaction)) == 0


@pytest.mark.parametrize("locale", ["fa", "en"])
def test_far_dates_stored_before_the_range_still_render(web_as, make_customer, make_interaction, db_session, locale):
    customer = make_customer(given_name="Sara", family_name="Ahmadi")
    for _moment in (dt.datetime.min, dt.datetime.max):
        make_interaction(customer.id, summary="far")
    db_session.execute(sa.update(Customer).where(Customer.id == customer.id).values(birthday=dt.date.min))
    ids = db_session.scalars(sa.select(Interaction.id).order_by(Interaction.id)).all()
    db_session.execute(sa.update(Interaction).where(Interaction.id == ids[0])
                       .values(occurred_at=dt.datetime.min.replace(tzinfo=dt.UTC)))
    db_session.execute(sa.update(Interaction).where(Interaction.id == ids[1])
                       .values(occurred_at=dt.datetime.max.replace(tzinfo=dt.UTC)))
    db_session.commit()
    web = web_as(superuser=True)
    web.post("/account/locale", {"locale": locale})
    for path in (f"/customers/{customer.id}", f"/customers/{customer.id}/edit", f"/customers/{customer.id}/timeline",
                 "/customers", "/admin/audit"):
        response = web.get(path)
        assert response.status_code == 200, (path, response.status_code)
