"""Idempotency keys of API writes: who sent which key to which route, and the answer to replay."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from payvand.core.db import Base, BigId, JSONText, UTCDateTime, utcnow

#: Longest `Idempotency-Key` accepted (as Stripe).
MAX_KEY_LENGTH = 255
#: Longest request path stored with a key (longer ones are refused with 400).
MAX_PATH_LENGTH = 1000


class IdempotencyKey(Base):
    """One `Idempotency-Key` of one principal on one route, claimed by the first request that sent it.

    `state` is `in_progress` while that request runs (`lock_token` names it, `locked_at`
    starts its lease), `acted` from the route's first commit (marked in that transaction) and
    `done` once its answer is stored (`status`, `headers`, `body`), to
    be replayed to every later request with the same key and the same `fingerprint` (the
    SHA-256 of the canonical body and query string). Rows expire 24 hours after
    `created_at` (see `payvand.core.idempotency`).
    """

    __tablename__ = "core_idempotency_key"
    __table_args__ = (sa.UniqueConstraint("principal", "idem_key", "method", "path"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    principal: Mapped[str] = mapped_column(sa.String(64))
    method: Mapped[str] = mapped_column(sa.String(8))
    path: Mapped[str] = mapped_column(sa.String(MAX_PATH_LENGTH))
    idem_key: Mapped[str] = mapped_column(sa.String(MAX_KEY_LENGTH))
    fingerprint: Mapped[str] = mapped_column(sa.String(64))
    state: Mapped[str] = mapped_column(sa.String(16), default="in_progress")
    lock_token: Mapped[str | None] = mapped_column(sa.String(32))
    locked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[int | None] = mapped_column(sa.Integer)
    headers: Mapped[dict[str, Any] | None] = mapped_column(JSONText)
    body: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
