"""Run retention: which stored analytics runs are kept; the others are deleted with their rows.

Every nightly refresh stores a new run of each kind, most with a row per customer (at a million
customers: ~700,000 RFM rows, a million CLV, stage and social rows). Kept without end that is
billions of rows a year. After each refresh (and on `payvand analytics prune-runs`) the plugin
keeps, for each kind separately:

- the newest `analytics.keep_recent_runs` runs (default 7: a week of nightly refreshes), and
- the newest run of each of the last `analytics.keep_monthly_runs` months (default 13, so a run
  from the same month a year ago is there to compare with), the month of the run's local day in
  the site's time zone, in the Gregorian *and* in the Jalali calendar (at most two runs a month);

every other run is deleted, and its per-customer rows go with it (their foreign keys to
`analytics_run` cascade). A setting of 0 keeps nothing by that rule; the newest run of a kind is
always kept, so the pages, the customer fields and the dashboard never lose their figures.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import sqlalchemy as sa

from payvand.plugins.analytics.models import Run
from payvand.sdk import local_zone, session, setting, to_jalali

SETTING_RECENT = "analytics.keep_recent_runs"
SETTING_MONTHLY = "analytics.keep_monthly_runs"
DEFAULT_RECENT = 7
DEFAULT_MONTHLY = 13


def _months(day: dt.date) -> tuple[int, int]:
    """The Gregorian and the Jalali month index (year * 12 + month - 1) of a day."""
    year, month, _ = to_jalali(day)
    return day.year * 12 + day.month - 1, year * 12 + month - 1


def runs_to_keep(runs: Iterable[tuple[int, str, dt.datetime]], today: dt.date, recent: int, monthly: int,
                 zone: dt.tzinfo) -> set[int]:
    """The ids kept of (id, kind, created_at) runs by the rules above, on the site's `today`."""
    by_kind: dict[str, list[tuple[int, dt.datetime]]] = {}
    for run_id, kind, created_at in runs:
        by_kind.setdefault(kind, []).append((run_id, created_at))
    this_month = _months(today)
    keep: set[int] = set()
    for kind_runs in by_kind.values():
        kind_runs.sort(key=lambda pair: (pair[1], pair[0]), reverse=True)  # newest first
        keep.update(run_id for run_id, _ in kind_runs[:max(recent, 1)])
        newest_of: dict[tuple[int, int], int] = {}
        for run_id, created_at in kind_runs:
            months = _months(created_at.astimezone(zone).date())
            for calendar, (index, current) in enumerate(zip(months, this_month, strict=True)):
                if current - monthly < index <= current:
                    newest_of.setdefault((calendar, index), run_id)
        keep.update(newest_of.values())
    return keep


def prune_runs(today: dt.date | None = None) -> dict[str, int]:
    """Delete the runs the retention settings do not keep (their rows cascade); returns how many
    runs of each kind were deleted. In the current session: the caller commits."""
    recent = _count(setting(SETTING_RECENT), DEFAULT_RECENT)
    monthly = _count(setting(SETTING_MONTHLY), DEFAULT_MONTHLY)
    zone = local_zone()
    today = today or dt.datetime.now(zone).date()
    db = session()
    runs = [(int(i), str(k), c) for i, k, c in db.execute(sa.select(Run.id, Run.kind, Run.created_at))]
    keep = runs_to_keep(runs, today, recent, monthly, zone)
    doomed = [(run_id, kind) for run_id, kind, _ in runs if run_id not in keep]
    deleted: dict[str, int] = {}
    for run_id, kind in doomed:
        db.execute(sa.delete(Run).where(Run.id == run_id))  # one run at a time: each cascade is one indexed DELETE
        deleted[kind] = deleted.get(kind, 0) + 1
    return deleted


def _count(value: object, default: int) -> int:
    """A stored setting as a count of runs (the default when it is not a whole number ≥ 0)."""
    try:
        number = int(str(value).strip())
    except ValueError:
        return default
    return number if number >= 0 else default
