"""The churn-risk evaluation on a time split: AUC and top-decile precision/recall, model against recency."""

from __future__ import annotations

import datetime as dt
import itertools

import numpy as np

from payvand.plugins.analytics import permissions as perm
from payvand.plugins.analytics.services import churn, lifetime
from tests.analytics.cdnow import cdnow_rows
from tests.analytics.test_pages import fitted  # noqa: F401 - the stored fit with a holdout


def _pairwise_auc(scores: np.ndarray, positive: np.ndarray) -> float:
    """AUC by its definition: over every (churner, stayer) pair, 1 when the churner scores higher, ½ on a tie."""
    pairs = [(1.0 if a > b else 0.5 if a == b else 0.0)
             for a, b in itertools.product(scores[positive], scores[~positive])]
    return sum(pairs) / len(pairs)


def test_auc_equals_the_pairwise_definition_with_ties():
    rng = np.random.default_rng(3)
    for _ in range(20):
        scores = rng.integers(0, 6, size=40).astype(float)  # many ties
        positive = rng.random(40) < 0.3
        if positive.all() or not positive.any():
            continue
        assert abs(churn.auc(scores, positive) - _pairwise_auc(scores, positive)) < 1e-12
    assert churn.auc(np.array([1.0, 2.0]), np.array([True, True])) is None


def test_top_decile_precision_and_recall_by_hand():
    scores = np.arange(20, dtype=float)  # customer 19 riskiest
    positive = np.zeros(20, dtype=bool)
    positive[[19, 5, 2]] = True
    figures = churn.top_share(scores, positive)
    assert figures == {"size": 2, "hits": 1, "precision": 0.5, "recall": 1 / 3}


def test_on_cdnow_the_scores_are_measured_against_recency():
    """39 weeks of calibration, 39 of holdout. Among repeat buyers 1 − P(alive) ranks churners about as well as
    recency (AUC ≈ 0.70 vs 0.71); over every customer it is worse than chance (one-time buyers have P(alive) = 1)
    while the expected holdout purchases match recency (≈ 0.77): the figures the user guide quotes."""
    options = lifetime.ClvOptions(dt.date(1997, 9, 30), "week", holdout_end=dt.date(1998, 6, 30))
    evaluation = lifetime.fit(cdnow_rows(), options).report["churn"]
    repeat, every = evaluation["repeat"], evaluation["all"]
    assert (every["customers"], every["churners"]) == (2357, 1673)
    assert round(repeat["p_alive"]["auc"], 2) == 0.70 and round(repeat["recency"]["auc"], 2) == 0.71
    assert round(repeat["expected"]["auc"], 2) == 0.73
    assert every["p_alive"]["auc"] < 0.5 < 0.77 < every["expected"]["auc"] and round(every["recency"]["auc"], 2) == 0.77
    for population in (repeat, every):  # the riskiest tenth by recency churns more than the average customer
        assert population["recency"]["precision"] > population["churn_rate"]


def test_no_holdout_no_evaluation():
    result = lifetime.fit(cdnow_rows(), lifetime.ClvOptions(dt.date(1997, 9, 30), "week"))
    assert "churn" not in result.report


def test_the_clv_page_shows_the_evaluation(web_as, fitted):  # noqa: F811
    text = web_as([perm.VIEW]).get("/analytics/clv").text
    for element in ('id="churn-evaluation-table"', 'id="churn-evaluation-repeat-p_alive"', 'id="churn-evaluation-all-recency"'):
        assert element in text, element
