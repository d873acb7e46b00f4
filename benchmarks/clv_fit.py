"""BG/NBD + Gamma-Gamma fit time from raw transactions (issue 14: < 30 s for 100,000 customers).

    python benchmarks/clv_fit.py [customers]

Draws transactions from a BG/NBD process with CDNOW-like parameters (seeded), then times
`summarize` (raw rows to x, t_x, T) and the two maximum-likelihood fits. Prints JSON.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time

import numpy as np

from payvand.plugins.analytics.services import clv


def transactions(n: int, seed: int = 1) -> list[tuple[int, dt.date, float]]:
    """(customer, day, amount) rows: first purchases over 12 weeks of 2024, 78 weeks observed."""
    rng = np.random.default_rng(seed)
    rates = rng.gamma(0.25, 1 / 4.4, n)  # purchases per week
    leave = rng.beta(0.8, 2.4, n)
    spend = rng.gamma(3.7, 1 / 15.4, n)  # per-customer scale of the Gamma-Gamma spend
    start = dt.date(2024, 1, 1)
    rows: list[tuple[int, dt.date, float]] = []
    for i in range(n):
        week = rng.uniform(0, 12)
        while week < 78:
            rows.append((i, start + dt.timedelta(days=int(week * 7)), float(rng.gamma(6.25, 1 / spend[i]))))
            if rng.random() < leave[i] or rates[i] <= 0:
                break
            week += rng.exponential(1 / rates[i])
    return rows


def main(n: int) -> dict[str, float]:
    """Time each step for `n` customers."""
    rows = transactions(n)
    began = time.perf_counter()
    summary = clv.summarize(rows, dt.date(2024, 9, 30), "week")
    summarized = time.perf_counter()
    bgnbd = clv.fit_bgnbd(summary)
    fitted = time.perf_counter()
    clv.fit_gamma_gamma(summary)
    spent = time.perf_counter()
    clv.customer_value(summary, bgnbd, clv.fit_gamma_gamma(summary), horizon=52)
    valued = time.perf_counter()
    return {"customers": len(summary), "transactions": len(rows), "summarize_s": round(summarized - began, 2),
            "bgnbd_fit_s": round(fitted - summarized, 2), "gamma_gamma_fit_s": round(spent - fitted, 2),
            "customer_value_s": round(valued - spent, 2), "total_s": round(spent - began, 2),
            "r": round(bgnbd.r, 3), "alpha": round(bgnbd.alpha, 3), "a": round(bgnbd.a, 3), "b": round(bgnbd.b, 3)}


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)))
