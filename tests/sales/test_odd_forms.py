"""Every sales form answers odd values (huge numbers, text where a number goes, blanks) with a
page, a redirect or a 4xx, never a 5xx."""

from __future__ import annotations

import pytest

import payvand.plugins.sales as sales


@pytest.fixture
def payvand_plugins():
    return [sales]


ODD = ["99999999999999999999999", "abc", "", "-1", "۱۲۳", "1e400", "2026-13-45T99:99"]
FIELDS = ["customer_id", "deal_id", "lead_id", "owner_id", "stage_id", "reason_id", "position", "amount",
          "deal_amount", "quantity", "unit_price", "price", "due_at", "remind_before", "valid_until", "kind",
          "subject", "title", "name", "sku", "currency", "status", "reason", "method", "paid_at", "expected_close",
          "price_list_id", "product_id", "line-0-product_id", "line-0-quantity", "line-0-unit_price", "price-1"]


def test_no_sales_form_answers_5xx_to_odd_values(web, app, api, make_customer):
    customer = make_customer()
    api.post("sales/products", json={"sku": "P-1", "name": "Tea"})
    api.post("sales/deals", json={"title": "D", "customer_id": customer.id})
    bad, seen = [], {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] != "sales" or "POST" not in rule.methods or rule.endpoint == "sales.public_lead_form":
            continue
        path = rule.build({name: 1 for name in rule.arguments}, append_unknown=False)[1]
        for value in ODD:
            response = web.post(path, {name: value for name in FIELDS})
            seen[response.status_code] = seen.get(response.status_code, 0) + 1
            if response.status_code >= 500:
                bad.append((path, value, response.status_code))
    assert bad == []
    assert sum(seen.values()) > 200 and seen.get(400, 0) < sum(seen.values()) / 2, seen  # the forms were reached
