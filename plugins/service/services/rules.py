"""The service record rule: which tickets an agent sees.

An agent (staff without `service.ticket.all`) sees a ticket when it is assigned to them, when
it belongs to one of their teams, or when it has no team yet (the triage queue everyone may
pick from). Entries and attachments are reached only through their ticket, so the ticket's rule
covers them. Managers (`service.ticket.all`) and the system (jobs, the inbox hook, the CLI)
see every ticket. A ticket the caller may not see answers as a missing one (404).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from payvand.plugins.service import permissions as perm
from payvand.plugins.service.models import TeamMember, Ticket
from payvand.sdk import RecordRule
from payvand.sdk.lists import unindexed


def _seen(actor: Any) -> Any:
    """The rule's condition, checked on each row rather than sought in the team and assignee
    indexes (`unindexed`: SQLite only). An agent sees a large share of the tickets (their teams'
    and the triage queue); without statistics SQLite would otherwise gather all of them through
    the three indexes and sort them for a first page (0.2–0.4 s on a million tickets) instead
    of walking the page's own order and stopping after a page (`benchmarks/service_inbox.py`).
    PostgreSQL plans it from its statistics, unchanged."""
    me = actor.user_id if actor.user_id is not None else -1
    teams = sa.select(TeamMember.team_id).where(TeamMember.user_id == me)
    team, assignee = unindexed(Ticket.team_id), unindexed(Ticket.assignee_id)
    return sa.or_(assignee == me, team.is_(None), team.in_(teams))


RECORD_RULES: tuple[RecordRule, ...] = (
    RecordRule(name="service.ticket_team", model=Ticket, clause=_seen, bypass=perm.TICKET_ALL,
               description="an agent sees the tickets assigned to them, those of their teams and those "
                           "with no team yet"),
)
