"""Schemathesis over the pipeline routes of `/api/v1/sales` (pipelines, reasons, deals, moves, forecast):
no 5xx, every answer matches the OpenAPI document, invalid data is refused."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from tests.api.test_schemathesis import CHECKS
from tests.sales.openapi import seeded_schema

SEEDED = 3
ROUTES = r"^/api/v1/sales/(pipelines|reasons|deals|forecast)"


@pytest.fixture
def deals_schema(app, api, make_customer):
    """The OpenAPI document over a database with the default pipeline and a few deals."""
    api.get("sales/pipelines")
    for n in range(1, SEEDED + 1):
        customer = make_customer()
        api.post("sales/deals", json={"title": f"Deal {n}", "amount": str(1000 * n), "customer_id": customer.id,
                                      "expected_close": "2026-12-01"})
    return seeded_schema(app, SEEDED)


schema = schemathesis.pytest.from_fixture("deals_schema").include(path_regex=ROUTES)


@schema.parametrize()
@settings(max_examples=15, derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_pipeline_routes_conform_to_the_openapi_document(case, api):
    case.call_and_validate(headers={"Authorization": f"Bearer {api.token}"}, checks=CHECKS)
