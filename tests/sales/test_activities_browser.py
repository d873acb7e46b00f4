# ruff: noqa: F811 - the browser fixtures are imported from tests/browser/conftest.py by name
"""Browser test of activities: plan one, find it on the Persian (Jalali) calendar, mark it done inline.

Uses the browser fixtures of `tests/browser` (system Chromium, live server, `page`); SQLite only.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from payvand.plugins.sales.models import Activity
from tests.browser.conftest import _chromium, _playwright_loop, browser, live_server, page  # noqa: F401 (fixtures)
from tests.browser.helpers import staff_login

pytestmark = pytest.mark.sqlite_only
PASSWORD = "correct horse battery staple"
PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def test_an_activity_is_planned_seen_on_the_jalali_calendar_and_marked_done(page, live_server, make_user,
                                                                           make_customer, db_session):
    make_user(email="rep@example.com", password=PASSWORD, superuser=True, name="Rep Karimi")
    customer = make_customer(given_name="Sara", family_name="Ahmadi")
    today = dt.datetime.now(ZoneInfo("Asia/Tehran")).date()

    staff_login(page, live_server, "rep@example.com", PASSWORD)
    page.goto(live_server.at("/sales/activities"))
    page.fill("#f-subject", "Visit Sara")
    page.select_option("#f-kind", "meeting")
    page.fill("#f-due_at", f"{today.isoformat()}T10:00")
    page.select_option("#f-remind_before", "60")
    page.fill("#f-customer_id", str(customer.id))
    with page.expect_navigation():
        page.click("#activity-add-save")
    made = db_session.scalars(sa.select(Activity).where(Activity.subject == "Visit Sara")).one()
    expect(page.locator(f"#activity-{made.id}")).to_be_visible()

    with page.expect_navigation():
        page.get_by_role("button", name="فارسی").click()
    page.goto(live_server.at("/sales/calendar"))
    expect(page.locator("#calendar-grid")).to_have_attribute("data-calendar", "jalali")
    cell = page.locator(f"#day-{today.isoformat()}")
    expect(cell).to_have_attribute("aria-current", "date")
    expect(cell).to_contain_text("Visit Sara")
    expect(cell).to_contain_text("۱۰:۰۰")
    expect(page.locator("#calendar-grid thead th").first).to_have_text("شنبه")
    import jdatetime

    jalali = jdatetime.date.fromgregorian(date=today)
    expect(page.locator("#calendar-title")).to_contain_text(jdatetime.date.j_months_fa[jalali.month - 1])
    expect(page.locator("#calendar-title")).to_contain_text(str(jalali.year).translate(PERSIAN))

    page.goto(live_server.at("/sales/activities"))
    with page.expect_response(lambda r: r.url.endswith(f"/sales/activities/{made.id}/done")) as answer:
        page.click(f"#activity-done-{made.id}")
    assert answer.value.status == 200
    expect(page.locator(f"#activity-reopen-{made.id}")).to_be_visible()
    db_session.expire_all()
    assert db_session.get(Activity, made.id).done_at is not None
