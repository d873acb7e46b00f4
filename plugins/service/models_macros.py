"""Macros (canned responses) of the help desk: `service_macro`.

A macro is a text with placeholders (`{customer_name}`, `{ticket_number}`, `{agent_name}`,
`{today}` ...) that an agent inserts into a reply, and optional changes it makes to the ticket
(status, priority, tags). A macro without a team is global; one with a team is offered on
that team's tickets only.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from payvand.sdk import Base, BigId, JSONText, UTCDateTime, utcnow


class Macro(Base):
    """A canned response with placeholders, per team or global, and the ticket changes it makes."""

    __tablename__ = "service_macro"
    __table_args__ = (sa.Index(None, "team_id", "name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    team_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("service_team.id", ondelete="CASCADE"))
    language: Mapped[str | None] = mapped_column(sa.String(8))  # fa, en or None (any)
    body: Mapped[str] = mapped_column(sa.Text, default="")
    set_status: Mapped[str | None] = mapped_column(sa.String(16))
    set_priority: Mapped[str | None] = mapped_column(sa.String(16))
    add_tags: Mapped[list[str]] = mapped_column(JSONText, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
