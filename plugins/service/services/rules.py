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


def _seen(actor: Any) -> Any:
    me = actor.user_id if actor.user_id is not None else -1
    teams = sa.select(TeamMember.team_id).where(TeamMember.user_id == me)
    return sa.or_(Ticket.assignee_id == me, Ticket.team_id.is_(None), Ticket.team_id.in_(teams))


RECORD_RULES: tuple[RecordRule, ...] = (
    RecordRule(name="service.ticket_team", model=Ticket, clause=_seen, bypass=perm.TICKET_ALL,
               description="an agent sees the tickets assigned to them, those of their teams and those "
                           "with no team yet"),
)
