"""The sales plugin's customer keys (`payvand_customer_keys`) name referrers in the customer import."""

from __future__ import annotations

import sqlalchemy as sa

from payvand.core.contracts import CUSTOMER_KEYS
from payvand.core.importer import import_customers
from payvand.core.models import Customer
from payvand.plugins.sales.models import CustomerKey


def test_the_order_imports_customer_ids_name_referrers_in_the_customer_import(runtime, make_customer, tmp_path):
    known = make_customer(given_name="Known", emails=["known@example.com"])
    with runtime.sessionmaker.begin() as session:
        session.add(CustomerKey(external_id="C-7", customer_id=known.id))
    [keys] = runtime.plugins.call("payvand_customer_keys")
    assert CUSTOMER_KEYS.problems(keys) == []
    path = tmp_path / "c.csv"
    path.write_text("external_id,given_name,email,referrer_external_id\n"
                    "N-1,New,new@example.com,C-7\n"
                    "N-2,Other,other@example.com,N-1\n"
                    "N-3,Lost,lost@example.com,C-8\n", encoding="utf-8")
    report = import_customers(runtime, path)
    assert (report.inserted, report.referrers) == (3, 2)
    assert [(r.line, r.code) for r in report.referrer_rejects] == [(4, "unknown_referrer")]
    with runtime.sessionmaker() as session:
        rows = dict(session.execute(sa.select(Customer.given_name, Customer.referred_by_id)).all())
        ids = dict(session.execute(sa.select(Customer.given_name, Customer.id)).all())
    assert rows == {"Known": None, "New": known.id, "Other": ids["New"], "Lost": None}
