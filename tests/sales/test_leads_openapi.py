"""Schemathesis over `/api/v1/sales/leads` (as tests/api/test_schemathesis.py does for the core): no 5xx,
every answer matches the OpenAPI document, invalid data is refused."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from tests.api.test_schemathesis import CHECKS
from tests.sales.openapi import seeded_schema

SEEDED = 4
ROUTES = r"^/api/v1/sales/leads"


@pytest.fixture
def leads_schema(app, api, make_customer):
    """The OpenAPI document over a database with a few leads (one sharing a customer's email)."""
    make_customer(emails=["lead1@example.com"])
    for n in range(1, SEEDED + 1):
        api.post("sales/leads", json={"given_name": f"Lead{n}", "email": f"lead{n}@example.com", "utm": {"source": "x"}})
    return seeded_schema(app, SEEDED)


schema = schemathesis.pytest.from_fixture("leads_schema").include(path_regex=ROUTES)


@schema.parametrize()
@settings(max_examples=15, derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_sales_leads_conform_to_the_openapi_document(case, api):
    case.call_and_validate(headers={"Authorization": f"Bearer {api.token}"}, checks=CHECKS)
