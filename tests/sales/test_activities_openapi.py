"""Schemathesis over `/api/v1/sales/activities`: no 5xx, every answer matches the OpenAPI document,
invalid data is refused."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from tests.api.test_schemathesis import CHECKS
from tests.sales.openapi import seeded_schema

SEEDED = 3
ROUTES = r"^/api/v1/sales/activities"


@pytest.fixture
def activities_schema(app, api, make_customer):
    """The OpenAPI document over a database with a deal, a customer and a few activities."""
    customer = make_customer()
    deal = api.post("sales/deals", json={"title": "Deal", "customer_id": customer.id}).json
    for n in range(1, SEEDED + 1):
        api.post("sales/activities", json={"subject": f"Activity {n}", "kind": "call", "deal_id": deal["id"],
                                           "due_at": f"2026-12-0{n}T10:00:00+03:30"})
    return seeded_schema(app, SEEDED)


schema = schemathesis.pytest.from_fixture("activities_schema").include(path_regex=ROUTES)


@schema.parametrize()
@settings(max_examples=25, derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_activity_routes_conform_to_the_openapi_document(case, api):
    case.call_and_validate(headers={"Authorization": f"Bearer {api.token}"}, checks=CHECKS)
