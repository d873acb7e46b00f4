"""Schemathesis over the catalog and document routes of `/api/v1/sales` (as tests/api/test_schemathesis.py
does for the core): no 5xx, every answer matches the OpenAPI document, invalid data is refused."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from tests.api.test_schemathesis import CHECKS
from tests.sales.openapi import seeded_schema

SEEDED = 3
ROUTES = r"^/api/v1/sales/(products|categories|price-lists|quotes|orders|invoices)"


@pytest.fixture
def sales_schema(app, api, make_customer):
    """The OpenAPI document over a database with a priced catalog, quotes, orders and invoices."""
    retail = api.post("sales/price-lists", json={"name": "Retail"}).get_json()
    api.post("sales/categories", json={"name": "All"})
    for n in range(1, SEEDED + 1):
        make_customer()
        product = api.post("sales/products", json={"sku": f"S{n}", "name": f"Product {n}"}).get_json()
        api.put(f"sales/price-lists/{retail['id']}/prices/{product['id']}", json={"unit_price": str(1000 * n)})
    for n in range(1, SEEDED + 1):
        api.post("sales/quotes", json={"customer_id": n, "lines": [{"product_id": n, "quantity": "1"}]})
        order = api.post("sales/orders", json={"customer_id": n, "lines": [{"product_id": n, "quantity": "2"}]})
        api.post("sales/invoices", json={"order_id": order.get_json()["id"]})
    return seeded_schema(app, SEEDED)


schema = schemathesis.pytest.from_fixture("sales_schema").include(path_regex=ROUTES)


@schema.parametrize()
@settings(max_examples=15, derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_sales_documents_conform_to_the_openapi_document(case, api):
    case.call_and_validate(headers={"Authorization": f"Bearer {api.token}"}, checks=CHECKS)
