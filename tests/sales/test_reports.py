"""Sales reports: exact revenue sums per month, product and owner; win rate; sales cycle; lead conversion."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from payvand.plugins.sales.models import Deal, Lead, Order, OrderLine, Pipeline, Product, Stage
from payvand.plugins.sales.services import reports, rollup
from payvand.sdk import Customer

UTC = dt.UTC
YEAR = reports.Period(dt.datetime(2026, 1, 1, tzinfo=UTC), dt.datetime(2027, 1, 1, tzinfo=UTC))


def _at(month: int, day: int = 10) -> dt.datetime:
    return dt.datetime(2026, month, day, 12, tzinfo=UTC)


@pytest.fixture
def orders(db_session, make_customer, make_user):
    rep = make_user(email="rep@example.com")
    customer = make_customer(owner_id=rep.id)
    chair = Product(sku="CH-1", name="Chair")
    desk = Product(sku="DK-1", name="Desk")
    db_session.add_all([chair, desk])
    db_session.flush()
    rows = [
        ("O-1", "IRR", "placed", _at(3), [(chair, "2", "15000000")]),
        ("O-2", "IRR", "delivered", _at(3, 20), [(desk, "1", "45000001")]),
        ("O-3", "USD", "paid", _at(4), [(chair, "3", "0.10"), (desk, "1", "0.20")]),
        ("O-4", "USD", "paid", _at(4, 11), [(chair, "1", "0.10")]),
        ("O-5", "IRR", "cancelled", _at(4), [(desk, "9", "999")]),
    ]
    for number, currency, status, placed_at, lines in rows:
        order = Order(number=number, customer_id=customer.id, currency=currency, status=status, placed_at=placed_at,
                      owner_id=rep.id if number != "O-4" else None)
        total = Decimal(0)
        for position, (product, quantity, line_total) in enumerate(lines):
            order.lines.append(OrderLine(position=position, product_id=product.id, description=product.name,
                                         quantity=Decimal(quantity), total=Decimal(line_total)))
            total += Decimal(line_total)
        order.total = total
        db_session.add(order)
        db_session.flush()
        if status in rollup.COUNTED:
            rollup.count_order(order.id, 1)  # as the order service does when an order is placed
    db_session.commit()
    return {"rep": rep, "chair": chair.id, "desk": desk.id}


def test_revenue_by_month_is_exact_per_currency_and_leaves_out_cancelled_orders(db_session, orders):
    assert reports.revenue_by_month(YEAR) == [
        {"month": "2026-03", "year": 2026, "month_number": 3, "currency": "IRR", "orders": 2,
         "revenue": Decimal("60000001")},
        {"month": "2026-04", "year": 2026, "month_number": 4, "currency": "USD", "orders": 2, "revenue": Decimal("0.40")},
    ]


def test_ten_cents_thrice_is_exactly_thirty_cents(db_session, orders):
    by_product = {(r["product_id"], r["currency"]): r for r in reports.revenue_by_product(YEAR)}
    assert by_product[orders["chair"], "USD"]["revenue"] == Decimal("0.20")
    assert by_product[orders["chair"], "USD"]["quantity"] == Decimal("4")
    assert by_product[orders["desk"], "IRR"]["revenue"] == Decimal("45000001")


def test_the_daily_rollup_and_the_lines_give_the_same_product_report(db_session, orders):
    whole_days = reports.local_period(dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    not_whole_days = reports.Period(whole_days.start + dt.timedelta(seconds=1), whole_days.end)
    assert reports._whole_days(whole_days) == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    assert reports._whole_days(not_whole_days) is None
    assert reports.revenue_by_product(whole_days) == reports.revenue_by_product(not_whole_days)
    assert rollup.rebuild() == 5  # (day, product, currency) rows
    assert reports.revenue_by_product(whole_days) == reports.revenue_by_product(not_whole_days)


def test_a_cancelled_order_leaves_the_rollup(db_session, orders):
    order = db_session.scalars(sa.select(Order).where(Order.number == "O-2")).one()
    rollup.count_order(order.id, -1)
    order.status = "cancelled"
    db_session.commit()
    by_product = {(r["product_id"], r["currency"]) for r in reports.revenue_by_product(YEAR)}
    assert (orders["desk"], "IRR") not in by_product


def test_revenue_by_owner_credits_the_owner_of_each_sale(db_session, orders, make_user):
    rows = reports.revenue_by_owner(YEAR)
    assert {(r["owner_id"], r["currency"]): r["revenue"] for r in rows} == {
        (orders["rep"].id, "IRR"): Decimal("60000001"), (orders["rep"].id, "USD"): Decimal("0.30"),
        (None, "USD"): Decimal("0.10")}
    # The account moving to another rep later does not move the sales already made.
    db_session.execute(sa.update(Customer).values(owner_id=make_user().id))
    db_session.commit()
    assert reports.revenue_by_owner(YEAR) == rows


def test_win_rate_and_sales_cycle_over_closed_deals(db_session, make_user):
    owner = make_user()
    pipeline = Pipeline(name="Reports")
    stage = Stage(name="Any")
    pipeline.stages.append(stage)
    db_session.add(pipeline)
    db_session.flush()

    def deal(status, created, closed):
        return Deal(title=status, pipeline_id=pipeline.id, stage_id=stage.id, owner_id=owner.id, status=status,
                    created_at=created, closed_at=closed)

    db_session.add_all([
        deal("won", _at(1, 1), _at(1, 11)), deal("won", _at(2, 1), _at(2, 21)),
        deal("lost", _at(3, 1), _at(3, 2)), deal("open", _at(3, 1), None),
    ])
    db_session.commit()
    assert reports.win_rate(YEAR) == [{"owner_id": owner.id, "won": 2, "lost": 1, "win_rate": Decimal("66.7")}]
    assert reports.sales_cycle_days(YEAR) == Decimal("15.0")


def test_lead_conversion_per_source(db_session):
    db_session.add_all([
        Lead(email="a@x.ir", source="web_form", status="converted", created_at=_at(5)),
        Lead(email="b@x.ir", source="web_form", status="new", created_at=_at(5)),
        Lead(email="c@x.ir", source="import", status="new", created_at=_at(5)),
    ])
    db_session.commit()
    assert reports.lead_conversion(YEAR) == [
        {"source": "import", "leads": 1, "converted": 0, "rate": Decimal("0.0")},
        {"source": "web_form", "leads": 2, "converted": 1, "rate": Decimal("50.0")},
    ]


def test_empty_periods_give_empty_reports(db_session):
    empty = reports.Period(dt.datetime(2001, 1, 1, tzinfo=UTC), dt.datetime(2001, 2, 1, tzinfo=UTC))
    assert reports.revenue_by_month(empty) == [] and reports.win_rate(empty) == []
    assert reports.sales_cycle_days(empty) is None


def test_the_reports_page_and_its_csv(web_as, orders):
    from payvand.plugins.sales import permissions as perm

    web = web_as([perm.REPORTS_VIEW])
    page = web.get("/sales/reports?start=2026-01-01&end=2026-12-31")
    assert page.status_code == 200
    assert "60,000,001 rials" in page.text and "Chair" in page.text
    csv = web.get("/sales/reports/revenue_by_month.csv?start=2026-01-01&end=2026-12-31")
    assert csv.headers["Content-Disposition"] == 'attachment; filename="sales-revenue_by_month.csv"'
    assert csv.get_data(as_text=True).splitlines() == ["\ufeffmonth,currency,orders,revenue", "2026-03,IRR,2,60000001",
                                                       "2026-04,USD,2,0.40"]
    assert web.get("/sales/reports?start=2026-05-01&end=2026-01-01").status_code == 422
    assert web_as(["core.customer.view"]).get("/sales/reports").status_code == 403


def _charts(text: str) -> dict[str, dict]:
    import json
    import re

    return {found: json.loads(spec) for found, spec in re.findall(
        r'<figure class="mb-3" data-chart id="([^"]+)">.*?<script type="application/json">(.*?)</script>', text, re.S)}


def test_the_reports_page_draws_revenue_per_month_product_and_owner_one_series_per_currency(web_as, orders):
    from payvand.plugins.sales import permissions as perm

    web = web_as([perm.REPORTS_VIEW])
    charts = _charts(web.get("/sales/reports?start=2026-01-01&end=2026-12-31").text)
    month = charts["chart-revenue-by-month"]
    assert month["labels"] == ["March 2026", "April 2026"]  # the table's month labels
    assert [(s["label"], s["data"]) for s in month["series"]] == [("Revenue (IRR)", [60000001.0, None]),
                                                                  ("Revenue (USD)", [None, 0.4])]  # never summed
    product = charts["chart-revenue-by-product"]
    assert product["horizontal"] and sorted(product["labels"]) == ["\u2068Chair\u2069", "\u2068Desk\u2069"]  # isolated
    owner = charts["chart-revenue-by-owner"]
    by_owner = {label: {s["label"]: s["data"][i] for s in owner["series"]} for i, label in enumerate(owner["labels"])}
    assert by_owner == {"\u2068—\u2069": {"Revenue (USD)": 0.1, "Revenue (IRR)": None},  # in the table's order
                        "\u2068Test User\u2069": {"Revenue (USD)": 0.3, "Revenue (IRR)": 60000001.0}}
    assert "vendor/chart.js/chart.umd.min.js" in web.get("/sales/reports").text
    assert _charts(web.get("/sales/reports?start=2025-01-01&end=2025-12-31").text) == {}  # nothing to draw


def test_persian_reports_chart_months_in_persian_digits_and_names_as_typed(web_as, orders, db_session):
    from payvand.plugins.sales import permissions as perm

    db_session.get(Product, orders["chair"]).name = "صندلی 2 نفره"
    db_session.commit()
    web = web_as([perm.REPORTS_VIEW])
    web.post("/account/locale", {"locale": "fa"})
    charts = _charts(web.get("/sales/reports?start=1404/12/01&end=1405/12/29").text)
    assert charts["chart-revenue-by-month"]["labels"] == ["اسفند ۱۴۰۴", "فروردین ۱۴۰۵"]  # the table's, Persian digits
    assert "\u2068صندلی 2 نفره\u2069" in charts["chart-revenue-by-product"]["labels"]  # a name is not rewritten


def test_the_start_page_shows_this_months_sales_to_those_who_see_reports(web_as):
    from payvand.plugins.sales import permissions as perm

    assert "Sales this month" in web_as([perm.REPORTS_VIEW]).get("/").text
    assert "Sales this month" not in web_as([]).get("/").text


def test_orders_placed_and_cancelled_through_the_service_keep_the_rollup_right(app, db_session, make_customer):
    from payvand.plugins.sales.services import documents

    with app.app_context():  # the services read settings through the running app
        customer = make_customer()
        tea = Product(sku="TEA", name="Tea")
        db_session.add(tea)
        db_session.flush()
        lines = [documents.LineIn(product_id=tea.id, quantity=Decimal("2"), unit_price=Decimal("1000"), tax_rate=Decimal(0))]
        kept = documents.place_order(db_session, customer.id, lines, channel="staff")
        dropped = documents.place_order(db_session, customer.id, lines, channel="staff")
        documents.change_order_status(db_session, dropped, "cancelled")
        db_session.commit()
        day = kept.placed_at.astimezone(ZoneInfo("Asia/Tehran")).date()
        (row,) = rollup.product_revenue(day, day, 10)
        assert (row["product_id"], row["quantity"], row["revenue"]) == (tea.id, Decimal("2"), kept.lines[0].total)


def test_only_sqlite_reads_the_currencies_its_exact_sums_need(db_session, orders):
    from payvand.plugins.sales.services.sums import currencies_to_sum

    found = currencies_to_sum(sa.select(Order.currency).where(Order.status != "cancelled"))
    if db_session.get_bind().dialect.name == "sqlite":  # integer minor units per currency
        assert sorted(found) == ["IRR", "USD"]
    else:  # NUMERIC sums are exact without them: the pass over the orders is not made
        assert found == []
