"""Disabling the sales plugin hides its pages, panels, widgets and API routes and keeps its data."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from payvand.plugins.sales import permissions as perm
from payvand.plugins.sales.models import Order


@pytest.fixture
def payvand_config() -> dict[str, Any]:
    """The database decides which plugins are enabled, looked at on every request."""
    return {"PAYVAND_PLUGINS": None, "PAYVAND_PLUGIN_REFRESH_SECONDS": 0}


@pytest.fixture(autouse=True)
def no_env_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PAYVAND_PLUGINS", raising=False)


def test_disabling_hides_everything_and_keeps_the_data(web, api, runtime, make_customer, db_session):
    customer = make_customer()
    db_session.add(Order(number="O-1405-000009", customer_id=customer.id, total=Decimal("5000"), currency="IRR"))
    db_session.commit()
    assert web.get("/sales/reports").status_code == 200
    assert 'id="panel-sales"' in web.get(f"/customers/{customer.id}").text
    assert "/api/v1/sales/" in api.get("/api/v1/openapi.json").get_data(as_text=True)
    assert api.get("/api/v1/sales/products").status_code == 200
    assert web.get("/sales/deals").status_code == 200

    runtime.disable_plugin("sales")
    assert web.get("/sales/reports").status_code == 404
    assert 'id="panel-sales"' not in web.get(f"/customers/{customer.id}").text
    assert "Sales this month" not in web.get("/").text
    assert 'href="/sales/reports"' not in web.get("/").text
    hidden = api.get("/api/v1/sales/products")
    assert hidden.status_code == 404 and hidden.json["error"]["code"] == "not_found"
    assert web.get("/sales/deals").status_code == 404
    assert "My activities due" not in web.get("/").text
    checked = 0
    for rule in web.client.application.url_map.iter_rules():  # every sales page and API route, with any ids
        if rule.endpoint.split(".")[0] in ("sales", "api_sales") and "GET" in rule.methods:
            values = {name: "win_rate" if name == "name" else 1 for name in rule.arguments}
            path = rule.build(values, append_unknown=False)[1]
            assert web.get(path).status_code == 404, path
            assert api.get(path).status_code == 404, path
            checked += 1
    assert checked > 40  # the walk really saw the plugin's routes
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Order)) == 1  # the data is kept

    runtime.enable_plugin("sales")
    assert web.get("/sales/reports").status_code == 200
    assert 'id="panel-sales"' in web.get(f"/customers/{customer.id}").text


def test_a_user_without_sales_permissions_sees_no_sales_menu(web_as):
    page = web_as(["core.customer.view"]).get("/").text
    assert "/sales/" not in page
    assert "/sales/reports" in web_as([perm.REPORTS_VIEW]).get("/").text
