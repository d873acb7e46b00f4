"""Saved views of the ticket inbox: `service_saved_view`.

A view is a name and the inbox's query (the list kit's filters and sort, as a query string);
it belongs to the user who saved it, and is offered to everyone when `shared`.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from payvand.sdk import Base, BigId, UTCDateTime, utcnow


class SavedView(Base):
    """A named inbox query (filters and sort), the owner's or shared."""

    __tablename__ = "service_saved_view"
    __table_args__ = (sa.Index(None, "owner_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    owner_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("core_user.id", ondelete="CASCADE"))
    shared: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    query: Mapped[str] = mapped_column(sa.String(2000), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
