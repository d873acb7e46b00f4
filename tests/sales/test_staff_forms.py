"""Staff forms: new and edit product (with its default-list price), new quote with line rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from payvand.plugins.sales import permissions as perm
from payvand.plugins.sales.models import Quote

_LATIN = str.maketrans("۰۱۲۳۴۵۶۷۸۹٬", "0123456789,")


def _text(response) -> str:
    """The page with Persian digits and separators made Latin (the page may be in fa or en)."""
    return response.get_data(as_text=True).translate(_LATIN)


def _product(**fields) -> dict:
    return {"sku": "TEA-1", "name": "Black tea", "kind": "product", "unit": "box", "tax_class": "standard",
            "in_stock": "1", "active": "1", "unit_price": "۱٬۲۵۰٬۰۰۰", **fields}


@pytest.fixture
def retail(api) -> dict:
    return api.post("sales/price-lists", json={"name": "Retail"}).get_json()


def test_a_product_is_created_with_a_persian_digit_price_and_listed(web, api, retail):
    assert 'id="product-new"' in web.get("/sales/products").get_data(as_text=True)
    form = web.get("/sales/products/new")
    assert form.status_code == 200 and 'id="product-form"' in form.get_data(as_text=True)
    saved = web.post("/sales/products/new", _product())
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/sales/products")
    product = api.get("sales/products?q=TEA-1").get_json()["items"][0]
    assert product["name"] == "Black tea" and product["unit"] == "box" and product["in_stock"] is True
    page = _text(web.get("/sales/products"))
    assert "Black tea" in page and "1,250,000" in page
    assert f'id="product-edit-{product["id"]}"' in page


def test_a_product_is_edited_and_its_price_changed(web, api, retail):
    web.post("/sales/products/new", _product())
    product = api.get("sales/products?q=TEA-1").get_json()["items"][0]
    form = web.get(f"/sales/products/{product['id']}/edit").get_data(as_text=True)
    assert 'value="1250000"' in form and 'value="Black tea"' in form
    saved = web.post(f"/sales/products/{product['id']}/edit",
                     _product(name="Green tea", unit_price="990000.50", in_stock="", tax_class="exempt"))
    assert saved.status_code == 302
    got = api.get(f"sales/products/{product['id']}").get_json()
    assert got["name"] == "Green tea" and got["in_stock"] is False and got["tax_class"] == "exempt"
    page = _text(web.get("/sales/products"))
    assert "Green tea" in page and "990,001" in page  # IRR has no decimals: rounded on saving
    assert web.get("/sales/products/999999/edit").status_code == 404


def test_product_errors_are_shown_on_the_fields_with_422(web, retail):
    web.post("/sales/products/new", _product())
    duplicate = web.post("/sales/products/new", _product(name="Other"))
    assert duplicate.status_code == 422 and 'id="f-sku-error"' in duplicate.get_data(as_text=True)
    bad = web.post("/sales/products/new", _product(sku="X-2", unit_price="12abc"))
    assert bad.status_code == 422 and 'id="f-unit_price-error"' in bad.get_data(as_text=True)
    missing = web.post("/sales/products/new", _product(sku="", name=""))
    html = missing.get_data(as_text=True)
    assert missing.status_code == 422 and 'id="f-sku-error"' in html and 'id="f-name-error"' in html


def test_a_quote_with_two_lines_is_made_from_the_form(web, api, retail, make_customer, db_session):
    pen = api.post("sales/products", json={"sku": "PEN-7", "name": "Fountain pen"}).get_json()
    api.put(f"sales/price-lists/{retail['id']}/prices/{pen['id']}", json={"unit_price": "1250000"})
    customer = make_customer(given_name="Sara", family_name="Ahmadi")
    assert 'id="quote-new"' in web.get("/sales/quotes").get_data(as_text=True)
    form = web.get(f"/sales/quotes/new?customer_id={customer.id}")
    assert form.status_code == 200 and 'id="customer-chosen"' in form.get_data(as_text=True)
    assert "Sara" in form.get_data(as_text=True)
    saved = web.post("/sales/quotes/new", {
        "customer_id": str(customer.id), "price_list_id": str(retail["id"]), "valid_until": "2026-12-31",
        "lines-0-product_id": str(pen["id"]), "lines-0-quantity": "۲", "lines-0-discount_percent": "10",
        "lines-3-description": "Installation", "lines-3-quantity": "1", "lines-3-unit_price": "۳۰۰٬۰۰۰"})
    assert saved.status_code == 302 and "/sales/quotes/" in saved.headers["Location"]
    quote_id = int(saved.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    quote = api.get(f"sales/quotes/{quote_id}").get_json()
    assert len(quote["lines"]) == 2 and db_session.get(Quote, quote_id).valid_until == dt.date(2026, 12, 31)
    assert (Decimal(quote["subtotal"]), Decimal(quote["discount_total"]), Decimal(quote["tax_total"]),
            Decimal(quote["total"])) == (Decimal(2800000), Decimal(250000), Decimal(255000), Decimal(2805000))
    page = _text(web.get(f"/sales/quotes/{quote_id}"))
    assert "2,805,000" in page and "255,000" in page and "Installation" in page


def test_quote_errors_are_shown_on_the_right_field(web, api, retail, make_customer):
    customer = make_customer(given_name="Sara")
    free = web.post("/sales/quotes/new", {"customer_id": str(customer.id), "lines-2-description": "Setup",
                                          "lines-2-quantity": "1"})
    assert free.status_code == 422 and 'id="f-lines-2-quantity-error"' in free.get_data(as_text=True)
    empty = web.post("/sales/quotes/new", {"customer_id": str(customer.id)})
    assert empty.status_code == 422 and "at least one line" in empty.get_data(as_text=True)
    nobody = web.post("/sales/quotes/new", {"customer_id": "987654", "lines-0-description": "Setup",
                                            "lines-0-quantity": "1", "lines-0-unit_price": "100"})
    assert nobody.status_code == 422 and 'id="f-customer_id-error"' in nobody.get_data(as_text=True)
    bad_date = web.post("/sales/quotes/new", {"customer_id": str(customer.id), "valid_until": "tomorrow",
                                              "lines-0-description": "Setup", "lines-0-quantity": "1",
                                              "lines-0-unit_price": "100"})
    assert bad_date.status_code == 422 and 'id="f-valid_until-error"' in bad_date.get_data(as_text=True)
    assert api.get("sales/quotes").get_json()["items"] == []


def test_jalali_valid_until_in_persian(web, api, retail, make_customer, db_session):
    persian = web
    persian.post("/account/locale", {"locale": "fa"})
    customer = make_customer(given_name="Sara")
    saved = persian.post("/sales/quotes/new", {"customer_id": str(customer.id), "valid_until": "۱۴۰۵/۰۹/۰۵",
                                               "lines-0-description": "Setup", "lines-0-quantity": "1",
                                               "lines-0-unit_price": "100"})
    assert saved.status_code == 302
    quote_id = api.get("sales/quotes").get_json()["items"][0]["id"]
    assert db_session.get(Quote, quote_id).valid_until == dt.date(2026, 11, 26)


def test_permissions_and_csrf(web, web_as, retail):
    viewer = web_as([perm.CATALOG_VIEW, perm.DOCUMENT_VIEW])
    assert viewer.get("/sales/products/new").status_code == 403
    assert viewer.post("/sales/products/new", _product()).status_code == 403
    assert viewer.get("/sales/quotes/new").status_code == 403
    assert 'id="product-new"' not in viewer.get("/sales/products").get_data(as_text=True)
    assert 'id="quote-new"' not in viewer.get("/sales/quotes").get_data(as_text=True)
    assert web.post("/sales/products/new", _product(), csrf=False).status_code == 400
    assert web.post("/sales/quotes/new", {"customer_id": "1"}, csrf=False).status_code == 400
