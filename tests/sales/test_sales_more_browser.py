# ruff: noqa: F811 - the browser fixtures are imported from tests/browser/conftest.py by name
"""Browser tests of the lead import, price lists, quote rejection, invoice voiding and the quote PDF.

Uses the browser fixtures of `tests/browser` (system Chromium, live server, `page`); SQLite only.
Data the flow starts from (products, a quote, an invoice) is made through the API; the steps
under test are clicked in the browser by a user holding only the permissions they need. The
last test runs the accessibility checker of `tests/browser/test_accessibility.py` over the
sales pages added with these flows (calendar, activities, price lists, lead import), in both
languages.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from payvand.plugins.sales import permissions as perm
from payvand.plugins.sales.models import Lead
from tests.browser.conftest import _chromium, _playwright_loop, browser, live_server, page  # noqa: F401 (fixtures)
from tests.browser.helpers import staff_login
from tests.browser.test_accessibility import audit, switch_language

pytestmark = pytest.mark.sqlite_only
PASSWORD = "correct horse battery staple"
#: A leads CSV whose line 3 (the second data row) has a bad email; the other two are good.
LEADS_CSV = "\n".join([
    "name,email,phone,campaign",
    "Sara Karimi,sara.karimi@example.com,09121110001,nowruz-1405",
    "Reza Bad,not-an-email,09121110002,nowruz-1405",
    "مریم احمدی,maryam.ahmadi@example.com,۰۹۱۲۱۱۱۰۰۰۳,nowruz-1405",
]) + "\n"
BAD_LINE_REASON = "Email: Not a valid email address."


def _submit(page, selector: str) -> None:
    """Click a form's submit button and wait for the page it leads to."""
    with page.expect_navigation():
        page.locator(selector).click()


def _confirm_and_submit(page, form: str, button: str) -> None:
    """Submit a form that asks `data-confirm` first, accepting the question."""
    assert page.locator(form).get_attribute("data-confirm"), f"{form} should ask before it acts"
    page.once("dialog", lambda dialog: dialog.accept())
    _submit(page, button)


def _leads_csv(tmp_path: Path) -> Path:
    path = tmp_path / "leads.csv"
    path.write_text(LEADS_CSV, encoding="utf-8")
    return path


def _quote(api, customer_id: int) -> dict:
    """A priced product in a default list and a draft quote of three of it (3 × 1,250,000 + 10 % VAT)."""
    retail = api.post("sales/price-lists", json={"name": "Retail"}).get_json()
    pen = api.post("sales/products", json={"sku": "PEN-7", "name": "Fountain pen"}).get_json()
    answer = api.put(f"sales/price-lists/{retail['id']}/prices/{pen['id']}", json={"unit_price": "1250000"})
    assert answer.status_code in (200, 201), answer.get_json()
    made = api.post("sales/quotes", json={"customer_id": customer_id, "lines": [
        {"product_id": pen["id"], "quantity": "3"}]})
    assert made.status_code == 201, made.get_json()
    return made.get_json()


# --------------------------------------------------------------------------- lead import


def test_a_staff_user_imports_leads_sees_the_rejected_line_and_downloads_the_rejects(
        page, live_server, make_user, db_session, tmp_path):
    make_user(email="rep@example.com", password=PASSWORD, name="Rep Karimi",
              permissions=[perm.LEAD_VIEW, perm.LEAD_EDIT])
    csv_file = _leads_csv(tmp_path)
    staff_login(page, live_server, "rep@example.com", PASSWORD)

    page.goto(live_server.at("/sales/leads"))
    _submit(page, "#lead-import")
    assert urlsplit(page.url).path == "/sales/leads/import"
    expect(page.locator("#lead-import-form")).to_be_visible()

    # A dry run first: the counts are shown, nothing is saved.
    page.locator("#f-file").set_input_files(csv_file)
    page.select_option("#f-on_duplicate", "skip")
    page.locator("#f-dry_run").check()
    _submit(page, "#lead-import-submit")
    expect(page.locator("#lead-import-dry-run")).to_be_visible()
    expect(page.locator("#lead-import-created")).to_have_text("2")
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Lead)) == 0

    # The real import: two leads created, line 3 listed with its reason.
    page.goto(live_server.at("/sales/leads/import"))
    page.locator("#f-file").set_input_files(csv_file)
    page.select_option("#f-on_duplicate", "skip")
    expect(page.locator("#f-dry_run")).not_to_be_checked()
    _submit(page, "#lead-import-submit")
    assert urlsplit(page.url).path == "/sales/leads/import/result"
    expect(page.locator("#lead-import-dry-run")).to_have_count(0)
    summary = page.locator("#lead-import-summary")
    expect(summary).to_be_visible()
    expect(page.locator("#lead-import-created")).to_have_text("2")
    expect(page.locator("#lead-import-rejected")).to_have_text("1")
    rows = page.locator("#lead-import-rejects tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first.locator("td").nth(0)).to_have_text("3")
    expect(rows.first.locator("td").nth(1)).to_have_text(BAD_LINE_REASON)
    db_session.expire_all()
    emails = set(db_session.scalars(sa.select(Lead.email)))
    assert emails == {"sara.karimi@example.com", "maryam.ahmadi@example.com"}

    # The rejects as a CSV file (UTF-8 with a BOM for Excel): the header and the bad line.
    with page.expect_download() as downloading:
        page.locator("#lead-import-rejects-csv").click()
    download = downloading.value
    assert download.suggested_filename == "lead-import-rejects.csv"
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    assert text.splitlines() == ["line,reason,reason_code", f"3,{BAD_LINE_REASON},invalid_email"]

    # The leads list shows the imported leads.
    page.goto(live_server.at("/sales/leads"))
    expect(page.locator("main")).to_contain_text("Sara Karimi")
    expect(page.locator("main")).to_contain_text("مریم احمدی")


# --------------------------------------------------------------------------- price lists


def test_a_manager_makes_a_price_list_and_a_price_typed_in_persian_digits_is_shown_formatted(
        page, live_server, make_user, api):
    make_user(email="manager@example.com", password=PASSWORD, name="Maryam Karimi",
              permissions=[perm.CATALOG_VIEW, perm.CATALOG_EDIT, perm.MANAGE])
    saffron = api.post("sales/products", json={"sku": "SAF-5", "name": "Saffron (negin) 5 g"}).get_json()
    rice = api.post("sales/products", json={"sku": "RICE-10", "name": "Hashemi rice 10 kg"}).get_json()
    staff_login(page, live_server, "manager@example.com", PASSWORD)

    page.goto(live_server.at("/sales/products"))
    _submit(page, "#price-lists-link")
    assert urlsplit(page.url).path == "/sales/price-lists"
    _submit(page, "#price-list-new")
    expect(page.locator("#price-list-form")).to_be_visible()
    page.fill("#f-name", "عمده‌فروشی")
    page.fill("#f-currency", "irr")
    _submit(page, "#price-list-save")

    # Saving the list leads to its (empty) prices page.
    assert urlsplit(page.url).path.startswith("/sales/price-lists/")
    expect(page.locator("h1")).to_contain_text("عمده‌فروشی")
    expect(page.locator("h1")).to_contain_text("IRR")
    expect(page.locator("#prices-form")).to_be_visible()
    expect(page.locator(f"#price-{saffron['id']}-shown")).to_have_text("")

    page.fill(f"#f-price-{saffron['id']}", "۱٬۲۵۰٬۰۰۰")
    _submit(page, "#prices-save")
    expect(page.locator(".alert-success")).to_contain_text("1 prices changed.")
    expect(page.locator(f"#price-{saffron['id']}-shown")).to_have_text("1,250,000 rials")
    expect(page.locator(f"#f-price-{saffron['id']}")).to_have_value("1250000")
    expect(page.locator(f"#price-{rice['id']}-shown")).to_have_text("")

    # The list of lists counts the price; the API reads the same amount.
    page.goto(live_server.at("/sales/price-lists"))
    row = page.locator("#price-lists-table tbody tr").filter(has_text="عمده‌فروشی")
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(3)).to_have_text("1")
    list_id = int(row.get_attribute("id").rsplit("-", 1)[1])
    prices = api.get(f"sales/price-lists/{list_id}/prices").get_json()
    items = prices["items"] if isinstance(prices, dict) else prices
    assert [(p["product_id"], p["unit_price"]) for p in items] == [(saffron["id"], "1250000")]


# --------------------------------------------------------------------------- quotes and invoices


# the documents of every rep
CLERK_PERMISSIONS = [perm.DOCUMENT_VIEW, perm.DOCUMENT_EDIT, perm.DOCUMENT_ALL, "core.customer.view"]


def test_a_quote_downloads_as_a_pdf_and_is_rejected_with_a_reason(page, live_server, make_user, make_customer, api):
    make_user(email="clerk@example.com", password=PASSWORD, permissions=CLERK_PERMISSIONS, name="Clerk Rahimi")
    customer = make_customer(given_name="Sara", family_name="Ahmadi")
    quote = _quote(api, customer.id)
    staff_login(page, live_server, "clerk@example.com", PASSWORD)
    page.goto(live_server.at(f"/sales/quotes/{quote['id']}"))
    expect(page.locator("#quote-status")).to_have_attribute("data-state", "draft")

    with page.expect_download() as downloading:
        page.locator("#quote-pdf").click()
    download = downloading.value
    assert download.suggested_filename.endswith(".pdf")
    pdf = Path(download.path()).read_bytes()
    assert pdf.startswith(b"%PDF-") and len(pdf) > 1000

    page.locator("#quote-reject summary").click()
    page.fill("#f-reject-reason", "قیمت بالاتر از بودجه")
    _confirm_and_submit(page, "#quote-reject-form", "#quote-reject-submit")
    status = page.locator("#quote-status")
    expect(status).to_have_attribute("data-state", "rejected")
    expect(status).to_have_text("Rejected")
    expect(page.locator("#quote-rejected")).to_contain_text("قیمت بالاتر از بودجه")
    expect(page.locator("#quote-reject-form")).to_have_count(0)
    expect(page.locator("#quote-accept")).to_have_count(0)
    answer = api.get(f"sales/quotes/{quote['id']}").get_json()
    assert answer["status"] == "rejected"


def test_a_quote_whose_reject_dialog_is_cancelled_stays_as_it_was(page, live_server, make_user, make_customer, api):
    make_user(email="clerk@example.com", password=PASSWORD, permissions=CLERK_PERMISSIONS, name="Clerk Rahimi")
    quote = _quote(api, make_customer(given_name="Sara").id)
    staff_login(page, live_server, "clerk@example.com", PASSWORD)
    page.goto(live_server.at(f"/sales/quotes/{quote['id']}"))
    page.locator("#quote-reject summary").click()
    page.fill("#f-reject-reason", "no")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.locator("#quote-reject-submit").click()
    page.wait_for_timeout(300)
    expect(page.locator("#quote-status")).to_have_attribute("data-state", "draft")
    assert api.get(f"sales/quotes/{quote['id']}").get_json()["status"] == "draft"


def test_an_invoice_without_payments_is_voided_with_a_reason(page, live_server, make_user, make_customer, api):
    make_user(email="clerk@example.com", password=PASSWORD, permissions=CLERK_PERMISSIONS, name="Clerk Rahimi")
    customer = make_customer(given_name="Sara", family_name="Ahmadi")
    quote = _quote(api, customer.id)
    order = api.post(f"sales/quotes/{quote['id']}/accept").get_json()
    invoice = api.post("sales/invoices", json={"order_id": order["id"]})
    assert invoice.status_code == 201, invoice.get_json()
    invoice = invoice.get_json()
    staff_login(page, live_server, "clerk@example.com", PASSWORD)

    page.goto(live_server.at(f"/sales/invoices/{invoice['id']}"))
    expect(page.locator("#invoice-status")).to_have_text("Unpaid")
    expect(page.locator("#invoice-balance")).to_have_text("4,125,000 rials")
    expect(page.locator("#invoice-void-mark")).to_have_count(0)
    expect(page.locator("#invoice-void-refund-first")).to_have_count(0)

    page.locator("#invoice-void summary").click()
    page.fill("#f-void-reason", "Issued twice by mistake")
    _confirm_and_submit(page, "#invoice-void-form", "#invoice-void-submit")
    mark = page.locator("#invoice-void-mark")
    expect(mark).to_be_visible()
    expect(mark).to_contain_text("VOID")
    expect(mark).to_contain_text("Issued twice by mistake")
    expect(page.locator("#invoice-status")).to_have_attribute("data-state", "void")
    expect(page.locator("#invoice-balance")).to_have_count(0)
    expect(page.locator("#invoice-void-form")).to_have_count(0)
    expect(page.locator("#payment-form")).to_have_count(0)
    assert api.get(f"sales/invoices/{invoice['id']}").get_json()["status"] == "void"


# --------------------------------------------------------------------------- accessibility


@pytest.mark.parametrize("locale", ["en", "fa"])
def test_the_new_sales_pages_label_their_controls_and_name_their_buttons_and_links(
        page, live_server, make_user, make_customer, api, tmp_path, locale):
    manager = make_user(email="manager@example.com", password=PASSWORD, superuser=True, name="Maryam Karimi")
    customer = make_customer(given_name="Sara", family_name="Ahmadi")
    retail = api.post("sales/price-lists", json={"name": "Retail"}).get_json()
    product = api.post("sales/products", json={"sku": "TEA-1", "name": "Lahijan black tea 500 g"}).get_json()
    api.put(f"sales/price-lists/{retail['id']}/prices/{product['id']}", json={"unit_price": "420000"})
    today = dt.datetime.now(ZoneInfo("Asia/Tehran")).replace(hour=10, minute=0, second=0, microsecond=0)
    for n, (kind, subject, when) in enumerate([("call", "Call Sara about the order", today),
                                               ("meeting", "جلسه با خانم احمدی", today + dt.timedelta(days=1)),
                                               ("task", "Send the price list", today - dt.timedelta(days=2))]):
        made = api.post("sales/activities", json={"kind": kind, "subject": subject, "customer_id": customer.id,
                                                  "owner_id": manager.id, "due_at": when.isoformat()})
        assert made.status_code == 201, (n, made.get_json())
        activity_id = made.get_json()["id"]
    staff_login(page, live_server, "manager@example.com", PASSWORD)
    switch_language(page, locale)

    page.goto(live_server.at("/sales/leads/import"))
    page.locator("#f-file").set_input_files(_leads_csv(tmp_path))
    _submit(page, "#lead-import-submit")
    expect(page.locator("#lead-import-rejects tbody tr")).to_have_count(1)
    problems = {"/sales/leads/import/result": audit(page)}

    paths = ["/sales/calendar", "/sales/calendar?view=week", "/sales/calendar?calendar=gregorian",
             "/sales/activities", "/sales/activities?scope=all&status=overdue", "/sales/price-lists",
             "/sales/price-lists/new", f"/sales/price-lists/{retail['id']}",
             f"/sales/price-lists/{retail['id']}/edit", "/sales/leads/import", f"/sales/activities/{activity_id}/edit"]
    for path in paths:
        response = page.goto(live_server.at(path))
        assert response is not None and response.status == 200, (path, response and response.status)
        assert page.locator("html").get_attribute("lang") == locale, path
        problems[path] = audit(page)
    # The pages were not empty: the checks saw the activities and the price.
    page.goto(live_server.at("/sales/activities"))
    expect(page.locator(".activity-list li")).to_have_count(3)

    assert {path: found for path, found in problems.items() if found} == {}
