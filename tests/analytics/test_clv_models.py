"""BG/NBD and Gamma-Gamma reproduce the published CDNOW figures from raw transactions; property checks."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, special

from payvand.plugins.analytics.services import clv
from tests.analytics.cdnow import cdnow_rows

CAL_END = dt.date(1997, 9, 30)
HOLDOUT_END = dt.date(1998, 6, 30)
# Fader, Hardie & Lee (2005), section 4; Fader & Hardie (2013), the Gamma-Gamma note.
PAPER_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PAPER_GG = {"p": 6.25, "q": 3.74, "v": 15.44}
Fitted = tuple[clv.BgNbd, clv.GammaGamma]


@pytest.fixture(scope="module")
def cdnow() -> clv.Summary:
    return clv.summarize(cdnow_rows(), CAL_END, "week", holdout_end=HOLDOUT_END)


@pytest.fixture(scope="module")
def fitted(cdnow: clv.Summary) -> tuple[clv.BgNbd, clv.GammaGamma]:
    return clv.fit_bgnbd(cdnow), clv.fit_gamma_gamma(cdnow)


def test_summary_matches_the_papers_calibration_data(cdnow: clv.Summary) -> None:
    assert len(cdnow) == 2357
    assert int(cdnow.x.sum()) == 2457  # repeat transactions in weeks 1-39 (same-day purchases once)
    assert int((cdnow.x > 0).sum()) == 946  # the Gamma-Gamma note's repeat customers
    first = cdnow.customers.index("00004")  # sample id 0001, the first row of the paper's spreadsheet
    # The first customer of the paper's spreadsheet: x = 2, t_x = 30.43, T = 38.86 weeks.
    assert (cdnow.x[first], round(cdnow.t_x[first], 2), round(cdnow.T[first], 2)) == (2, 30.43, 38.86)


def test_bgnbd_reproduces_the_published_parameters_within_one_percent(fitted: Fitted) -> None:
    found = fitted[0].as_dict()
    for name, published in PAPER_BGNBD.items():
        assert found[name] == pytest.approx(published, rel=0.01), name


def test_bgnbd_log_likelihood_matches_the_paper(fitted: Fitted) -> None:
    assert fitted[0].log_likelihood == pytest.approx(-9582.4, abs=0.05)


def test_gamma_gamma_reproduces_the_published_parameters_within_one_percent(fitted: Fitted) -> None:
    found = fitted[1].as_dict()
    for name, published in PAPER_GG.items():
        assert found[name] == pytest.approx(published, rel=0.01), name


def test_gamma_gamma_log_likelihood_agrees_with_an_independent_density(cdnow: clv.Summary) -> None:
    """The closed form equals log of the integral over nu of the gamma(px, nu x) density of the
    mean times the gamma(q, v) mixing density, computed numerically."""
    p, q, v, x, m = 6.0, 3.5, 15.0, 3.0, 20.0

    def integrand(nu: float) -> float:
        mean_density = np.exp((p * x) * np.log(nu * x) + (p * x - 1) * np.log(m) - nu * x * m - special.gammaln(p * x))
        mixing = np.exp(q * np.log(v) + (q - 1) * np.log(nu) - v * nu - special.gammaln(q))
        return float(mean_density * mixing)

    numeric = np.log(integrate.quad(integrand, 0, np.inf, limit=200)[0])
    closed = clv.gamma_gamma_log_likelihood((p, q, v), np.array([x]), np.array([m]))[0]
    assert closed == pytest.approx(numeric, abs=1e-6)


def test_predicted_histogram_sums_to_the_customers_and_tracks_the_actual(cdnow: clv.Summary, fitted: Fitted) -> None:
    report = clv.fit_report(cdnow, fitted[0], max_count=7)
    histogram = report["histogram"]
    assert sum(histogram["actual"]) == 2357
    assert sum(histogram["predicted"]) == pytest.approx(2357)
    assert histogram["predicted"][0] == pytest.approx(histogram["actual"][0], rel=0.02)  # about 1,411 non-repeaters


def test_calibration_histogram_matches_the_papers_figure(cdnow: clv.Summary, fitted: Fitted) -> None:
    """Figure 3 of the paper: customers by repeat transactions in weeks 1-39, actual and predicted."""
    histogram = clv.fit_report(cdnow, fitted[0])["histogram"]
    assert histogram["actual"] == [1411, 439, 214, 100, 62, 38, 29, 64]
    assert histogram["predicted"][:3] == pytest.approx([1408, 460, 192], abs=1)


def test_holdout_tracking_is_close_to_the_actual_repeat_purchases(cdnow: clv.Summary, fitted: Fitted) -> None:
    """Figure 4: cumulative repeat transactions over 78 weeks within 5%; figure 5: the conditional
    expectations of the 39-week holdout, which (as the paper shows) fall a little below the actual."""
    report = clv.fit_report(cdnow, fitted[0], holdout_transactions=clv.repeat_days(cdnow_rows(), cdnow.origin, HOLDOUT_END))
    tracking = report["tracking"]
    assert len(tracking["periods"]) == 78
    assert tracking["actual"][38] == 2457  # week 39: every calibration repeat transaction
    assert tracking["actual"][-1] == 4339
    assert tracking["predicted"][-1] == pytest.approx(tracking["actual"][-1], rel=0.05)
    totals = report["holdout_total"]
    assert totals["actual"] == 1882  # holdout repeat transactions (same-day purchases once)
    assert totals["predicted"] == pytest.approx(totals["actual"], rel=0.15)
    conditional = report["conditional"]
    assert conditional["predicted"] == sorted(conditional["predicted"])  # more past purchases, more expected


def test_probability_of_a_repeat_count_is_a_distribution(fitted: Fitted) -> None:
    t = np.array([5.0, 39.0, 200.0])
    total = sum(clv.prob_repeat_count(fitted[0], n, t) for n in range(400))
    assert total == pytest.approx(np.ones(3), abs=1e-4)
    mean = sum(n * clv.prob_repeat_count(fitted[0], n, t) for n in range(400))
    assert mean[:2] == pytest.approx(clv.expected_purchases_new(fitted[0], t)[:2], rel=1e-3)


MODEL = clv.BgNbd(0.243, 4.414, 0.793, 2.426, 0.0)
histories = st.tuples(st.integers(0, 60), st.floats(0.0, 1.0), st.floats(0.1, 300.0))


@settings(max_examples=200, deadline=None)
@given(histories)
def test_p_alive_is_a_probability(history: tuple[int, float, float]) -> None:
    x, share, T = history
    t_x = share * T if x else 0.0
    value = clv.p_alive(MODEL, np.array([float(x)]), np.array([t_x]), np.array([T]))[0]
    assert 0.0 <= value <= 1.0


@settings(max_examples=100, deadline=None)
@given(histories, st.floats(0.5, 100.0), st.floats(0.5, 100.0))
def test_expected_purchases_grow_with_the_horizon(history: tuple[int, float, float], h1: float, h2: float) -> None:
    x, share, T = history
    t_x = share * T if x else 0.0
    arrays = np.array([float(x)]), np.array([t_x]), np.array([T])
    short, long = sorted((h1, h2))
    a = clv.expected_purchases(MODEL, short, *arrays)[0]
    b = clv.expected_purchases(MODEL, long, *arrays)[0]
    assert 0.0 <= a <= b + 1e-9


def test_clv_is_discounted_and_positive(cdnow: clv.Summary, fitted: Fitted) -> None:
    plain = clv.customer_value(cdnow, *fitted, horizon=52, discount_rate=0.0)
    discounted = clv.customer_value(cdnow, *fitted, horizon=52, discount_rate=0.01)
    assert np.all(discounted.clv <= plain.clv + 1e-9)
    assert np.all(plain.clv >= 0)
    assert plain.expected_purchases.sum() == pytest.approx(
        clv.expected_purchases(fitted[0], 52, cdnow.x, cdnow.t_x, cdnow.T).sum())


def test_summary_counts_same_day_purchases_once_and_ignores_later_customers() -> None:
    rows = [("a", "2024-01-01", 10), ("a", "2024-01-01", 5), ("a", "2024-01-08", 7), ("a", "2024-01-08", 3),
            ("b", "2024-02-01", 4), ("c", "2024-03-01", 1)]
    s = clv.summarize(rows, dt.date(2024, 2, 5), "week")
    assert s.customers == ["a", "b"]
    assert list(s.x) == [1, 0]
    assert s.t_x[0] == pytest.approx(1.0)
    assert s.monetary[0] == pytest.approx(10.0)
    assert s.T[0] == pytest.approx(35 / 7)
    with pytest.raises(ValueError):
        clv.summarize(rows, dt.date(2024, 2, 5), "year")
