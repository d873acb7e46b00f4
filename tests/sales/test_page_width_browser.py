# ruff: noqa: F811 - the browser fixtures are imported from tests/browser/conftest.py by name
"""No page is wider than the window, in Persian (right to left) or English, in Chromium.

An element placed far off-screen (the lead form's honeypot once sat at `left:-10000px`) makes a
right-to-left page scroll sideways for thousands of pixels: here every main page of the core
and of the sales plugin, loaded with the demo data, is measured (`document.scrollWidth` against
the window's width) in both languages.
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from payvand.plugins.sales.demo import load_sales_demo
from payvand.plugins.sales.models import Deal, Invoice, Lead, Order, PriceList, Product, Quote
from tests.browser.conftest import _chromium, _playwright_loop, browser, live_server, page  # noqa: F401 (fixtures)
from tests.browser.helpers import horizontal_overflow, staff_login
from tests.browser.test_accessibility import switch_language

pytestmark = pytest.mark.sqlite_only
PASSWORD = "correct horse battery staple"
NOW = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)

CORE_PAGES = ["/", "/customers", "/customers/new", "/customers/{customer}", "/customers/{customer}/edit",
              "/duplicates", "/import", "/admin/plugins", "/admin/users", "/admin/roles", "/admin/tokens",
              "/admin/audit", "/admin/settings"]
SALES_PAGES = ["/sales/leads", "/sales/leads/new", "/sales/leads/{lead}", "/sales/leads/import", "/sales/scoring",
               "/sales/board", "/sales/deals", "/sales/deals/new", "/sales/deals/{deal}", "/sales/forecast",
               "/sales/pipelines", "/sales/activities", "/sales/calendar", "/sales/products",
               "/sales/products/{product}/edit", "/sales/price-lists", "/sales/price-lists/{price_list}",
               "/sales/quotes", "/sales/quotes/new", "/sales/quotes/{quote}", "/sales/orders", "/sales/orders/{order}",
               "/sales/invoices", "/sales/invoices/{invoice}", "/sales/reports"]


@pytest.fixture
def demo(in_app, db_session, make_customer, make_user):
    """A superuser, a few customers with the sales demo on top; the ids of one record of each kind."""
    make_user(email="admin@example.com", password=PASSWORD, superuser=True, name="Admin Karimi")
    customer = make_customer(given_name="Ali", family_name="(علی) Co.", emails=["ali@example.com"])
    for n in range(5):
        make_customer(given_name=f"مشتری {n}")
    load_sales_demo(seed=7, now=NOW)
    db_session.commit()
    first = {name: db_session.scalar(sa.select(sa.func.min(model.id))) for name, model in (
        ("deal", Deal), ("invoice", Invoice), ("lead", Lead), ("order", Order), ("price_list", PriceList),
        ("product", Product), ("quote", Quote))}
    return {"customer": customer.id, **first}


@pytest.mark.parametrize("locale", ["fa", "en"])
def test_no_page_is_wider_than_the_window(page, live_server, demo, locale):
    page.goto(live_server.at("/login"))
    switch_language(page, locale)
    page.goto(live_server.at("/forms/lead"))
    assert page.locator("html").get_attribute("lang") == locale
    wide = {"/forms/lead": horizontal_overflow(page)}
    staff_login(page, live_server, "admin@example.com", PASSWORD)
    switch_language(page, locale)
    for template in CORE_PAGES + SALES_PAGES:
        path = template.format(**demo)
        response = page.goto(live_server.at(path))
        assert response is not None and response.status == 200, (path, response and response.status)
        wide[path] = horizontal_overflow(page)
    assert {path: px for path, px in wide.items() if px > 0} == {}
