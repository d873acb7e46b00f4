"""The SLA achievement report: per priority, how many tickets (opened in a period, under a policy)
got their first response and their resolution in time.

One aggregate query (CASE sums grouped by priority), the same on SQLite and PostgreSQL; the
record rule applies, so an agent's report covers the tickets they may see.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from payvand.plugins.service.models import PRIORITIES, Ticket, TicketSla
from payvand.sdk import Actor, restrict


def _count(condition: Any) -> Any:
    return sa.func.sum(sa.case((condition, 1), else_=0))


def sla_achievement(session: Session, actor: Actor, start: dt.datetime, end: dt.datetime) -> list[dict[str, Any]]:
    """Rows per priority: tickets under an SLA, first responses due/met, resolutions due/met, breached."""
    first_due = TicketSla.first_response_due_at.is_not(None)
    first_met = sa.and_(first_due, Ticket.first_response_at.is_not(None),
                        Ticket.first_response_at <= TicketSla.first_response_due_at)
    resolution_due = sa.and_(TicketSla.resolution_due_at.is_not(None), Ticket.solved_at.is_not(None))
    resolution_met = sa.and_(resolution_due, Ticket.solved_at <= TicketSla.resolution_due_at)
    query = restrict(sa.select(Ticket.priority, sa.func.count(), _count(first_due), _count(first_met),
                               _count(resolution_due), _count(resolution_met), _count(TicketSla.sla_breached.is_(True)))
                     .outerjoin(TicketSla, TicketSla.ticket_id == Ticket.id)
                     .where(Ticket.sla_policy_id.is_not(None), Ticket.created_at >= start, Ticket.created_at < end,
                            Ticket.merged_into_id.is_(None))
                     .group_by(Ticket.priority), actor, Ticket)
    found = {row[0]: row for row in session.execute(query)}
    rows = []
    for priority in PRIORITIES:
        row = found.get(priority)
        total, fr_due, fr_met, res_due, res_met, breached = (int(v or 0) for v in row[1:]) if row else (0,) * 6
        rows.append({"priority": priority, "tickets": total, "first_due": fr_due, "first_met": fr_met,
                     "first_rate": round(100 * fr_met / fr_due, 1) if fr_due else None,
                     "resolution_due": res_due, "resolution_met": res_met,
                     "resolution_rate": round(100 * res_met / res_due, 1) if res_due else None, "breached": breached})
    return rows
