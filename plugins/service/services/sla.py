"""SLA: the policy of a ticket, its due times in business minutes, the pause, and the checks.

The policy is the first (by `position`) whose priority, type and customer field match; its
calendar is the policy's, else the default calendar (`Calendar.is_default`), else the built-in
Iranian week (`hours.default_hours`). Due times are computed from the ticket's creation:

- first response: `created_at` + first-response minutes (kept once answered: met when
  `first_response_at` is not later);
- next response: the customer's latest message + next-response minutes (after a first answer);
- resolution: `created_at` + resolution minutes + the business minutes spent *pending customer*.

`recompute` recomputes every unfinished ticket of a calendar's policies after the calendar
changed, set-based: chunks of 50,000 tickets, due times computed per policy over numpy arrays
(`hours_bulk`, the same moments as the per-ticket walk), one UPDATE statement per chunk of the
narrow `service_ticket_sla` (`TicketSla`: the due moments and the marks, one row per ticket, so a
rewrite does not touch the wide ticket row and its eight indexes). `check` (a job) warns before a
breach (audit entry) and escalates on one: the actions of the `service.breach_actions` setting
(`raise_priority` one step, `reassign` to the team's next available agent), an audit entry and
a timeline entry, once per ticket.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, contains_eager

from payvand.plugins.service.models import Calendar, SlaPolicy, Ticket, TicketSla
from payvand.plugins.service.services import hours as bh
from payvand.plugins.service.services.routing import UNFINISHED, customer_value
from payvand.sdk import Customer, audit, utcnow
from payvand.sdk.lists import unindexed

PRIORITY_UP = {"low": "normal", "normal": "high", "high": "urgent", "urgent": "urgent"}


def hours_of(session: Session, calendar_id: int | None) -> bh.Hours:
    """The business hours of a calendar id, else the default calendar, else the Iranian week (with
    the per-year lunar holidays when the calendar uses them)."""
    calendar = session.get(Calendar, calendar_id) if calendar_id else None
    if calendar is None:
        calendar = session.scalars(sa.select(Calendar).where(Calendar.is_default.is_(True)).limit(1)).first()
    if calendar is None:
        return bh.default_hours()
    holidays = list(calendar.holidays or [])
    if calendar.lunar_holidays:
        from payvand.plugins.service.services.lunar_holidays import calendar_entries

        holidays += calendar_entries(session)
    return bh.Hours.build(calendar.timezone, calendar.schedule or bh.IRANIAN_WEEK, holidays)


def choose_policy(session: Session, ticket: Ticket, customer: Customer | None) -> SlaPolicy | None:
    """The ticket's contract's policy, else the first policy matching its priority, type and customer field."""
    if ticket.contract_id:
        from payvand.plugins.service.models import Contract

        contract = session.get(Contract, ticket.contract_id)
        if contract is not None and contract.sla_policy_id:
            chosen = session.get(SlaPolicy, contract.sla_policy_id)
            if chosen is not None:
                return chosen
    for policy in session.scalars(sa.select(SlaPolicy).order_by(SlaPolicy.position, SlaPolicy.id)):
        if policy.priority and policy.priority != ticket.priority:
            continue
        if policy.type and policy.type != ticket.type:
            continue
        if policy.customer_field and customer_value(customer, policy.customer_field) != policy.customer_value:
            continue
        return policy
    return None


def _due(hours: bh.Hours, start: dt.datetime, minutes: int | None) -> dt.datetime | None:
    return None if minutes is None else bh.add_business_minutes(hours, start, minutes)


def apply_policy(session: Session, ticket: Ticket, customer: Customer | None) -> None:
    """Choose the ticket's policy and set its due times (call after priority or type changed)."""
    policy = choose_policy(session, ticket, customer)
    ticket.sla_policy_id = policy.id if policy else None
    set_due_times(session, ticket, policy)


def set_due_times(session: Session, ticket: Ticket, policy: SlaPolicy | None) -> None:
    """The ticket's due times under `policy` (None clears them)."""
    if policy is None:
        ticket.first_response_due_at = ticket.resolution_due_at = ticket.next_response_due_at = None
        return
    hours = hours_of(session, policy.calendar_id)
    created = ticket.created_at or utcnow()
    ticket.first_response_due_at = _due(hours, created, policy.first_response_minutes)
    ticket.resolution_due_at = None if policy.resolution_minutes is None else bh.add_business_minutes(
        hours, created, policy.resolution_minutes + (ticket.paused_minutes or 0))


def customer_wrote(session: Session, ticket: Ticket, at: dt.datetime) -> None:
    """A customer message arrived: the next-response clock starts (once the first answer went out)."""
    policy = session.get(SlaPolicy, ticket.sla_policy_id) if ticket.sla_policy_id else None
    if policy is not None and ticket.first_response_at is not None:
        ticket.next_response_due_at = _due(hours_of(session, policy.calendar_id), at, policy.next_response_minutes)


def staff_answered(ticket: Ticket, at: dt.datetime) -> None:
    """A public staff reply went out: first response given (once; its due time stays, for the
    achievement report), next response met."""
    if ticket.first_response_at is None:
        ticket.first_response_at = at
    ticket.next_response_due_at = None


def pause(ticket: Ticket, at: dt.datetime) -> None:
    """Pending customer: the resolution clock stops."""
    if ticket.paused_at is None:
        ticket.paused_at = at


def resume(session: Session, ticket: Ticket, at: dt.datetime) -> None:
    """The clock runs again: the business minutes paused push the resolution due time out."""
    if ticket.paused_at is None:
        return
    policy = session.get(SlaPolicy, ticket.sla_policy_id) if ticket.sla_policy_id else None
    hours = hours_of(session, policy.calendar_id if policy else None)
    ticket.paused_minutes = (ticket.paused_minutes or 0) + bh.business_minutes_between(hours, ticket.paused_at, at)
    ticket.paused_at = None
    set_due_times(session, ticket, policy)


def recompute(session: Session, calendar_id: int | None = None, chunk: int = 50_000,
              stats: dict[str, int] | None = None) -> int:
    """Recompute the due times of every unfinished ticket under a policy (of `calendar_id`, when given,
    including policies on the default calendar when it is the default); returns how many.

    Only tickets whose due times move are written (their warning and breach marks cleared, as
    the new due times are judged afresh); a ticket the change does not touch keeps its marks, so
    a breach is not escalated twice. `stats`, when given, receives `changed`: how many were written.

    Set-based: the tickets are read by keyset in chunks of `chunk` (id, policy, creation as
    microseconds since the epoch, paused minutes), each policy's due times computed for the
    whole chunk at once over the calendar's open intervals (`hours_bulk.add_business_minutes_many`,
    numpy: the same moments as `add_business_minutes` per ticket), and written back as integers
    turned into timestamps by the database into the narrow `service_ticket_sla` (PostgreSQL: one
    UPDATE joined to the arrays by `unnest` per chunk, in place as HOT updates; SQLite: an
    executemany UPDATE by primary key). No Python datetime is made per ticket. Every ticket has
    its `TicketSla` row (made with the ticket; the migration made the existing ones).
    """
    policies = {p.id: p for p in session.scalars(sa.select(SlaPolicy))}
    if calendar_id is not None:
        default = session.get(Calendar, calendar_id)
        policies = {k: p for k, p in policies.items()
                    if p.calendar_id == calendar_id or (p.calendar_id is None and default and default.is_default)}
    if not policies:
        return 0
    hours = {k: hours_of(session, p.calendar_id) for k, p in policies.items()}
    postgres = session.get_bind().dialect.name == "postgresql"
    table: Any = Ticket.__table__
    clock: Any = TicketSla.__table__
    def micros(column: Any) -> Any:
        if postgres:
            return sa.func.coalesce(sa.cast(sa.extract("epoch", column) * 1_000_000, sa.BigInteger), _NONE)
        return sa.type_coerce(column, sa.String)

    done, changed, last = 0, 0, 0
    while True:
        rows = session.execute(sa.select(table.c.id, table.c.sla_policy_id, micros(table.c.created_at),
                                         table.c.paused_minutes, micros(clock.c.first_response_due_at),
                                         micros(clock.c.resolution_due_at))
                               .join_from(table, clock, clock.c.ticket_id == table.c.id)
                               .where(table.c.sla_policy_id.in_(list(policies)),
                                      unindexed(table.c.status).in_(UNFINISHED),  # SQLite: walk the key in order
                                      table.c.id > last, clock.c.ticket_id > last)  # both keys start at `last`
                               .order_by(table.c.id).limit(chunk)).all()
        if not rows:
            if stats is not None:
                stats["changed"] = changed
            return done
        ids, firsts, resolutions = _due_times(rows, policies, hours, postgres)
        moved = (firsts != _micros([row[4] for row in rows], postgres)) | (
            resolutions != _micros([row[5] for row in rows], postgres))
        if moved.any():
            _write_due_times(session, ids[moved], firsts[moved], resolutions[moved], postgres)
        done += len(rows)
        changed += int(moved.sum())
        last = rows[-1][0]


def _micros(values: list[Any], postgres: bool) -> Any:
    """Stored moments as int64 microseconds since the epoch (`_NONE` for NULL): PostgreSQL's come as
    integers already; SQLite's stored text is parsed by numpy (NULL is NaT, whose integer is `_NONE`)."""
    import numpy as np

    if postgres:
        return np.fromiter(values, dtype=np.int64, count=len(values))
    return np.array(values, dtype="datetime64[us]").astype(np.int64)


#: No due time, in the integer arrays of `_due_times` (written as NULL).
_NONE = -(2**63)


def _due_times(rows: Any, policies: dict[int, SlaPolicy], hours: dict[int, bh.Hours], postgres: bool) -> Any:
    """The ids, first-response and resolution due times (µs since the epoch, `_NONE` for none) of
    `rows` (id, sla_policy_id, created, paused_minutes), computed per policy over arrays."""
    import numpy as np

    from payvand.plugins.service.services import hours_bulk

    count = len(rows)
    ids = np.fromiter((row[0] for row in rows), dtype=np.int64, count=count)
    policy_of = np.fromiter((row[1] for row in rows), dtype=np.int64, count=count)
    created = _micros([row[2] for row in rows], postgres)
    paused = np.fromiter((row[3] or 0 for row in rows), dtype=np.int64, count=count)
    firsts = np.full(count, _NONE, dtype=np.int64)
    resolutions = np.full(count, _NONE, dtype=np.int64)
    for policy_id in np.unique(policy_of).tolist():
        policy, when = policies[policy_id], hours[policy_id]
        where = np.flatnonzero(policy_of == policy_id)
        if policy.first_response_minutes is not None:
            firsts[where] = hours_bulk.add_business_minutes_many(
                when, created[where], np.full(where.size, policy.first_response_minutes, dtype=np.int64))
        if policy.resolution_minutes is not None:
            resolutions[where] = hours_bulk.add_business_minutes_many(
                when, created[where], policy.resolution_minutes + paused[where])
    return ids, firsts, resolutions


def _write_due_times(session: Session, ids: Any, firsts: Any, resolutions: Any, postgres: bool) -> None:
    """Write one chunk's due times (and clear the warning and breach marks) in one statement; the
    database turns the integers into timestamps exactly (whole seconds, then microseconds)."""
    def listed(values: Any) -> list[int | None]:
        return [None if value == _NONE else value for value in values.tolist()]

    connection = session.connection()
    if postgres:
        moment = ("CASE WHEN v.{0} IS NULL THEN NULL ELSE timestamptz 'epoch' + (v.{0} / 1000000) * interval '1 second'"
                  " + (v.{0} %% 1000000) * interval '1 microsecond' END")
        connection.exec_driver_sql(
            f"UPDATE service_ticket_sla AS t SET first_response_due_at = {moment.format('f')}, "
            f"resolution_due_at = {moment.format('r')}, sla_warned = false, sla_breached = false "
            "FROM unnest(%(ids)s::bigint[], %(f)s::bigint[], %(r)s::bigint[]) AS v(id, f, r) WHERE t.ticket_id = v.id",
            {"ids": ids.tolist(), "f": listed(firsts), "r": listed(resolutions)})
        return
    moment = "strftime('%Y-%m-%d %H:%M:%S', ?{0} / 1000000, 'unixepoch') || printf('.%06d', ?{0} % 1000000)"
    connection.exec_driver_sql(
        f"UPDATE service_ticket_sla SET first_response_due_at = {moment.format(1)}, "
        f"resolution_due_at = {moment.format(2)}, sla_warned = 0, sla_breached = 0 WHERE ticket_id = ?3",
        list(zip(listed(firsts), listed(resolutions), ids.tolist(), strict=True)))


def _earliest_due(ticket: Ticket) -> dt.datetime | None:
    dues = [d for d in (None if ticket.first_response_at else ticket.first_response_due_at, ticket.next_response_due_at,
                        None if ticket.paused_at else ticket.resolution_due_at) if d is not None]
    return min(dues) if dues else None


BREACH_ACTIONS = ("raise_priority", "reassign")


def breach_actions() -> set[str]:
    """The escalation actions on a breach (setting `service.breach_actions`, comma-separated)."""
    from payvand.sdk import setting

    text = str(setting("service.breach_actions") or "")
    return {part.strip() for part in text.split(",") if part.strip() in BREACH_ACTIONS}


def reassign(session: Session, ticket: Ticket) -> None:
    """Give a breached ticket to the team's next available agent other than its assignee (if any)."""
    from payvand.plugins.service.models import Team
    from payvand.plugins.service.services.routing import pick_agent

    team = session.get(Team, ticket.team_id)
    if team is None:
        return
    current = ticket.assignee_id
    chosen = pick_agent(session, team)
    if chosen == current and current is not None:
        chosen = pick_agent(session, team)
    if chosen is not None:
        ticket.assignee_id = chosen


def check(session: Session, now: dt.datetime | None = None) -> dict[str, int]:
    """Warn tickets about to breach (within their policy's `warn_minutes`) and escalate breached ones
    (`breach_actions()`, an audit entry and a timeline entry). Each happens once per ticket."""
    from payvand.plugins.service.services.timeline import note_on_timeline

    now = now or utcnow()
    actions = breach_actions()
    warned = breached = 0
    horizon = now + dt.timedelta(days=1)
    # the unfinished tickets first (their status keys), each clock then looked up by its key
    query = (sa.select(Ticket).join(TicketSla, TicketSla.ticket_id == Ticket.id).options(contains_eager(Ticket.sla))
             .where(Ticket.status.in_(UNFINISHED), TicketSla.sla_breached.is_(False), sa.or_(
                 TicketSla.first_response_due_at < horizon, TicketSla.next_response_due_at < horizon,
                 TicketSla.resolution_due_at < horizon)))
    policies = {p.id: p for p in session.scalars(sa.select(SlaPolicy))}
    for ticket in session.scalars(query):
        due = _earliest_due(ticket)
        if due is None:
            continue
        if due <= now:
            ticket.sla_breached = True
            before = {"priority": ticket.priority, "assignee_id": ticket.assignee_id}
            if "raise_priority" in actions:
                ticket.priority = PRIORITY_UP.get(ticket.priority, ticket.priority)
            if "reassign" in actions and ticket.team_id is not None:
                reassign(session, ticket)
            audit("service.sla_breached", "service_ticket", ticket.id, before=before,
                  after={"priority": ticket.priority, "assignee_id": ticket.assignee_id, "due_at": due.isoformat()})
            note_on_timeline(ticket, "service.sla_breached", f"SLA breached on ticket #{ticket.id}")
            breached += 1
        elif not ticket.sla_warned:
            policy = policies.get(ticket.sla_policy_id or 0)
            if policy and due - now <= dt.timedelta(minutes=policy.warn_minutes):
                ticket.sla_warned = True
                audit("service.sla_warning", "service_ticket", ticket.id, after={"due_at": due.isoformat()})
                warned += 1
    return {"warned": warned, "breached": breached}
