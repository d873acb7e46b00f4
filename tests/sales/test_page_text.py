"""What a Persian or English reader sees on every page of the core and the sales plugin.

Records are named with mixed Persian/English strings ("Ali (علی) Co.") whose parentheses and
full stops the bidi algorithm would move unless the page isolates them; every occurrence must
be in a `<bdi>`, a `dir="auto"` element or between FSI and PDI (`payvand.sdk.testing.assert_isolated`).
Numbers are grouped by the one formatter (`foreign_number_formats`), and a Persian page shows
no English of our own (`english_words`, with the test's data allowed).
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from payvand.sdk import Customer
from payvand.sdk.testing import assert_isolated, english_words, foreign_number_formats

CUSTOMER = "Ali (علی) Co."
PRODUCT = "Saffron (زعفران) 5 g."
DEAL = "Tea (چای) deal."
LEAD = "Kian (کیان) Ltd."
ACTIVITY = "Call (تماس) back."
TAG = "vip (ویژه)."
#: Data of the test whose words may appear in a Persian page.
DATA = [CUSTOMER, PRODUCT, DEAL, LEAD, ACTIVITY, TAG, "ali@example.com", "kian@example.com", "SAF-5", "Retail",
        "Test User", "user@example.com", "INV", "O", "Q",  # the staff user; document number prefixes (settings)
        "unit", "Asia/Tehran"]  # the product's unit (the API's default, data); the time zone setting


@pytest.fixture
def records(api):
    """A customer, lead, deal, activity, product, quote, order, paid invoice — all with mixed names."""
    return _make_records(api)


@pytest.fixture
def persian_records(runtime, api):
    """The same records on an instance whose default language is Persian (what it makes, it names in Persian)."""
    from payvand.core.models import Setting

    with runtime.sessionmaker.begin() as session:
        session.merge(Setting(key="core.default_locale", value="fa"))
    return _make_records(api)


def _make_records(api):
    customer = api.post("customers", json={"kind": "organization", "organization_name": CUSTOMER,
                                           "emails": ["ali@example.com"], "tags": [TAG]}).get_json()
    assert "id" in customer, customer
    lead = api.post("sales/leads", json={"given_name": "Kian", "organization_name": LEAD,
                                         "email": "kian@example.com", "message": LEAD}).get_json()
    assert "id" in lead, lead
    deal = api.post("sales/deals", json={"title": DEAL, "customer_id": customer["id"], "amount": "12500000",
                                         "currency": "IRR"}).get_json()
    assert "id" in deal, deal
    activity = api.post("sales/activities", json={"subject": ACTIVITY, "kind": "call", "deal_id": deal["id"],
                                                  "customer_id": customer["id"]}).get_json()
    assert "id" in activity, activity
    retail = api.post("sales/price-lists", json={"name": "Retail"}).get_json()
    product = api.post("sales/products", json={"sku": "SAF-5", "name": PRODUCT}).get_json()
    api.put(f"sales/price-lists/{retail['id']}/prices/{product['id']}", json={"unit_price": "17500000"})
    quote = api.post("sales/quotes", json={"customer_id": customer["id"], "deal_id": deal["id"], "lines": [
        {"product_id": product["id"], "quantity": "3"}]}).get_json()
    assert "id" in quote, quote
    api.post(f"sales/quotes/{quote['id']}/send")
    order = api.post(f"sales/quotes/{quote['id']}/accept").get_json()
    invoice = api.post("sales/invoices", json={"order_id": order["id"]}).get_json()
    paid = api.post(f"sales/invoices/{invoice['id']}/payments", json={"amount": invoice["total"], "method": "cash"})
    assert paid.status_code == 201, paid.get_json()
    second = api.post("sales/quotes", json={"customer_id": customer["id"], "lines": [
        {"product_id": product["id"], "quantity": "1"}]}).get_json()
    api.post(f"sales/quotes/{second['id']}/reject")
    return {"customer": customer["id"], "lead": lead["id"], "deal": deal["id"], "quote": quote["id"],
            "invoice": invoice["id"], "product": product["id"], "price_list": retail["id"]}


#: Each page and the user texts it shows.
PAGES = {
    "/customers": [CUSTOMER, TAG],
    "/customers/{customer}": [CUSTOMER, TAG, DEAL],
    "/customers/{customer}/edit": [CUSTOMER],
    "/sales/leads": [LEAD],
    "/sales/leads/{lead}": [LEAD],
    "/sales/board": [DEAL, CUSTOMER],
    "/sales/deals": [DEAL, CUSTOMER],
    "/sales/deals/{deal}": [DEAL, CUSTOMER, ACTIVITY],
    "/sales/deals/{deal}/edit": [DEAL],
    "/sales/activities?scope=all": [ACTIVITY, DEAL],
    "/sales/products": [PRODUCT],
    "/sales/products/{product}/edit": [PRODUCT],
    "/sales/price-lists/{price_list}": [PRODUCT],
    "/sales/quotes": [CUSTOMER],
    "/sales/quotes/{quote}": [CUSTOMER, PRODUCT],
    "/sales/orders": [CUSTOMER],
    "/sales/invoices": [CUSTOMER],
    "/sales/invoices/{invoice}": [CUSTOMER, PRODUCT],
    "/sales/reports": [PRODUCT],
    "/sales/forecast": [],
    "/": [],
}


def _pages(records):
    return [(template.format(**records), texts) for template, texts in PAGES.items()]


@pytest.mark.parametrize("locale", ["fa", "en"])
def test_user_text_is_isolated_on_every_page(web, records, locale):
    web.post("/account/locale", {"locale": locale})
    problems = {}
    for path, texts in _pages(records):
        page = web.get(path)
        assert page.status_code == 200, path
        try:
            assert_isolated(page.get_data(as_text=True), *texts)
        except AssertionError as exc:
            problems[path] = str(exc)
    assert not problems, "\n\n".join(f"{path}: {text}" for path, text in problems.items())


@pytest.mark.parametrize("locale", ["fa", "en"])
def test_every_page_groups_numbers_with_the_one_formatter(web, records, locale):
    web.post("/account/locale", {"locale": locale})
    found = {path: foreign_number_formats(web.get(path).get_data(as_text=True), locale) for path, _ in _pages(records)}
    assert {path: numbers for path, numbers in found.items() if numbers} == {}


def test_persian_pages_show_no_english_of_ours(web, persian_records):
    web.post("/account/locale", {"locale": "fa"})
    found = {path: english_words(web.get(path).get_data(as_text=True), allow=DATA)
             for path, _ in _pages(persian_records)}
    found = {path: words for path, words in found.items() if words}
    assert not found, "\n".join(f"{path}: {', '.join(words)}" for path, words in found.items())


def test_the_already_invoiced_refusal_is_shown_in_persian(web, api, records):
    order = api.get("sales/orders").get_json()["items"][0]
    web.post("/account/locale", {"locale": "fa"})
    again = web.post(f"/sales/orders/{order['id']}/invoice")
    assert again.status_code == 302
    page = web.get(again.headers["Location"]).get_data(as_text=True)
    assert "already has invoice" not in page
    assert "از پیش فاکتور" in page
    assert english_words(page, allow=DATA) == []


def test_sales_timeline_entries_are_summarised_in_the_readers_language(web, records):
    web.post("/account/locale", {"locale": "fa"})
    persian = web.get(f"/customers/{records['customer']}").get_data(as_text=True)
    web.post("/account/locale", {"locale": "en"})
    english = web.get(f"/customers/{records['customer']}").get_data(as_text=True)
    timeline = persian.split('id="timeline"', 1)[-1]
    assert "پیش‌فاکتور" in timeline and "فاکتور" in timeline
    assert english_words(timeline, allow=DATA) == []
    assert "Quote sent" in english and "Invoice paid" in english


def test_every_page_with_the_demo_data_writes_numbers_the_one_way(app, web, runtime, db_session):
    """Every GET page of the URL map (core and sales), with the demo's amounts in the millions, in fa and en."""
    from payvand.core.demo import load_demo
    from payvand.plugins.sales.demo import load_sales_demo
    from payvand.plugins.sales.models import Deal, Invoice, Lead, PriceList, Product, Quote

    load_demo(runtime.sessionmaker, customers=20, interactions=100)
    with app.app_context():
        load_sales_demo(seed=7)
        db_session.commit()
    ids = {f"{name}_id": db_session.scalar(sa.select(sa.func.min(model.id))) for name, model in (
        ("deal", Deal), ("invoice", Invoice), ("lead", Lead), ("price_list", PriceList), ("product", Product),
        ("quote", Quote))}
    ids["customer_id"] = db_session.scalar(sa.select(sa.func.min(Customer.id)))
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith(("/api", "/static")) or rule.arguments - ids.keys():
            continue
        paths.append(rule.build({k: v for k, v in ids.items() if k in rule.arguments})[1])
    found = {}
    for locale in ("fa", "en"):
        web.post("/account/locale", {"locale": locale})
        for path in paths:
            page = web.get(path)
            if page.status_code == 200 and page.content_type.startswith("text/html"):
                numbers = foreign_number_formats(page.get_data(as_text=True), locale)
                if numbers:
                    found[(locale, path)] = numbers
    assert len(paths) > 40 and found == {}
