"""Evaluating the churn risk on a time split: does 1 − P(alive), computed at the calibration end,
pick out the customers who then bought nothing in the holdout period — and better than recency?

A customer acquired by the calibration end T "churned" when they made no purchase between T
and the holdout end (t* periods later). Three scores rank the customers at T, the higher the riskier:

- `p_alive`: 1 − P(alive | x, t_x, T) from BG/NBD (what the churn-risk list sorts by);
- `expected`: −E[Y(t*) | x, t_x, T], fewer expected purchases in the holdout = riskier;
- `recency` (the baseline): the time since the last purchase, T − t_x (what a manager would sort by).

Each is measured on the repeat buyers (x > 0: the churn-risk list's population) and on every
customer. BG/NBD gives a one-time buyer P(alive) = 1 (no repeat yet means no evidence of
dropping out), so over every customer `p_alive` ranks one-time buyers safest although most of
them never come back: on the CDNOW sample its AUC falls below ½ there, while on repeat buyers it
is close to recency. That is why the list holds repeat buyers only.

For each: the ROC AUC — the probability that a randomly chosen churner is ranked above a
randomly chosen buyer (ties count half; Mann–Whitney U / (n₁·n₀)) — and precision and recall
among the top decile (the 10 % ranked riskiest, at least one customer; ties at the cut broken by
customer order): precision = churners in the top decile / its size, recall = churners in the
top decile / all churners. The churn rate in the holdout is the precision of a random list.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from payvand.plugins.analytics.services.clv import PERIODS, BgNbd, Summary, expected_purchases

#: The share of customers a retention list reaches (the "top decile").
TOP_SHARE = 0.10


def auc(scores: np.ndarray, positive: np.ndarray) -> float | None:
    """ROC AUC of `scores` for the boolean labels `positive` (ties count half); None with one class only."""
    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    if n_pos == 0 or n_neg == 0:
        return None
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores), dtype=float)
    sorted_scores = scores[order]
    # average ranks over ties (1-based)
    _, first_index, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    ranks[order] = np.repeat(first_index + (counts + 1) / 2.0, counts)
    u = ranks[positive].sum() - n_pos * (n_pos + 1) / 2.0
    return float(u / (n_pos * n_neg))


def top_share(scores: np.ndarray, positive: np.ndarray, share: float = TOP_SHARE) -> dict[str, float | int]:
    """Precision and recall of the `share` ranked riskiest (at least one customer)."""
    size = max(1, int(round(len(scores) * share)))
    chosen = np.argsort(-scores, kind="mergesort")[:size]
    hits = int(positive[chosen].sum())
    churners = int(positive.sum())
    return {"size": size, "hits": hits, "precision": hits / size,
            "recall": hits / churners if churners else 0.0}


#: The scores compared, in the order shown.
SCORES = ("p_alive", "expected", "recency")
#: The populations: every customer acquired by T, and the repeat buyers the churn-risk list holds.
POPULATIONS = ("repeat", "all")


def _population(churned: np.ndarray, scores: dict[str, np.ndarray]) -> dict[str, Any]:
    return {"customers": len(churned), "churners": int(churned.sum()),
            "churn_rate": float(churned.mean()) if len(churned) else 0.0,
            **{name: {"auc": auc(score, churned), **top_share(score, churned)} if len(churned) else None
               for name, score in scores.items()}}


def evaluate(summary: Summary, bgnbd: BgNbd, p_alive: np.ndarray) -> dict[str, Any] | None:
    """The evaluation on the summary's holdout (None when the run has no holdout or no customers):
    per population (`repeat`, `all`) the churn rate and, for each score, AUC and top-decile figures."""
    if summary.holdout_end is None or len(summary) == 0:
        return None
    churned = summary.holdout_x == 0
    t_star = (summary.holdout_end - summary.calibration_end).days / PERIODS[summary.period]
    scores = {"p_alive": 1.0 - np.asarray(p_alive, dtype=float),
              "expected": -expected_purchases(bgnbd, t_star, summary.x, summary.t_x, summary.T),
              "recency": summary.T - summary.t_x}
    repeat = summary.x > 0
    return {"top_share": TOP_SHARE, "holdout_periods": t_star,
            "repeat": _population(churned[repeat], {k: v[repeat] for k, v in scores.items()}),
            "all": _population(churned, scores)}
