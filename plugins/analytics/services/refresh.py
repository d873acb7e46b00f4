"""The nightly refresh (a job) and the demo: score RFM over the last year, refit lifetime value and
recommendations, allocate costs (profitability over the last twelve months) and score social value.

Each run is a new snapshot; the pages and customer fields show the newest. A refresh with too
little data (no purchases, no repeat buyer) stores nothing for that model and says why.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from payvand.plugins.analytics.services import cycle, lifetime, local_days, profit, recommend, retention, rfm, social

log = logging.getLogger(__name__)

#: Lifetime value is fitted on the purchases up to this many days ago; the days after are the
#: holdout the fit is checked on (the page's charts).
HOLDOUT_DAYS = 90


def refresh(today: dt.date | None = None) -> dict[str, Any]:
    """Score RFM over the 365 days up to `today`, fit CLV with a 90-day holdout and fit the
    recommendations (evaluated on the last 90 days), then delete the runs the retention settings
    no longer keep (`retention`), in the current session (the caller or the job runner commits).
    Returns what was done (run ids or reasons, and the runs deleted per kind)."""
    today = today or local_days.today()  # the site's day, not the server's
    done: dict[str, Any] = {}
    try:
        done["rfm"] = rfm.run_rfm(rfm.RfmOptions(today - dt.timedelta(days=364), today)).id
    except ValueError as exc:
        done["rfm"] = str(exc)
    try:
        options = lifetime.ClvOptions(today - dt.timedelta(days=HOLDOUT_DAYS), "week", holdout_end=today)
        done["clv"] = lifetime.run_instance(options)[0].id
    except ValueError as exc:  # NoPurchases
        done["clv"] = str(exc)
    try:
        split = today - dt.timedelta(days=HOLDOUT_DAYS)
        done["recommend"] = recommend.run_recommend(evaluate_from=split).id
    except ValueError as exc:  # NoPurchases
        done["recommend"] = str(exc)
    try:
        done["cycle"] = cycle.run_cycle(today).id
    except ValueError as exc:
        done["cycle"] = str(exc)
    try:
        done["costs"] = profit.run_costs(profit.default_options(today)).id
    except ValueError as exc:
        done["costs"] = str(exc)
    done["social"] = social.run_social(social.SocialOptions(today - dt.timedelta(days=364), today)).id
    done["pruned"] = retention.prune_runs(today)
    try:
        done["kpi_snapshots"] = _renew_snapshots(today)
    except Exception as exc:  # the dashboard then computes on its first views
        log.exception("analytics refresh: KPI snapshots not renewed")
        done["kpi_snapshots"] = str(exc)
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
    made = {f"{key} runs": 1 for key, value in done.items() if isinstance(value, int) and key != "kpi_snapshots"}
    return {**counts, **made} or None
