"""BG/NBD at the edge of its parameter space: when purchases show every customer buying at one
rate (r and alpha in the 10^8 and 10^10) and leaving with one probability (a and b in the
10^5), the closed-form expectations overflow; the predictions come from a quadrature that must
agree with the closed form wherever that can be computed, and with the model's limit at the edge."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
from scipy import special

from payvand.core.models import Customer
from payvand.plugins.analytics.models import CustomerClv, Run
from payvand.plugins.analytics.services import clv, lifetime
from tests.analytics.orders import add_orders

OPTIONS = lifetime.ClvOptions(dt.date(2025, 9, 30), holdout_end=dt.date(2025, 12, 30))


def _no_dropout_rows() -> list[tuple[str, dt.date, int]]:
    with (Path(__file__).parent / "data" / "no_dropout_purchases.csv").open(newline="") as handle:
        return [(row["customer"], dt.date.fromisoformat(row["date"]), 100) for row in csv.DictReader(handle)]


def _closed_form(shape: float, s: float, a: float, b: float) -> float:
    return float((a + b - 1) / (a - 1) * (1 - (1 + s) ** -shape * special.hyp2f1(shape, b, a + b - 1, s / (1 + s))))


@pytest.mark.parametrize(("shape", "s", "a", "b"), [
    (0.243, 52 / 4.414, 0.793, 2.426),  # CDNOW's parameters, a new customer, a year ahead
    (10.243, 104 / 24.4, 0.793, 12.426),  # a frequent buyer, two years ahead
    (50.2, 104 / 43.4, 0.793, 51.4),
    (2.2, 13 / 40, 0.3, 0.5),
    (3.0, 1.0, 1.5, 2.0),
    (5.0, 2.0, 500.0, 800.0),
    (20.0, 5.0, 1e4, 2e4),
])
def test_the_quadrature_agrees_with_the_closed_form_where_both_compute(shape, s, a, b):
    quadrature = clv._expected_by_quadrature(np.array([shape]), np.array([s]), a, np.array([b]))[0]
    assert quadrature == pytest.approx(_closed_form(shape, s, a, b), rel=1e-8)


def test_a_fit_at_the_edge_predicts_the_models_limit():
    result = lifetime.fit(_no_dropout_rows(), OPTIONS)
    model = result.bgnbd
    assert model.r > 1e6 and model.alpha > 1e8 and model.a > 1e4 and model.b > 1e4  # the edge, as recorded
    assert model.r > clv._CLOSED_FORM_UP_TO  # where the closed form is not trusted
    scored, values = result.scored, result.scored_values
    # In the limit every active customer buys at rate (r + x)/(alpha + T) and leaves after each
    # purchase with probability a/(a + b + x): (1 - e^(-rate p t)) / p purchases in t periods.
    rate = (model.r + scored.x) / (model.alpha + scored.T)
    leave = model.a / (model.a + model.b + scored.x)
    limit = values.p_alive * -np.expm1(-rate * leave * OPTIONS.horizon) / leave
    assert np.isfinite(values.expected_purchases).all() and np.isfinite(values.clv).all()
    np.testing.assert_allclose(values.expected_purchases, limit, rtol=1e-4)
    histogram = result.report["histogram"]["predicted"]
    assert np.isfinite(histogram).all() and min(histogram) >= 0  # the last bin is what the others leave
    holdout = result.report["holdout_total"]
    assert 0 < holdout["predicted"] < 2 * holdout["actual"]


def test_a_customer_first_seen_on_the_calibration_end_has_made_no_repeat_purchase_yet():
    model = clv.BgNbd(r=0.243, alpha=4.414, a=0.793, b=2.426, log_likelihood=0.0)
    assert clv.prob_repeat_count(model, 0, np.array([0.0]))[0] == 1.0
    assert clv.prob_repeat_count(model, 2, np.array([0.0]))[0] == 0.0


def test_the_nightly_refresh_stores_a_fit_at_the_edge(in_app, db_session, make_customer):
    from payvand.plugins.analytics.services import refresh

    rows = _no_dropout_rows()[:1500]
    ids = {key: make_customer(given_name=f"C{key}").id for key in {customer for customer, _, _ in rows}}
    add_orders(db_session, [(ids[customer], day.isoformat(), "100") for customer, day, _ in rows])
    done = refresh.refresh(dt.date(2025, 12, 30))
    db_session.commit()
    assert isinstance(done["clv"], int), done["clv"]
    run = db_session.get(Run, done["clv"])
    assert run.results["bgnbd"]["r"] > 1e6
    stored = db_session.execute(sa.select(sa.func.count(), sa.func.min(CustomerClv.clv), sa.func.max(CustomerClv.clv))
                                .where(CustomerClv.run_id == run.id)).one()
    assert stored[0] == len(ids) and 0 < stored[1] <= stored[2]
    customer = db_session.get(Customer, next(iter(ids.values())))
    assert float(customer.attributes[lifetime.FIELD_CLV]) > 0


def test_the_log_likelihood_is_equation_6_and_stays_exact_at_the_edge():
    x, t_x, T = np.array([0, 1, 2, 5, 30.0]), np.array([0, 3, 10, 20, 37.0]), np.array([38, 30, 20, 39, 38.0])

    def by_log_gammas(r, alpha, a, b):  # equation 6 as printed
        a1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
        a2 = special.gammaln(a + b) + special.gammaln(b + x) - special.gammaln(b) - special.gammaln(a + b + x)
        a3 = -(r + x) * np.log(alpha + T)
        with np.errstate(divide="ignore", invalid="ignore"):  # b + x - 1 < 0 where x = 0: not used
            a4 = np.where(x > 0, np.log(a) - np.log(b + x - 1) - (r + x) * np.log(alpha + t_x), -np.inf)
        return a1 + a2 + np.logaddexp(a3, a4)

    for params in ((0.243, 4.414, 0.793, 2.426), (2.0, 10.0, 3.0, 5.0), (0.5, 1.0, 0.1, 0.2)):
        np.testing.assert_allclose(clv.bgnbd_log_likelihood(params, x, t_x, T), by_log_gammas(*params), rtol=1e-12)
    # At the edge: one rate and one dropout probability for everyone (a Poisson buyer who leaves
    # after each purchase with probability p), whose likelihood is known in closed form.
    rate, leave, size = 0.02, 0.45, 1e12
    limit = (x * np.log(rate) + x * np.log1p(-leave) - rate * T
             + np.where(x > 0, np.log1p(leave / (1 - leave) * np.exp(rate * (T - t_x))), 0.0))
    edge = (size, size / rate, leave * size, (1 - leave) * size)
    np.testing.assert_allclose(clv.bgnbd_log_likelihood(edge, x, t_x, T), limit, rtol=1e-6)
