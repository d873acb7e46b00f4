"""Service contracts (entitlements): which contract covers a new ticket, its usage and warnings.

A ticket opened for a customer with a contract running that day (in the site's time zone) is
counted against it (`Ticket.contract_id`; the contract ending first wins when several run).
The contract's SLA policy, when it has one, is the ticket's policy. Usage is counted from the
tickets (merged-away ones left out) and the minutes logged; warnings: `expired`, `used_up`
(tickets or minutes), `ending_soon` (14 days) and `almost_used` (80 %).
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from payvand.plugins.service.models import Contract, Ticket
from payvand.sdk import to_local, utcnow

ENDING_SOON_DAYS = 14
ALMOST_USED = 0.8


def today() -> dt.date:
    """Today in the site's time zone."""
    return to_local(utcnow()).date()


def active_contract(session: Session, customer_id: int, on: dt.date | None = None) -> Contract | None:
    """The customer's contract running on `on` (today), the one ending first."""
    day = on or today()
    return session.scalars(sa.select(Contract).where(
        Contract.customer_id == customer_id, Contract.starts_on <= day, Contract.ends_on >= day)
        .order_by(Contract.ends_on, Contract.id).limit(1)).first()


@dataclasses.dataclass(frozen=True)
class Usage:
    """A contract's use: tickets counted, minutes logged, and its warnings."""

    tickets: int
    minutes: int
    warnings: tuple[str, ...]


def usage(session: Session, contract: Contract, on: dt.date | None = None) -> Usage:
    """Count a contract's tickets and say what to warn about."""
    day = on or today()
    tickets = int(session.scalar(sa.select(sa.func.count()).select_from(Ticket).where(
        Ticket.contract_id == contract.id, Ticket.merged_into_id.is_(None))) or 0)
    minutes = contract.used_minutes or 0
    warnings: list[str] = []
    if contract.ends_on < day:
        warnings.append("expired")
    elif (contract.ends_on - day).days <= ENDING_SOON_DAYS:
        warnings.append("ending_soon")
    limits = [(tickets, contract.included_tickets), (minutes, contract.included_minutes)]
    if any(limit is not None and used >= limit for used, limit in limits):
        warnings.append("used_up")
    elif any(limit and used >= ALMOST_USED * limit for used, limit in limits):
        warnings.append("almost_used")
    return Usage(tickets, minutes, tuple(warnings))
