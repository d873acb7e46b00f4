# ruff: noqa: F811 - the browser fixtures are imported from tests/browser/conftest.py by name
"""Browser test of the documents flow: a quote becomes an order, an invoice, paid in two payments.

Uses the browser fixtures of `tests/browser` (system Chromium, live server, `page`); SQLite only.
The catalog and the quote are made through the API; everything after that is clicked in the
browser by a user holding only the document, payment and customer permissions.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from payvand.plugins.sales import permissions as perm
from tests.browser.conftest import _chromium, _playwright_loop, browser, live_server, page  # noqa: F401 (fixtures)
from tests.browser.helpers import staff_login

pytestmark = pytest.mark.sqlite_only
PASSWORD = "correct horse battery staple"
CLERK_PERMISSIONS = [perm.DOCUMENT_VIEW, perm.DOCUMENT_EDIT, perm.PAYMENT_RECORD, perm.DOCUMENT_ALL,
                     "core.customer.view", "core.interaction.view"]


def _quote(api, customer_id: int) -> dict:
    """Two priced products (one taxed at the standard rate, one exempt) and a draft quote of both."""
    retail = api.post("sales/price-lists", json={"name": "Retail"})
    assert retail.status_code == 201, retail.get_json()
    retail = retail.get_json()
    pen = api.post("sales/products", json={"sku": "PEN-7", "name": "Fountain pen"}).get_json()
    book = api.post("sales/products", json={"sku": "BK", "name": "Notebook", "tax_class": "exempt"}).get_json()
    for product, price in ((pen, "1250000"), (book, "500000")):
        answer = api.put(f"sales/price-lists/{retail['id']}/prices/{product['id']}", json={"unit_price": price})
        assert answer.status_code in (200, 201), answer.get_json()
    made = api.post("sales/quotes", json={"customer_id": customer_id, "lines": [
        {"product_id": pen["id"], "quantity": "2"}, {"product_id": book["id"], "quantity": "1"}]})
    assert made.status_code == 201, made.get_json()
    return made.get_json()


def _submit(page, selector: str) -> None:
    """Click a form's submit button and wait for the page it leads to."""
    with page.expect_navigation():
        page.locator(selector).click()


def test_a_quote_goes_to_a_paid_invoice_in_the_browser(page, live_server, make_user, make_customer, api):
    make_user(email="clerk@example.com", password=PASSWORD, permissions=CLERK_PERMISSIONS, name="Clerk Rahimi")
    customer = make_customer(given_name="Sara", family_name="Ahmadi")
    quote = _quote(api, customer.id)
    assert (quote["subtotal"], quote["tax_total"], quote["total"]) == ("3000000", "250000", "3250000")

    staff_login(page, live_server, "clerk@example.com", PASSWORD)

    # The quote page: two lines, VAT on the pens only, the exact total.
    page.goto(live_server.at(f"/sales/quotes/{quote['id']}"))
    rows = page.locator("#document-lines tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Fountain pen")
    expect(rows.nth(0)).to_contain_text("2,500,000 rials")
    expect(rows.nth(0)).to_contain_text("2,750,000 rials")
    expect(rows.nth(1)).to_contain_text("Notebook")
    expect(rows.nth(1)).to_contain_text("500,000 rials")
    taxes = page.locator("#document-totals tr.tax-rate")
    expect(taxes.filter(has_text="Tax at 10%")).to_contain_text("250,000 rials")
    expect(page.locator("#document-total")).to_have_text("3,250,000 rials")

    # Send, then accept: the order is placed and the orders page lists it.
    for selector in ("#quote-send", "#quote-accept"):
        form = page.locator(f"{selector}-form")
        if form.get_attribute("data-confirm") is not None:
            page.once("dialog", lambda dialog: dialog.accept())
        _submit(page, selector)
        if selector == "#quote-send":
            expect(page.locator("#quote-document [data-state]").first).to_have_attribute("data-state", "sent")
    assert urlsplit(page.url).path == "/sales/orders"
    order = api.get("sales/orders", query_string={"customer_id": customer.id}).get_json()["items"]
    assert len(order) == 1 and order[0]["quote_id"] == quote["id"] and order[0]["total"] == "3250000"
    order_id = order[0]["id"]
    row = page.locator(f"#order-row-{order_id}")
    expect(row).to_contain_text("3,250,000 rials")
    expect(row.locator("[data-state]")).to_have_attribute("data-state", "placed")

    # Invoice the order: the invoice page shows the whole total due.
    _submit(page, f"#order-{order_id}-invoice")
    assert urlsplit(page.url).path.startswith("/sales/invoices/")
    expect(page.locator("#invoice-status")).to_have_text("Unpaid")
    expect(page.locator("#document-total")).to_have_text("3,250,000 rials")
    expect(page.locator("#invoice-balance")).to_have_text("3,250,000 rials")

    # A partial payment typed in Persian digits with the Persian thousands separator.
    page.locator("#f-amount").fill("۱۰۰٬۰۰۰")
    page.select_option("#f-method", "cash")
    _submit(page, "#payment-submit")
    expect(page.locator("#invoice-status")).to_have_text("Partially paid")
    expect(page.locator("#invoice-status")).to_have_attribute("data-state", "partially_paid")
    expect(page.locator("#invoice-paid")).to_have_text("100,000 rials")
    expect(page.locator("#invoice-balance")).to_have_text("3,150,000 rials")
    expect(page.locator("#invoice-payments tbody tr")).to_have_count(1)

    # The rest: paid, nothing left to pay.
    page.locator("#f-amount").fill("3150000")
    _submit(page, "#payment-submit")
    expect(page.locator("#invoice-status")).to_have_text("Paid")
    expect(page.locator("#invoice-status")).to_have_attribute("data-state", "paid")
    expect(page.locator("#invoice-paid")).to_have_text("3,250,000 rials")
    expect(page.locator("#invoice-balance")).to_have_text("0 rials")
    expect(page.locator("#invoice-payments tbody tr")).to_have_count(2)

    # The customer 360 page: the order in the sales panel, nothing owed, the events on the timeline.
    page.goto(live_server.at(f"/customers/{customer.id}"))
    panel = page.locator("#panel-sales")
    expect(panel.locator(f"#sales-last-orders li[data-order-id='{order_id}']")).to_contain_text("3,250,000 rials")
    expect(panel.locator("#sales-balance-due")).to_contain_text("Nothing owed")
    for kind in ("sales.quote_sent", "sales.order_placed", "sales.invoice_paid"):
        expect(page.locator(f"article.timeline-item[data-kind='{kind}']")).to_have_count(1)


@pytest.mark.parametrize(("typed", "amount"), [
    ("100٬000", "100000"), ("100,000", "100000"), ("1،250،000", "1250000"), ("12٫5", "12.5"),
    ("-2,500", "-2500"), ("3150000", "3150000")])
def test_the_payment_form_reads_typed_separators(app, typed, amount):
    from payvand.plugins.sales.views.documents import PaymentForm
    from payvand.sdk import parse_form

    with app.test_request_context("/", method="POST", data={"amount": typed, "method": "cash"}):
        assert str(parse_form(PaymentForm()).data["amount"]) == amount  # the staff forms' number rule


@pytest.mark.parametrize("typed", ["1,2", "10,00", "1٬2٬3"])
def test_the_payment_form_refuses_badly_grouped_amounts(app, typed):
    from payvand.plugins.sales.views.documents import PaymentForm
    from payvand.sdk import NUMBER_MESSAGE, parse_form

    with app.test_request_context("/", method="POST", data={"amount": typed, "method": "cash"}):
        assert parse_form(PaymentForm()).errors["amount"] == [str(NUMBER_MESSAGE)]
