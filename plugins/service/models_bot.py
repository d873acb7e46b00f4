"""The FAQ bot's and live help's tables: what the bot did in each web chat, and who has the chat now.

`BotEvent` records every bot answer, offer, handoff and ticket (the resolution-rate report
counts them); `LiveChat` is the live-help state of one web chat conversation (the core's
`core_chat_conversation`): `bot` (the bot answers), `offered` (a person was offered),
`waiting` (handed over, no agent free yet), `assigned` (an agent has it), `ticket_offered`
(outside business hours: leaving a ticket was offered), `ticket` (a ticket was left).
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from payvand.sdk import Base, BigId, UTCDateTime, utcnow

LIVE_STATES = ("bot", "offered", "waiting", "assigned", "ticket_offered", "ticket")
EVENT_KINDS = ("answer", "offer", "handoff", "waiting", "ticket_offer", "ticket")
_CONVERSATION = "core_chat_conversation.id"


class BotEvent(Base):
    """One thing the bot did in a conversation: an answer (its source, article and confidence),
    an offer of a person, a handoff (agent, team, transcript), a ticket offer or a ticket left."""

    __tablename__ = "service_bot_event"
    __table_args__ = (sa.Index(None, "conversation_id", "id"), sa.Index(None, "created_at", "kind"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey(_CONVERSATION, ondelete="CASCADE"))
    message_id: Mapped[int | None] = mapped_column(BigId)  # the visitor's message it reacted to
    kind: Mapped[str] = mapped_column(sa.String(16))
    source: Mapped[str | None] = mapped_column(sa.String(64))  # "kb" or an answerer's name
    article_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("service_article.id", ondelete="SET NULL"))
    confidence: Mapped[float | None] = mapped_column(sa.Float)
    agent_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("core_user.id", ondelete="SET NULL"))
    team_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("service_team.id", ondelete="SET NULL"))
    ticket_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("service_ticket.id", ondelete="SET NULL"))
    language: Mapped[str] = mapped_column(sa.String(8), default="fa")
    transcript: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class LiveChat(Base):
    """The live-help state of a web chat conversation: the bot's, waiting for an agent, or an agent's."""

    __tablename__ = "service_live_chat"
    __table_args__ = (sa.Index(None, "state", "assignee_id"),)

    conversation_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey(_CONVERSATION, ondelete="CASCADE"),
                                                 primary_key=True)
    state: Mapped[str] = mapped_column(sa.String(16), default="bot")
    language: Mapped[str] = mapped_column(sa.String(8), default="fa")
    team_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("service_team.id", ondelete="SET NULL"))
    assignee_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("core_user.id", ondelete="SET NULL"))
    ticket_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("service_ticket.id", ondelete="SET NULL"))
    handed_over_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
