"""Schemathesis over the catalog and document routes of `/api/v1/sales` (as tests/api/test_schemathesis.py
does for the core): no 5xx, every answer matches the OpenAPI document, invalid data is refused.

The PDF operations are left out of the generated run (each case would render a PDF) and checked
once each, directly, by `test_each_pdf_operation_conforms_to_the_openapi_document`."""

from __future__ import annotations

import io

import pypdf
import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from tests.api.test_schemathesis import CHECKS, answers_pdf, produces_pdf
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


schema = schemathesis.pytest.from_fixture("sales_schema").include(path_regex=ROUTES).exclude(func=produces_pdf)


@schema.parametrize()
@settings(max_examples=15, derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_sales_documents_conform_to_the_openapi_document(case, api):
    case.call_and_validate(headers={"Authorization": f"Bearer {api.token}"}, checks=CHECKS)


def test_each_pdf_operation_conforms_to_the_openapi_document(sales_schema, api):
    """Every operation answering `application/pdf`, once per documented language and once without:
    a readable PDF matching the document; an unknown language or query field is a documented 422,
    a missing document a documented 404 (the same checks as the generated runs above)."""
    operations = [result.ok() for result in sales_schema.get_all_operations()]
    pdfs = [operation for operation in operations if answers_pdf(operation)]
    assert {operation.path for operation in pdfs} >= {"/api/v1/sales/quotes/{quote_id}/pdf",
                                                      "/api/v1/sales/invoices/{invoice_id}/pdf"}
    headers = {"Authorization": f"Bearer {api.token}"}
    for operation in pdfs:
        (name,) = [p.name for p in operation.path_parameters]
        languages = [p.definition["schema"]["enum"] for p in operation.query if p.name == "lang"][0]
        for query in [{}, *({"lang": lang} for lang in languages)]:
            response = operation.Case(path_parameters={name: SEEDED}, query=query).call_and_validate(
                headers=headers, checks=CHECKS)
            assert response.status_code == 200 and response.headers["content-type"] == ["application/pdf"]
            assert len(pypdf.PdfReader(io.BytesIO(response.content)).pages) >= 1, (operation.path, query)
        for query, status in (({"lang": "xx"}, 422), ({"colour": "red"}, 422), ({}, 404)):
            case = operation.Case(path_parameters={name: SEEDED if status != 404 else 999}, query=query)
            response = case.call_and_validate(headers=headers, checks=CHECKS[:-1])  # positive cases: no negation check
            assert response.status_code == status, (operation.path, query, response.text)
