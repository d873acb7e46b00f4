"""The Content-Security-Policy in a real browser: the main staff pages (core and sales, in
Persian and English) and the public lead form run with no violation reported, and the
behaviours moved out of inline code (the customer picker, the print button) still work."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

import payvand.plugins.sales as sales
from payvand.plugins.sales.demo import load_sales_demo
from payvand.plugins.sales.models import Activity, Deal, Invoice, Lead, Quote
from payvand.sdk.testing import page_paths

from .helpers import LiveServer, staff_login

PASSWORD = "correct horse battery staple"
NOW = dt.datetime(2026, 6, 1, 9, 30, tzinfo=dt.UTC)
#: Collects every violation the page reports (the event fires for blocked code and styles).
WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " +
                              (e.sourceFile || "") + ":" + e.lineNumber);
});
"""
CORE_PAGES = ["/", "/customers", "/customers/new", "/duplicates", "/import", "/admin/plugins", "/admin/users",
              "/admin/roles", "/admin/tokens", "/admin/audit", "/admin/settings"]
NOT_PAGES = ("pdf", "csv", "export", "download", "/customers?", "/activities/customers")


@pytest.fixture
def payvand_plugins() -> list[Any]:
    return [sales]


@pytest.fixture
def seeded(app, db_session, make_customer, make_user) -> dict[str, int]:
    """A superuser, a few customers and the sales demo; the first id of each kind of row."""
    make_user(email="admin@example.com", password=PASSWORD, superuser=True, name="Admin Karimi")
    customers = [make_customer(given_name=f"Demo{n}", emails=[f"demo{n}@example.com"]) for n in range(4)]
    with app.app_context():
        load_sales_demo(seed=5, now=NOW)
        db_session.commit()
    ids = {name: db_session.scalar(sa.select(sa.func.min(model.id)))
           for name, model in {"deal_id": Deal, "quote_id": Quote, "invoice_id": Invoice, "lead_id": Lead,
                               "activity_id": Activity}.items()}
    return {**ids, "customer_id": customers[0].id}


def _watch(page: Page) -> list[str]:
    found: list[str] = []
    page.add_init_script(WATCH)
    page.on("console", lambda msg: found.append(msg.text) if "Content Security Policy" in msg.text else None)
    return found


def _visit(page: Page, live_server: LiveServer, path: str, console: list[str]) -> list[str]:
    response = page.goto(live_server.at(path))
    assert response is not None and response.status < 400, (path, response and response.status)
    page.wait_for_load_state("load")
    found = page.evaluate("window.__cspViolations || []")
    noted = [f"{path}: {line}" for line in found + console]
    console.clear()
    return noted


def _main_pages(live_server: LiveServer, ids: dict[str, int]) -> list[str]:
    sales_pages = [path for path in page_paths(live_server.app, values=ids, prefix="/sales")
                   if not any(word in path for word in NOT_PAGES)]
    return CORE_PAGES + [f"/customers/{ids['customer_id']}", f"/customers/{ids['customer_id']}/edit"] + sales_pages


def test_main_pages_run_without_csp_violations_in_both_languages(page: Page, live_server: LiveServer, seeded) -> None:
    console = _watch(page)
    staff_login(page, live_server, "admin@example.com", PASSWORD)
    pages = _main_pages(live_server, seeded)
    assert len(pages) >= 35
    violations: list[str] = []
    for language in ("فارسی", "English"):
        page.goto(live_server.at("/"))
        with page.expect_navigation():
            page.get_by_role("button", name=language, exact=True).click()
        for path in pages:
            violations += _visit(page, live_server, path, console)
    assert violations == []


def test_the_public_lead_form_runs_without_csp_violations(page: Page, live_server: LiveServer) -> None:
    console = _watch(page)
    assert _visit(page, live_server, "/forms/lead", console) == []
    expect(page.locator("#lead-public-form")).to_be_visible()


def test_a_policy_violation_is_reported_and_caught(page: Page, live_server: LiveServer) -> None:
    """The watch itself works: an inline script added to a page is refused and reported."""
    _watch(page)
    page.goto(live_server.at("/login"))
    page.evaluate("""() => { const s = document.createElement('script'); s.textContent = 'window.ran = 1';
                             document.body.appendChild(s); }""")
    page.wait_for_function("window.__cspViolations.length > 0")
    assert page.evaluate("window.ran") is None
    assert any("script-src" in line for line in page.evaluate("window.__cspViolations"))


def test_the_customer_picker_fills_the_number_without_inline_handlers(page: Page, live_server: LiveServer,
                                                                      seeded) -> None:
    console = _watch(page)
    staff_login(page, live_server, "admin@example.com", PASSWORD)
    page.goto(live_server.at("/sales/activities"))
    form = page.locator("form").filter(has=page.locator("#customer-q")).first
    form.locator("#customer-q").fill("demo0@example.com")
    pick = page.locator(f"#customer-pick-{seeded['customer_id']}")
    pick.click()
    expect(form.locator("[name=customer_id]")).to_have_value(str(seeded["customer_id"]))
    expect(form.locator(".customer-chosen")).to_contain_text("Demo0")
    assert page.evaluate("window.__cspViolations") == [] and console == []
