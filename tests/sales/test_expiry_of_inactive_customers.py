"""The quote expiry job skips the timeline of merged or erased customers instead of failing
(their quotes still expire): `record_interactions(..., skip_inactive=True)` (issue 10)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from payvand.core.db import bind_session, session_scope
from payvand.plugins.sales.models import Quote
from payvand.plugins.sales.services import documents
from payvand.sdk import Customer, Interaction


def test_an_erased_customers_sent_quote_expires_without_a_timeline_entry(api, make_customer, app, db_session):
    product = api.post("sales/products", json={"sku": "PEN", "name": "Fountain pen"}).get_json()
    retail = api.post("sales/price-lists", json={"name": "Retail"}).get_json()
    api.put(f"sales/price-lists/{retail['id']}/prices/{product['id']}", json={"unit_price": "1000"})
    live, gone = make_customer(), make_customer()
    with app.app_context():
        yesterday = (documents.local_today() - dt.timedelta(days=1)).isoformat()
    quotes = {}
    for customer in (live, gone):
        made = api.post("sales/quotes", json={"customer_id": customer.id, "valid_until": yesterday,
                                              "lines": [{"product_id": product["id"], "quantity": "1"}]})
        assert made.status_code == 201, made.get_json()
        quotes[customer.id] = made.get_json()["id"]
        assert api.post(f"sales/quotes/{quotes[customer.id]}/send").status_code == 200
    db_session.execute(sa.update(Customer).where(Customer.id == gone.id).values(erased_at=dt.datetime.now(dt.UTC)))
    db_session.commit()
    with app.app_context(), session_scope(app.extensions["payvand"].sessionmaker) as session, bind_session(session):
        assert documents.expire_quotes() == 2
    db_session.expire_all()
    assert {db_session.get(Quote, q).status for q in quotes.values()} == {"expired"}
    expired = db_session.scalars(sa.select(Interaction.customer_id).where(Interaction.kind == "sales.quote_expired"))
    assert list(expired) == [live.id]
