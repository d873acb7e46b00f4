"""Text no database can store (NUL, lone surrogates) is refused with 422 on every API route, plugins' too."""

from __future__ import annotations

import pytest

import payvand.plugins.sales as sales


@pytest.fixture
def payvand_plugins():
    return [sales]


@pytest.mark.parametrize("text", ["SKU\\u0000-1", "bad \\udc00 surrogate"])  # as JSON escapes
def test_a_plugin_route_refuses_unstorable_text_in_the_body(api, text):
    body = f'{{"sku": "{text}", "name": "Tea"}}'
    response = api.post("sales/products", data=body, content_type="application/json")
    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == ["sku"]
    assert api.get("sales/products").json["items"] == []  # nothing was stored


def test_a_core_route_refuses_nul_in_the_query_string(api):
    response = api.get("customers?q=ali%00")
    assert response.status_code == 422
    assert "q" in response.json["error"]["fields"]


def test_ordinary_persian_text_passes(api):
    assert api.post("sales/products", json={"sku": "چای-۱", "name": "چای"}).status_code == 201


def test_a_staff_form_with_a_nul_character_is_refused_before_any_page_sees_it(web):
    response = web.post("/sales/products/new", {"sku": "A\x00B", "name": "Tea", "kind": "product"})
    assert response.status_code == 400
    assert web.get("/customers?q=al%00i").status_code == 400
    assert web.get("/customers?q=ali").status_code == 200
