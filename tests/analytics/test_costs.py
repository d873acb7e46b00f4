"""Cost to acquire and keep: costs recorded here and from the data hooks, spread over the
customers acquired and retained per month (a crafted set checked by hand), CAC and cost to
keep, customer profitability ranked, and the costs CSV import's per-row errors."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

import payvand.plugins.analytics as analytics
import payvand.plugins.sales as sales
from payvand.core.models import Setting
from payvand.plugins.analytics.models import Cost, CostRate, CustomerProfit
from payvand.plugins.analytics.services import costs, facts, profit
from tests.analytics import cost_plugin
from tests.analytics.orders import add_orders


@pytest.fixture
def payvand_plugins() -> list[Any]:
    """Sales (purchases), analytics and the test plugin answering the cost data hooks."""
    return [sales, analytics, cost_plugin]


@pytest.fixture(autouse=True)
def _empty_hook_data():
    cost_plugin.COSTS.clear()
    cost_plugin.CASES.clear()
    yield
    cost_plugin.COSTS.clear()
    cost_plugin.CASES.clear()


def _noon(day: str) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(12), tzinfo=dt.UTC)


@pytest.fixture
def crafted(in_app, db_session, make_customer):
    """January and February 2024: A (source search), B (instagram) and C (no source) first buy in
    January, D first bought in December 2023 and buys again in January (retained), E first buys in
    February (no source). Costs: recorded here and one from the marketing hook."""
    a = make_customer(given_name="A", attributes={"analytics.source_channel": "search"}).id
    b = make_customer(given_name="B", attributes={"analytics.source_channel": "Instagram"}).id
    c = make_customer(given_name="C").id
    d = make_customer(given_name="D").id
    e = make_customer(given_name="E").id
    add_orders(db_session, [(a, "2024-01-10", "10000"), (b, "2024-01-11", "2000"), (c, "2024-01-12", "1000"),
                            (d, "2023-12-05", "5000"), (d, "2024-01-20", "3000"), (e, "2024-02-03", "4000")])
    jan = (dt.date(2024, 1, 1), dt.date(2024, 1, 31))
    for data in (
        {"purpose": "acquisition", "channel": "search", "amount": Decimal(300)},   # A only
        {"purpose": "acquisition", "amount": Decimal(600)},                         # A, B, C: 200 each
        {"purpose": "acquisition", "channel": "tiktok", "amount": Decimal(90)},    # nobody from tiktok: 30 each
        {"purpose": "retention", "amount": Decimal(500)},                           # D, retained in January
    ):
        costs.save_cost({"period_start": jan[0], "period_end": jan[1], "campaign": "", "currency": "IRR", "note": "",
                         "channel": "", **data})
    # From the marketing hook: 600 over 1 January - 29 February (60 days), instagram:
    # 310 in January (to B), 290 in February (nobody from instagram: evenly, to E).
    cost_plugin.COSTS.append((dt.date(2024, 1, 1), dt.date(2024, 2, 29), "acquisition", "instagram", None, "600", "IRR"))
    # A cost in another currency is not mixed in.
    cost_plugin.COSTS.append((dt.date(2024, 1, 1), dt.date(2024, 1, 31), "acquisition", None, None, "7", "USD"))
    # Tickets: two for C (one with 90 handling minutes), one before the period for A.
    cost_plugin.CASES.extend([(1, c, _noon("2024-01-15"), None, None), (2, c, _noon("2024-02-15"), None, 90),
                              (3, a, _noon("2023-11-15"), None, None)])
    db_session.add_all([Setting(key="analytics.service_cost_per_ticket", value=100),
                        Setting(key="analytics.service_cost_per_hour", value="40"),
                        Setting(key="analytics.margin_rate", value=0.25)])
    db_session.commit()
    return {"A": a, "B": b, "C": c, "D": d, "E": e}


def test_costs_are_spread_over_acquired_and_retained_customers_by_source(crafted, db_session):
    run = profit.run_costs(profit.CostsOptions(dt.date(2024, 1, 1), dt.date(2024, 2, 29)))
    db_session.commit()
    rows = {row.customer_id: row for row in db_session.scalars(sa.select(CustomerProfit).where(CustomerProfit.run_id == run.id))}
    by_name = {name: rows[cid] for name, cid in crafted.items()}
    assert by_name["A"].acquisition_cost == pytest.approx(300 + 200 + 30)
    assert by_name["B"].acquisition_cost == pytest.approx(200 + 30 + 310)
    assert by_name["C"].acquisition_cost == pytest.approx(230)
    assert by_name["E"].acquisition_cost == pytest.approx(290)
    assert by_name["D"].acquisition_cost == 0 and by_name["D"].retention_cost == pytest.approx(500)
    jan, feb = run.results["periods"]
    assert (jan["month"], jan["acquired"], jan["retained"]) == ("2024-01", 3, 1)
    assert jan["cac"] == pytest.approx((300 + 600 + 90 + 310) / 3)
    assert jan["cost_to_keep"] == pytest.approx(500)
    assert (feb["acquired"], feb["cac"], feb["retained"], feb["cost_to_keep"]) == (1, pytest.approx(290), 0, None)
    assert run.results["unallocated"] == 0
    rates = {(r.month, r.purpose, r.channel): r.per_customer
             for r in db_session.scalars(sa.select(CostRate).where(CostRate.run_id == run.id))}
    assert rates[("2024-01", "acquisition", "instagram")] == pytest.approx(540)
    assert rates[("2024-01", "retention", "")] == pytest.approx(500)


def test_profit_is_margin_minus_service_and_marketing_costs_and_ranked(crafted, db_session):
    run = profit.run_costs(profit.CostsOptions(dt.date(2024, 1, 1), dt.date(2024, 2, 29)))
    db_session.commit()
    rows = {row.customer_id: row for row in db_session.scalars(sa.select(CustomerProfit).where(CustomerProfit.run_id == run.id))}
    c = rows[crafted["C"]]
    assert (c.revenue, c.margin, c.tickets) == (pytest.approx(1000), pytest.approx(250), 2)
    assert c.service_cost == pytest.approx(2 * 100 + 1.5 * 40)  # the ticket before the period is not counted
    assert c.profit == pytest.approx(250 - 260 - 230)
    a = rows[crafted["A"]]
    assert (a.tickets, a.profit) == (0, pytest.approx(2500 - 530))
    d = rows[crafted["D"]]
    assert d.revenue == pytest.approx(3000)  # December's purchase is before the period
    ranked = [row.customer_id for row in sorted(rows.values(), key=lambda r: r.rank)]
    assert ranked == sorted(rows, key=lambda cid: (-rows[cid].profit, cid))
    assert ranked[0] == crafted["A"] and ranked[-1] == crafted["C"]


def test_allocation_leaves_a_month_without_customers_unallocated():
    spread = {("2024-03", "acquisition", "", ""): 100.0, ("2024-03", "retention", "", ""): 50.0}
    allocation = profit.allocate(spread, {}, {}, ["2024-03"])
    (march,) = allocation.periods
    assert (march["cac"], march["cost_to_keep"], march["unallocated"]) == (None, None, 150.0)
    assert allocation.acquisition == {} and allocation.retention == {}


def test_cac_and_cost_to_keep_over_any_period(crafted):
    january = (dt.date(2024, 1, 1), dt.date(2024, 1, 31))
    acquired = profit.cac(january)
    assert (acquired.customers, acquired.currency) == (3, "IRR")
    assert acquired.cost == pytest.approx(300 + 600 + 90 + 310)
    assert acquired.per_customer == pytest.approx(1300 / 3)
    kept = profit.cost_to_keep(january)
    assert (kept.customers, kept.cost, kept.per_customer) == (1, pytest.approx(500), pytest.approx(500))
    both = profit.cac((dt.date(2024, 1, 1), dt.date(2024, 2, 29)))
    assert (both.customers, both.cost) == (4, pytest.approx(300 + 600 + 90 + 600))


def test_a_cost_with_the_same_key_is_refused_on_save_and_updated_by_import(in_app, db_session):
    data = {"period_start": dt.date(2024, 1, 1), "period_end": dt.date(2024, 1, 31), "purpose": "acquisition",
            "channel": "search", "campaign": "", "amount": Decimal(10), "currency": "IRR", "note": ""}
    costs.save_cost(data)
    with pytest.raises(costs.DuplicateCost):
        costs.save_cost(dict(data))
    db_session.rollback()
    costs.save_cost(data)
    db_session.commit()
    report = costs.import_costs(io.BytesIO(b"period_start,period_end,purpose,channel,amount,currency\n"
                                           b"2024-01-01,2024-01-31,acquisition,Search,25,irr\n"))
    db_session.commit()
    assert (report.created, report.updated, report.refused) == (0, 1, 0)
    assert db_session.scalars(sa.select(Cost.amount)).all() == [Decimal(25)]


def test_import_keeps_good_rows_and_reports_bad_ones_with_line_and_reason(in_app, db_session):
    text = ("period_start,period_end,purpose,channel,campaign,amount,currency,note\n"
            "2024-01-01,2024-01-31,acquisition,search,winter,1200,IRR,ok\n"
            "2024-02-01,2024-01-31,acquisition,search,,100,IRR,\n"
            "2024-02-01,2024-02-29,advertising,search,,100,IRR,\n"
            "2024-02-01,2024-02-29,retention,email,,-5,IRR,\n"
            "2024-02-01,2024-02-29,retention,email,,۱۲۰۰,IRR,Persian digits\n"
            "not a date,2024-02-29,retention,email,,5,IRR,\n"
            "2024-01-01,2024-01-31,acquisition,search,winter,1300,IRR,twice\n")
    report = costs.import_costs(io.BytesIO(text.encode()))
    db_session.commit()
    assert (report.created, report.updated, report.refused) == (2, 0, 5)
    lines = {line: reason for line, reason in report.errors}
    assert sorted(lines) == [3, 4, 5, 7, 8]
    assert "period_end" in lines[3] and "purpose" in lines[4] and "amount" in lines[5]
    assert "period_start" in lines[7] and "line 2" in lines[8]
    stored = db_session.execute(sa.select(Cost.purpose, Cost.amount).order_by(Cost.period_start)).all()
    assert stored == [("acquisition", Decimal(1200)), ("retention", Decimal(1200))]


def test_an_import_without_the_required_columns_is_refused_whole(in_app, db_session):
    report = costs.import_costs(io.BytesIO(b"start,end,amount\n2024-01-01,2024-01-31,5\n"))
    assert report.created == 0 and report.errors == [(1, "the header lacks the columns: period_start, period_end, "
                                                         "purpose, currency")]


def test_cac_and_cost_to_keep_are_dashboard_widgets_compared_with_another_period(crafted, app):

    with app.test_request_context():
        _check_cost_widgets()


def _check_cost_widgets() -> None:
    from payvand.plugins.analytics.services import kpis, periods

    widgets = {w.key: w for w in kpis.widgets(None)}
    january = periods.make_period(dt.date(2024, 1, 1), dt.date(2024, 1, 31), "gregorian")
    february = periods.make_period(dt.date(2024, 2, 1), dt.date(2024, 2, 29), "gregorian")
    cac = widgets["analytics.cac"].compute(None, february, january)
    # February: 290 of the hook's instagram cost over E, the one customer acquired in it.
    assert (cac.value, cac.previous, cac.currency) == (pytest.approx(290), pytest.approx(1300 / 3), "IRR")
    assert (widgets["analytics.cac"].unit, widgets["analytics.cac"].higher_is_better) == ("money", False)
    kept = widgets["analytics.cost_to_keep"].compute(None, january, february)
    # January: 500 over D; February: no retention cost and nobody retained.
    assert (kept.value, kept.previous) == (pytest.approx(500), None)
    assert widgets["analytics.cost_to_keep"].compute(None, february, None).note  # says why there is no figure


def test_a_period_and_its_comparison_come_from_one_pass_with_the_figures_of_each_alone(crafted):
    january, february = (dt.date(2024, 1, 1), dt.date(2024, 1, 31)), (dt.date(2024, 2, 1), dt.date(2024, 2, 29))
    for purpose, alone in (("acquisition", profit.cac), ("retention", profit.cost_to_keep)):
        together = profit.cost_per_customer(purpose, [february, january])
        assert together == [alone(february), alone(january)]
    assert [kept for _acquired, kept in profit.customers_by_period(
        facts.purchase_facts(), "IRR", [january, february])] == [1, profit.cost_to_keep(february).customers]


def test_inside_memoized_a_figure_is_computed_once_and_outside_it_every_time(crafted, db_session):
    january = (dt.date(2024, 1, 1), dt.date(2024, 1, 31))
    with facts.memoized():
        assert facts.main_currency(facts.purchase_facts()) == "IRR"
        assert profit.cac(january).customers == 3
        add_orders(db_session, [(crafted["A"], "2024-01-05", "1")] * 10, currency="USD")  # now USD is the main one
        assert facts.main_currency(facts.purchase_facts()) == "IRR"  # remembered for the batch
        assert profit.customers_by_period(facts.purchase_facts(), "IRR", [january])[0][0] == 3
    assert facts.main_currency(facts.purchase_facts()) == "USD"  # outside: computed again
