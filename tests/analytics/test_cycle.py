"""The e-CRM cycle: stages on a crafted set, monthly counts and flows, the funnel from leads, the page and the API."""

from __future__ import annotations

import datetime as dt

import flask_babel
import pytest
import sqlalchemy as sa

from payvand.plugins.analytics import permissions as perm
from payvand.plugins.analytics.models import CustomerStage
from payvand.plugins.analytics.services import cycle, local_days
from payvand.plugins.sales.models import Lead
from tests.analytics.orders import add_orders

TODAY = local_days.today()  # the site's day (Tehran): after 20:30 UTC it is already tomorrow there


def _ago(days: int) -> str:
    return (TODAY - dt.timedelta(days=days)).isoformat()


@pytest.fixture
def crafted(in_app, db_session, make_customer):
    """A one purchase; B two this year; C three over two years spending more now (expansion, loyal);
    E three over two years spending less now; F four this year (loyal); D none. Leads for B, C, D and one open."""
    ids = {name: make_customer(given_name=name).id for name in "ABCDEF"}
    add_orders(db_session, [
        (ids["A"], _ago(10), "100"),
        (ids["B"], _ago(100), "100"), (ids["B"], _ago(20), "100"),
        (ids["C"], _ago(600), "100"), (ids["C"], _ago(300), "500"), (ids["C"], _ago(30), "500"),
        (ids["E"], _ago(700), "1000"), (ids["E"], _ago(400), "10"), (ids["E"], _ago(200), "10"),
        *[(ids["F"], _ago(days), "50") for days in (300, 200, 100, 50)],
    ])
    for customer in ("B", "C", "D", None):
        db_session.add(Lead(given_name="L", email=f"{customer or 'open'}@example.com", source="import",
                            status="converted" if customer else "new",
                            customer_id=ids[customer] if customer else None))
    db_session.commit()
    return ids


def test_each_customer_is_placed_in_its_stage_and_the_funnel_counts_leads(crafted, db_session):
    run = cycle.run_cycle(TODAY)
    db_session.commit()
    stored = dict(db_session.execute(sa.select(CustomerStage.customer_id, CustomerStage.stage)
                                     .where(CustomerStage.run_id == run.id)).all())
    ids = crafted
    assert {name: stored[ids[name]] for name in "ABCDEF"} == {
        "A": "acquisition", "B": "retention", "C": "expansion", "D": "selection", "E": "retention", "F": "retention"}
    assert run.results["stages"] == {"selection": 1, "acquisition": 1, "retention": 3, "expansion": 1}
    assert run.results["funnel_leads"] == [4, 2, 2, 1]  # leads; B and C bought; both again; C loyal
    assert run.results["funnel_all"] == [5, 5, 4, 2]  # buyers; B, C, E, F repeat; C and F loyal
    for calendar in ("gregorian", "jalali"):
        months = run.results["months"][calendar]
        assert len(months["labels"]) == 12 and len(months["flows"]) == 11
        assert months["counts"]["expansion"][-1] == 1
        entered = sum(flow.get(source, {}).get(target, 0) for flow in months["flows"]
                      for source in ("new", "selection") for target in ("acquisition", "retention"))
        assert entered == 3  # A, B and F made their first purchase inside the window
    assert run.results["months"]["jalali"]["labels"][-1].startswith("14")


def test_purchase_days_are_local_days_of_the_site(in_app, db_session, make_customer):
    from decimal import Decimal

    from payvand.plugins.sales.models import Order, OrderLine

    customer = make_customer(given_name="Night").id
    day = TODAY - dt.timedelta(days=40)
    # noon and 21:00 UTC are one UTC day but two days in Tehran (UTC+3:30): 21:00 UTC is 00:30 there
    for number, hour in (("N-1", 12), ("N-2", 21)):
        order = Order(number=number, customer_id=customer, currency="IRR", total=Decimal(100),
                      placed_at=dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC))
        order.lines.append(OrderLine(description="Item", quantity=Decimal(1), total=Decimal(100)))
        db_session.add(order)
    db_session.commit()
    run = cycle.run_cycle(TODAY)
    db_session.commit()
    stored = db_session.execute(sa.select(CustomerStage.stage, CustomerStage.purchase_days)
                                .where(CustomerStage.run_id == run.id, CustomerStage.customer_id == customer)).one()
    assert tuple(stored) == ("retention", 2)


def test_month_ends_in_both_calendars():
    ends = cycle.month_ends(dt.date(2024, 3, 25), 3, "gregorian")
    assert ends == [("2024/01", dt.date(2024, 1, 31)), ("2024/02", dt.date(2024, 2, 29)), ("2024/03", dt.date(2024, 3, 25))]
    jalali = cycle.month_ends(dt.date(2024, 3, 25), 2, "jalali")  # 1403/01/06
    assert jalali == [("1402/12", dt.date(2024, 3, 19)), ("1403/01", dt.date(2024, 3, 25))]


def test_the_page_shows_the_charts_with_tables_in_both_languages(crafted, db_session, web_as):
    cycle.run_cycle(TODAY)
    db_session.commit()
    web = web_as([perm.VIEW])
    text = web.get("/analytics/cycle").text
    for element in ('id="cycle-stages"', 'id="cycle-stages-table"', 'id="cycle-flows"', 'id="cycle-funnel"',
                    'id="cycle-funnel-table"', 'id="cycle-last-flows"', "vendor/chart.js/chart.umd.min.js"):
        assert element in text, element
    assert 'id="cycle-run-form"' not in text
    switched = web.post("/account/locale", {"locale": "fa"})
    assert switched.status_code in (302, 303), switched.status_code
    flask_babel.refresh()  # the test's app context (in_app) is shared with the requests: forget the cached locale
    persian = web.get("/analytics/cycle").text
    assert "چرخه" in persian and "۱۴" in persian


def test_computing_from_the_page_and_reading_the_api(crafted, web_as, api_as):
    assert api_as([perm.VIEW]).get("/api/v1/analytics/cycle").status_code == 404
    web = web_as([perm.VIEW, perm.RUN])
    assert 'id="cycle-empty"' in web.get("/analytics/cycle").text
    assert web.post("/analytics/cycle").status_code == 302
    body = api_as([perm.VIEW]).get("/api/v1/analytics/cycle").json
    assert body["stages"]["expansion"] == 1 and body["funnel_leads"] == [4, 2, 2, 1]
    assert len(body["jalali"]["labels"]) == 12
    assert api_as(["core.customer.view"]).get("/api/v1/analytics/cycle").status_code == 403
