"""The expected next purchase day and per-customer figures as of the end of the data (the
holdout end), checked against an independent computation and stored on the run and customers."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
import sqlalchemy as sa
from scipy import integrate, optimize, stats

from payvand.core.models import Customer
from payvand.plugins.analytics.models import CustomerClv
from payvand.plugins.analytics.services import clv, lifetime
from tests.analytics.orders import add_orders
from tests.analytics.test_clv_cli import simulated_purchases

MODEL = clv.BgNbd(r=0.243, alpha=4.414, a=0.793, b=2.426, log_likelihood=0.0)


def _bought_by(t: float, x: float, T: float, alive: float) -> float:
    """P(a purchase within t periods after T), by integrating over the purchase rate's posterior
    Gamma(r + x, alpha + T) numerically (independent of the closed form)."""
    posterior = stats.gamma(MODEL.r + x, scale=1.0 / (MODEL.alpha + T))
    silent, _ = integrate.quad(lambda rate: math.exp(-rate * t) * posterior.pdf(rate), 0, np.inf, limit=200)
    return alive * (1.0 - silent)


@pytest.mark.parametrize(("x", "t_x", "T"), [(0, 0.0, 10.0), (2, 30.43, 38.86), (7, 37.0, 38.0), (1, 2.0, 5.0)])
def test_next_purchase_is_where_a_purchase_becomes_more_likely_than_not(x, t_x, T):
    alive = float(clv.p_alive(MODEL, np.array([x]), np.array([t_x]), np.array([T]))[0])
    (t,) = clv.next_purchase_in(MODEL, np.array([x]), np.array([T]), np.array([alive]))
    if alive <= 0.5:
        assert math.isnan(t)
        return
    reference = optimize.brentq(lambda s: _bought_by(s, x, T, alive) - 0.5, 1e-9, 1e6)
    assert t == pytest.approx(reference, rel=1e-6)
    assert _bought_by(t * 0.99, x, T, alive) < 0.5 < _bought_by(t * 1.01, x, T, alive)


def test_no_next_purchase_when_more_likely_gone():
    # A customer who bought often early and then nothing for a long time: P(alive) well under ½.
    alive = clv.p_alive(MODEL, np.array([5.0]), np.array([3.0]), np.array([38.0]))
    assert alive[0] < 0.5
    assert math.isnan(clv.next_purchase_in(MODEL, np.array([5.0]), np.array([38.0]), alive)[0])
    # Exactly one half is not "more likely than not" either.
    assert math.isnan(clv.next_purchase_in(MODEL, np.array([1.0]), np.array([5.0]), np.array([0.5]))[0])


def test_a_run_with_a_holdout_scores_customers_with_every_purchase_up_to_its_end(in_app, db_session, make_customer):
    ids = [make_customer(given_name=f"C{n}").id for n in range(60)]
    rows = simulated_purchases(ids)
    late = make_customer(given_name="Late").id  # first bought in the holdout
    rows += [(late, "2024-10-10", "50000"), (late, "2024-11-20", "40000")]
    add_orders(db_session, rows)
    options = lifetime.ClvOptions(dt.date(2024, 7, 31), holdout_end=dt.date(2024, 12, 31))
    run, result = lifetime.run_instance(options)
    db_session.commit()
    assert result.scored_on == dt.date(2024, 12, 31) and run.results["scored_on"] == "2024-12-31"
    assert late not in result.summary.customers and late in result.scored.customers
    stored = {row.customer_id: row for row in db_session.scalars(sa.select(CustomerClv).where(CustomerClv.run_id == run.id))}
    assert set(stored) == set(ids) | {late} and run.customers == len(ids) + 1
    # A customer who bought after the calibration end: their stored figures count that purchase.
    holdout_buyer = next(cid for cid, _, holdout in zip(result.summary.customers, result.summary.x, result.summary.holdout_x,
                                                        strict=True) if holdout > 0)
    at_calibration = result.summary.customers.index(holdout_buyer)
    assert stored[holdout_buyer].frequency > result.summary.x[at_calibration]
    assert stored[holdout_buyer].age == pytest.approx((dt.date(2024, 12, 31) - dt.date(2024, 1, 1)).days / 7, abs=4.1)
    # The next purchase day: after the scoring day where P(alive) > ½, empty otherwise.
    for row in stored.values():
        if row.p_alive > 0.5:
            assert row.next_purchase_on is not None and row.next_purchase_on > dt.date(2024, 12, 31)
        else:
            assert row.next_purchase_on is None
    assert any(row.next_purchase_on for row in stored.values()) and any(row.next_purchase_on is None for row in stored.values())
    # The same day is a customer field, for segments and templates.
    some = next(cid for cid, row in stored.items() if row.next_purchase_on)
    attributes = db_session.get(Customer, some).attributes
    assert attributes[lifetime.FIELD_NEXT] == stored[some].next_purchase_on.isoformat()
    gone = next(cid for cid, row in stored.items() if row.next_purchase_on is None)
    assert db_session.get(Customer, gone).attributes[lifetime.FIELD_NEXT] is None


def test_without_a_holdout_the_figures_are_as_of_the_calibration_end(in_app, db_session, make_customer):
    ids = [make_customer(given_name=f"C{n}").id for n in range(40)]
    add_orders(db_session, simulated_purchases(ids))
    _, result = lifetime.run_instance(lifetime.ClvOptions(dt.date(2024, 12, 31)))
    assert result.scored is result.summary and result.scored_on == dt.date(2024, 12, 31)


def test_the_panel_page_and_api_show_the_next_purchase(in_app, db_session, make_customer, web_as, api_as):
    from payvand.plugins.analytics import permissions as perm

    ids = [make_customer(given_name=f"C{n}").id for n in range(60)]
    add_orders(db_session, simulated_purchases(ids))
    run, _ = lifetime.run_instance(lifetime.ClvOptions(dt.date(2024, 7, 31), holdout_end=dt.date(2024, 12, 31)))
    db_session.commit()
    row = db_session.scalars(sa.select(CustomerClv).where(CustomerClv.run_id == run.id, CustomerClv.next_purchase_on.is_not(None))
                             .order_by(CustomerClv.customer_id).limit(1)).one()
    figures = api_as([perm.VIEW]).get(f"/api/v1/analytics/customers/{row.customer_id}").json
    assert figures["clv"]["next_purchase_on"] == row.next_purchase_on.isoformat()
    web = web_as([perm.VIEW, "core.customer.view"])
    page = web.get("/analytics/clv").text
    assert 'id="clv-scored-on"' in page and "Expected next purchase" in page
    panel = web.get(f"/customers/{row.customer_id}").text
    assert 'id="analytics-next-purchase"' in panel


def test_clv_fields_are_written_set_based_as_fixed_point_text_and_only_when_they_move(in_app, db_session, make_customer):
    import re

    ids = [make_customer(given_name=f"C{n}").id for n in range(40)]
    add_orders(db_session, simulated_purchases(ids))
    options = lifetime.ClvOptions(dt.date(2024, 7, 31), holdout_end=dt.date(2024, 12, 31))
    run, _ = lifetime.run_instance(options)
    db_session.commit()
    row = db_session.scalars(sa.select(CustomerClv).where(CustomerClv.run_id == run.id).order_by(CustomerClv.customer_id)
                             .limit(1)).one()
    attributes = db_session.get(Customer, row.customer_id).attributes
    assert re.fullmatch(r"\d+\.\d{2}", attributes[lifetime.FIELD_CLV])
    assert float(attributes[lifetime.FIELD_CLV]) == pytest.approx(row.clv, abs=0.005)
    assert re.fullmatch(r"[01]\.\d{3}", attributes[lifetime.FIELD_P_ALIVE])
    assert float(attributes[lifetime.FIELD_P_ALIVE]) == pytest.approx(row.p_alive, abs=0.0005)
    versions = dict(db_session.execute(sa.select(Customer.id, Customer.version)).all())
    lifetime.run_instance(options)  # the same fit again: nothing moves, no customer is written
    db_session.commit()
    assert dict(db_session.execute(sa.select(Customer.id, Customer.version)).all()) == versions
