"""Routing: which team a new ticket goes to (assignment rules) and which agent takes it.

Rules are tried by `position`; a rule's empty condition matches anything; `customer_field`
is read from the customer's `attributes` (custom fields) or a column of the customer
(`lifecycle_stage`, `preferred_language`, ...). The team's strategy picks among its available
members: `round_robin` (the next after the last one given a ticket) or `least_open` (the one
with the fewest unfinished tickets; ties by user id). The team row is locked while picking, so
two tickets created at once never both read the same round-robin pointer.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from payvand.plugins.service.models import AssignmentRule, Team, TeamMember, Ticket
from payvand.sdk import Customer
from payvand.sdk.documents import lock_row

UNFINISHED = ("new", "open", "pending", "on_hold")


def customer_value(customer: Customer | None, field: str) -> str | None:
    """A customer's value for `field` as text: a custom field (`attributes`) or a column."""
    if customer is None:
        return None
    if field in (customer.attributes or {}):
        value = customer.attributes[field]
    else:
        value = getattr(customer, field, None) if field in Customer.__table__.c else None
    return None if value is None else str(value)


def _matches(rule: Any, ticket: Ticket, customer: Customer | None) -> bool:
    if rule.type and rule.type != ticket.type:
        return False
    if getattr(rule, "category", None) and rule.category != ticket.category:
        return False
    if getattr(rule, "language", None) and rule.language != (ticket.language or ""):
        return False
    return not (rule.customer_field and customer_value(customer, rule.customer_field) != rule.customer_value)


def pick_agent(session: Session, team: Team) -> int | None:
    """The available member who takes the team's next ticket (locks the team row), or None."""
    team = lock_row(session, team)
    members = list(session.scalars(sa.select(TeamMember.user_id).where(
        TeamMember.team_id == team.id, TeamMember.available.is_(True)).order_by(TeamMember.user_id)))
    if not members:
        return None
    if team.strategy == "least_open":
        counts = dict(session.execute(sa.select(Ticket.assignee_id, sa.func.count()).where(
            Ticket.assignee_id.in_(members), Ticket.status.in_(UNFINISHED)).group_by(Ticket.assignee_id)).all())
        chosen = min(members, key=lambda user: (counts.get(user, 0), user))
    else:
        later = [user for user in members if team.last_assigned_id is not None and user > team.last_assigned_id]
        chosen = later[0] if later else members[0]
    team.last_assigned_id = chosen
    return chosen


def route(session: Session, ticket: Ticket, customer: Customer | None) -> None:
    """Give a new ticket without a team the team of the first matching rule, and an agent when the rule says so."""
    if ticket.team_id is not None:
        if ticket.assignee_id is None:
            team = session.get(Team, ticket.team_id)
            if team is not None:
                ticket.assignee_id = pick_agent(session, team)
        return
    for rule in session.scalars(sa.select(AssignmentRule).order_by(AssignmentRule.position, AssignmentRule.id)):
        if _matches(rule, ticket, customer):
            ticket.team_id = rule.team_id
            if rule.assign_agent and ticket.assignee_id is None:
                team = session.get(Team, rule.team_id)
                if team is not None:
                    ticket.assignee_id = pick_agent(session, team)
            return
