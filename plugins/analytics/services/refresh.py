"""The nightly refresh (a job) and the demo: score RFM over the last year, refit lifetime value and
recommendations, allocate costs (profitability over the last twelve months) and score social value.

Each run is a new snapshot; the pages and customer fields show the newest. A refresh with too
little data (no purchases, no repeat buyer) stores nothing for that model and says why.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from typing import Any

from payvand.plugins.analytics.services import cycle, lifetime, local_days, profit, recommend, retention, rfm, social
from payvand.sdk import session

log = logging.getLogger(__name__)

#: Lifetime value is fitted on the purchases up to this many days ago; the days after are the
#: holdout the fit is checked on (the page's charts).
HOLDOUT_DAYS = 90


def refresh(today: dt.date | None = None) -> dict[str, Any]:
    """Score RFM over the 365 days up to `today`, fit CLV with a 90-day holdout, fit the
    recommendations (evaluated on the last 90 days), place customers in the cycle, allocate costs,
    score social value, then delete the runs the retention settings no longer keep (`retention`)
    and renew the dashboard's stored figures.

    Each analysis commits on its own in the current session: a write lock (SQLite's is the whole
    database's) is held for one analysis at a time, not for the whole refresh, and what is done
    stays done if a later analysis fails. Returns what was done (run ids, or the reason an
    analysis had too little data), the runs deleted per kind, and each step's wall seconds
    (`seconds`).
    """
    today = today or local_days.today()  # the site's day, not the server's
    holdout_from = today - dt.timedelta(days=HOLDOUT_DAYS)
    steps: list[tuple[str, Callable[[], Any]]] = [
        ("rfm", lambda: rfm.run_rfm(rfm.RfmOptions(today - dt.timedelta(days=364), today)).id),
        ("clv", lambda: lifetime.run_instance(lifetime.ClvOptions(holdout_from, "week", holdout_end=today))[0].id),
        ("recommend", lambda: recommend.run_recommend(evaluate_from=holdout_from).id),
        ("cycle", lambda: cycle.run_cycle(today).id),
        ("costs", lambda: profit.run_costs(profit.default_options(today)).id),
        ("social", lambda: social.run_social(social.SocialOptions(today - dt.timedelta(days=364), today)).id),
        ("pruned", lambda: retention.prune_runs(today)),
    ]
    done: dict[str, Any] = {}
    seconds: dict[str, float] = {}
    db = session()
    for name, step in steps:
        began = time.perf_counter()
        try:
            with db.begin_nested():  # too little data rolls back this step only
                done[name] = step()
        except ValueError as exc:  # NoPurchases and the like: nothing stored, the reason said
            done[name] = str(exc)
        db.commit()
        seconds[name] = round(time.perf_counter() - began, 2)
    began = time.perf_counter()
    try:
        with db.begin_nested():
            done["kpi_snapshots"] = _renew_snapshots(today)
        db.commit()
    except Exception as exc:  # the dashboard then computes on its first views
        log.exception("analytics refresh: KPI snapshots not renewed")
        done["kpi_snapshots"] = str(exc)
    seconds["kpi_snapshots"] = round(time.perf_counter() - began, 2)
    done["seconds"] = seconds
    log.info("analytics refresh: %s", done)
    return done


def _renew_snapshots(today: dt.date) -> int:
    """Forget the KPI dashboard's stored figures and store the usual periods' again (in an app)."""
    from flask import has_app_context

    from payvand.plugins.analytics.services import dashboard

    dashboard.clear_snapshots()
    return dashboard.warm_snapshots(today=today) if has_app_context() else 0


def jobs() -> list[Any]:
    """`payvand_jobs`: the nightly refresh."""
    from payvand.sdk import JobSpec

    return [JobSpec("analytics.refresh", refresh, 24 * 3600,
                    "Score RFM segments, refit lifetime value and the recommendations")]


def demo(seed: int) -> dict[str, int] | None:
    """`payvand demo`: marketing costs per month and channel, acquisition channels and referrals
    among the demo's customers, then the refresh once over the demo's purchases, so every page
    has figures. Does nothing when a run exists already."""
    if lifetime.latest_run("clv") or lifetime.latest_run("rfm"):
        return None
    from payvand.plugins.analytics.services.demo import demo_costs_and_referrals

    counts = demo_costs_and_referrals(seed, local_days.today())
    done = refresh()
    made = {f"{key} runs": 1 for key, value in done.items() if isinstance(value, int) and key not in ("kpi_snapshots", "pruned")}
    return {**counts, **made} or None
