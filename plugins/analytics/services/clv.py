"""Customer lifetime value models: BG/NBD (purchases, P(alive)) and Gamma-Gamma (spend).

Pure numpy/scipy, no database: the callers (the CLI, the refresh job, the CSV entry point)
turn transactions into arrays and hand them here.

- `summarize` builds the customer-by-sufficient-statistic table (x, t_x, T) from raw
  transactions (customer, date, amount): purchases on the same day count as one transaction
  (their amounts summed), `x` counts the *repeat* transactions up to the calibration end,
  `t_x` is the time from the first to the last of them, `T` from the first purchase to the end
  of calibration, in days / weeks / months (days / 7, days / (365.25 / 12)).
- `fit_bgnbd`: Fader, Hardie & Lee (2005), "Counting your customers the easy way: an
  alternative to the Pareto/NBD model", Marketing Science 24(2), 275-284; the log-likelihood
  is their equation (6), maximised over the log parameters with `scipy.optimize.minimize` (BFGS).
- `fit_gamma_gamma`: Fader & Hardie (2013), "The Gamma-Gamma model of monetary value"
  (brucehardie.com/notes/025), fitted on the customers with at least one repeat transaction,
  their mean repeat-transaction value.
- `customer_value`: expected purchases in the next N periods, P(alive), expected spend and a
  discounted CLV per customer.
- `fit_report`: the paper's model checks (the histogram of repeat purchase counts, the
  cumulative repeat purchases over calibration and holdout, and the conditional expectation
  of holdout purchases by calibration frequency).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
from scipy import optimize, special

#: Days per time unit.
PERIODS: dict[str, float] = {"day": 1.0, "week": 7.0, "month": 365.25 / 12}


@dataclasses.dataclass(frozen=True)
class Summary:
    """Per-customer sufficient statistics at a calibration end, plus holdout counts.

    Arrays are aligned with `customers`. `monetary` is the mean value of the repeat
    transactions in calibration (0 where x = 0). `holdout_x` counts transactions after the
    calibration end up to `holdout_end` (0 when there is no holdout); `first` is each
    customer's first purchase (days since `origin`), used for the cumulative tracking plot.
    """

    customers: list[object]
    x: np.ndarray
    t_x: np.ndarray
    T: np.ndarray
    monetary: np.ndarray
    holdout_x: np.ndarray
    first_day: np.ndarray
    origin: dt.date
    calibration_end: dt.date
    holdout_end: dt.date | None
    period: str

    def __len__(self) -> int:
        return len(self.customers)


def _as_date(value: object) -> dt.date:
    """A transaction's day: a date as it is, ISO or YYYYMMDD text by its date part, a datetime by
    its own calendar date (this module knows no time zone: callers pass the site's local days, as
    `facts.daily_purchases` does)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if len(text) == 8 and text.isdigit():
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    return dt.date.fromisoformat(text[:10])


def summarize(
    transactions: Iterable[tuple[object, object, object]],
    calibration_end: dt.date,
    period: str = "week",
    holdout_end: dt.date | None = None,
) -> Summary:
    """Build the (x, t_x, T, monetary) summary from (customer, date, amount) rows.

    Only customers whose first purchase is on or before `calibration_end` are included (the
    model describes customers already acquired). Same-day purchases are one transaction. Times
    are measured in whole days divided by the period length, so a 39-week calibration of a
    customer who first bought on the first day has T = (end - first).days / 7.
    """
    if period not in PERIODS:
        raise ValueError(f"period must be one of {', '.join(PERIODS)}")
    unit = PERIODS[period]
    daily: dict[object, dict[dt.date, float]] = {}
    for customer, when, amount in transactions:
        day = _as_date(when)
        if holdout_end is not None and day > holdout_end:
            continue
        days = daily.setdefault(customer, {})
        days[day] = days.get(day, 0.0) + float(str(amount))
    customers: list[object] = []
    rows: list[tuple[int, int, int, float, int, int]] = []
    origin = min((min(d) for d in daily.values()), default=calibration_end)
    for customer, days in daily.items():
        ordered = sorted(days)
        first = ordered[0]
        if first > calibration_end:
            continue
        calibration = [d for d in ordered if d <= calibration_end]
        repeats = calibration[1:]
        x = len(repeats)
        t_x = (repeats[-1] - first).days if repeats else 0
        T = (calibration_end - first).days
        monetary = sum(days[d] for d in repeats) / x if x else 0.0
        holdout = len(ordered) - len(calibration)
        customers.append(customer)
        rows.append((x, t_x, T, monetary, holdout, (first - origin).days))
    data = np.array(rows, dtype=float).reshape(-1, 6)
    return Summary(
        customers=customers,
        x=data[:, 0],
        t_x=data[:, 1] / unit,
        T=data[:, 2] / unit,
        monetary=data[:, 3],
        holdout_x=data[:, 4],
        first_day=data[:, 5],
        origin=origin,
        calibration_end=calibration_end,
        holdout_end=holdout_end,
        period=period,
    )


# --------------------------------------------------------------------------- BG/NBD


@dataclasses.dataclass(frozen=True)
class BgNbd:
    """Fitted BG/NBD parameters and the maximised log-likelihood."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float

    def as_dict(self) -> dict[str, float]:
        """The parameters as a plain dict (for JSON)."""
        return {"r": self.r, "alpha": self.alpha, "a": self.a, "b": self.b}


def _minimize(negative: Callable[[np.ndarray], float], start: np.ndarray) -> Any:
    """Minimise over log parameters: BFGS (few evaluations), and Nelder-Mead from its answer when
    BFGS did not converge (a flat or awkward surface); the better of the two."""
    best = optimize.minimize(negative, start, method="BFGS", options={"gtol": 1e-6})
    if not best.success:
        fallback = optimize.minimize(negative, best.x, method="Nelder-Mead",
                                     options={"xatol": 1e-8, "fatol": 1e-8, "maxiter": 20000, "maxfev": 40000})
        if fallback.fun < best.fun:
            best = fallback
    return best


def bgnbd_log_likelihood(params: Sequence[float], x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """Each customer's BG/NBD log-likelihood (Fader, Hardie & Lee 2005, equation 6), in a form
    that stays exact as the parameters grow.

    Equation 6 is A1 + A2 + log(e^A3 + δ e^A4) with A1 = log Γ(r + x) − log Γ(r) + r log α,
    A2 = log Γ(a + b) + log Γ(b + x) − log Γ(b) − log Γ(a + b + x), A3 = −(r + x) log(α + T) and
    A4 = log a − log(b + x − 1) − (r + x) log(α + t_x). Written as differences of log-gammas
    of numbers in the millions these lose every digit (the fit then chases rounding noise off to
    infinity); since x counts transactions, they are finite sums instead:
    A1 + A3 = Σ_{i<x} log((r + i)/(α + T)) − r log1p(T/α), A2 = −Σ_{i<x} log1p(a/(b + i)), and
    A4 − A3 = log(a/(b + x − 1)) + (r + x) log1p((T − t_x)/(α + t_x)).
    """
    r, alpha, a, b = params
    x = np.asarray(x, dtype=float)
    counts = x.astype(int)
    steps = np.arange(max(int(counts.max(initial=0)), 1), dtype=float)
    rate_terms = np.concatenate(([0.0], np.cumsum(np.log(r + steps))))[counts]  # Σ_{i<x} log(r + i)
    stay_terms = np.concatenate(([0.0], np.cumsum(np.log1p(a / (b + steps)))))[counts]  # Σ_{i<x} log1p(a/(b + i))
    head = rate_terms - x * np.log(alpha + T) - r * np.log1p(T / alpha) - stay_terms
    with np.errstate(divide="ignore", invalid="ignore"):
        gone = np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) + (r + x) * np.log1p((T - t_x) / (alpha + t_x))
    return head + np.where(x > 0, np.logaddexp(0.0, gone), 0.0)


def fit_bgnbd(summary: Summary, start: Sequence[float] = (1.0, 1.0, 1.0, 1.0)) -> BgNbd:
    """Fit BG/NBD by maximum likelihood over the log parameters (BFGS; Nelder-Mead when it does not converge)."""
    if len(summary.x) == 0:
        raise ValueError("no customers to fit")
    # Customers with the same (x, t_x, T) have the same likelihood: fit on the distinct rows, weighted.
    rows, weights = np.unique(np.column_stack((summary.x, summary.t_x, summary.T)), axis=0, return_counts=True)
    x, t_x, T = rows[:, 0], rows[:, 1], rows[:, 2]

    def negative(log_params: np.ndarray) -> float:
        value = -float(np.dot(weights, bgnbd_log_likelihood(np.exp(log_params), x, t_x, T)))
        return value if math.isfinite(value) else 1e300

    best = _minimize(negative, np.log(np.asarray(start, dtype=float)))
    r, alpha, a, b = (float(v) for v in np.exp(best.x))
    return BgNbd(r, alpha, a, b, -float(best.fun))


def p_alive(model: BgNbd, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """P(alive | x, t_x, T) (Fader, Hardie & Lee 2005, equation 11 / their note): 1 when x = 0."""
    r, alpha, a, b = model.r, model.alpha, model.a, model.b
    with np.errstate(divide="ignore", invalid="ignore"):
        log_ratio = np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    odds = np.where(x > 0, np.exp(np.minimum(log_ratio, 700.0)), 0.0)
    return 1.0 / (1.0 + odds)


def expected_purchases(model: BgNbd, t: float, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """E[Y(t) | x, t_x, T]: expected transactions in the next `t` periods (equation 10):
    P(alive) times the expectation while alive (`_expected_while_alive`)."""
    r, alpha, a, b = model.r, model.alpha, model.a, model.b
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    if t <= 0:
        return np.zeros_like(x)
    while_alive = _expected_while_alive(r + x, t / (alpha + T), a, b + x)
    return p_alive(model, x, t_x, T) * while_alive


#: Quadrature nodes for `_expected_by_quadrature`: 64 Gauss-Jacobi nodes, 16 Gauss-Hermite ones
#: (for a + b above 1,000 as exact as 128: 1e−11 or better), relative error below 1e−8 against
#: the closed form wherever both compute (tests/analytics/test_clv_edge.py).
_NODES = 64
_HERMITE_NODES, _HERMITE_WEIGHTS = special.roots_hermitenorm(16)
#: Above this r + x the closed form's 2F1 loses digits (finite but off by 1e−5 at r ≈ 10^10)
#: or overflows: the quadrature is used, exact there (below it the two agree to 1e−8).
_CLOSED_FORM_UP_TO = 1e4
#: Up to this a + b the Beta is integrated by Gauss-Jacobi; above it (a concentrated Beta, where
#: Jacobi's nodes overflow) by Gauss-Hermite over logit(p).
_JACOBI_UP_TO = 1000.0


def _expected_while_alive(shape: np.ndarray | float, s: np.ndarray | float, a: float,
                          b: np.ndarray | float) -> np.ndarray:
    """Expected purchases of a customer who is still active, in a span `s` (in units of the rate's
    scale): E over p ~ Beta(a, b) and λ ~ Gamma(shape, 1) of (1 − e^{−λ p s}) / p, the purchases
    of a Poisson(λ) buyer who leaves after each purchase with probability p.

    The closed form (a + b − 1)/(a − 1) · (1 − (1 + s)^−shape · 2F1(shape, b; a + b − 1; s/(1 + s)))
    is equation 10's bracket (and, with shape = r, s = t/alpha, b = b, equation 9). When the fit
    lies at the edge of the parameter space (customers all buying at one rate, or all leaving
    with one probability: r, alpha, a, b in the hundreds of thousands or more), 2F1 loses its
    digits or overflows; there (shape above `_CLOSED_FORM_UP_TO`, or a non-finite result) the
    same expectation is integrated numerically (`_expected_by_quadrature`), which stays exact as
    the parameters grow.
    """
    shape, s, b = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (shape, s, b)))
    with np.errstate(all="ignore"):
        value = (a + b - 1) / (a - 1) * (1.0 - np.exp(-shape * np.log1p(s)) * special.hyp2f1(shape, b, a + b - 1, s / (1 + s)))
    unusable = ~np.isfinite(value) | (shape > _CLOSED_FORM_UP_TO)
    if unusable.any():
        value = np.array(value, dtype=float)
        value[unusable] = _expected_by_quadrature(shape[unusable], s[unusable], a, b[unusable])
    return value


def _expected_by_quadrature(shape: np.ndarray, s: np.ndarray, a: float, b: np.ndarray) -> np.ndarray:
    """`_expected_while_alive` by quadrature over p.

    The rate integrates out exactly: E_λ[1 − e^{−λ p s}] = 1 − (1 + p s)^−shape, computed as
    −expm1(−shape · log1p(p s)), exact however large `shape` and however small `s`. What is left,
    E over p ~ Beta(a, b) of that over p, is smooth in p:

    - for a + b up to `_JACOBI_UP_TO`, Gauss-Jacobi with the Beta's own weight (one set of nodes
      per distinct b, i.e. per repeat count);
    - above it, Gauss-Hermite over y = logit(p), whose density ∝ e^{a y} (1 + e^y)^−(a+b) is close to
      a normal of mean ψ(a) − ψ(b) and variance ψ'(a) + ψ'(b): the nodes are that normal's, each
      weighted by the density over the normal (self-normalised), so a Beta concentrated on one
      value is as easy as a spread one.
    """
    value = np.empty_like(s)
    spread_out = a + b <= _JACOBI_UP_TO
    for each in np.unique(b[spread_out]):
        rows = spread_out & (b == each)
        nodes, weights = special.roots_jacobi(_NODES, each - 1, a - 1)
        p = (1 + nodes[None, :]) / 2
        value[rows] = (weights * _purchases_at(p, shape[rows], s[rows])).sum(axis=1) / weights.sum()
    rows = ~spread_out
    if rows.any():  # nodes and weights per distinct b (one per repeat count), then per row
        levels, level_of = np.unique(b[rows], return_inverse=True)
        mean = special.digamma(a) - special.digamma(levels)
        spread = np.sqrt(special.polygamma(1, a) + special.polygamma(1, levels))
        u = _HERMITE_NODES[None, :]
        y = mean[:, None] + spread[:, None] * u
        log_weight = np.log(_HERMITE_WEIGHTS)[None, :] + a * y - (a + levels)[:, None] * np.logaddexp(0.0, y) + u * u / 2
        weight = np.exp(log_weight - log_weight.max(axis=1, keepdims=True))
        weight /= weight.sum(axis=1, keepdims=True)
        level_of = level_of.reshape(-1)
        purchases = _purchases_at(special.expit(y)[level_of], shape[rows], s[rows])
        value[rows] = (weight[level_of] * purchases).sum(axis=1)
    return value


def _purchases_at(p: np.ndarray, shape: np.ndarray, s: np.ndarray) -> np.ndarray:
    """(1 − (1 + p s)^−shape) / p for each customer (rows) at each node p (columns; one row of
    nodes for all, or one per customer)."""
    return np.asarray(-np.expm1(-shape[:, None] * np.log1p(p * s[:, None])) / p)


def next_purchase_in(model: BgNbd, x: np.ndarray, T: np.ndarray, alive: np.ndarray) -> np.ndarray:
    """Periods after T by which a customer has more likely than not bought again; NaN where that
    never happens (P(alive) ≤ ½: more likely gone than not).

    An active customer's purchase rate given (x, T) is Gamma(r + x, alpha + T), and they cannot
    leave before their next purchase, so P(next purchase by T + t) = P(alive) · (1 − ((alpha + T)
    / (alpha + T + t))^(r + x)). Setting it to ½: t = (alpha + T) ((1 − 1 / (2 P(alive)))^(−1/(r + x)) − 1).
    """
    r, alpha = model.r, model.alpha
    x, T, alive = (np.asarray(v, dtype=float) for v in (x, T, alive))
    likely = alive > 0.5
    rest = np.where(likely, 1.0 - 0.5 / np.where(likely, alive, 1.0), 1.0)
    t = (alpha + T) * np.expm1(-np.log(rest) / (r + x))  # exact when r + x is large
    return np.where(likely, t, np.nan)


def expected_purchases_new(model: BgNbd, t: np.ndarray | float) -> np.ndarray:
    """E[X(t)]: expected repeat transactions of a customer in their first `t` periods (equation 9)."""
    t = np.asarray(t, dtype=float)
    return _expected_while_alive(model.r, t / model.alpha, model.a, model.b)


def prob_repeat_count(model: BgNbd, n: int, t: np.ndarray) -> np.ndarray:
    """P(X(t) = n) for each horizon in `t` (equation 8), with the log-gamma and log-beta
    differences as finite sums (exact however large the parameters, as in `bgnbd_log_likelihood`)."""
    r, alpha, a, b = model.r, model.alpha, model.a, model.b
    t = np.asarray(t, dtype=float)
    steps = np.arange(n, dtype=float)
    log_rate = np.log(r + steps).sum() - n * np.log(alpha + t) + special.xlogy(n, t)  # log Γ(r+n)/Γ(r) + n log(t/(α+t))
    log_stay = -np.log1p(a / (b + steps)).sum()  # log B(a, b + n) / B(a, b)
    value = np.exp(log_stay + log_rate - special.gammaln(n + 1) - r * np.log1p(t / alpha))
    if n > 0:
        j = np.arange(n)[:, None]
        log_rates = np.concatenate(([0.0], np.cumsum(np.log(r + steps[:-1]))))[:, None]  # log Γ(r+j)/Γ(r), j < n
        terms = np.exp(log_rates - special.gammaln(j + 1) + special.xlogy(j, t[None, :]) - j * np.log(alpha + t)[None, :])
        tail = 1.0 - np.exp(-r * np.log1p(t / alpha)) * terms.sum(axis=0)
        # B(a + 1, b + n − 1) / B(a, b) = a/(a + b + n − 1) · Π_{i<n−1} (b + i)/(a + b + i)
        log_leave = np.log(a / (a + b + n - 1)) - np.log1p(a / (b + steps[:-1])).sum()
        value = value + np.exp(log_leave) * tail
    return value


# --------------------------------------------------------------------------- Gamma-Gamma


@dataclasses.dataclass(frozen=True)
class GammaGamma:
    """Fitted Gamma-Gamma parameters (p, q, v = gamma) and the maximised log-likelihood."""

    p: float
    q: float
    v: float
    log_likelihood: float

    def as_dict(self) -> dict[str, float]:
        """The parameters as a plain dict (for JSON; `v` is the note's gamma)."""
        return {"p": self.p, "q": self.q, "v": self.v}


def gamma_gamma_log_likelihood(params: Sequence[float], x: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Each customer's Gamma-Gamma log-likelihood of their mean spend `m` over `x` transactions."""
    p, q, v = params
    return (special.gammaln(p * x + q) - special.gammaln(p * x) - special.gammaln(q) + q * np.log(v)
            + (p * x - 1) * np.log(m) + p * x * np.log(x) - (p * x + q) * np.log(v + x * m))


def fit_gamma_gamma(summary: Summary, start: Sequence[float] = (1.0, 1.0, 1.0)) -> GammaGamma:
    """Fit Gamma-Gamma by ML on customers with at least one repeat transaction and positive spend."""
    keep = (summary.x > 0) & (summary.monetary > 0)
    x, m = summary.x[keep], summary.monetary[keep]
    if len(x) == 0:
        raise ValueError("no repeat customers to fit the spend model on")

    def negative(log_params: np.ndarray) -> float:
        value = -float(np.sum(gamma_gamma_log_likelihood(np.exp(log_params), x, m)))
        return value if math.isfinite(value) else 1e300

    best = _minimize(negative, np.log(np.asarray(start, dtype=float)))
    p, q, v = (float(val) for val in np.exp(best.x))
    return GammaGamma(p, q, v, -float(best.fun))


def expected_spend(model: GammaGamma, x: np.ndarray, m: np.ndarray) -> np.ndarray:
    """E[M | p, q, v, m, x]: the conditional expected mean transaction value (the note's eq. 5);
    the population mean p v / (q - 1) for customers with no repeat transactions."""
    p, q, v = model.p, model.q, model.v
    return (p * (v + x * m)) / (p * x + q - 1)


# --------------------------------------------------------------------------- CLV


@dataclasses.dataclass(frozen=True)
class CustomerValue:
    """Per-customer predictions aligned with `Summary.customers`."""

    p_alive: np.ndarray
    expected_purchases: np.ndarray
    expected_spend: np.ndarray
    clv: np.ndarray
    #: Periods after the summary's end by which a purchase is more likely than not (NaN: never).
    next_purchase: np.ndarray


def customer_value(
    summary: Summary,
    bgnbd: BgNbd,
    spend: GammaGamma,
    horizon: int = 52,
    discount_rate: float = 0.0,
) -> CustomerValue:
    """P(alive), expected purchases in the next `horizon` periods, expected spend, CLV and when
    the next purchase is more likely than not (`next_purchase_in`).

    CLV = expected spend x sum over periods k = 1..horizon of the expected purchases in
    period k, discounted by (1 + discount_rate) ** k (`discount_rate` per period).
    """
    # The purchase forecasts depend only on (x, t_x, T): computed once per distinct row.
    rows, inverse = np.unique(np.column_stack((summary.x, summary.t_x, summary.T)), axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    x, t_x, T = rows[:, 0], rows[:, 1], rows[:, 2]
    alive = p_alive(bgnbd, x, t_x, T)[inverse]
    previous = np.zeros(len(x))
    discounted = np.zeros(len(x))
    for k in range(1, horizon + 1):
        current = expected_purchases(bgnbd, k, x, t_x, T)
        discounted += (current - previous) / (1.0 + discount_rate) ** k
        previous = current
    spend_each = expected_spend(spend, summary.x, summary.monetary)
    next_in = next_purchase_in(bgnbd, summary.x, summary.T, alive)
    return CustomerValue(alive, previous[inverse], spend_each, spend_each * discounted[inverse], next_in)


# --------------------------------------------------------------------------- model fit


def fit_report(
    summary: Summary, bgnbd: BgNbd, max_count: int = 7, holdout_transactions: np.ndarray | None = None
) -> dict[str, object]:
    """The paper's model checks, as plain lists (for charts, tables and JSON).

    - `histogram`: customers by calibration repeat count 0..max_count (the last bin "max_count+"),
      actual and predicted (sum of P(X(T_i) = n) over customers); the paper's Figure 3.
    - `conditional`: mean holdout transactions by calibration repeat count, actual and the
      model's E[Y(t*) | x, t_x, T] (Figure 5), when a holdout end was given.
    - `tracking`: cumulative repeat transactions per period since the first purchase date,
      actual (when `holdout_transactions` day offsets are given) and predicted (Figure 4).
    """
    counts = np.minimum(summary.x, max_count).astype(int)
    actual = np.bincount(counts, minlength=max_count + 1)
    predicted = [float(np.sum(prob_repeat_count(bgnbd, n, summary.T))) for n in range(max_count)]
    predicted.append(float(len(summary) - sum(predicted)))
    report: dict[str, object] = {
        "histogram": {"labels": [str(n) for n in range(max_count)] + [f"{max_count}+"],
                      "actual": [int(v) for v in actual], "predicted": predicted},
    }
    if summary.holdout_end is not None:
        unit = PERIODS[summary.period]
        t_star = (summary.holdout_end - summary.calibration_end).days / unit
        expected = expected_purchases(bgnbd, t_star, summary.x, summary.t_x, summary.T)
        labels, act, pred = [], [], []
        for n in range(max_count + 1):
            mask = counts == n
            if not mask.any():
                continue
            labels.append(str(n) if n < max_count else f"{max_count}+")
            act.append(float(summary.holdout_x[mask].mean()))
            pred.append(float(expected[mask].mean()))
        report["conditional"] = {"labels": labels, "actual": act, "predicted": pred, "holdout_periods": t_star}
        report["holdout_total"] = {"actual": float(summary.holdout_x.sum()), "predicted": float(expected.sum())}
        if holdout_transactions is not None:
            report["tracking"] = tracking(summary, bgnbd, holdout_transactions)
    return report


def tracking(summary: Summary, bgnbd: BgNbd, repeat_days: np.ndarray) -> dict[str, list[float]]:
    """Cumulative repeat transactions per period from the origin to the holdout end: the actual
    (from `repeat_days`, each repeat transaction's day offset from the origin) and the model's
    sum over customers of E[X(t - first purchase)]."""
    assert summary.holdout_end is not None
    unit = PERIODS[summary.period]
    end = (summary.holdout_end - summary.origin).days
    steps = int(end // unit) + 1
    edges = np.arange(1, steps + 1) * unit
    actual = np.searchsorted(np.sort(repeat_days), edges, side="left").astype(float)
    first, customers = np.unique(summary.first_day / unit, return_counts=True)  # few distinct first days
    predicted = [float(np.dot(customers, expected_purchases_new(bgnbd, np.maximum(k - first, 0.0))))
                 for k in range(1, steps + 1)]
    return {"periods": [float(k) for k in range(1, steps + 1)], "actual": actual.tolist(), "predicted": predicted}


def repeat_days(transactions: Iterable[tuple[object, object, object]], origin: dt.date, holdout_end: dt.date) -> np.ndarray:
    """Day offsets from `origin` of every repeat transaction (same-day purchases once, first purchase excluded)."""
    days: dict[object, set[dt.date]] = {}
    for customer, when, _amount in transactions:
        day = _as_date(when)
        if day <= holdout_end:
            days.setdefault(customer, set()).add(day)
    offsets = [(d - origin).days for seen in days.values() for d in sorted(seen)[1:]]
    return np.asarray(offsets, dtype=float)
