"""The help desk's setup: teams, assignment rules, business-hours calendars, SLA policies, contracts.

The one door for the API (`api/admin.py`, `api/contracts.py`) and the settings pages
(`views/setup.py`): each function checks, writes, audits and flushes; the caller commits.
A refusal is a `SetupError` naming the field it is about (the API answers 422 or 404, the
pages show it next to the field). Saving an existing calendar recomputes, in bulk, the due
times of every unfinished ticket under its policies.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from payvand.plugins.service.models import AssignmentRule, Calendar, Contract, SlaPolicy, Team, TeamMember
from payvand.plugins.service.services import hours as bh
from payvand.plugins.service.services import sla
from payvand.sdk import N_, Actor, Customer, User, audit, get_visible


class SetupError(Exception):
    """A setup change refused: `message` about `field`; `status` 404 (no such row) or 422."""

    def __init__(self, message: str, field: str = "_form", status: int = 422) -> None:
        super().__init__(message)
        self.message, self.field, self.status = message, field, status


def get(session: Session, model: Any, row_id: int) -> Any:
    """The row `row_id` of `model`, or a 404 `SetupError`."""
    found = session.get(model, row_id)
    if found is None:
        raise SetupError(f"There is no {model.__tablename__.removeprefix('service_').replace('_', ' ')} {row_id}.",
                         status=404)
    return found


def _flush_named(session: Session, field: str = "name") -> None:
    """Write the pending change; a second row of the same name is refused (the transaction is rolled back)."""
    try:
        session.flush()
    except sa.exc.IntegrityError:
        session.rollback()
        raise SetupError(N_("That name is taken."), field) from None


# teams ---------------------------------------------------------------------------------------


def teams(session: Session) -> list[Team]:
    """Every team with its members (two queries whatever the count)."""
    from sqlalchemy.orm import selectinload

    return list(session.scalars(sa.select(Team).options(selectinload(Team.members)).order_by(Team.name)))


def save_team(session: Session, team: Team | None, data: dict[str, Any]) -> Team:
    """Create (`team` None) or replace a team's settings and, when given, its `members`
    (`[{"user_id": 1, "available": true}]`); unknown users and a taken name are refused."""
    data = dict(data)
    members = data.pop("members", None)
    if data.get("calendar_id") and session.get(Calendar, data["calendar_id"]) is None:
        raise SetupError(f"There is no calendar {data['calendar_id']}.", "calendar_id")
    created = team is None
    team = team or Team()
    for key, value in data.items():
        setattr(team, key, value)
    if members is not None:
        users = {m["user_id"] for m in members}
        known = set(session.scalars(sa.select(User.id).where(User.id.in_(users)))) if users else set()
        if users - known:
            raise SetupError(" ".join(f"No user {u}." for u in sorted(users - known)), "members")
        available = {m.user_id: m.available for m in team.members}
        team.members = [TeamMember(user_id=m["user_id"], available=m.get("available", available.get(m["user_id"], True)))
                        for m in members]
    if created:
        session.add(team)
    _flush_named(session)
    audit("create" if created else "update", "service_team", team.id,
          after={"name": team.name, "members": sorted(m.user_id for m in team.members)})
    return team


def active_users(session: Session, limit: int = 500) -> list[tuple[int, str]]:
    """The active users a team form offers as members: (id, name or email), by name."""
    return [(row.id, row.name or row.email) for row in session.execute(
        sa.select(User.id, User.name, User.email).where(User.is_active.is_(True)).order_by(User.name).limit(limit))]


def set_availability(session: Session, team_id: int, user_id: int, available: bool, actor: Actor) -> TeamMember:
    """An agent takes (True) or stops taking new tickets of a team; their own, or anyone's for a manager."""
    from payvand.plugins.service import permissions as perm

    if actor.user_id != user_id and not actor.can(perm.MANAGE):
        raise SetupError(N_("Only a manager sets another agent's availability."), status=403)
    member = session.get(TeamMember, (team_id, user_id))
    if member is None:
        raise SetupError(f"User {user_id} is not in team {team_id}.", status=404)
    member.available = available
    audit("availability", "service_team", team_id, after={"user_id": user_id, "available": available})
    session.flush()
    return member


# assignment rules ----------------------------------------------------------------------------


def rules(session: Session) -> list[AssignmentRule]:
    """The assignment rules in the order they are tried."""
    return list(session.scalars(sa.select(AssignmentRule).order_by(AssignmentRule.position, AssignmentRule.id)))


def save_rule(session: Session, rule: AssignmentRule | None, data: dict[str, Any]) -> AssignmentRule:
    """Add (`rule` None) or replace an assignment rule; its team must exist."""
    if session.get(Team, data["team_id"]) is None:
        raise SetupError(f"There is no team {data['team_id']}.", "team_id")
    created = rule is None
    rule = rule or AssignmentRule()
    for key, value in data.items():
        setattr(rule, key, value)
    if created:
        session.add(rule)
    session.flush()
    audit("create" if created else "update", "service_assignment_rule", rule.id,
          after={"team_id": rule.team_id, "position": rule.position})
    return rule


def move_rule(session: Session, rule_id: int, direction: str | None, to: int | None = None) -> list[AssignmentRule]:
    """Move a rule one place up or down the order they are tried in (`direction`), or to place
    `to` (1 = tried first; the rules page's drag and drop); the rules are renumbered 10, 20, 30,
    ... (ties broken by id, as `rules` reads them). Returns the rules in their new order."""
    ordered = rules(session)
    index = next((i for i, rule in enumerate(ordered) if rule.id == rule_id), None)
    if index is None:
        raise SetupError(f"There is no rule {rule_id}.", "rule_id", status=404)
    before = [rule.id for rule in ordered]
    if to is not None:
        if not 1 <= to <= len(ordered):
            raise SetupError(f"Give a place from 1 to {len(ordered)}.", "to")
        ordered.insert(to - 1, ordered.pop(index))
    elif direction in ("up", "down"):
        other = index - 1 if direction == "up" else index + 1
        if 0 <= other < len(ordered):
            ordered[index], ordered[other] = ordered[other], ordered[index]
    else:
        raise SetupError("Move a rule up or down.", "direction")
    for place, rule in enumerate(ordered, start=1):
        rule.position = place * 10
    session.flush()
    audit("update", "service_assignment_rule", rule_id,
          before={"order": before}, after={"order": [rule.id for rule in ordered], "moved": direction or f"to {to}"})
    return ordered


def delete_rule(session: Session, rule_id: int) -> None:
    """Remove an assignment rule."""
    session.delete(get(session, AssignmentRule, rule_id))
    audit("delete", "service_assignment_rule", rule_id)
    session.flush()


# calendars -----------------------------------------------------------------------------------


def calendars(session: Session) -> list[Calendar]:
    """Every business-hours calendar."""
    return list(session.scalars(sa.select(Calendar).order_by(Calendar.name)))


def save_calendar(session: Session, calendar: Calendar | None, data: dict[str, Any]) -> tuple[Calendar, int]:
    """Create or replace a calendar; for an existing one, recompute the due times of the unfinished
    tickets under its policies. Returns the calendar and how many tickets were recomputed."""
    try:
        bh.Hours.build(data.get("timezone") or "Asia/Tehran", data.get("schedule") or bh.IRANIAN_WEEK,
                       data.get("holidays") or [])
    except bh.HoursError as exc:
        text = str(exc)
        field = "timezone" if "zone" in text else "holidays" if "date" in text else "schedule"
        raise SetupError(str(exc), field) from None
    created = calendar is None
    calendar = calendar or Calendar()
    for key, value in data.items():
        setattr(calendar, key, value)
    if created:
        session.add(calendar)
    else:
        calendar.version = (calendar.version or 1) + 1
    _flush_named(session)
    if calendar.is_default:
        session.execute(sa.update(Calendar).where(Calendar.id != calendar.id).values(is_default=False))
    done = 0 if created else sla.recompute(session, calendar.id)
    audit("create" if created else "update", "service_calendar", calendar.id,
          after={"name": calendar.name, "recomputed": done})
    return calendar, done


# SLA policies --------------------------------------------------------------------------------


def policies(session: Session) -> list[SlaPolicy]:
    """The SLA policies in the order they are tried."""
    return list(session.scalars(sa.select(SlaPolicy).order_by(SlaPolicy.position, SlaPolicy.id)))


def save_policy(session: Session, policy: SlaPolicy | None, data: dict[str, Any]) -> SlaPolicy:
    """Add or replace an SLA policy (applies to tickets opened, or re-prioritised, from then on)."""
    if data.get("calendar_id") and session.get(Calendar, data["calendar_id"]) is None:
        raise SetupError(f"There is no calendar {data['calendar_id']}.", "calendar_id")
    created = policy is None
    policy = policy or SlaPolicy()
    for key, value in data.items():
        setattr(policy, key, value)
    if created:
        session.add(policy)
    _flush_named(session)
    audit("create" if created else "update", "service_sla_policy", policy.id, after={"name": policy.name})
    return policy


# contracts -----------------------------------------------------------------------------------


def visible_contract(session: Session, contract_id: int, actor: Actor) -> Contract:
    """A contract of a customer the actor may see, or a 404 `SetupError`."""
    found = session.get(Contract, contract_id)
    if found is None or get_visible(session, Customer, found.customer_id, actor) is None:
        raise SetupError(f"There is no contract {contract_id}.", status=404)
    return found


def save_contract(session: Session, contract: Contract | None, data: dict[str, Any], actor: Actor) -> Contract:
    """Create or replace a contract of a customer the actor may see: its period must not end before it starts."""
    if data["ends_on"] < data["starts_on"]:
        raise SetupError(N_("The contract ends before it starts."), "ends_on")
    if get_visible(session, Customer, data["customer_id"], actor) is None:
        raise SetupError(N_("There is no such customer."), "customer_id")
    if data.get("sla_policy_id") and session.get(SlaPolicy, data["sla_policy_id"]) is None:
        raise SetupError(N_("There is no such SLA policy."), "sla_policy_id")
    created = contract is None
    contract = contract or Contract()
    for key, value in data.items():
        setattr(contract, key, value)
    if created:
        session.add(contract)
    session.flush()
    audit("create" if created else "update", "service_contract", contract.id, after={"name": contract.name})
    return contract


def log_time(session: Session, contract: Contract, minutes: int) -> Contract:
    """Log minutes of work against a contract (its row locked first)."""
    from payvand.sdk.documents import lock_row

    contract = lock_row(session, contract)
    contract.used_minutes = (contract.used_minutes or 0) + minutes
    audit("time", "service_contract", contract.id, after={"minutes": minutes})
    session.flush()
    return contract
