"""System tables: audit log, plugin state, outbox, merges and settings."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from payvand.core.db import Base, BigId, JSONText, UTCDateTime, utcnow


class AuditLog(Base):
    """Who changed what and when, with before and after; written in the change's transaction."""

    __tablename__ = "core_audit_log"
    __table_args__ = (
        sa.Index(None, "object_type", "object_id", "at"),
        sa.Index(None, "object_type", "at"),
        sa.Index(None, "action", "at"),
        sa.Index(None, "actor_id", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("core_user.id", ondelete="SET NULL"))
    actor_label: Mapped[str] = mapped_column(sa.String(254), default="system")
    action: Mapped[str] = mapped_column(sa.String(32))
    object_type: Mapped[str] = mapped_column(sa.String(64))
    object_id: Mapped[str | None] = mapped_column(sa.String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONText)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONText)


class PluginState(Base):
    """Per-deployment state of an installed plugin: enabled or not, and its recorded errors."""

    __tablename__ = "core_plugin_state"

    name: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    enabled: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    version: Mapped[str | None] = mapped_column(sa.String(32))
    installed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    error_count: Mapped[int] = mapped_column(sa.Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    last_error_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    recent_errors: Mapped[list[dict[str, Any]]] = mapped_column(JSONText, default=list)


class OutboxEvent(Base):
    """A domain event written with the change; the job runner delivers it to each plugin.

    `pending` lists the plugins that have not yet handled it, so a retry after one plugin
    failed calls only that plugin again.
    """

    __tablename__ = "core_outbox"
    __table_args__ = (sa.Index(None, "delivered_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    hook: Mapped[str] = mapped_column(sa.String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONText)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    pending: Mapped[list[str] | None] = mapped_column(JSONText)
    last_error: Mapped[str | None] = mapped_column(sa.Text)


class CustomerMerge(Base):
    """A merge of one customer into another, with every row that moved, so it can be undone."""

    __tablename__ = "core_customer_merge"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    target_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("core_customer.id", ondelete="CASCADE"), index=True)
    source_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("core_customer.id", ondelete="CASCADE"), index=True)
    moves: Mapped[list[dict[str, Any]]] = mapped_column(JSONText, default=list)
    target_before: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)
    merged_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    merged_by_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("core_user.id", ondelete="SET NULL"))
    undone_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Setting(Base):
    """A deployment-wide setting (company name, default locale, currency, phone region, ...)."""

    __tablename__ = "core_setting"

    key: Mapped[str] = mapped_column(sa.String(120), primary_key=True)
    value: Mapped[Any] = mapped_column(JSONText)
