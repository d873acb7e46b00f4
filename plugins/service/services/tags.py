"""Ticket tags kept beside `Ticket.tags` in `service_ticket_tag` (one row per tag and ticket).

`Ticket.tags` stays the ticket's own list (API, pages, audit); `sync` writes the same set into
the table whenever a service function sets it (create, change, merge, split, erase), so the
inbox's tag filter reads one tag's tickets from the `(tag, ticket_id)` key, newest first, one
page's worth, whatever the tag's share (see `lists.py`).
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from payvand.plugins.service.models import TicketTag

#: The longest tag kept in the table (a longer one is cut: it still filters on its first 200 characters).
MAX_TAG = 200


def normal(tags: Iterable[object] | None) -> list[str]:
    """The distinct non-empty string tags of a ticket, cut to `MAX_TAG`, sorted."""
    return sorted({tag[:MAX_TAG] for tag in tags or [] if isinstance(tag, str) and tag})


def sync(session: Session, ticket_id: int, tags: Iterable[object] | None) -> None:
    """Make the ticket's rows in `service_ticket_tag` exactly `tags` (the ticket row must exist)."""
    wanted = normal(tags)
    have = set(session.scalars(sa.select(TicketTag.tag).where(TicketTag.ticket_id == ticket_id)))
    gone = have - set(wanted)
    if gone:
        session.execute(sa.delete(TicketTag).where(TicketTag.ticket_id == ticket_id, TicketTag.tag.in_(sorted(gone))),
                        execution_options={"synchronize_session": False})
    new = [{"tag": tag, "ticket_id": ticket_id} for tag in wanted if tag not in have]
    if new:
        session.execute(sa.insert(TicketTag), new)


def clear(session: Session, ticket_ids: list[int]) -> None:
    """Drop every tag row of these tickets (their tags were emptied in bulk, e.g. on erasure)."""
    if ticket_ids:
        session.execute(sa.delete(TicketTag).where(TicketTag.ticket_id.in_(ticket_ids)),
                        execution_options={"synchronize_session": False})
