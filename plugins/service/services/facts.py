"""The service plugin's answer to the `payvand_service_facts` data hook: one row per ticket.

Merged-away tickets are left out (their history lives on the ticket they were merged into).
Tickets carry no time log of their own (time is logged against contracts), so
`handling_minutes` is NULL and analytics prices each ticket at its cost per ticket.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from payvand.plugins.service.models import Ticket


def service_facts() -> sa.Select[int, int, dt.datetime, dt.datetime | None, None]:
    """A select of `SERVICE_FACTS` rows over the plugin's tickets (not run here)."""
    return sa.select(
        Ticket.id.label("ticket_id"), Ticket.customer_id.label("customer_id"), Ticket.created_at.label("opened_at"),
        Ticket.solved_at.label("solved_at"), sa.null().label("handling_minutes"),
    ).where(Ticket.merged_into_id.is_(None))
