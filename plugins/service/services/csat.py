"""Satisfaction (CSAT) after a ticket is solved: the survey message and the signed rating link.

When a ticket becomes solved (setting `service.csat_enabled`, on by default) one message goes out
on the ticket's channel (purpose `service`, idempotent per ticket) with links
`/service/csat/<token>?score=1..5`; the token is the ticket id signed with the app's secret. The
link opens a page with the score chosen and a comment box; posting it records one
`service.csat_received` interaction (the score in its payload: the core's `value` is money and
needs a currency) on the customer's timeline — a mail
scanner that follows the link records nothing. A second rating of the same ticket is refused.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import current_app, has_request_context, url_for
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.orm import Session

from payvand.plugins.service.models import Ticket
from payvand.sdk import CustomerInactive, Interaction, MessageRefused, config_value, record_interaction, send_message, setting

KIND = "service.csat_received"


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(str(current_app.secret_key), salt="payvand.service.csat")


def token(ticket_id: int) -> str:
    """The signed token of a ticket's rating link."""
    return str(_signer().dumps(ticket_id))


def read_token(text: str) -> int | None:
    """The ticket id a token was made for, or None when it is not ours."""
    try:
        value = _signer().loads(text)
    except BadSignature:
        return None
    return value if isinstance(value, int) else None


def link(ticket_id: int) -> str:
    """The absolute rating link (PAYVAND_BASE_URL, else this request's host)."""
    path = f"/service/csat/{token(ticket_id)}"
    try:
        base = config_value("PAYVAND_BASE_URL")
    except KeyError:
        base = None
    if base:
        return str(base).rstrip("/") + path
    if has_request_context():
        return url_for("service.csat", token_text=token(ticket_id), _external=True)
    return path


def send_survey(ticket: Ticket) -> int | None:
    """Queue the survey of a solved ticket; the message id, or None when off or refused."""
    if not setting("service.csat_enabled"):
        return None
    url = link(ticket.id)
    lines = "\n".join(f"{n} — {url}?score={n}" for n in range(1, 6))
    body = (f"Your request #{ticket.id} is solved. How satisfied are you? (1 = not at all, 5 = very)\n{lines}\n\n"
            f"درخواست شما (#{ticket.id}) حل شد. چقدر راضی هستید؟ (۱ = اصلاً، ۵ = بسیار)")
    try:
        queued = send_message(ticket.customer_id, ticket.channel, subject=f"#{ticket.id}: how did we do?",
                              body=body, purpose="service", source=("service.ticket", ticket.id),
                              idempotency_key=f"service.csat:{ticket.id}")
    except (MessageRefused, CustomerInactive):
        return None
    return queued.id


def rated(session: Session, ticket_id: int) -> bool:
    """True when the ticket already has a rating."""
    return session.scalar(sa.select(Interaction.id).where(
        Interaction.kind == KIND, Interaction.source_type == "service.ticket",
        Interaction.source_id == str(ticket_id)).limit(1)) is not None


def record(session: Session, ticket: Ticket, score: int, comment: str) -> Any:
    """Record the rating on the customer's timeline."""
    return record_interaction(ticket.customer_id, KIND, "other", f"CSAT {score}/5 for ticket #{ticket.id}",
                              payload={"ticket_id": ticket.id, "score": score,
                                                    "comment": comment[:1000], "subject": ticket.subject},
                              source=("service.ticket", ticket.id))
