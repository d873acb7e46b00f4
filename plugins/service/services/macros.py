"""Macros (canned responses): placeholders filled for a ticket, and the changes a macro makes.

Rendering is a plain placeholder replace — `{name}` for the names in `PLACEHOLDERS`, anything
else left as written — so a macro's text can never run code. Dates are Jalali with Persian
digits when the ticket's language is Persian (or unknown), Gregorian otherwise. A macro with a
team is offered on that team's tickets; one without a team on every ticket; a macro with a
language only on tickets in that language (or of no language).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from payvand.plugins.service.models import Team, Ticket
from payvand.plugins.service.models_macros import Macro
from payvand.plugins.service.services.setup import SetupError
from payvand.sdk import N_, Actor, Customer, audit, to_jalali, to_local, to_persian_digits, utcnow

#: The placeholders a macro may use, and what they become.
PLACEHOLDERS = ("customer_name", "ticket_number", "ticket_subject", "agent_name", "today", "ticket_date")
_PATTERN = re.compile(r"\{(" + "|".join(PLACEHOLDERS) + r")\}")


def local_date(moment: dt.datetime, language: str | None) -> str:
    """A moment's day in the site's zone: `۱۴۰۵/۰۹/۱۶` in Persian, `2026-12-07` in English."""
    day = to_local(moment).date()
    if language == "en":
        return day.isoformat()
    year, month, date = to_jalali(day)
    return to_persian_digits(f"{year:04d}/{month:02d}/{date:02d}")


def values_for(session: Session, ticket: Ticket, agent: Actor | None, now: dt.datetime | None = None) -> dict[str, str]:
    """The placeholder values of a ticket read by an agent."""
    customer = session.get(Customer, ticket.customer_id)
    language = ticket.language or (customer.preferred_language if customer else None)
    number = str(ticket.id) if language == "en" else to_persian_digits(str(ticket.id))
    agent_name = agent.name if agent is not None else ""
    return {"customer_name": customer.display_name if customer else "", "ticket_number": number,
            "ticket_subject": ticket.subject or "", "agent_name": agent_name,
            "today": local_date(now or utcnow(), language), "ticket_date": local_date(ticket.created_at, language)}


def render(text: str, values: dict[str, str]) -> str:
    """`text` with each known `{placeholder}` replaced (unknown braces stay as written)."""
    return _PATTERN.sub(lambda match: values.get(match.group(1), match.group(0)), text or "")


def macros(session: Session) -> list[Macro]:
    """Every macro: global ones first, then by team and name."""
    return list(session.scalars(sa.select(Macro).order_by(Macro.team_id.is_not(None), Macro.team_id, Macro.name)))


def macros_for(session: Session, ticket: Ticket) -> list[Macro]:
    """The macros offered on a ticket: global and its team's, in its language or any."""
    team = Macro.team_id.is_(None) if ticket.team_id is None else sa.or_(Macro.team_id.is_(None),
                                                                         Macro.team_id == ticket.team_id)
    language = Macro.language.is_(None) if not ticket.language else sa.or_(Macro.language.is_(None),
                                                                           Macro.language == ticket.language)
    return list(session.scalars(sa.select(Macro).where(team, language).order_by(Macro.name, Macro.id)))


def save_macro(session: Session, macro: Macro | None, data: dict[str, Any]) -> Macro:
    """Create or replace a macro (its team must exist)."""
    if data.get("team_id") and session.get(Team, data["team_id"]) is None:
        raise SetupError(f"There is no team {data['team_id']}.", "team_id")
    created = macro is None
    macro = macro or Macro()
    for key, value in data.items():
        setattr(macro, key, value)
    macro.updated_at = utcnow()
    if created:
        session.add(macro)
    session.flush()
    audit("create" if created else "update", "service_macro", macro.id, after={"name": macro.name})
    return macro


def delete_macro(session: Session, macro: Macro) -> None:
    """Remove a macro."""
    audit("delete", "service_macro", macro.id, before={"name": macro.name})
    session.delete(macro)
    session.flush()


def apply(session: Session, ticket: Ticket, macro: Macro, actor: Actor) -> tuple[str, Ticket]:
    """Apply a macro to a ticket: make its changes (status, priority, added tags; checked and audited
    by the ticket service) and return the text to insert into the reply, with the ticket."""
    from payvand.plugins.service.services import tickets

    if macro not in macros_for(session, ticket):
        raise SetupError(N_("This macro is not offered on this ticket."), "macro_id")
    changes: dict[str, Any] = {}
    if macro.set_status and macro.set_status != ticket.status:
        changes["status"] = macro.set_status
    if macro.set_priority and macro.set_priority != ticket.priority:
        changes["priority"] = macro.set_priority
    if macro.add_tags and not set(macro.add_tags) <= set(ticket.tags or []):
        changes["tags"] = sorted(set(ticket.tags or []) | set(macro.add_tags))
    text = render(macro.body, values_for(session, ticket, actor))
    if changes:
        ticket = tickets.change(session, ticket, actor, changes)
    audit("apply_macro", "service_ticket", ticket.id, after={"macro_id": macro.id, **changes})
    return text, ticket
