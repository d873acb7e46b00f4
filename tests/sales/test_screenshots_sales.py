# ruff: noqa: F811 - the browser fixtures are imported from tests/browser/conftest.py by name
"""The sales pages render in both languages over the demo data; screenshots for the user guide.

Screenshots are written only with `PAYVAND_SCREENSHOTS=1` (see tests/browser/helpers.py);
otherwise each page is still opened and checked. SQLite only.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from payvand.plugins.sales.models import Invoice
from tests.browser.conftest import _chromium, _playwright_loop, browser, live_server, page  # noqa: F401 (fixtures)
from tests.browser.helpers import save_screenshot, staff_login

pytestmark = pytest.mark.sqlite_only
PASSWORD = "correct horse battery staple"
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.mark.parametrize("locale", ["en", "fa"])
def test_the_sales_pages_render_over_the_demo_data(page, live_server, make_user, make_customer, app, locale):
    from payvand.core.db import current_session
    from payvand.plugins.sales.demo import load_sales_demo

    make_user(email="manager@example.com", password=PASSWORD, superuser=True, name="Maryam Karimi")
    for n in range(12):
        make_customer(given_name=f"Customer {n}", emails=[f"c{n}@example.com"])
    with app.app_context():
        counts = load_sales_demo(seed=7)
        invoice_id = current_session().scalar(sa.select(Invoice.id).where(Invoice.status == "partially_paid").limit(1))
        current_session().commit()
    assert counts["deals"] == 120

    staff_login(page, live_server, "manager@example.com", PASSWORD)
    page.locator(f"button[name=locale][value={locale}]").first.click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == locale
    for name, path, marker in (("sales-board", "/sales/board", ".sales-card"),
                               ("sales-invoice", f"/sales/invoices/{invoice_id}", "#invoice-balance"),
                               ("sales-reports", "/sales/reports", "#report-revenue-by-month"),
                               ("sales-leads", "/sales/leads", "table")):
        response = page.goto(live_server.at(path))
        assert response is not None and response.status == 200, path
        assert page.locator(marker).count() >= 1, path
        if name in ("sales-board", "sales-leads"):  # long pages: the first screen tells the story
            if os.environ.get("PAYVAND_SCREENSHOTS") == "1":
                page.screenshot(path=str(SHOTS / f"{name}-{locale}.png"), full_page=False)
        else:
            save_screenshot(page, f"{name}-{locale}")
