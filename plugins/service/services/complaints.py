"""Complaints: tickets of type `complaint` filed under a root cause (`ComplaintCause`), and the
complaints report — volume per period, by root cause, and the time to resolve.

The report reads the complaint tickets opened in the period that the actor may see (the ticket
record rule), one query with their cause, and groups them in Python by day, ISO week or month
(UTC): complaints are a small share of tickets, so a year of them is a few thousand rows.
Time to resolve is from opening to `solved_at`, in hours; unresolved complaints count in the
volume and as open.
"""

from __future__ import annotations

import datetime as dt
import statistics
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from payvand.plugins.service.models import Ticket
from payvand.plugins.service.models_returns import Complaint, ComplaintCause
from payvand.plugins.service.services.report_periods import period_key, reader_locale
from payvand.sdk import Actor, audit, restrict, utcnow
from payvand.sdk.documents import DocumentError

PERIODS = ("day", "week", "month")


def causes(session: Session, *, active_only: bool = False) -> list[ComplaintCause]:
    """The root causes, by name."""
    query = sa.select(ComplaintCause).order_by(ComplaintCause.name)
    if active_only:
        query = query.where(ComplaintCause.active.is_(True))
    return list(session.scalars(query))


def add_cause(session: Session, name: str, description: str = "") -> ComplaintCause:
    """Add a root cause; 409 when the name is taken. The caller commits."""
    name = " ".join(name.split())[:120]
    if not name:
        raise DocumentError("Name the cause.", field="name")
    if session.scalar(sa.select(ComplaintCause.id).where(ComplaintCause.name == name)) is not None:
        raise DocumentError(f"There is a cause named {name} already.", status=409, field="name")
    cause = ComplaintCause(name=name, description=description[:500], active=True)
    session.add(cause)
    session.flush()
    audit("create", ComplaintCause.__tablename__, cause.id, after={"name": name})
    return cause


def update_cause(session: Session, cause: ComplaintCause, name: str, description: str, active: bool) -> ComplaintCause:
    """Rename, describe, retire (inactive: no new complaints filed under it; the old keep it) or
    bring back a root cause; 409 when another cause has the name. The caller commits."""
    name = " ".join(name.split())[:120]
    if not name:
        raise DocumentError("Name the cause.", field="name")
    if session.scalar(sa.select(ComplaintCause.id).where(ComplaintCause.name == name,
                                                         ComplaintCause.id != cause.id)) is not None:
        raise DocumentError(f"There is a cause named {name} already.", status=409, field="name")
    before = {"name": cause.name, "description": cause.description, "active": cause.active}
    cause.name, cause.description, cause.active = name, description[:500], active
    session.flush()
    audit("update", ComplaintCause.__tablename__, cause.id, before=before,
          after={"name": name, "description": cause.description, "active": active})
    return cause


def cause_of(session: Session, ticket_id: int) -> ComplaintCause | None:
    """The root cause the ticket is filed under, or None."""
    return session.scalar(sa.select(ComplaintCause).join(Complaint, Complaint.cause_id == ComplaintCause.id)
                          .where(Complaint.ticket_id == ticket_id))


def file_complaint(session: Session, ticket: Ticket, cause_id: int | None) -> Complaint:
    """File `ticket` as a complaint under `cause_id` (None: no cause yet); the ticket's type becomes
    `complaint`. 422 for an unknown cause. The caller has checked the ticket is visible; it commits."""
    if cause_id is not None and session.get(ComplaintCause, cause_id) is None:
        raise DocumentError(f"There is no cause {cause_id}.", field="cause_id")
    found = session.get(Complaint, ticket.id)
    before = found.cause_id if found else None
    if found is None:
        found = Complaint(ticket_id=ticket.id)
        session.add(found)
    found.cause_id, found.set_at = cause_id, utcnow()
    ticket.type = "complaint"
    session.flush()
    audit("complaint_cause", "service_ticket", ticket.id, before={"cause_id": before}, after={"cause_id": cause_id})
    return found


def _hours(values: list[float]) -> dict[str, float | None]:
    return {"mean_hours": round(statistics.fmean(values), 1) if values else None,
            "median_hours": round(statistics.median(values), 1) if values else None}


def complaint_report(session: Session, actor: Actor, start: dt.datetime, end: dt.datetime,
                     period: str = "month") -> dict[str, Any]:
    """Complaints opened in [start, end) that `actor` may see: `periods` (volume per day, week or
    month of the site's time zone, Jalali for a Persian reader: `report_periods.period_key`; oldest
    first), `causes` (count, resolved, open, mean and median hours to resolve, most first) and
    `overall` (the same over all of them)."""
    if period not in PERIODS:
        raise DocumentError(f"period is one of {', '.join(PERIODS)}.", field="period")
    rows = cast(sa.Select[Any], sa.select(Ticket.created_at, Ticket.solved_at, ComplaintCause.name)
                            .outerjoin(Complaint, Complaint.ticket_id == Ticket.id)
                            .outerjoin(ComplaintCause, ComplaintCause.id == Complaint.cause_id)
                            .where(Ticket.type == "complaint", Ticket.created_at >= start, Ticket.created_at < end,
                                   Ticket.merged_into_id.is_(None)))
    query = restrict(rows, actor, Ticket)
    locale = reader_locale(actor)
    volume: dict[str, int] = {}
    by_cause: dict[str | None, list[Any]] = {}
    every: list[float] = []
    total = 0
    for created_at, solved_at, cause in session.execute(query):
        total += 1
        key = period_key(created_at, locale, period)
        volume[key] = volume.get(key, 0) + 1
        bucket = by_cause.setdefault(cause, [0, []])
        bucket[0] += 1
        if solved_at is not None:
            hours = max((solved_at - created_at).total_seconds() / 3600, 0.0)
            bucket[1].append(hours)
            every.append(hours)
    cause_rows = [{"cause": cause, "complaints": count, "resolved": len(hours), "open": count - len(hours),
                   **_hours(hours)} for cause, (count, hours) in by_cause.items()]
    cause_rows.sort(key=lambda row: (-row["complaints"], row["cause"] or ""))
    return {"periods": [{"period": key, "complaints": volume[key]} for key in sorted(volume)],
            "causes": cause_rows,
            "overall": {"complaints": total, "resolved": len(every), "open": total - len(every), **_hours(every)}}
