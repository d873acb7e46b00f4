"""Without the analytics plugin, its pages, menu and customer fields are gone."""

from __future__ import annotations

from typing import Any

import pytest

import payvand.plugins.sales as sales


@pytest.fixture
def payvand_plugins() -> list[Any]:
    """Sales only: analytics is installed but not enabled."""
    return [sales]


@pytest.mark.parametrize("path", ["/analytics/clv", "/analytics/rfm", "/analytics/cohorts", "/analytics/costs",
                                  "/analytics/profit", "/analytics/social", "/analytics/dashboard",
                                  "/analytics/dashboard.csv", "/analytics/dashboard/layout"])
def test_pages_are_not_found(web, path):
    assert web.get(path).status_code == 404


@pytest.mark.parametrize("path", ["analytics/costs", "analytics/profitability", "analytics/social", "analytics/cac"])
def test_api_routes_are_not_found(api, path):
    assert api.get(path).status_code == 404


def test_its_customer_fields_and_settings_are_gone(runtime):
    assert not [name for name in runtime.customer_fields() if name.startswith("analytics.")]
    assert not [key for key in runtime.settings() if key.startswith("analytics.")]


def test_menu_has_no_analytics_entry(web):
    assert "/analytics/" not in web.get("/").text
