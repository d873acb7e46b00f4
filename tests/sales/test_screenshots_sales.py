# ruff: noqa: F811 - the browser fixtures are imported from tests/browser/conftest.py by name
"""The sales pages render in both languages over the demo data; screenshots for the user guide.

Screenshots are written only with `PAYVAND_SCREENSHOTS=1` (see tests/browser/helpers.py);
otherwise each page is still opened and checked. SQLite only. Regenerate them with
`PAYVAND_SCREENSHOTS=1 python -m pytest tests/sales/test_screenshots_sales.py -p no:xdist`.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from payvand.plugins.sales.models import Deal, Invoice, PriceList
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
        elif (name, locale) != ("sales-reports", "fa"):  # taken with Persian data by the test below
            save_screenshot(page, f"{name}-{locale}")


#: Activities of the manager for the calendar and the my-activities page: kind, subject, the day of
#: the Jalali month (1 = its first day; None: no due date), the local hour, and whether it is done.
ACTIVITIES = [
    ("call", "تماس با آقای رضایی درباره پیش‌فاکتور", 2, 10, True),
    ("meeting", "جلسه معرفی محصولات در دفتر تهران", 5, 11, True),
    ("email", "ارسال کاتالوگ زعفران برای خانم احمدی", 8, 9, False),
    ("task", "پیگیری پرداخت فاکتور شرکت آریا", 12, 14, False),
    ("call", "Call Mr. Moradi about the Nowruz baskets", 15, 16, False),
    ("meeting", "بازدید از انبار اصفهان", 19, 10, False),
    ("task", "Prepare the quote for Parsian Hotel", 22, 12, False),
    ("call", "تماس برای تمدید قرارداد پذیرایی", 26, 15, False),
    ("task", "به‌روزرسانی فهرست قیمت عمده‌فروشی", None, 0, False),
]
#: Two more, relative to today (so that *Overdue* and *Today* are not empty): days from today, hour.
AROUND_TODAY = [
    ("call", "Call Ms. Ahmadi about the saffron order", -1, 9),
    ("meeting", "جلسه با مدیر خرید هتل پارسیان", 0, 18),
]


def _jalali_month_start(today: dt.date) -> dt.date:
    """The Gregorian date of the first day of `today`'s Jalali month."""
    import jdatetime

    jalali = jdatetime.date.fromgregorian(date=today)
    return jdatetime.date(jalali.year, jalali.month, 1).togregorian()


def _switch(page, locale: str) -> None:
    """Switch the staff UI to `locale` with the header's language buttons."""
    if page.locator("html").get_attribute("lang") != locale:
        with page.expect_navigation():
            page.locator(f"button[name=locale][value={locale}]").first.click()
    expect(page.locator("html")).to_have_attribute("lang", locale)


def test_the_calendar_activities_prices_and_reports_pages_for_the_user_guide(page, live_server, make_user, app):
    """Persian calendar and reports, English activities and prices, over the demo data and planned activities."""
    from payvand.core.db import current_session
    from payvand.plugins.sales.demo import load_sales_demo
    from payvand.plugins.sales.services import activities

    manager = make_user(email="manager@example.com", password=PASSWORD, superuser=True, name="مریم کریمی")
    make_user(email="reza@example.com", password=PASSWORD, permissions=["sales.deal.view"], name="رضا احمدی")
    zone = ZoneInfo("Asia/Tehran")
    today = dt.datetime.now(zone).date()
    first = _jalali_month_start(today)
    planned = [(kind, subject, first + dt.timedelta(days=day - 1) if day else None, hour, done)
               for kind, subject, day, hour, done in ACTIVITIES]
    planned += [(kind, subject, today + dt.timedelta(days=days), hour, False)
                for kind, subject, days, hour in AROUND_TODAY]
    in_month = [row[2] for row in planned if row[2] is not None and first <= row[2] < first + dt.timedelta(days=29)]
    with app.app_context():
        counts = load_sales_demo(seed=11)
        s = current_session()
        deals = list(s.scalars(sa.select(Deal.id).where(Deal.status == "open", Deal.customer_id.is_not(None))
                               .order_by(Deal.id).limit(len(planned))))
        price_list_id = s.scalar(sa.select(PriceList.id).where(PriceList.is_default.is_(True)))
        for (kind, subject, day, hour, done), deal_id in zip(planned, deals, strict=True):
            due = dt.datetime.combine(day, dt.time(hour), tzinfo=zone) if day else None
            made = activities.create_activity(s, {"kind": kind, "subject": subject, "deal_id": deal_id,
                                                  "owner_id": manager.id, "due_at": due})
            if done:
                activities.complete_activity(s, made)
        s.commit()
    assert counts["deals"] and price_list_id

    staff_login(page, live_server, "manager@example.com", PASSWORD)

    # The calendar in Persian: a Jalali month, Persian digits, the activities on their days.
    _switch(page, "fa")
    page.goto(live_server.at("/sales/calendar"))
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("#calendar-grid")).to_have_attribute("data-calendar", "jalali")
    expect(page.locator("#calendar-grid thead th").first).to_have_text("شنبه")
    expect(page.locator(f"#day-{(first + dt.timedelta(days=4)).isoformat()}")).to_contain_text(
        "جلسه معرفی محصولات در دفتر تهران")
    expect(page.locator(f"#day-{(first + dt.timedelta(days=4)).isoformat()}")).to_contain_text("۱۱:۰۰")
    assert page.locator("#calendar-grid li").count() >= len(in_month)
    save_screenshot(page, "sales-calendar-fa")

    # The reports in Persian: Jalali months with Persian digits, rial amounts.
    page.goto(live_server.at("/sales/reports"))
    months = page.locator("#report-revenue-by-month tbody tr")
    expect(months.first).to_contain_text("۱۴")
    expect(page.locator("#report-revenue-by-month")).to_contain_text("ریال")
    assert not any(c in "0123456789" for c in months.first.locator("td").first.inner_text())
    drawn = page.evaluate("() => ['month', 'product', 'owner'].map((name) => Chart.getChart("
                          "document.querySelector(`#chart-revenue-by-${name} canvas`)).data.labels.length)")
    assert drawn[0] == months.count() and drawn[1] > 0 and drawn[2] > 0  # each table drawn above it
    ticks = page.evaluate("() => Chart.getChart(document.querySelector('#chart-revenue-by-month canvas'))"
                          ".scales.y.ticks.map((t) => String(t.label))")
    assert ticks[0] == "۰" and "میلیارد" in ticks[-1], ticks  # billions of rials in short form, Persian digits
    save_screenshot(page, "sales-reports-fa")

    # My activities in English: overdue, today, upcoming, no due date and done.
    _switch(page, "en")
    page.goto(live_server.at("/sales/activities"))
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    expect(page.locator("main")).to_contain_text("Prepare the quote for Parsian Hotel")
    expect(page.locator("#activities-done")).to_contain_text("تماس با آقای رضایی درباره پیش‌فاکتور")
    save_screenshot(page, "sales-activities-en")

    # The default price list's prices in English.
    page.goto(live_server.at(f"/sales/price-lists/{price_list_id}"))
    expect(page.locator("#prices-table tbody tr").first).to_contain_text("rials")
    save_screenshot(page, "sales-prices-en")
