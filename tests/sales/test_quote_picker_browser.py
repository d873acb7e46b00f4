# ruff: noqa: F811 - the browser fixtures are imported from tests/browser/conftest.py by name
"""Browser test of the new-quote form: the customer is chosen with the picker (no raw number to
know), and quantities and prices are typed in Persian digits.

Uses the browser fixtures of `tests/browser` (system Chromium, live server, `page`); SQLite only.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from payvand.plugins.sales.models import Quote
from tests.browser.conftest import _chromium, _playwright_loop, browser, live_server, page  # noqa: F401 (fixtures)
from tests.browser.helpers import staff_login

pytestmark = pytest.mark.sqlite_only
PASSWORD = "correct horse battery staple"


def test_a_quote_is_made_by_picking_the_customer_and_typing_persian_digits(page, live_server, make_user,
                                                                          make_customer, db_session):
    make_user(email="rep@example.com", password=PASSWORD, superuser=True, name="Rep Karimi")
    make_customer(given_name="Other", family_name="Person")
    customer = make_customer(given_name="لیلا", family_name="کریمی")

    staff_login(page, live_server, "rep@example.com", PASSWORD)
    page.goto(live_server.at("/sales/quotes/new"))
    page.fill("#customer-q", "كريمي")  # Arabic letter forms: the search folds them
    page.click(f"#customer-pick-{customer.id}")
    expect(page.locator("#f-customer_id")).to_have_value(str(customer.id))
    expect(page.locator("#customer-chosen")).to_contain_text("لیلا کریمی")
    page.fill("#f-lines-0-description", "نصب و راه‌اندازی ۲ دستگاه")
    page.fill("#f-lines-0-quantity", "۲")
    page.fill("#f-lines-0-unit_price", "۱٬۲۵۰٬۰۰۰")
    with page.expect_navigation():
        page.click("#quote-save")
    quote = db_session.scalars(sa.select(Quote)).one()
    assert quote.customer_id == customer.id
    assert [(line.description, line.quantity, line.unit_price) for line in quote.lines] == [
        ("نصب و راه‌اندازی ۲ دستگاه", 2, 1250000)]
