"""The inbox's saved views and bulk actions on selected tickets.

Saved views: a name and the inbox query (filters and sort as a query string, checked again by
the list kit when opened); the owner's own, or shared with every agent. Bulk actions: assign,
set status, set priority or add a tag on many tickets in one call; only the tickets the actor
may see (record rules) are changed, each through `tickets.change` (locked, audited, SLA and
CSAT as for one ticket). A ticket that refuses the change (e.g. a closed one) is counted as failed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from sqlalchemy.orm import Session

from payvand.plugins.service.models import Ticket
from payvand.plugins.service.models_inbox import SavedView
from payvand.plugins.service.services import tickets
from payvand.sdk import Actor, audit, restrict

#: The list kit's arguments a view keeps (the cursor is not kept: a view opens on its first page).
KEPT = ("queue", "status", "type", "priority", "team_id", "assignee_id", "customer_id", "tag", "q", "sort")
ACTIONS = ("assign", "status", "priority", "tag")


def views(session: Session, actor: Actor) -> list[SavedView]:
    """The actor's views and the shared ones, by name."""
    return list(session.scalars(sa.select(SavedView).where(
        sa.or_(SavedView.owner_id == actor.user_id, SavedView.shared.is_(True))).order_by(SavedView.name, SavedView.id)))


def query_of(args: Any) -> str:
    """The kept part of the inbox's query arguments, as a query string."""
    return urlencode([(key, value) for key in KEPT for value in args.getlist(key) if value])


def save_view(session: Session, actor: Actor, name: str, query: str, shared: bool) -> SavedView:
    """Save a view for the actor (shared with everyone when `shared`)."""
    view = SavedView(name=name, owner_id=actor.user_id, query=query, shared=shared)
    session.add(view)
    session.flush()
    audit("create", "service_saved_view", view.id, after={"name": name, "query": query, "shared": shared})
    return view


def delete_view(session: Session, actor: Actor, view_id: int) -> bool:
    """Delete one of the actor's own views; False when there is none."""
    view = session.get(SavedView, view_id)
    if view is None or view.owner_id != actor.user_id:
        return False
    audit("delete", "service_saved_view", view.id, before={"name": view.name, "query": view.query})
    session.delete(view)
    session.flush()
    return True


def bulk_change(session: Session, actor: Actor, ticket_ids: Sequence[int], action: str, value: Any) -> dict[str, int]:
    """Apply one action to the visible tickets among `ticket_ids`: counts changed, failed, not found."""
    wanted = sorted(set(ticket_ids))
    found = list(session.scalars(restrict(sa.select(Ticket).where(Ticket.id.in_(wanted)), actor).order_by(Ticket.id)))
    counts = {"changed": 0, "failed": 0, "not_found": len(wanted) - len(found)}
    for ticket in found:
        if action == "tag":
            if value in ticket.tags:
                continue
            changes: dict[str, Any] = {"tags": [*ticket.tags, value]}
        else:
            changes = {{"assign": "assignee_id", "status": "status", "priority": "priority"}[action]: value}
        try:
            with session.begin_nested():
                tickets.change(session, ticket, actor, changes)
        except tickets.TicketError:
            counts["failed"] += 1
            continue
        counts["changed"] += 1
    return counts
