"""Persian (۰-۹) and Arabic-Indic (٠-٩) digits in every number field of the staff forms and the API
(quantities, prices, ids, percentages), and the quote form's customer picker."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from payvand.plugins.sales import permissions as perm
from payvand.plugins.sales.models import Activity, Deal, Quote
from payvand.sdk.testing import PERSIAN_FREE_TEXT, assert_text_kept

_PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
_ARABIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@pytest.fixture
def shop(api) -> dict:
    retail = api.post("sales/price-lists", json={"name": "Retail"}).get_json()
    pen = api.post("sales/products", json={"sku": "PEN-7", "name": "Fountain pen"}).get_json()
    api.put(f"sales/price-lists/{retail['id']}/prices/{pen['id']}", json={"unit_price": "1250000"})
    return {"retail": retail, "pen": pen}


@pytest.mark.parametrize("digits", [_PERSIAN, _ARABIC], ids=["persian", "arabic-indic"])
def test_quote_form_reads_ids_quantities_prices_and_percents_in_any_digits(web, api, shop, make_customer, db_session,
                                                                         digits):
    customer = make_customer(given_name="Sara", family_name="Ahmadi")
    saved = web.post("/sales/quotes/new", {
        "customer_id": str(customer.id).translate(digits), "price_list_id": str(shop["retail"]["id"]).translate(digits),
        "lines-0-product_id": str(shop["pen"]["id"]).translate(digits), "lines-0-quantity": "2".translate(digits),
        "lines-0-discount_percent": "10".translate(digits),
        "lines-1-description": PERSIAN_FREE_TEXT[:100], "lines-1-quantity": "1.5".translate(digits).replace(".", "٫"),
        "lines-1-unit_price": "300,000".translate(digits).replace(",", "٬")})
    assert saved.status_code == 302, saved.get_data(as_text=True)
    quote = db_session.scalars(sa.select(Quote)).one()
    body = api.get(f"sales/quotes/{quote.id}").get_json()
    assert quote.customer_id == customer.id
    pen, free = body["lines"]
    assert (pen["quantity"], pen["discount"], pen["unit_price"]) == ("2", "250000", "1250000")
    assert (free["quantity"], free["unit_price"], free["description"]) == ("1.5", "300000", PERSIAN_FREE_TEXT[:100])


def test_quote_form_offers_the_customer_picker(web, make_customer):
    customer = make_customer(given_name="Sara", family_name="Ahmadi", phones=["09121234567"])
    form = web.get("/sales/quotes/new").get_data(as_text=True)
    assert 'id="customer-q"' in form and 'hx-get="/sales/quotes/customers"' in form
    assert 'type="number"' not in re.search(r'<input id="f-customer_id"[^>]*>', form).group(0)
    for q in ("Sara", "Ahmadi", "۰۹۱۲۱۲۳", "+98912123"):
        matches = web.get("/sales/quotes/customers", query_string={"q": q}).get_data(as_text=True)
        assert f'data-customer-id="{customer.id}"' in matches, q
    chosen = web.get(f"/sales/quotes/new?customer_id={customer.id}").get_data(as_text=True)
    assert 'id="customer-chosen"' in chosen and "Sara Ahmadi" in chosen


def test_quote_picker_needs_the_document_and_customer_permissions(web_as):
    assert web_as([perm.DOCUMENT_VIEW, "core.customer.view"]).get("/sales/quotes/customers?q=ab").status_code == 403
    assert web_as([perm.DOCUMENT_EDIT]).get("/sales/quotes/customers?q=ab").status_code == 403
    assert web_as([perm.DOCUMENT_EDIT, "core.customer.view"]).get("/sales/quotes/customers?q=ab").status_code == 200


def test_api_amounts_quantities_and_percents_in_persian_digits(api, shop, make_customer):
    customer = make_customer()
    response = api.post("sales/quotes", json={"customer_id": customer.id, "lines": [
        {"product_id": shop["pen"]["id"], "quantity": "۳", "discount_percent": "۱۰"},
        {"description": "Gift wrapping", "quantity": "٢٫٥", "unit_price": "۵۰۰۰۱"}]})
    assert response.status_code == 201, response.get_json()
    pen, wrap = response.get_json()["lines"]
    assert (pen["quantity"], pen["discount"]) == ("3", "375000")
    assert (wrap["quantity"], wrap["unit_price"]) == ("2.5", "50001")
    price = api.put(f"sales/price-lists/{shop['retail']['id']}/prices/{shop['pen']['id']}", json={"unit_price": "۹۹۰۰۰۰"})
    assert price.status_code in (200, 201), price.get_json()
    assert api.post("sales/quotes", json={"customer_id": customer.id, "lines": [
        {"description": "x", "quantity": "۱x", "unit_price": "1"}]}).status_code == 422


def test_deal_form_reads_persian_ids_and_keeps_the_title_as_typed(web, db_session, make_customer):
    customer = make_customer()

    def send(title: str) -> int:
        made = web.post("/sales/deals/new", {"title": title, "amount": "۱۵۰۰۰۰۰", "currency": "IRR",
                                             "customer_id": str(customer.id).translate(_PERSIAN)})
        assert made.status_code == 302, made.get_data(as_text=True)
        deal = db_session.scalars(sa.select(Deal)).one()
        assert (deal.amount, deal.customer_id) == (Decimal(1500000), customer.id)
        return deal.id

    assert_text_kept(send, lambda deal_id: db_session.get(Deal, deal_id).title, PERSIAN_FREE_TEXT[:200])


def test_activity_form_keeps_subject_and_notes_and_reads_persian_numbers(web, db_session, make_customer):
    customer = make_customer()
    response = web.post("/sales/activities", {"kind": "call", "subject": "تماس درباره سفارش ۱۲",
                                               "notes": PERSIAN_FREE_TEXT, "customer_id": str(customer.id).translate(_ARABIC),
                                               "due_at": "2030-01-02T10:30".translate(_PERSIAN), "remind_before": "۳۰"})
    assert response.status_code in (302, 303), response.get_data(as_text=True)
    activity = db_session.scalars(sa.select(Activity)).one()
    assert (activity.subject, activity.notes, activity.customer_id) == ("تماس درباره سفارش ۱۲", PERSIAN_FREE_TEXT,
                                                                         customer.id)
    assert activity.remind_at is not None and (activity.due_at - activity.remind_at).total_seconds() == 1800


def test_lead_conversion_reads_a_persian_deal_amount(api, db_session):
    lead = api.post("/api/v1/sales/leads", json={"given_name": "Sara", "email": "sara@example.com"}).get_json()
    response = api.post(f"/api/v1/sales/leads/{lead['id']}/convert", json={"create_deal": True, "deal_amount": "۱۵۰۰۰۰۰"})
    assert response.status_code in (200, 201), response.get_json()
    assert db_session.scalars(sa.select(Deal)).one().amount == Decimal("1500000")
    spec = api.get("/api/v1/openapi.json").get_json()
    assert "۰-۹" in spec["components"]["schemas"]["ConvertIn"]["properties"]["deal_amount"]["pattern"]
