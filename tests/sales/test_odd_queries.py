"""Every sales page answers odd query strings (bad ids, huge numbers, impossible dates) with a
page or a 4xx, never a 5xx."""

from __future__ import annotations

import pytest

import payvand.plugins.sales as sales


@pytest.fixture
def payvand_plugins():
    return [sales]

BAD = ["year=abc", "month=13", "month=0&year=1405", "year=99999&month=1", "day=2026-02-30", "day=x", "view=zzz",
       "calendar=x", "after=abc", "after=-1", "before=abc", "cursor=%ff%fe", "q=" + "x" * 3000, "scope=x",
       "status=x", "kind=x", "start=x&end=y", "page=-1", "limit=99999999999999999999", "deal_id=abc", "lead_id=0",
       "customer_id=99999999999999999999999", "pipeline=99999999999999999999", "stage_id=-4", "owner_id=x",
       "price_list=99999999999999999999", "product_id=99999999999999999999"]

def test_no_sales_page_answers_5xx_to_odd_queries(web, app):
    bad = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] != "sales" or "GET" not in rule.methods:
            continue
        values = {name: ("win_rate" if name == "name" else 1) for name in rule.arguments}
        path = rule.build(values, append_unknown=False)[1]
        for q in BAD:
            r = web.get(f"{path}?{q}")
            if r.status_code >= 500:
                bad.append((path, q, r.status_code))
    assert bad == []
