"""The customer form's *Referred by* field: saved on create and edit, cleared when emptied, and a
field error (422) for an unknown customer, the customer itself or a loop."""

from __future__ import annotations

import sqlalchemy as sa

from payvand.core.models import Customer


def referrer_of(db_session, customer_id):
    db_session.expire_all()
    return db_session.scalar(sa.select(Customer.referred_by_id).where(Customer.id == customer_id))


def test_the_form_saves_and_clears_the_referrer(web, db_session, make_customer):
    referrer = make_customer(given_name="Reza")
    created = web.post("/customers/new", {"kind": "person", "given_name": "Mina", "lifecycle_stage": "lead",
                                          "referred_by_id": str(referrer.id)})
    assert created.status_code == 302, created.text
    customer_id = int(created.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    assert referrer_of(db_session, customer_id) == referrer.id
    page = web.get(f"/customers/{customer_id}/edit").text
    assert 'id="f-referred_by_id"' in page and f'value="{referrer.id}"' in page
    version = db_session.scalar(sa.select(Customer.version).where(Customer.id == customer_id))
    edited = web.post(f"/customers/{customer_id}/edit", {"kind": "person", "given_name": "Mina", "lifecycle_stage": "lead",
                                                         "referred_by_id": "", "version": str(version)})
    assert edited.status_code == 302, edited.text
    assert referrer_of(db_session, customer_id) is None


def test_a_bad_referrer_is_a_field_error(web, make_customer):
    a = make_customer(given_name="A")
    b = make_customer(given_name="B", referred_by_id=a.id)
    unknown = web.post("/customers/new", {"kind": "person", "given_name": "Mina", "lifecycle_stage": "lead",
                                          "referred_by_id": "999999"})
    assert unknown.status_code == 422 and 'id="f-referred_by_id-error"' in unknown.text
    loop = web.post(f"/customers/{a.id}/edit", {"kind": "person", "given_name": "A", "lifecycle_stage": "prospect",
                                                "referred_by_id": str(b.id), "version": "1"})
    assert loop.status_code == 422 and 'id="f-referred_by_id-error"' in loop.text
