"""Shared KPI widgets computed in the background, never by a page request.

A dashboard view (page, CSV or API) that finds a shared widget's snapshot missing or stale shows
the last snapshot (or "being computed") and calls `queue`: it records an
`analytics_kpi_request` for that snapshot key — unique, so one computation per widget and periods
is queued at a time however many views ask — and emits `analytics.kpi_requested` in the view's
transaction. After the commit the job runner (the in-process worker, or `payvand worker`)
delivers it to `kpi_requested`, which computes the widget as the system actor in the reader's
language and calendar, stores the snapshot and deletes the request. A request older than
`LOST_AFTER` is taken as lost (the event is retried by the outbox while the plugin is enabled,
so this is a safety net) and queued again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from payvand.plugins.analytics.models import KpiRequest
from payvand.plugins.analytics.services import periods
from payvand.sdk import (
    SYSTEM,
    Event,
    EventField,
    EventType,
    KpiPeriod,
    compute_kpi,
    current_locale,
    emit_event,
    kpi_widgets,
    session,
    utcnow,
)

EVENT = "analytics.kpi_requested"
EVENT_TYPES: tuple[EventType, ...] = (
    EventType(EVENT, "A shared KPI widget's figures were asked for and are computed in the background "
              "(the analytics plugin handles it itself).",
              (EventField("request_id", int, "the request (analytics_kpi_request)"),)),
)
#: A queued request not done after this long is queued again.
LOST_AFTER = dt.timedelta(minutes=30)


def queue(plugin: str, widget: str, key: str, period: KpiPeriod, comparison: KpiPeriod | None,
          now: dt.datetime | None = None) -> bool:
    """Queue the computation of one shared widget's snapshot `key`; False when one is already
    queued (by this or a concurrent request: `INSERT ... ON CONFLICT DO NOTHING` on the unique
    key decides). The caller commits."""
    now = now or utcnow()
    db = session()
    found = db.scalars(sa.select(KpiRequest).where(KpiRequest.cache_key == key)).first()
    if found is not None:
        if found.requested_at > now - LOST_AFTER:
            return False
        db.delete(found)
        db.flush()
    values = {"cache_key": key, "plugin": plugin, "widget": widget, "locale": current_locale(),
              "calendar": period.calendar, "first_day": period.first_day, "last_day": period.last_day,
              "comparison_first": comparison.first_day if comparison else None,
              "comparison_last": comparison.last_day if comparison else None, "requested_at": now}
    dialect = db.get_bind().dialect.name
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(KpiRequest)
    # A concurrent view inserting the same key first wins; this one then inserts nothing.
    request_id = db.scalar(insert.values(**values).on_conflict_do_nothing(index_elements=["cache_key"])
                           .returning(KpiRequest.id))
    if request_id is None:
        return False
    emit_event(EVENT, {"request_id": int(request_id)})
    return True


def pending_keys() -> set[str]:
    """The snapshot keys whose computation is queued or running."""
    return set(session().scalars(sa.select(KpiRequest.cache_key)))


def run_request(row: KpiRequest, now: dt.datetime | None = None) -> bool:
    """Compute one request's widget (system actor, the reader's language and calendar), store its
    snapshot and delete the request; False when the widget is gone or failed (recorded on its
    plugin; the next view queues it again)."""
    from flask_babel import force_locale

    from payvand.plugins.analytics.services import snapshots

    calendar: periods.Calendar = "jalali" if row.calendar == "jalali" else "gregorian"
    period = periods.make_period(row.first_day, row.last_day, calendar)
    comparison = (periods.make_period(row.comparison_first, row.comparison_last, calendar)
                  if row.comparison_first and row.comparison_last else None)
    stored = False
    with force_locale(row.locale):
        found = next(((p, w) for p, w in kpi_widgets(SYSTEM) if w.key == row.widget and w.shared), None)
        if found is not None:
            data = compute_kpi(found[0], found[1], SYSTEM, period, comparison)
            if data is not None and snapshots.snapshot_key(row.widget, period, comparison) == row.cache_key:
                snapshots.store([(row.cache_key, row.widget, data)], period, comparison, now or utcnow())
                stored = True
    session().delete(row)
    session().flush()
    return stored


def kpi_requested(events: Iterable[Event]) -> None:
    """`analytics.kpi_requested` subscriber: run each request still queued (a retry skips done ones)."""
    for event in events:
        row = session().get(KpiRequest, event["request_id"])
        if row is not None:
            run_request(row)
