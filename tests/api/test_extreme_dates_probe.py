"""The SDK kit's extreme-date probe over the core and the sales plugin: every date and date-time
input of the OpenAPI document (bodies and query parameters) refuses far dates with a 4xx."""

from __future__ import annotations

import pytest

import payvand.plugins.sales as sales
from payvand.sdk.testing import date_targets


@pytest.fixture
def payvand_plugins():
    return [sales]


@pytest.fixture
def seeded(api, make_customer):
    """Row 1 of everything the date inputs act on: customer, product, deal, quote, order, invoice, activity."""
    customer = make_customer()
    retail = api.post("sales/price-lists", json={"name": "Retail"}).get_json()
    pen = api.post("sales/products", json={"sku": "PEN", "name": "Pen"}).get_json()
    api.put(f"sales/price-lists/{retail['id']}/prices/{pen['id']}", json={"unit_price": "1000"})
    lines = [{"product_id": pen["id"], "quantity": "1"}]
    deal = api.post("sales/deals", json={"title": "Pens", "customer_id": customer.id}).get_json()
    api.post("sales/quotes", json={"customer_id": customer.id, "lines": lines})
    order = api.post("sales/orders", json={"customer_id": customer.id, "lines": lines}).get_json()
    api.post("sales/invoices", json={"order_id": order["id"]})
    api.post("sales/activities", json={"subject": "Call", "deal_id": deal["id"]})
    return customer


def test_the_document_names_its_date_inputs_and_their_range(api):
    document = api.get("openapi.json").get_json()
    targets = {repr(t) for t in date_targets(document)}
    for expected in ("POST /api/v1/sales/deals body:expected_close (date)",
                     "POST /api/v1/sales/invoices/{invoice_id}/payments body:paid_at (date-time)",
                     "GET /api/v1/sales/activities query:due_from (date-time)",
                     "POST /api/v1/customers body:birthday (date)"):
        assert expected in targets, sorted(targets)
    schemas = document["components"]["schemas"]
    field = schemas["DealIn"]["properties"]["expected_close"]
    assert (field["x-minimum"], field["x-maximum"]) == ("1900-01-01", "2199-12-31")
    assert "1900-01-01" in field["description"]


#: Bodies valid but for the probed date, where the schema's required fields are not enough.
BODIES = {
    ("POST", "/api/v1/customers/{customer_id}/interactions"): {"kind": "core.note", "channel": "phone"},
    ("POST", "/api/v1/customers"): {"given_name": "Sara"},
    ("POST", "/api/v1/sales/activities"): {"subject": "Call", "deal_id": 1},
    ("POST", "/api/v1/sales/quotes"): {"customer_id": 1, "lines": [{"product_id": 1, "quantity": "1"}]},
    # within the invoice's balance due (a payment above it is refused before the date matters)
    ("POST", "/api/v1/sales/invoices/{invoice_id}/payments"): {"amount": "1"},
}


def test_every_date_input_of_core_and_sales_refuses_far_dates_with_4xx(extreme_dates, seeded):
    probe = extreme_dates(bodies=BODIES)
    assert probe.failures == []
    assert len(probe.results) >= 90
    # Each input was reached: with a normal date the same request is accepted (the invoice's
    # order already has one: 409 after the date was read).
    assert {key: status for key, status in probe.baselines.items() if status >= 400} == {
        "POST /api/v1/sales/invoices body:due_at (date)": 409}
