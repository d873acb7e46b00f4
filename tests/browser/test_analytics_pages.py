"""The analytics pages in Chromium, in English and in Persian: every chart drawn by the vendored
Chart.js with its table view one click away, and the accessibility sweep of the service pages
(`test_service_accessibility.py`: labels, names, landmarks, `lang`/`dir`, WCAG AA contrast, no
sideways scrolling) over the lifetime-value, RFM, cohort, e-CRM cycle and recommendation pages.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from playwright.sync_api import Page, expect

import payvand.plugins.analytics as analytics
import payvand.plugins.sales as sales
from tests.analytics.orders import add_orders
from tests.analytics.test_clv_cli import simulated_purchases
from tests.analytics.test_recommend import _clustered

from .helpers import LiveServer, horizontal_overflow, save_screenshot
from .test_accessibility import switch_language
from .test_service_accessibility import check

#: The analytics pages with charts (each `figure[data-chart]`), and the cohort page (a table only).
CHART_PAGES = ["/analytics/clv", "/analytics/rfm", "/analytics/cycle", "/analytics/recommendations"]
PAGES = [*CHART_PAGES, "/analytics/cohorts"]

#: Runs in the page: each chart figure's canvas has a Chart.js chart with data, and a table with rows.
CHARTS_JS = r"""
() => [...document.querySelectorAll("figure[data-chart]")].map((figure) => {
  const canvas = figure.querySelector("canvas");
  const chart = typeof Chart === "undefined" ? null : Chart.getChart(canvas);
  return {id: figure.id, drawn: !!chart && chart.data.datasets.length > 0 && canvas.width > 0,
          rows: figure.querySelectorAll(".chart-table tbody tr").length};
})
"""

#: Runs in the page: the value axis's tick labels of the first chart, as drawn.
Y_TICKS_JS = r"""
() => Chart.getChart(document.querySelector("figure[data-chart] canvas")).scales.y.ticks.map((t) => String(t.label))
"""


@pytest.fixture
def payvand_plugins() -> list[Any]:
    return [sales, analytics]


@pytest.fixture
def analytics_data(app: Any, db_session: Any, make_customer: Any) -> None:
    """Simulated purchase histories and clustered product purchases, with every analysis run once."""
    from payvand.plugins.analytics.services import cycle, lifetime, recommend, rfm

    with app.app_context():
        ids = [make_customer(given_name=f"C{n}").id for n in range(60)]
        add_orders(db_session, simulated_purchases(ids))
        _clustered(db_session, make_customer)
        lifetime.run_instance(lifetime.ClvOptions(dt.date(2024, 7, 31), holdout_end=dt.date(2024, 12, 31)))
        rfm.run_rfm(rfm.RfmOptions(dt.date(2024, 1, 1), dt.date(2024, 6, 30)))
        rfm.run_rfm(rfm.RfmOptions(dt.date(2024, 1, 1), dt.date(2024, 12, 31)))
        cycle.run_cycle(dt.date(2024, 12, 31))
        recommend.run_recommend(evaluate_from=dt.date(2024, 6, 1))
        db_session.commit()


@pytest.mark.parametrize("locale", ["en", "fa"])
def test_every_chart_is_drawn_and_has_its_table_view(signed_in: Page, live_server: LiveServer, analytics_data: None,
                                                     locale: str) -> None:
    page = signed_in
    switch_language(page, locale)
    for path in CHART_PAGES:
        response = page.goto(live_server.at(path))
        assert response is not None and response.status == 200, path
        charts = page.evaluate(CHARTS_JS)
        assert charts and all(c["drawn"] and c["rows"] > 0 for c in charts), (path, charts)
        ticks = page.evaluate(Y_TICKS_JS)
        assert ticks[0] == ("۰" if locale == "fa" else "0"), ticks  # the zero too, in the page's digits
        save_screenshot(page, f"analytics-{path.rsplit('/', 1)[1]}-{locale}")  # the user guide's (PAYVAND_SCREENSHOTS=1)
        first = page.locator("figure[data-chart]").first
        toggle = first.locator("[data-chart-toggle]")
        expect(first.locator(".chart-table")).to_be_hidden()
        toggle.click()
        expect(toggle).to_have_attribute("aria-pressed", "true")
        expect(first.locator(".chart-table table")).to_be_visible()
        expect(first.locator(".chart-box")).to_be_hidden()
        toggle.click()
        expect(first.locator("canvas")).to_be_visible()
    page.goto(live_server.at("/analytics/cohorts"))
    expect(page.locator("#cohort-retention tbody tr").first).to_be_visible()
    save_screenshot(page, f"analytics-cohorts-{locale}")


@pytest.mark.parametrize("locale", ["en", "fa"])
def test_the_analytics_pages_pass_the_accessibility_sweep(signed_in: Page, live_server: LiveServer,
                                                          analytics_data: None, locale: str) -> None:
    page = signed_in
    switch_language(page, locale)
    problems: dict[str, list[str]] = {}
    for path in PAGES:
        response = page.goto(live_server.at(path))
        assert response is not None and response.status == 200, path
        assert page.locator("html").get_attribute("lang") == locale, path
        problems[path] = check(page, locale)
        if overflow := horizontal_overflow(page):
            problems[path].append(f"wider than the window by {overflow}px")
        page.locator("[data-chart-toggle]").evaluate_all("(buttons) => buttons.forEach((b) => b.click())")
        problems[path] += [f"table view: {p}" for p in check(page, locale)]
    assert {path: found for path, found in problems.items() if found} == {}
