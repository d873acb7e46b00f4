"""The KPI dashboard in Chromium, in English and in Persian: every chart is drawn by Chart.js, the
table view replaces a chart on demand, a chart is saved as a PNG file, and the filter applies."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

import payvand.plugins.analytics as analytics
import payvand.plugins.sales as sales
from payvand.core.models import User
from tests.analytics.orders import add_orders

from .data import Account
from .helpers import LiveServer, save_screenshot, staff_login


@pytest.fixture
def payvand_plugins() -> list[Any]:
    return [sales, analytics]


@pytest.mark.parametrize("locale", ["en", "fa"])
def test_dashboard_draws_charts_with_table_views_and_saves_a_png(page: Page, live_server: LiveServer, admin: Account,
                                                                   db_session: Any, make_customer: Any,
                                                                   runtime: Any, locale: str) -> None:
    today = dt.date.today()
    ids = [make_customer(given_name=f"B{n}").id for n in range(6)]
    add_orders(db_session, [(ids[n], (today - dt.timedelta(days=40 * k + n)).isoformat(), str(100 + 10 * n))
                            for n in range(6) for k in range(1 + n % 3)])
    db_session.execute(sa.update(User).where(User.id == admin.id).values(locale=locale))
    db_session.commit()
    staff_login(page, live_server, admin.email, admin.password)

    start = (today - dt.timedelta(days=100)).isoformat()
    page.goto(live_server.at(f"/analytics/dashboard?period=custom&start={start}&end={today.isoformat()}"
                             "&comparison=previous"))
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if locale == "fa" else "ltr")
    expect(page.locator("#kpi-analytics-customers-acquired-pending")).to_be_visible()  # computed in the background
    runtime.job_runner.deliver_due()  # the background computations (not the nightly refresh, which marks them stale)
    page.reload()
    acquired = page.locator("#kpi-analytics-customers-acquired")
    expect(acquired.locator("canvas")).to_be_visible()
    expect(page.locator("#kpi-analytics-customers-acquired-pending")).to_have_count(0)  # computed, and fresh
    page.wait_for_function("() => document.querySelectorAll('figure[data-chart] canvas').length > 0 && "
                           "[...document.querySelectorAll('figure[data-chart] canvas')].every(c => Chart.getChart(c))")
    drawn = page.evaluate("() => Chart.getChart(document.querySelector('#kpi-analytics-customers-acquired canvas'))"
                          ".data.datasets[0].data.reduce((a, b) => a + b, 0)")
    assert drawn == 6  # every customer's first purchase is in the last 100 days
    revenue = page.locator("#kpi-sales-revenue")
    expect(revenue.locator("canvas")).to_be_visible()
    save_screenshot(page, f"analytics-dashboard-{locale}")  # the user guide's (PAYVAND_SCREENSHOTS=1)

    acquired.locator("#kpi-analytics-customers-acquired-toggle").click()
    table = acquired.locator("#kpi-analytics-customers-acquired-table")
    expect(table).to_be_visible()
    expect(acquired.locator("canvas")).to_be_hidden()
    expect(acquired.locator("#kpi-analytics-customers-acquired-toggle")).to_have_attribute("aria-pressed", "true")
    assert table.locator("tbody tr").count() >= 1
    if locale == "fa":
        expect(table).to_contain_text("۱۴")  # Jalali months, Persian digits
    with page.expect_download() as download:
        revenue.locator("#kpi-sales-revenue-png").click()
    assert download.value.suggested_filename == "sales-revenue.png"
    assert download.value.path().read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    page.select_option("#f-period", "custom")
    page.fill("#f-start", "2020-01-01")
    page.fill("#f-end", "2019-01-01")
    page.click("#dashboard-apply")
    expect(page.locator("#f-end-error")).to_be_visible()
