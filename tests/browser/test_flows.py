"""The staff UI's main flows in Chromium: search, the 360 page, languages, merge, import, plugins.

Each test drives the pages as a user would (typing, clicking, confirming dialogs) against the
test's app on a live server, and checks what the page shows and what the database holds.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from payvand.core.models import Customer, Interaction, PluginState

from .data import BAD_LINE, DATABASE_DECIDES, PASSWORD, Account
from .helpers import LiveServer, staff_login


@pytest.fixture
def payvand_config(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The app's configuration: the default, or (parametrised indirectly) `DATABASE_DECIDES`
    with the toy plugin installed before the app starts."""
    config = getattr(request, "param", {})
    if config is DATABASE_DECIDES:
        request.getfixturevalue("toy_plugin")
    return dict(config)


def path_of(page: Page) -> str:
    """The path of the page's URL."""
    return urlsplit(page.url).path


# --------------------------------------------------------------------------- 1. login and search


def test_login_then_search_with_persian_digits_finds_the_customer_and_opens_the_360_page(
        page: Page, live_server: LiveServer, admin: Account, make_customer: Callable[..., Any]) -> None:
    maryam = make_customer(given_name="مریم", family_name="احمدی", phones=["09121234567"])
    make_customer(given_name="Sara", family_name="Karimi", phones=["09351112233"])

    page.goto(live_server.at("/login"))
    form = page.locator("#login-form")
    form.locator("input[name=email]").fill(admin.email)
    form.locator("input[name=password]").fill(admin.password)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert path_of(page) == "/"

    page.locator("#global-search").fill("۰۹۱۲۱۲۳۴۵۶۷")
    with page.expect_navigation():
        page.locator("#global-search").press("Enter")

    assert path_of(page) == "/customers"
    expect(page.locator("#f-q")).to_have_value(re.compile("۰۹۱۲۱۲۳۴۵۶۷|09121234567"))
    rows = page.locator("#customer-list tbody tr")
    expect(rows).to_have_count(1)
    row = page.locator(f'#customer-list tr[data-customer-id="{maryam.id}"]')
    expect(row).to_contain_text("مریم احمدی")
    expect(row).to_contain_text("+989121234567")  # stored in E.164

    row.get_by_role("link").click()
    expect(page.locator("#customer-name")).to_have_text("مریم احمدی")
    assert path_of(page) == f"/customers/{maryam.id}"

    # The list page's own search box takes Persian digits too.
    page.goto(live_server.at("/customers"))
    page.locator("#f-q").fill("۰۹۳۵۱۱۱۲۲۳۳")
    page.locator("#customer-search-submit").click()
    expect(page.locator("#customer-list tbody tr")).to_have_count(1)
    expect(page.locator("#customer-list tbody tr")).to_contain_text("Sara Karimi")


# --------------------------------------------------------------------------- 2. log a call, timeline


def test_a_logged_call_appears_on_the_timeline_and_stays_after_a_reload(
        signed_in: Page, live_server: LiveServer, make_customer: Callable[..., Any], db_session: Any) -> None:
    page = signed_in
    customer = make_customer(given_name="Nima", family_name="Rahimi")
    page.goto(live_server.at(f"/customers/{customer.id}"))
    expect(page.locator("#timeline-empty")).to_be_visible()

    form = page.locator("#log-interaction-form")
    form.locator("#f-type").select_option("core.call")
    form.locator("#f-channel").select_option("phone")
    form.locator("#f-direction").select_option("inbound")
    form.locator("#f-summary").fill("Asked for the autumn price list")
    form.locator("#f-details").fill("Wants a quote by Friday.\nCall back after 10.")
    form.locator("#f-occurred_at").fill("2026-11-26 10:15")
    form.locator("#f-value").fill("1,250,000")
    page.locator("#log-interaction-submit").click()

    expect(page.locator("#log-interaction-done")).to_contain_text("Call logged.")
    item = page.locator('#timeline-items article.timeline-item[data-kind="core.call"]')
    expect(item).to_have_count(1)
    expect(item.locator(".timeline-summary")).to_have_text("Asked for the autumn price list")
    expect(item).to_have_attribute("data-channel", "phone")
    expect(item).to_contain_text("Inbound")
    expect(item).to_contain_text("Nov 26, 2026")
    expect(item.locator(".timeline-details")).to_contain_text("Wants a quote by Friday.")
    expect(page.locator("#timeline-empty")).to_be_hidden()
    # The form was reset for the next entry.
    expect(page.locator("#f-summary")).to_have_value("")

    page.reload()
    item = page.locator('#timeline-items article.timeline-item[data-kind="core.call"]')
    expect(item.locator(".timeline-summary")).to_have_text("Asked for the autumn price list")
    expect(item.locator("time")).to_have_attribute("datetime", re.compile(r"^2026-11-26T06:45:00"))
    stored = db_session.execute(sa.select(Interaction.kind, Interaction.summary, Interaction.value)
                                .where(Interaction.customer_id == customer.id)).all()
    assert [(kind, summary, int(value)) for kind, summary, value in stored] == [
        ("core.call", "Asked for the autumn price list", 1250000)]


def test_a_log_without_summary_shows_the_field_error_in_place(
        signed_in: Page, live_server: LiveServer, make_customer: Callable[..., Any]) -> None:
    page = signed_in
    customer = make_customer()
    page.goto(live_server.at(f"/customers/{customer.id}"))
    page.locator("#log-interaction-submit").click()
    expect(page.locator("#f-summary-error")).to_be_visible()
    expect(page.locator("#f-summary")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#timeline-items article.timeline-item")).to_have_count(0)


def test_timeline_filters_by_channel_and_loads_more_than_one_page(
        signed_in: Page, live_server: LiveServer, make_customer: Callable[..., Any],
        make_interaction: Callable[..., Any]) -> None:
    page = signed_in
    customer = make_customer(given_name="Leila", family_name="Moradi")
    start = dt.datetime(2026, 1, 1, 8, 0, tzinfo=dt.UTC)
    for n in range(30):  # 30 phone notes, newest last
        make_interaction(customer.id, kind="core.note", channel="phone", summary=f"Phone note {n:02d}",
                         occurred_at=start + dt.timedelta(hours=n))
    for n in range(3):
        make_interaction(customer.id, kind="core.message", channel="email", summary=f"Email {n}",
                         occurred_at=start - dt.timedelta(days=1, hours=n))

    page.goto(live_server.at(f"/customers/{customer.id}"))
    items = page.locator("#timeline-items article.timeline-item")
    expect(items).to_have_count(25)
    expect(items.first.locator(".timeline-summary")).to_have_text("Phone note 29")

    page.locator("#timeline-load-more").click()
    expect(items).to_have_count(33)
    expect(items.last.locator(".timeline-summary")).to_have_text("Email 2")
    expect(page.locator("#timeline-load-more")).to_have_count(0)
    summaries = items.locator(".timeline-summary").all_inner_texts()
    assert len(set(summaries)) == 33, "an entry was shown twice"

    page.locator("#timeline-channel").select_option("email")
    expect(items).to_have_count(3)
    assert set(items.evaluate_all("els => els.map(e => e.dataset.channel)")) == {"email"}
    expect(page.locator("#timeline-load-more")).to_have_count(0)

    page.locator("#timeline-channel").select_option("phone")
    expect(items).to_have_count(25)
    expect(page.locator("#timeline-load-more")).to_be_visible()
    page.locator("#timeline-load-more").click()
    expect(items).to_have_count(30)
    assert set(items.evaluate_all("els => els.map(e => e.dataset.channel)")) == {"phone"}


# --------------------------------------------------------------------------- 3. languages


def test_switching_to_persian_gives_rtl_and_jalali_dates_and_back_to_english(
        signed_in: Page, live_server: LiveServer, make_customer: Callable[..., Any],
        make_interaction: Callable[..., Any]) -> None:
    page = signed_in
    customer = make_customer(given_name="Ali", family_name="Tehrani")
    make_interaction(customer.id, kind="core.call", channel="phone", summary="Autumn call",
                     occurred_at=dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC))
    page.goto(live_server.at(f"/customers/{customer.id}"))
    html = page.locator("html")
    expect(html).to_have_attribute("dir", "ltr")
    time = page.locator("#timeline-items article.timeline-item time")
    expect(time).to_contain_text("Nov 26, 2026")

    with page.expect_navigation():
        page.locator("button[name=locale][value=fa]").click()
    assert path_of(page) == f"/customers/{customer.id}", "the switch should come back to the same page"
    expect(page.locator("html[dir=rtl][lang=fa]")).to_have_count(1)
    expect(time).to_contain_text("۵ آذر ۱۴۰۵")
    expect(time).not_to_contain_text("2026")
    expect(page.locator("#timeline-heading")).not_to_have_text("Timeline")
    expect(page.locator("#f-occurred_at")).to_have_attribute("placeholder", "1403/05/12 14:30")
    rtl_css = page.evaluate("[...document.styleSheets].some(s => (s.href || '').includes('bootstrap.rtl'))")
    assert rtl_css, "the RTL build of Bootstrap is not loaded in Persian"

    # The choice is remembered on the account: another page, then a new login, stay Persian.
    page.goto(live_server.at("/customers"))
    expect(page.locator("html")).to_have_attribute("lang", "fa")

    with page.expect_navigation():
        page.locator("button[name=locale][value=en]").click()
    expect(page.locator("html[dir=ltr][lang=en]")).to_have_count(1)
    page.goto(live_server.at(f"/customers/{customer.id}"))
    expect(time).to_contain_text("Nov 26, 2026")
    expect(page.locator("#timeline-heading")).to_have_text("Timeline")


def test_the_persian_choice_is_kept_for_the_next_login(
        page: Page, live_server: LiveServer, admin: Account) -> None:
    staff_login(page, live_server, admin.email, admin.password)
    with page.expect_navigation():
        page.locator("button[name=locale][value=fa]").click()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    page.context.clear_cookies()

    staff_login(page, live_server, admin.email, admin.password)
    expect(page.locator("html")).to_have_attribute("lang", "fa")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")


# --------------------------------------------------------------------------- 4. merge duplicates


def test_merging_two_duplicates_moves_the_history_and_offers_undo(
        signed_in: Page, live_server: LiveServer, make_customer: Callable[..., Any],
        make_interaction: Callable[..., Any], db_session: Any) -> None:
    page = signed_in
    keep = make_customer(given_name="Hossein", family_name="Najafi", emails=["h.najafi@example.com"])
    gone = make_customer(given_name="Hosein", family_name="Najafi", emails=["h.najafi@example.com"],
                         phones=["09127654321"])
    for n in range(2):
        make_interaction(gone.id, kind="core.note", channel="email", summary=f"Old note {n}")

    page.goto(live_server.at("/duplicates"))
    pair = page.locator(f"tr#pair-{keep.id}-{gone.id}")
    expect(pair).to_be_visible()
    pair.locator(f"#compare-{keep.id}-{gone.id}").click()

    preview = page.locator("#merge-preview")
    expect(preview).to_be_visible()
    expect(preview.locator("#moves-interactions")).to_contain_text("2")
    expect(preview.locator("#moves-phones")).to_contain_text("+989127654321")
    expect(preview.locator("#moves-emails strong")).to_have_text("0")  # the survivor has that email already

    # Dismissing the confirmation leaves both customers alone.
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.locator("#merge-button").click()
    page.wait_for_timeout(300)  # time for a (wrong) submission to go through
    assert path_of(page) == "/duplicates/compare"
    expect(preview).to_be_visible()
    assert db_session.scalar(sa.select(Customer.merged_into_id).where(Customer.id == gone.id)) is None

    messages: list[str] = []

    def accept(dialog: Any) -> None:
        messages.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    with page.expect_navigation():
        page.locator("#merge-button").click()
    assert messages and str(gone.id) in messages[0] and str(keep.id) in messages[0]
    assert path_of(page) == f"/customers/{keep.id}"
    flash = page.locator(".alert").filter(has=page.locator("#flash-undo"))
    expect(flash).to_contain_text(f"Customer {gone.id} was merged into customer {keep.id}")
    expect(page.locator("#timeline-items article.timeline-item")).to_have_count(2)
    expect(page.locator("#customer-profile")).to_contain_text("+989127654321")

    page.goto(live_server.at(f"/customers/{gone.id}"))
    expect(page.locator("#customer-merged")).to_be_visible()
    expect(page.locator("#customer-merged-link")).to_have_attribute("href", f"/customers/{keep.id}")
    db_session.expire_all()
    assert db_session.scalar(sa.select(Customer.merged_into_id).where(Customer.id == gone.id)) == keep.id


def test_the_undo_button_after_a_merge_brings_the_customer_back(
        signed_in: Page, live_server: LiveServer, make_customer: Callable[..., Any], db_session: Any) -> None:
    page = signed_in
    keep = make_customer(given_name="Parisa", emails=["parisa@example.com"])
    gone = make_customer(given_name="Parisa", emails=["parisa@example.com"])
    page.goto(live_server.at(f"/duplicates/compare?target={keep.id}&source={gone.id}"))
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.locator("#merge-button").click()
    with page.expect_navigation():
        page.locator("#flash-undo").click()
    assert db_session.scalar(sa.select(Customer.merged_into_id).where(Customer.id == gone.id)) is None
    page.goto(live_server.at(f"/customers/{gone.id}"))
    expect(page.locator("#customer-merged")).to_have_count(0)
    expect(page.locator("#customer-name")).to_be_visible()


# --------------------------------------------------------------------------- 5. import


def test_import_with_a_bad_row_reports_it_and_the_rejects_download_names_line_and_reason(
        signed_in: Page, live_server: LiveServer, csv_with_a_bad_row: Path, tmp_path: Path,
        db_session: Any) -> None:
    page = signed_in
    page.goto(live_server.at("/import"))
    page.locator("#f-file").set_input_files(csv_with_a_bad_row)
    with page.expect_navigation():
        page.locator("#import-upload-submit").click()

    expect(page.locator("#import-mapping-form")).to_be_visible()
    # Known English headers are mapped for the user.
    expect(page.locator("#map-0")).to_have_value(re.compile("name"))
    expect(page.locator("#map-1")).to_have_value("email")
    expect(page.locator("#map-2")).to_have_value("phone")
    preview = page.locator("#import-preview")
    bad = preview.locator('tr[data-error="1"]')
    expect(bad).to_have_count(1)
    expect(bad).to_have_attribute("data-line", str(BAD_LINE))
    expect(bad).to_contain_text("not-an-email")
    expect(preview.locator("tbody tr:not([data-error])")).to_have_count(2)

    page.locator("#import-start").click()
    expect(page.locator('#import-progress[data-status="done"]')).to_be_visible(timeout=20_000)
    report = page.locator("#import-report")
    expect(report.locator("#import-count-created")).to_have_text("2")
    expect(report.locator("#import-count-rejected")).to_have_text("1")
    expect(page.locator("#import-rejects")).to_contain_text(str(BAD_LINE))

    with page.expect_download() as download_info:
        page.locator("#import-rejects-link").click()
    download = download_info.value
    saved = tmp_path / "rejects.csv"
    download.save_as(saved)
    assert download.suggested_filename.endswith(".csv")
    rows = list(csv.reader(saved.read_text(encoding="utf-8-sig").splitlines()))
    bad_rows = [row for row in rows[1:] if "not-an-email" in row]
    assert len(bad_rows) == 1, rows
    assert str(BAD_LINE) in bad_rows[0], rows
    reasons = [cell for cell in bad_rows[0] if "mail" in cell.lower() and cell != "not-an-email"]
    assert reasons, f"no reason in the rejected row: {bad_rows[0]}"
    names = set(db_session.scalars(sa.select(Customer.display_name)))
    assert {"Sara Karimi", "مریم احمدی"} <= names and "Reza Bad" not in names


# --------------------------------------------------------------------------- 6. plugins


@pytest.mark.parametrize("payvand_config", [DATABASE_DECIDES], indirect=True, ids=["database-decides"])
def test_an_admin_enables_then_disables_an_installed_plugin(
        page: Page, live_server: LiveServer, admin: Account, runtime: Any, toy_plugin: str,
        db_session: Any) -> None:
    assert toy_plugin in runtime.plugins.installed
    runtime.disable_plugin(toy_plugin)  # installed, but switched off by an earlier admin
    staff_login(page, live_server, admin.email, admin.password)
    page.goto(live_server.at("/admin/plugins"))
    card = page.locator(f"#plugin-{toy_plugin}")
    expect(card).to_contain_text("Browser toy")
    expect(card.locator("[data-state]")).to_have_attribute("data-state", "disabled")
    expect(card.locator(f"#plugin-{toy_plugin}-disable")).to_have_count(0)

    with page.expect_navigation():
        page.locator(f"#plugin-{toy_plugin}-enable").click()
    expect(page.locator(".alert-success")).to_contain_text(f"Enabled {toy_plugin} 0.4.")
    expect(card.locator("[data-state]")).to_have_attribute("data-state", "enabled")
    assert db_session.get(PluginState, toy_plugin).enabled is True

    page.once("dialog", lambda dialog: dialog.dismiss())
    page.locator(f"#plugin-{toy_plugin}-disable").click()
    page.wait_for_timeout(300)  # time for a (wrong) submission to go through
    expect(card.locator("[data-state]")).to_have_attribute("data-state", "enabled")
    db_session.expire_all()
    assert db_session.get(PluginState, toy_plugin).enabled is True

    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.locator(f"#plugin-{toy_plugin}-disable").click()
    expect(page.locator(".alert-success")).to_contain_text(f"Disabled {toy_plugin}; its data is kept.")
    expect(card.locator("[data-state]")).to_have_attribute("data-state", "disabled")
    expect(page.locator(f"#plugin-{toy_plugin}-enable")).to_be_visible()
    db_session.expire_all()
    assert db_session.get(PluginState, toy_plugin).enabled is False


def test_a_user_without_the_permission_gets_403_in_the_browser(
        page: Page, live_server: LiveServer, make_user: Callable[..., Any]) -> None:
    make_user(email="viewer@example.com", password=PASSWORD, permissions=["core.customer.view"])
    staff_login(page, live_server, "viewer@example.com", PASSWORD)
    response = page.goto(live_server.at("/admin/plugins"))
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", level=1)).to_be_visible()
