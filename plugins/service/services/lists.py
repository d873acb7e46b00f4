"""The ticket lists (list kit): the inbox, the unassigned queue and the overdue queue.

One `ListSpec` serves the API (`GET /api/v1/service/tickets`) and the staff pages; the queues
are its filters (`queue=unassigned`: unfinished and nobody assigned; `queue=overdue`: unfinished
with a due time in the past; `queue=mine`). Newest first; keyset pages, record rules applied by the kit.

The tag filter drives the page (`Drive`): the `(tag, ticket_id)` key of `service_ticket_tag` is
read newest first and joined to the tickets, one page's worth whatever the tag's share; other
filters and the record rule narrow the joined tickets.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from payvand.plugins.service.labels import PRIORITY_LABELS, QUEUE_LABELS, STATUS_LABELS, TYPE_LABELS
from payvand.plugins.service.models import PRIORITIES, STATUSES, TYPES, Ticket, TicketSla, TicketTag
from payvand.plugins.service.services.routing import UNFINISHED
from payvand.sdk import Column, Filter, ListSpec, Sort, SortKey, lazy_gettext, utcnow
from payvand.sdk.lists import Drive, unindexed

QUEUES = ("unassigned", "overdue", "mine", "open")


def _queue(value: Any, _op: Any, ctx: Any) -> Any:
    unfinished = Ticket.status.in_(UNFINISHED)
    if value == "unassigned":
        return sa.and_(unfinished, Ticket.assignee_id.is_(None))
    if value == "overdue":  # each unfinished ticket's clock looked up by its key (`service_ticket_sla`)
        now = utcnow()
        unanswered = sa.and_(Ticket.first_response_at.is_(None), TicketSla.first_response_due_at < now)
        late = sa.or_(unanswered, TicketSla.next_response_due_at < now,
                      sa.and_(Ticket.paused_at.is_(None), TicketSla.resolution_due_at < now))
        # SQLite: walk the page's key and check each row (reading every unfinished ticket from the
        # status key and sorting them, clocks joined, took 0.6 s at 200,000 tickets)
        return sa.and_(unindexed(Ticket.status).in_(UNFINISHED), sa.exists().where(TicketSla.ticket_id == Ticket.id, late))
    if value == "mine":
        return sa.and_(unfinished, Ticket.assignee_id == (ctx.actor.user_id or -1))
    return unfinished


def _tag_clause(value: Any, _op: Any, _ctx: Any) -> Any:
    return Ticket.id.in_(sa.select(TicketTag.ticket_id).where(TicketTag.tag == value))


def _tag_drive(value: Any, _op: Any, _ctx: Any, _sort: Any) -> Drive:
    """The tag's `(tag, ticket_id)` key read newest first, each ticket probed by primary key.

    The join is written `ticket.id = tag.ticket_id + 0` so PostgreSQL cannot merge-join it
    with a backward walk of the tickets' primary key (which it picks when the record rule's OR
    looks unselective, and which reads every ticket down to the page's last); the ORDER BY stays
    on the key's own column."""
    tagged = TicketTag.__table__
    return Drive(join=lambda statement: statement.join(
        tagged, sa.and_(Ticket.id == tagged.c.ticket_id + sa.literal_column("0"), tagged.c.tag == value)),
        stand_ins=((Ticket.id, tagged.c.ticket_id),))


TICKETS = ListSpec(
    name="service.tickets",
    model=Ticket,
    columns=(
        Column("id", lazy_gettext("Number"), format="id", sortable=True),
        Column("subject", lazy_gettext("Subject"), format="user_text"),
        Column("status", lazy_gettext("Status")),
        Column("priority", lazy_gettext("Priority")),
        Column("type", lazy_gettext("Type")),
        Column("resolution_due_at", lazy_gettext("Due"), format="datetime"),
    ),
    filters=(
        Filter("queue", "choice", apply=_queue, choices=[(q, QUEUE_LABELS[q]) for q in QUEUES],
               label=lazy_gettext("Queue"),
               description="unassigned, overdue, mine (the caller's unfinished) or open (unfinished)"),
        Filter("status", "choice", column=Ticket.status, choices=[(s, STATUS_LABELS[s]) for s in STATUSES],
               label=lazy_gettext("Status")),
        Filter("type", "choice", column=Ticket.type, choices=[(t, TYPE_LABELS[t]) for t in TYPES],
               label=lazy_gettext("Type")),
        Filter("priority", "choice", column=Ticket.priority, choices=[(p, PRIORITY_LABELS[p]) for p in PRIORITIES],
               label=lazy_gettext("Priority")),
        Filter("team_id", "id", column=Ticket.team_id, label=lazy_gettext("Team number")),
        Filter("assignee_id", "id", column=Ticket.assignee_id, label=lazy_gettext("Assignee's user number")),
        Filter("customer_id", "id", column=Ticket.customer_id, label=lazy_gettext("Customer number")),
        Filter("tag", "tag", apply=_tag_clause, drive=_tag_drive, max_length=200, label=lazy_gettext("Tag"),
               description="tickets carrying this tag"),
    ),
    sorts=(
        Sort("newest", (SortKey(Ticket.id, "id", "id", descending=True),), label=lazy_gettext("Newest first")),
    ),
)
