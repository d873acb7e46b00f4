"""Without the analytics plugin, its pages, menu and customer fields are gone."""

from __future__ import annotations

from typing import Any

import pytest

import payvand.plugins.sales as sales


@pytest.fixture
def payvand_plugins() -> list[Any]:
    """Sales only: analytics is installed but not enabled."""
    return [sales]


@pytest.mark.parametrize("path", ["/analytics/clv", "/analytics/rfm", "/analytics/cohorts", "/analytics/dashboard",
                                  "/analytics/dashboard.csv", "/analytics/dashboard/layout"])
def test_pages_are_not_found(web, path):
    assert web.get(path).status_code == 404


def test_menu_has_no_analytics_entry(web):
    assert "/analytics/" not in web.get("/").text
