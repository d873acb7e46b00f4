"""The sales plugin's creating routes honour `Idempotency-Key` with no code of their own (a kernel facility)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from payvand.plugins.sales.models import Order, Payment
from payvand.sdk.testing import assert_idempotent


@pytest.fixture
def shop(api):
    """A default price list with one product (1,250,000 before tax)."""
    retail = api.post("sales/price-lists", json={"name": "Retail"}).get_json()
    pen = api.post("sales/products", json={"sku": "PEN", "name": "Pen"}).get_json()
    api.put(f"sales/price-lists/{retail['id']}/prices/{pen['id']}", json={"unit_price": "1250000"})
    return {"list": retail, "pen": pen}


@pytest.fixture
def order_body(shop, make_customer):
    """A new order's body: two pens for a customer."""
    customer = make_customer()
    return {"customer_id": customer.id, "lines": [{"product_id": shop["pen"]["id"], "quantity": "2"}]}


def _count(runtime, model) -> int:
    with runtime.sessionmaker() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(model))


def test_placing_an_order_twice_with_one_key_places_one_order(api, order_body, runtime):
    first = api.post("sales/orders", json=order_body, headers={"Idempotency-Key": "order-1"})
    again = api.post("sales/orders", json=order_body, headers={"Idempotency-Key": "order-1"})
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true" and again.get_json() == first.get_json()
    assert _count(runtime, Order) == 1


def test_parallel_payments_with_one_key_record_one_payment(api, order_body, race, runtime):
    order = api.post("sales/orders", json=order_body).get_json()
    invoice = api.post("sales/invoices", json={"order_id": order["id"]}).get_json()
    results = race(8, "POST", f"sales/invoices/{invoice['id']}/payments", client=api,
                   json={"amount": "300", "method": "card"}, headers={"Idempotency-Key": "pay-1"})
    paid = [r for r in results if r.status == 201]
    assert paid and all(r.status == 409 for r in results if r.status != 201), results
    assert {r.body for r in paid} == {paid[0].body}
    assert _count(runtime, Payment) == 1
    assert api.get(f"sales/invoices/{invoice['id']}").get_json()["paid_total"] == "300"


def test_the_kit_check_passes_for_orders(api, order_body, race):
    assert_idempotent(api, "sales/orders", order_body, race=race)


def test_the_kit_check_passes_for_quotes(api, order_body, race):
    assert_idempotent(api, "sales/quotes", order_body, race=race)


def test_the_kit_check_passes_for_accepting_a_quote(api, order_body):
    quote = api.post("sales/quotes", json=order_body).get_json()
    assert_idempotent(api, f"sales/quotes/{quote['id']}/accept", {})


def test_the_kit_check_passes_for_invoices(api, order_body, race):
    def new_order() -> dict:
        return {"order_id": api.post("sales/orders", json=order_body).get_json()["id"]}

    assert_idempotent(api, "sales/invoices", new_order, race=race)


def test_the_kit_check_passes_for_payments(api, order_body, race):
    order = api.post("sales/orders", json=order_body).get_json()
    invoice = api.post("sales/invoices", json={"order_id": order["id"]}).get_json()
    assert_idempotent(api, f"sales/invoices/{invoice['id']}/payments", {"amount": "1000", "method": "cash"}, race=race)


def test_the_kit_check_passes_for_deals_and_leads(api, make_customer):
    customer = make_customer()
    assert_idempotent(api, "sales/deals", {"title": "50 routers", "customer_id": customer.id})
    assert_idempotent(api, "sales/leads", {"given_name": "Leila", "email": "leila@example.com"})
