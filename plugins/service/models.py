"""The service plugin's tables, all prefixed `service_`.

A ticket (`Ticket`) holds its conversation as entries (`TicketEntry`: the customer's messages,
staff public replies and internal notes, calls and visits), each with its attachments
(`TicketAttachment`). Teams (`Team`, `TeamMember`) and assignment rules (`AssignmentRule`)
route tickets; business-hours calendars (`Calendar`) and SLA policies (`SlaPolicy`) set their
due times. Links to other plugins' records are opaque references (`sales.order:42`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from payvand.sdk import Base, BigId, JSONText, UTCDateTime, utcnow

#: The largest id a `BigId` column holds.
MAX_ID = 2**63 - 1
_CUSTOMER = "core_customer.id"
_USER = "core_user.id"

TYPES = ("question", "request", "problem", "complaint", "return")
STATUSES = ("new", "open", "pending", "on_hold", "solved", "closed")
PRIORITIES = ("low", "normal", "high", "urgent")
ENTRY_KINDS = ("inbound", "reply", "note", "call", "visit")
SOURCES = ("email", "api", "staff", "chat", "web_form", "portal")


class Team(Base):
    """A group of agents who work a queue: its languages and skills route tickets to it."""

    __tablename__ = "service_team"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    languages: Mapped[list[str]] = mapped_column(JSONText, default=list)  # e.g. ["fa", "en"]
    skills: Mapped[list[str]] = mapped_column(JSONText, default=list)
    strategy: Mapped[str] = mapped_column(sa.String(16), default="round_robin")  # round_robin, least_open
    last_assigned_id: Mapped[int | None] = mapped_column(BigId)  # the round-robin pointer
    calendar_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("service_calendar.id", ondelete="SET NULL"))

    members: Mapped[list[TeamMember]] = relationship(back_populates="team", cascade="all, delete-orphan",
                                                     order_by="TeamMember.user_id")


class TeamMember(Base):
    """An agent in a team, and whether they take new tickets now (availability)."""

    __tablename__ = "service_team_member"
    __table_args__ = (sa.Index(None, "user_id"),)

    team_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("service_team.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey(_USER, ondelete="CASCADE"), primary_key=True)
    available: Mapped[bool] = mapped_column(sa.Boolean, default=True)

    team: Mapped[Team] = relationship(back_populates="members")


class Calendar(Base):
    """Business hours: a time zone, a weekly schedule and holidays.

    `schedule` maps ISO weekday numbers (1 = Monday … 7 = Sunday, as strings) to lists of
    `["HH:MM", "HH:MM"]` open intervals; `holidays` is a list of `{"date": "1405-01-01",
    "calendar": "jalali" | "gregorian", "name": ..., "yearly": bool}`.
    """

    __tablename__ = "service_calendar"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    timezone: Mapped[str] = mapped_column(sa.String(64), default="Asia/Tehran")
    schedule: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)
    holidays: Mapped[list[dict[str, Any]]] = mapped_column(JSONText, default=list)
    #: Also closed on the Iranian lunar holidays of each year (`service_holiday_year`, else the shipped lists).
    lunar_holidays: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    is_default: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    version: Mapped[int] = mapped_column(sa.Integer, default=1)


class SlaPolicy(Base):
    """Targets in business minutes for tickets matching its conditions (lowest `position` first)."""

    __tablename__ = "service_sla_policy"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    position: Mapped[int] = mapped_column(sa.Integer, default=0)
    priority: Mapped[str | None] = mapped_column(sa.String(16))  # None: any
    type: Mapped[str | None] = mapped_column(sa.String(16))
    customer_field: Mapped[str | None] = mapped_column(sa.String(64))
    customer_value: Mapped[str | None] = mapped_column(sa.String(200))
    first_response_minutes: Mapped[int | None] = mapped_column(sa.Integer)
    next_response_minutes: Mapped[int | None] = mapped_column(sa.Integer)
    resolution_minutes: Mapped[int | None] = mapped_column(sa.Integer)
    calendar_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("service_calendar.id", ondelete="SET NULL"))
    warn_minutes: Mapped[int] = mapped_column(sa.Integer, default=30)


class Contract(Base):
    """A service contract (entitlement) of a customer: a period, included tickets and hours, an SLA
    policy and the products it covers (opaque references, e.g. `sales.product:7`)."""

    __tablename__ = "service_contract"
    __table_args__ = (sa.Index(None, "customer_id", "ends_on"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey(_CUSTOMER, ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(200))
    starts_on: Mapped[dt.date] = mapped_column(sa.Date)
    ends_on: Mapped[dt.date] = mapped_column(sa.Date)
    included_tickets: Mapped[int | None] = mapped_column(sa.Integer)  # None: unlimited
    included_minutes: Mapped[int | None] = mapped_column(sa.Integer)
    used_minutes: Mapped[int] = mapped_column(sa.Integer, default=0)
    sla_policy_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("service_sla_policy.id",
                                                                             ondelete="SET NULL"))
    products: Mapped[list[str]] = mapped_column(JSONText, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class AssignmentRule(Base):
    """Send tickets matching its conditions to a team (lowest `position` first; None matches any)."""

    __tablename__ = "service_assignment_rule"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    position: Mapped[int] = mapped_column(sa.Integer, default=0)
    type: Mapped[str | None] = mapped_column(sa.String(16))
    category: Mapped[str | None] = mapped_column(sa.String(120))
    language: Mapped[str | None] = mapped_column(sa.String(8))
    customer_field: Mapped[str | None] = mapped_column(sa.String(64))
    customer_value: Mapped[str | None] = mapped_column(sa.String(200))
    team_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("service_team.id", ondelete="CASCADE"))
    assign_agent: Mapped[bool] = mapped_column(sa.Boolean, default=True)


def _on_sla(name: str) -> Any:
    """An attribute of the ticket kept in its `TicketSla` row (read: None, or False for a mark, without
    one; write: the row is made when missing). Python-side only: queries use `TicketSla`'s columns."""
    default = False if name.startswith("sla_") else None

    def get(ticket: Ticket) -> Any:
        return default if ticket.sla is None else getattr(ticket.sla, name)

    def put(ticket: Ticket, value: Any) -> None:
        if ticket.sla is None:
            ticket.sla = TicketSla()
        setattr(ticket.sla, name, value)

    return property(get, put, doc=f"The ticket's `TicketSla.{name}`.")


class Ticket(Base):
    """A customer's question, request, problem, complaint or return, and its conversation."""

    __tablename__ = "service_ticket"
    __table_args__ = (
        sa.Index(None, "status", "id"),
        sa.Index(None, "team_id", "status", "id"),
        sa.Index(None, "assignee_id", "status", "id"),
        sa.Index(None, "team_id", "id"),  # the inbox's team and assignee filters, newest first (service_0009)
        sa.Index(None, "assignee_id", "id"),
        sa.Index(None, "customer_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey(_CUSTOMER, ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(sa.String(16), default="question")
    subject: Mapped[str] = mapped_column(sa.String(500), default="")
    status: Mapped[str] = mapped_column(sa.String(16), default="new")
    priority: Mapped[str] = mapped_column(sa.String(16), default="normal")
    category: Mapped[str | None] = mapped_column(sa.String(120))
    tags: Mapped[list[str]] = mapped_column(JSONText, default=list)
    language: Mapped[str | None] = mapped_column(sa.String(8))
    channel: Mapped[str] = mapped_column(sa.String(32), default="email")  # the channel replies go out on
    source: Mapped[str] = mapped_column(sa.String(16), default="staff")  # how it was opened (SOURCES)
    references: Mapped[list[str]] = mapped_column(JSONText, default=list)  # opaque: "sales.order:42"
    team_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("service_team.id", ondelete="SET NULL"))
    assignee_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey(_USER, ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey(_USER, ondelete="SET NULL"))
    merged_into_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("service_ticket.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(sa.Integer, default=1)  # bumped by every entry: the collision check
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    first_response_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    solved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # SLA: the policy chosen, the business minutes spent paused (the due moments and the marks: `sla`)
    sla_policy_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("service_sla_policy.id",
                                                                             ondelete="SET NULL"))
    paused_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    paused_minutes: Mapped[int] = mapped_column(sa.Integer, default=0)
    contract_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("service_contract.id", ondelete="SET NULL"),
                                                    index=True)

    entries: Mapped[list[TicketEntry]] = relationship(back_populates="ticket", order_by="TicketEntry.id",
                                                      cascade="all, delete-orphan")
    #: The SLA clock (`TicketSla`), loaded with the ticket (one LEFT JOIN); made with every new ticket.
    sla: Mapped[TicketSla | None] = relationship(lazy="joined", cascade="all, delete-orphan", passive_deletes=True)

    def __init__(self, **kwargs: Any) -> None:
        """A new ticket, with its `TicketSla` row (set first, so the due-time keywords land in it)."""
        super().__init__(**{"sla": kwargs.pop("sla", None) or TicketSla(), **kwargs})

    first_response_due_at = _on_sla("first_response_due_at")
    next_response_due_at = _on_sla("next_response_due_at")
    resolution_due_at = _on_sla("resolution_due_at")
    sla_warned = _on_sla("sla_warned")
    sla_breached = _on_sla("sla_breached")


class TicketSla(Base):
    """A ticket's SLA clock (one row per ticket): the due moments (UTC) and the warning and breach marks.

    Apart from `service_ticket` (a wide row with eight indexes) because a calendar change rewrites
    these values for every open ticket at once (`services/sla.py`, `recompute`): here a rewrite
    is a narrow row and no secondary index. On PostgreSQL the table keeps half of each page free
    (`fillfactor` 50), so a rewritten row stays on its page and its key is not written either
    (a HOT update). No index on the due moments: the overdue queue and the SLA check read the
    unfinished tickets first (`service_ticket`'s status keys) and look their clocks up by key.
    The ticket reads and writes them as its own attributes (`Ticket.resolution_due_at`, ...);
    queries join this table (`TicketSla.ticket_id == Ticket.id`).
    """

    __tablename__ = "service_ticket_sla"
    __table_args__ = ({"postgresql_with": {"fillfactor": "50"}},)

    ticket_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("service_ticket.id", ondelete="CASCADE"),
                                           primary_key=True)
    first_response_due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    next_response_due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    resolution_due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    sla_warned: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    sla_breached: Mapped[bool] = mapped_column(sa.Boolean, default=False)


class TicketTag(Base):
    """One tag of a ticket, kept beside `Ticket.tags` (`services/tags.py`): the inbox's tag filter
    reads a page of one tag from the `(tag, ticket_id)` key in id order instead of scanning the JSON."""

    __tablename__ = "service_ticket_tag"
    __table_args__ = (sa.Index(None, "ticket_id"),)

    tag: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("service_ticket.id", ondelete="CASCADE"),
                                           primary_key=True)


class TicketEntry(Base):
    """One entry of a ticket's conversation: a customer message, a staff reply or note, a call or visit.

    `message_id` is the core message it is (inbound) or that carried it (reply); unique, so the
    same inbound message never threads twice (the hook may be delivered again after a failure).
    """

    __tablename__ = "service_ticket_entry"
    __table_args__ = (sa.Index(None, "ticket_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("service_ticket.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(16))  # ENTRY_KINDS
    public: Mapped[bool] = mapped_column(sa.Boolean, default=True)  # False: an internal note
    body: Mapped[str] = mapped_column(sa.Text, default="")
    message_id: Mapped[int | None] = mapped_column(BigId, unique=True)
    ticket_version: Mapped[int] = mapped_column(sa.Integer, default=1)  # the ticket's version this entry made
    author_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey(_USER, ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="entries")
    attachments: Mapped[list[TicketAttachment]] = relationship(back_populates="entry", cascade="all, delete-orphan",
                                                               order_by="TicketAttachment.id")


class TicketAttachment(Base):
    """A file on an entry, checked by the SDK's upload checker before it is stored."""

    __tablename__ = "service_ticket_attachment"
    __table_args__ = (sa.Index(None, "entry_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    entry_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("service_ticket_entry.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(127))
    size: Mapped[int] = mapped_column(sa.Integer)
    content: Mapped[bytes] = mapped_column(sa.LargeBinary)

    entry: Mapped[TicketEntry] = relationship(back_populates="attachments")


class Article(Base):
    """A knowledge-base article in Persian or English, written in Markdown.

    `search_text` is the stems of the title and body (`services.kb_text.index_text`: folded by
    the SDK's `fold_text`, stopwords dropped) that SQLite FTS5 and PostgreSQL's tsvector index.
    """

    __tablename__ = "service_article"
    __table_args__ = (sa.Index(None, "language", "status", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    language: Mapped[str] = mapped_column(sa.String(8), default="fa")
    title: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text, default="")  # Markdown
    category: Mapped[str | None] = mapped_column(sa.String(120))
    status: Mapped[str] = mapped_column(sa.String(16), default="draft")  # draft, published
    public: Mapped[bool] = mapped_column(sa.Boolean, default=False)  # False: internal (staff only)
    search_text: Mapped[str] = mapped_column(sa.Text, default="")
    version: Mapped[int] = mapped_column(sa.Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    slug: Mapped[str | None] = mapped_column(sa.String(200), unique=True)  # set by `payvand service import-kb`


from payvand.plugins.service.models_bot import BotEvent, LiveChat  # noqa: E402,F401 - the bot tables (service_0007)
from payvand.plugins.service.models_holidays import HolidayYear  # noqa: E402, F401 - per-year lunar holidays
from payvand.plugins.service.models_inbox import SavedView  # noqa: E402, F401 - inbox saved views (their own module)
from payvand.plugins.service.models_kb import (  # noqa: E402, F401 - KB usage and versions
    ArticleFeedback,
    ArticleSolution,
    ArticleVersion,
    KbSearchMiss,
)
from payvand.plugins.service.models_macros import Macro  # noqa: E402, F401 - macros (their own module)
from payvand.plugins.service.models_nps import NpsResponse, NpsSend  # noqa: E402, F401 - NPS (its own module)
from payvand.plugins.service.models_returns import (  # noqa: E402, F401 - returns and complaints, own module
    Complaint,
    ComplaintCause,
    ReturnItem,
    ReturnRequest,
)
