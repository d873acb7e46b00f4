"""Staff pages of the catalog and documents: lists, printable quote and invoice, the quote-to-paid-invoice flow."""

from __future__ import annotations

import pytest

from payvand.plugins.sales import permissions as perm


@pytest.fixture
def seeded(api, make_customer):
    """A priced catalog and a function making a quote for a new customer."""
    retail = api.post("sales/price-lists", json={"name": "Retail"}).get_json()
    pen = api.post("sales/products", json={"sku": "PEN-7", "name": "Fountain pen"}).get_json()
    book = api.post("sales/products", json={"sku": "BK", "name": "Notebook", "tax_class": "exempt"}).get_json()
    api.put(f"sales/price-lists/{retail['id']}/prices/{pen['id']}", json={"unit_price": "1250000"})
    api.put(f"sales/price-lists/{retail['id']}/prices/{book['id']}", json={"unit_price": "500000"})

    def quote() -> dict:
        customer = make_customer(given_name="Sara", family_name="Ahmadi")
        return api.post("sales/quotes", json={"customer_id": customer.id, "lines": [
            {"product_id": pen["id"], "quantity": "2"}, {"product_id": book["id"], "quantity": "1"}]}).get_json()

    return {"pen": pen, "book": book, "quote": quote}


def test_products_page_searches_and_filters(web, seeded):
    page = web.get("/sales/products?q=pen")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Fountain pen" in html and "Notebook" not in html


def test_a_quote_goes_to_a_paid_invoice_through_the_pages(web, seeded, api):
    quote = seeded["quote"]()
    page = web.get(f"/sales/quotes/{quote['id']}").get_data(as_text=True)
    assert quote["number"] in page or quote["number"].translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")) in page
    assert 'id="company-name"' in page and 'class="tax-rate"' in page
    assert web.post(f"/sales/quotes/{quote['id']}/send").status_code == 302
    accepted = web.post(f"/sales/quotes/{quote['id']}/accept")
    assert accepted.status_code == 302 and accepted.headers["Location"].endswith("/sales/orders")
    order_id = api.get("sales/orders").get_json()["items"][0]["id"]
    assert f'id="order-{order_id}-invoice"' in web.get("/sales/orders").get_data(as_text=True)
    issued = web.post(f"/sales/orders/{order_id}/invoice")
    assert issued.status_code == 302
    invoice_path = issued.headers["Location"]
    invoice = api.get("sales/invoices").get_json()["items"][0]
    assert invoice["total"] == "3250000"
    bad = web.post(f"{invoice_path}/payments", {"amount": "12.5", "method": "cash"})
    assert bad.status_code == 422 and 'id="f-amount-error"' in bad.get_data(as_text=True)
    assert web.post(f"{invoice_path}/payments", {"amount": "۱۰۰۰۰۰۰", "method": "cash"}).status_code == 302
    assert web.post(f"{invoice_path}/payments", {"amount": "2250000", "method": "card"}).status_code == 302
    assert api.get(f"sales/invoices/{invoice['id']}").get_json()["status"] == "paid"
    assert 'id="invoice-payments"' in web.get(invoice_path).get_data(as_text=True)


def test_posting_without_csrf_is_refused(web, seeded):
    quote = seeded["quote"]()
    assert web.post(f"/sales/quotes/{quote['id']}/send", csrf=False).status_code == 400


@pytest.mark.parametrize("path", ["/sales/products", "/sales/quotes", "/sales/orders", "/sales/invoices"])
def test_pages_need_their_permission(web_as, client, path):
    allowed = perm.CATALOG_VIEW if path == "/sales/products" else perm.DOCUMENT_VIEW
    assert web_as([allowed]).get(path).status_code == 200
    assert web_as([]).get(path).status_code == 403
    anonymous = client.get(path)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_recording_a_payment_needs_its_permission(web_as, api, seeded):
    quote = seeded["quote"]()
    order = api.post(f"sales/quotes/{quote['id']}/accept").get_json()
    invoice = api.post("sales/invoices", json={"order_id": order["id"]}).get_json()
    viewer = web_as([perm.DOCUMENT_VIEW])
    assert 'id="payment-form"' not in viewer.get(f"/sales/invoices/{invoice['id']}").get_data(as_text=True)
    assert viewer.post(f"/sales/invoices/{invoice['id']}/payments", {"amount": "1"}).status_code == 403


def test_list_and_document_pages_run_a_constant_number_of_queries(web, api, seeded, count_queries):
    def counts() -> list[int]:
        quote_id = api.get("sales/quotes").get_json()["items"][0]["id"]
        invoice_id = api.get("sales/invoices").get_json()["items"][0]["id"]
        found = []
        for path in ("/sales/products", "/sales/quotes", "/sales/orders", "/sales/invoices",
                     f"/sales/quotes/{quote_id}", f"/sales/invoices/{invoice_id}"):
            with count_queries() as queries:
                assert web.get(path).status_code == 200
            found.append(len(queries))
        return found

    def add_documents(n: int) -> None:
        for _ in range(n):
            quote = seeded["quote"]()
            order = api.post(f"sales/quotes/{quote['id']}/accept").get_json()
            invoice = api.post("sales/invoices", json={"order_id": order["id"]}).get_json()
            api.post(f"sales/invoices/{invoice['id']}/payments", json={"amount": "1000"})

    add_documents(1)
    counts()  # warm the per-process caches of the first request
    few = counts()
    add_documents(4)
    assert counts() == few
