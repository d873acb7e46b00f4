"""KPI snapshots: the stored figures of a shared dashboard widget for one period, comparison,
calendar and language (`analytics_kpi_snapshot`), their key and how long they are fresh. Used by
the dashboard (`dashboard.py`) and its background computations (`kpi_jobs.py`)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from payvand.plugins.analytics.models import KpiSnapshot
from payvand.sdk import KpiData, KpiPeriod, current_locale, local_zone, session

#: How long a snapshot of a period that runs to today is kept (past periods: until the refresh).
LIVE_SNAPSHOT = dt.timedelta(minutes=10)
PAST_SNAPSHOT = dt.timedelta(hours=24)
#: How long a stale snapshot is still shown (while its figures are computed again) before it is deleted.
KEEP_STALE = dt.timedelta(days=35)


def snapshot_key(widget: str, period: KpiPeriod, comparison: KpiPeriod | None) -> str:
    """The snapshot's key: widget, both periods, calendar and language, hashed."""
    parts = [widget, period.first_day.isoformat(), period.last_day.isoformat(), period.calendar, current_locale(),
             comparison.first_day.isoformat() if comparison else "", comparison.last_day.isoformat() if comparison else ""]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def _to_json(data: KpiData) -> dict[str, Any]:
    return dataclasses.asdict(data)


def store(fresh: Sequence[tuple[str, str, KpiData]], period: KpiPeriod, comparison: KpiPeriod | None,
          now: dt.datetime) -> None:
    """Store widgets' figures as snapshots (cache key, widget key, figures), replacing older ones;
    a period that runs to today is kept `LIVE_SNAPSHOT`, a past one `PAST_SNAPSHOT`."""
    if not fresh:
        return
    today = dt.datetime.now(local_zone()).date()
    runs_to_today = max(period.last_day, comparison.last_day if comparison else period.last_day) >= today
    expires = now + (LIVE_SNAPSHOT if runs_to_today else PAST_SNAPSHOT)
    db = session()
    db.execute(sa.delete(KpiSnapshot).where(KpiSnapshot.cache_key.in_([k for k, _, _ in fresh])))
    db.add_all([KpiSnapshot(cache_key=k, widget=w, computed_at=now, expires_at=expires, data=_to_json(d))
                for k, w, d in fresh])
    db.flush()
