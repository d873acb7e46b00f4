"""Tables of the staff web UI: server-side login sessions and background import jobs."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from payvand.core.db import Base, BigId, JSONText, UTCDateTime, utcnow


class WebSession(Base):
    """A staff login session stored server-side; the cookie holds a random key, this row its SHA-256.

    Deleting the rows of a user ends all their sessions at once (logout, user disabled).
    """

    __tablename__ = "core_web_session"

    key_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("core_user.id", ondelete="CASCADE"), index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)


class ImportJob(Base):
    """A customer import started from the web UI, run in the background, with its progress and report."""

    __tablename__ = "core_import_job"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("core_user.id", ondelete="SET NULL"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(255))
    stored_path: Mapped[str] = mapped_column(sa.String(500))
    status: Mapped[str] = mapped_column(sa.String(16), default="uploaded", index=True)
    options: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)
    bytes_total: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    bytes_read: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    rows_read: Mapped[int] = mapped_column(sa.Integer, default=0)
    report: Mapped[dict[str, Any] | None] = mapped_column(JSONText)
    rejects_path: Mapped[str | None] = mapped_column(sa.String(500))
    error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
