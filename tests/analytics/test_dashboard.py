"""The KPI dashboard: the widget contract (a test plugin's widget appears, a failing one is isolated),
the analytics KPIs on crafted purchases, the page (access, filters, 422 on bad dates, table views),
CSV exports, personal and shared layouts, the scheduled mail, the API."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
import sqlalchemy as sa

import payvand.plugins.analytics as analytics
import payvand.plugins.sales as sales
from payvand.core.models import PluginState
from payvand.plugins.analytics import permissions as perm
from payvand.plugins.analytics.models import DashboardLayout
from payvand.plugins.analytics.services import dashboard, dashboard_mail, kpis, periods
from payvand.sdk import KpiData, KpiSeries, KpiWidget, Panel, PluginMeta, hookimpl
from tests.analytics.orders import add_orders


class KpiPlugin:
    """Offers one working KPI and one that raises; a start-page Panel too."""

    meta = PluginMeta("kpitest", "1.0")

    @hookimpl
    def payvand_dashboard_widgets(self, actor: Any, purpose: str) -> Any:
        """A Panel for the start page, two KpiWidgets for the dashboard."""
        if purpose == "start":
            return Panel("Kpitest panel", "<p>start</p>")

        def good(actor: Any, period: Any, comparison: Any) -> KpiData:
            return KpiData(value=7, previous=5 if comparison else None, labels=["a", "b"],
                           series=[KpiSeries("Things", [3, 4])])

        def bad(actor: Any, period: Any, comparison: Any) -> KpiData:
            raise RuntimeError("kpi exploded")

        return [KpiWidget("kpitest.things", "Test things", "series", good, order=1),
                KpiWidget("kpitest.broken", "Broken figure", "number", bad, order=2),
                KpiWidget("kpitest.secret", "Secret figure", "number", good, permission="kpitest.secret")]


@pytest.fixture
def payvand_plugins() -> list[Any]:
    """Sales (purchases), analytics and the test plugin."""
    return [sales, analytics, KpiPlugin()]


# --------------------------------------------------------------------------- periods


def test_presets_follow_the_jalali_calendar_on_persian_pages(in_app):
    today = dt.date(2026, 12, 7)  # 1405/09/16
    month = periods.resolve("this_month", today, "jalali")
    assert (month.first_day, month.last_day) == (dt.date(2026, 11, 22), today)  # from 1 Azar
    last = periods.resolve("last_month", today, "jalali")
    assert (last.first_day, last.last_day) == (dt.date(2026, 10, 23), dt.date(2026, 11, 21))  # Aban, 30 days
    year = periods.resolve("last_year", today, "jalali")
    assert (year.first_day, year.last_day) == (dt.date(2025, 3, 21), dt.date(2026, 3, 20))  # 1404


def test_comparisons_of_a_to_date_period_cover_as_many_days(in_app):
    today = dt.date(2026, 12, 7)
    period = periods.resolve("this_month", today, "gregorian")
    before = periods.comparison(period, "this_month", "previous")
    assert (before.first_day, before.last_day) == (dt.date(2026, 11, 1), dt.date(2026, 11, 7))
    year_ago = periods.comparison(period, "this_month", "last_year")
    assert (year_ago.first_day, year_ago.last_day) == (dt.date(2025, 12, 1), dt.date(2025, 12, 7))
    assert periods.comparison(period, "this_month", "none") is None


def test_previous_of_a_whole_quarter_and_of_custom_days(in_app):
    quarter = periods.resolve("last_quarter", dt.date(2026, 12, 7), "gregorian")
    before = periods.comparison(quarter, "last_quarter", "previous")
    assert (before.first_day, before.last_day) == (dt.date(2026, 4, 1), dt.date(2026, 6, 30))
    custom = periods.resolve("custom", dt.date(2026, 12, 7), "gregorian", dt.date(2026, 3, 10), dt.date(2026, 3, 19))
    before = periods.comparison(custom, "custom", "previous")
    assert (before.first_day, before.last_day, before.days) == (dt.date(2026, 2, 28), dt.date(2026, 3, 9), 10)


def test_last_year_clips_a_leap_day_to_the_month_end(in_app):
    custom = periods.resolve("custom", dt.date(2024, 3, 1), "gregorian", dt.date(2024, 2, 1), dt.date(2024, 2, 29))
    year_ago = periods.comparison(custom, "custom", "last_year")
    assert (year_ago.first_day, year_ago.last_day) == (dt.date(2023, 2, 1), dt.date(2023, 2, 28))
    esfand = periods.resolve("custom", dt.date(2025, 3, 21), "jalali", dt.date(2025, 3, 20), dt.date(2025, 3, 20))
    assert periods.comparison(esfand, "custom", "last_year").first_day == dt.date(2024, 3, 19)  # 1403/12/30 → 1402/12/29


def test_period_bounds_are_local_midnights(in_app):
    period = periods.make_period(dt.date(2026, 12, 1), dt.date(2026, 12, 1), "gregorian")
    assert period.start == dt.datetime(2026, 11, 30, 20, 30, tzinfo=dt.UTC)  # Asia/Tehran, +03:30
    assert period.end - period.start == dt.timedelta(days=1)


def test_month_buckets_split_the_period_by_calendar_month(in_app):
    period = periods.make_period(dt.date(2026, 11, 15), dt.date(2027, 1, 5), "gregorian")
    assert [b[0] for b in periods.month_buckets(period)] == ["2026/11", "2026/12", "2027/01"]
    assert [b[0] for b in periods.month_buckets(periods.make_period(dt.date(2026, 11, 15), dt.date(2026, 12, 5),
                                                                    "jalali"))] == ["1405/08", "1405/09"]


# --------------------------------------------------------------------------- the analytics KPIs


@pytest.fixture
def purchases(db_session, make_customer):
    """Four customers: 1 and 2 bought in February and again in March, 3 only in February, 4 first in March."""
    ids = [make_customer(given_name=f"K{n}").id for n in range(4)]
    add_orders(db_session, [(ids[0], "2026-02-03", "100"), (ids[0], "2026-03-05", "50"),
                            (ids[1], "2026-02-10", "80"), (ids[1], "2026-03-20", "20"), (ids[1], "2026-03-21", "30"),
                            (ids[2], "2026-02-11", "40"),
                            (ids[3], "2026-03-15", "70")])
    return ids


def _computed(web: Any, url: str, deliver: Any) -> Any:
    """The view of `url` once its shared widgets are computed: the first view queues them, the
    background jobs compute them, the second view reads their snapshots."""
    web.get(url)
    deliver()
    return web.get(url)


def _month(first: dt.date, last: dt.date) -> Any:
    return periods.make_period(first, last, "gregorian")


def test_acquired_active_retention_and_churn_on_crafted_purchases(purchases, app):
    with app.test_request_context():
        _check_customer_kpis()


def _check_customer_kpis() -> None:
    march = _month(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    february = _month(dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert sum(kpis.acquired_by_day(march).values()) == 1  # customer 4; 1 and 2 bought before
    assert sum(kpis.acquired_by_day(february).values()) == 3
    assert kpis.active_count(march) == 3
    # the 31 days before March (Jan 29 – Feb 28) had customers 1, 2, 3; 1 and 2 came back
    assert kpis.retention(march) == (3, 2)
    widgets = {w.key: w for w in kpis.widgets(None)}
    retention = widgets["analytics.retention_rate"].compute(None, march, february)
    churn = widgets["analytics.churn_rate"].compute(None, march, february)
    assert (retention.value, churn.value) == (66.7, 33.3)
    assert retention.previous is None  # nobody bought in the days before February
    acquired = widgets["analytics.customers_acquired"].compute(None, march, february)
    assert (acquired.value, acquired.previous, list(acquired.series[0].data)) == (1, 3, [1])


# --------------------------------------------------------------------------- the contract


def test_a_plugins_widget_appears_and_a_failing_one_is_isolated(web_as, purchases, db_session, deliver):
    web = web_as([perm.VIEW])
    response = _computed(web, "/analytics/dashboard?period=custom&start=2026-03-01&end=2026-03-31", deliver)
    text = response.text
    assert response.status_code == 200
    assert 'id="kpi-kpitest-things"' in text and "Test things" in text
    assert 'id="kpi-kpitest-broken-unavailable"' in text
    assert 'id="kpi-analytics-active-customers-value"' in text
    assert "Secret figure" not in text  # needs kpitest.secret
    db_session.expire_all()
    state = db_session.get(PluginState, "kpitest")
    assert state is not None and state.error_count >= 1 and "kpi exploded" in (state.last_error or "")


def test_the_start_page_keeps_the_panels_and_shows_no_kpi(web):
    text = web.get("/").text
    assert "Kpitest panel" in text and "Test things" not in text


def test_the_dashboard_needs_the_analytics_permission(web_as, client):
    assert web_as(["core.customer.view"]).get("/analytics/dashboard").status_code == 403
    response = client.get("/analytics/dashboard")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_wrong_custom_dates_are_refused_with_field_messages(web_as):
    web = web_as([perm.VIEW])
    response = web.get("/analytics/dashboard?period=custom&start=2026-03-31&end=2026-03-01")
    assert response.status_code == 422 and 'id="f-end-error"' in response.text
    response = web.get("/analytics/dashboard?period=custom&start=yesterday")
    assert response.status_code == 422 and 'id="f-start-error"' in response.text and 'id="f-end-error"' in response.text
    assert web.get("/analytics/dashboard?period=forever").status_code == 422


def test_persian_page_reads_jalali_dates_and_shows_table_views(web_as, purchases, deliver):
    web = web_as([perm.VIEW])
    web.post("/account/locale", {"locale": "fa"})
    response = _computed(web, "/analytics/dashboard?period=custom&start=1404/12/10&end=1405/01/10&comparison=none",
                         deliver)
    assert response.status_code == 200
    text = response.text
    assert 'id="kpi-analytics-customers-acquired-table"' in text and "data-chart-png" in text
    assert "۱۴۰۴/۱۲/۱۰" in text  # the period in Jalali with Persian digits
    assert 'placeholder="سال/ماه/روز' in text and "YYYY" not in text  # the date fields' hint in Persian


# --------------------------------------------------------------------------- CSV


def test_widget_csv_holds_the_headline_and_the_series(web_as, purchases, deliver):
    web = web_as([perm.VIEW])
    response = _computed(web, "/analytics/dashboard/analytics.customers_acquired.csv?period=custom&start=2026-02-01"
                              "&end=2026-03-31&comparison=none", deliver)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert [(r["label"], r["value"]) for r in rows] == [("total", "4"), ("2026/02", "3"), ("2026/03", "1")]
    assert rows[0]["period"] == "2026-02-01 – 2026-03-31" and rows[0]["comparison"] == ""


def test_dashboard_csv_has_every_shown_widget_and_marks_the_unavailable(web_as, purchases, deliver):
    web = web_as([perm.VIEW])
    text = _computed(web, "/analytics/dashboard.csv?period=custom&start=2026-03-01&end=2026-03-31", deliver).text
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    by_widget = {r["widget"]: r for r in rows if r["label"] in ("total", "unavailable")}
    assert by_widget["analytics.active_customers"]["value"] == "3"
    assert by_widget["analytics.active_customers"]["previous"] == "3"  # February: customers 1, 2, 3
    assert by_widget["kpitest.broken"]["label"] == "unavailable"
    assert web.get("/analytics/dashboard/kpitest.secret.csv").status_code == 404


# --------------------------------------------------------------------------- layouts


def _save(web: Any, order: list[str], hidden: list[str], **extra: str) -> Any:
    data: dict[str, Any] = {"keys": order, "positions": [str(n + 1) for n in range(len(order))], "hidden": hidden,
                            "period": "last_month", "comparison": "last_year", **extra}
    return web.post("/analytics/dashboard/layout", data)


def test_personal_layout_is_saved_per_user(web_as, db_session):
    alice, bob = web_as([perm.VIEW]), web_as([perm.VIEW])
    assert _save(alice, ["kpitest.things", "analytics.active_customers"], ["analytics.churn_rate"]).status_code == 302
    text = alice.get("/analytics/dashboard").text
    assert text.index('id="kpi-kpitest-things"') < text.index('id="kpi-analytics-active-customers"')
    assert 'id="kpi-analytics-churn-rate"' not in text
    assert 'id="kpi-analytics-churn-rate"' in bob.get("/analytics/dashboard").text  # bob keeps the default
    rows = db_session.scalars(sa.select(DashboardLayout)).all()
    assert len(rows) == 1 and rows[0].period == "last_month" and rows[0].comparison == "last_year"


def test_shared_default_needs_the_manage_permission_and_applies_to_others(web_as):
    assert _save(web_as([perm.VIEW]), ["analytics.churn_rate"], [], scope="shared").status_code == 403
    manager = web_as([perm.VIEW, perm.DASHBOARD_MANAGE])
    assert _save(manager, ["analytics.active_customers"], ["kpitest.things"], scope="shared").status_code == 302
    text = web_as([perm.VIEW]).get("/analytics/dashboard").text
    assert 'id="kpi-kpitest-things"' not in text and 'id="kpi-analytics-active-customers"' in text


def test_layout_positions_must_be_numbers(web_as):
    response = _save(web_as([perm.VIEW]), ["analytics.churn_rate"], [])
    assert response.status_code == 302
    web = web_as([perm.VIEW])
    bad = web.post("/analytics/dashboard/layout", {"keys": ["analytics.churn_rate"], "positions": ["first"],
                                                    "period": "last_month", "comparison": "none"})
    assert bad.status_code == 422


# --------------------------------------------------------------------------- scheduled mail


def test_scheduled_mail_is_delivered_with_the_summary_table(web_as, purchases, mail_sink, db_session, runtime, app):
    web = web_as([perm.VIEW])
    assert _save(web, ["analytics.active_customers"], ["kpitest.things"], mail_frequency="daily").status_code == 302
    row = db_session.scalars(sa.select(DashboardLayout)).one()
    assert row.mail_frequency == "daily" and row.mail_next_at is not None
    due = row.mail_next_at
    with app.app_context():
        from payvand.core.db import bind_session

        with bind_session(db_session):
            sent = dashboard_mail.send_due(due + dt.timedelta(minutes=1))
            db_session.commit()
    assert sent == 1
    message = mail_sink.messages[-1]
    html = message.get_body(("html",)).get_content()
    assert "Active customers" in html and "<table" in html and "Unavailable" in html  # the broken widget
    assert "Test things" not in html  # hidden on this user's dashboard
    db_session.refresh(row)
    assert row.mail_last_at is not None and row.mail_next_at == due + dt.timedelta(days=1)


def test_next_due_times(in_app):
    now = dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.UTC)  # Monday 13:30 in Tehran
    assert dashboard_mail.next_due(now, "daily") == dt.datetime(2026, 12, 8, 3, 30, tzinfo=dt.UTC)
    assert dashboard_mail.next_due(now, "weekly") == dt.datetime(2026, 12, 12, 3, 30, tzinfo=dt.UTC)  # Saturday
    assert dashboard_mail.next_due(now, "monthly", "en") == dt.datetime(2027, 1, 1, 3, 30, tzinfo=dt.UTC)
    assert dashboard_mail.next_due(now, "monthly", "fa") == dt.datetime(2026, 12, 22, 3, 30, tzinfo=dt.UTC)  # 1 Dey
    assert dashboard_mail.next_due(now, "none") is None


def test_csv_rows_of_a_table_widget():
    widget = KpiWidget("x.table", "T", "table", lambda *a: KpiData())
    result = dashboard.Result("x", widget, KpiData(value=90.0, columns=["Priority", "Tickets"], rows=[["high", 4]]))
    period = periods.make_period(dt.date(2026, 1, 1), dt.date(2026, 1, 31), "gregorian")
    rows = dashboard.csv_rows(result, period, None)
    assert [(r["series"], r["label"], r["value"]) for r in rows] == [("", "total", 90), ("Tickets", "high", 4)]


# --------------------------------------------------------------------------- API


def test_api_gives_every_widgets_figures_and_marks_the_failing_one(api_as, purchases, deliver):
    api = api_as([perm.VIEW])
    url = "analytics/dashboard?period=custom&start=2026-03-01&end=2026-03-31&comparison=previous"
    first = api.get(url)
    assert first.status_code == 200, first.json
    cold = {w["key"]: w for w in first.json["widgets"]}
    assert cold["analytics.active_customers"]["pending"] is True and cold["analytics.active_customers"]["value"] is None
    assert cold["kpitest.things"]["pending"] is False and cold["kpitest.things"]["value"] == 7  # not shared: live
    deliver()
    response = api.get(url)
    assert response.status_code == 200, response.json
    body = response.json
    assert body["calendar"] == "gregorian" and body["period"]["first_day"] == "2026-03-01"
    assert body["comparison"] == {"first_day": "2026-01-29", "last_day": "2026-02-28",
                                  "label": "2026-01-29 – 2026-02-28"}
    widgets = {w["key"]: w for w in body["widgets"]}
    assert widgets["analytics.active_customers"]["value"] == 3
    assert widgets["analytics.active_customers"]["pending"] is False
    assert widgets["analytics.retention_rate"]["value"] == 66.7
    assert widgets["kpitest.broken"]["available"] is False and widgets["kpitest.broken"]["value"] is None
    assert "kpitest.secret" not in widgets


def test_api_refuses_wrong_arguments_with_field_errors(api_as):
    api = api_as([perm.VIEW])
    response = api.get("analytics/dashboard?period=custom&start=2026-03-31&end=2026-03-01")
    assert response.status_code == 422 and "end" in response.json["error"]["fields"]
    response = api.get("analytics/dashboard?comparison=sometimes")
    assert response.status_code == 422 and "comparison" in response.json["error"]["fields"]
    assert api_as(["core.customer.view"]).get("analytics/dashboard").status_code == 403


def test_persian_dashboard_and_layout_have_no_english_words(web_as, purchases):
    from payvand.sdk.page_checks import english_words

    web = web_as([perm.VIEW])
    web.post("/account/locale", {"locale": "fa"})
    page = web.get("/analytics/dashboard?period=custom&start=1404/12/01&end=1405/01/10")
    data = ["Test things", "Broken figure", "Things", "a", "b", "Test User", "user@example.com",
            "RFM"]  # the test plugin's and user's names; the menu's RFM
    assert english_words(page.text, allow=data) == []
    assert english_words(web.get("/analytics/dashboard/layout").text, allow=data) == []


# --------------------------------------------------------------------------- snapshots


def test_shared_widgets_are_read_from_their_snapshot_until_computed_again(web_as, purchases, db_session,
                                                                           make_customer, deliver):
    web = web_as([perm.VIEW, perm.RUN])
    url = "/analytics/dashboard?period=custom&start=2026-03-01&end=2026-03-31"
    cold = web.get(url).text
    assert 'id="kpi-analytics-active-customers-pending"' in cold  # no snapshot yet: being computed
    assert 'id="kpi-analytics-active-customers-value"' not in cold
    assert 'id="kpi-kpitest-things-value"' in cold  # not shared: computed per view
    first = _computed(web, url, deliver).text
    assert 'id="kpi-analytics-active-customers-pending"' not in first
    assert ">3</span>" in first.split('id="kpi-analytics-active-customers-value"')[1][:10]
    add_orders(db_session, [(make_customer(given_name="Late").id, "2026-03-25", "10")])
    second = web.get(url).text
    assert 'id="kpi-analytics-active-customers-as-of"' in second  # the stored figure
    assert ">3</span>" in second.split('id="kpi-analytics-active-customers-value"')[1][:10]
    assert 'id="kpi-kpitest-things-as-of"' not in second  # not shared: computed per view
    assert web.post("/analytics/dashboard/refresh", {"period": "custom", "start": "2026-03-01",
                                                     "end": "2026-03-31"}).status_code == 302
    stale = web.get(url).text  # the last figures, marked as being computed again
    assert 'id="kpi-analytics-active-customers-pending"' in stale
    assert ">3</span>" in stale.split('id="kpi-analytics-active-customers-value"')[1][:10]
    deliver()
    third = web.get(url).text
    assert ">4</span>" in third.split('id="kpi-analytics-active-customers-value"')[1][:10]
    assert 'id="kpi-analytics-active-customers-pending"' not in third
    assert web_as([perm.VIEW]).post("/analytics/dashboard/refresh", {}).status_code == 403
