"""Every sales page and API route carries the security headers and no inline code; the public
lead form gets the page policy with the framers of its setting, and says when to retry on 429."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from payvand.plugins.sales.demo import load_sales_demo
from payvand.plugins.sales.models import Activity, Deal, Invoice, Lead, Order, PriceList, Product, Quote
from payvand.sdk.testing import assert_security_headers

from .test_leads_web import GOOD, _public_post

NOW = dt.datetime(2026, 6, 1, 9, 30, tzinfo=dt.UTC)
MODELS = {"deal_id": Deal, "quote_id": Quote, "order_id": Order, "invoice_id": Invoice, "lead_id": Lead,
          "activity_id": Activity, "product_id": Product, "price_list_id": PriceList}


@pytest.fixture
def demo_ids(app, db_session, make_customer, make_user, payvand_seed) -> dict[str, int]:
    """The sales demo on a few customers; the first id of each kind of row. Built once per module,
    each test gets its own copy (`payvand_seed`, so asked for before `walk_pages` and `web` log in;
    the app context is pushed only while building, not around the test's requests)."""

    def build() -> dict[str, int]:
        with app.app_context():
            make_user(email="rep1@example.com")
            customers = [make_customer(given_name=f"Demo{n}") for n in range(4)]
            load_sales_demo(seed=3, now=NOW)
            db_session.commit()
            ids = {name: db_session.scalar(sa.select(sa.func.min(model.id))) for name, model in MODELS.items()}
        return {**ids, "customer_id": customers[0].id}

    return payvand_seed("sales demo", build)


def test_every_sales_page_carries_the_security_headers_in_both_languages(demo_ids, walk_pages, web):
    walked = walk_pages(values=demo_ids, prefix="/sales")
    assert len(walked) >= 30 and [w for w in walked if w[1] >= 400] == []
    assert web.post("/account/locale", {"locale": "en", "next": "/"}).status_code == 302
    assert len(walk_pages(values=demo_ids, prefix="/sales")) == len(walked)


def test_the_sales_api_is_nosniff_and_never_stored(demo_ids, walk_pages):
    walked = walk_pages(values=demo_ids, prefix="/api/v1/sales")
    assert len(walked) >= 10


def test_the_public_lead_form_has_the_page_policy_framed_by_its_setting(client):
    page = client.get("/forms/lead")
    assert_security_headers(page)
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and policy.endswith("frame-ancestors *")
    assert "X-Frame-Options" not in page.headers


def test_a_lead_form_over_its_limit_says_when_to_retry(app, client):
    app.config["PAYVAND_LEAD_FORM_RATE"] = "1 per 10 minutes"
    assert _public_post(app, client, GOOD).status_code == 302
    refused = _public_post(app, client, GOOD)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 600
    assert_security_headers(refused)
