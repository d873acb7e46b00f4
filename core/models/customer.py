"""The customer record and its child rows: emails, phones, addresses, tags and consents."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from payvand.core.db import Base, BigId, JSONText, UTCDateTime, search_key, utcnow


class CustomerKind(str, enum.Enum):
    """Whether a customer is one person or an organisation."""

    person = "person"
    organization = "organization"


class LifecycleStage(str, enum.Enum):
    """Where a customer stands in the e-CRM cycle: acquire, retain, expand."""

    prospect = "prospect"
    lead = "lead"
    customer = "customer"
    loyal = "loyal"
    churned = "churned"


class Customer(Base):
    """A person or an organisation the business has a relationship with."""

    __tablename__ = "core_customer"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16), default=CustomerKind.person.value)
    given_name: Mapped[str | None] = mapped_column(sa.String(120))
    family_name: Mapped[str | None] = mapped_column(sa.String(120))
    organization_name: Mapped[str | None] = mapped_column(sa.String(200))
    display_name: Mapped[str] = mapped_column(sa.String(250))
    #: Folded "given family" (or the organisation name) for prefix search and the name sort
    #: (indexed with `id` below).
    search_name: Mapped[str] = mapped_column(search_key(250))
    #: Folded "family given" so a search by family name is a prefix search too.
    search_name_alt: Mapped[str] = mapped_column(search_key(250), index=True)
    birthday: Mapped[dt.date | None] = mapped_column(sa.Date)
    preferred_language: Mapped[str | None] = mapped_column(sa.String(8))
    preferred_channel: Mapped[str | None] = mapped_column(sa.String(32))
    #: The customer's IANA time zone (`Asia/Tehran`); quiet hours fall in it. None: the site's zone.
    timezone: Mapped[str | None] = mapped_column(sa.String(64))
    lifecycle_stage: Mapped[str] = mapped_column(
        sa.String(16), default=LifecycleStage.prospect.value
    )
    owner_id: Mapped[int | None] = mapped_column(
        BigId, sa.ForeignKey("core_user.id", ondelete="SET NULL")
    )
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)
    merged_into_id: Mapped[int | None] = mapped_column(
        BigId, sa.ForeignKey("core_customer.id", ondelete="SET NULL")
    )
    #: The customer who referred this one (brought them in by word of mouth, a referral code, ...).
    referred_by_id: Mapped[int | None] = mapped_column(
        BigId, sa.ForeignKey("core_customer.id", ondelete="SET NULL")
    )
    erased_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)

    emails: Mapped[list[CustomerEmail]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", order_by="CustomerEmail.id"
    )
    phones: Mapped[list[CustomerPhone]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", order_by="CustomerPhone.id"
    )
    addresses: Mapped[list[CustomerAddress]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", order_by="CustomerAddress.id"
    )
    tags: Mapped[list[CustomerTag]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", order_by="CustomerTag.tag"
    )
    consents: Mapped[list[CustomerConsent]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", order_by="CustomerConsent.id"
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        sa.Index(None, "lifecycle_stage", "id"),
        sa.Index(None, "owner_id", "id"),
        # The name sort's index: (search_name, id) is the sort's whole key; on PostgreSQL it also
        # carries merged_into_id, so a page walking it checks a tag's hashed ids on the index
        # alone (index-only) and reads one page of rows (`customer_list._tag_drive`). On SQLite
        # the same entries as an index on search_name (every entry there ends with the rowid).
        sa.Index("ix_core_customer_search_name", "search_name", "id",
                 postgresql_include=["merged_into_id"]),
        # Partial: only merged-away rows are indexed. A full index lets SQLite's planner (with
        # no statistics) read `merged_into_id IS NULL` as selective and walk a million rows
        # for a name search that finds nothing; merges are looked up by `merged_into_id = ?`.
        sa.Index(None, "merged_into_id", sqlite_where=sa.text("merged_into_id IS NOT NULL"),
                 postgresql_where=sa.text("merged_into_id IS NOT NULL")),
        # Who a customer referred (`referred_by_id = ?`) and the referral tree, walked level by
        # level; partial, as most customers were referred by nobody.
        sa.Index(None, "referred_by_id", sqlite_where=sa.text("referred_by_id IS NOT NULL"),
                 postgresql_where=sa.text("referred_by_id IS NOT NULL")),
    )

    @property
    def primary_email(self) -> str | None:
        """The first email, the one used for mail unless a plugin chooses otherwise."""
        return self.emails[0].email if self.emails else None

    @property
    def primary_phone(self) -> str | None:
        """The first phone number in E.164 form."""
        return self.phones[0].number if self.phones else None

    @property
    def tag_names(self) -> list[str]:
        """The customer's tags as plain strings."""
        return [t.tag for t in self.tags]

    def current_consents(self) -> dict[tuple[str, str], CustomerConsent]:
        """The latest consent per (channel, purpose); earlier rows are its history."""
        latest: dict[tuple[str, str], CustomerConsent] = {}
        for consent in self.consents:
            key = (consent.channel, consent.purpose)
            if key not in latest or (consent.recorded_at, consent.id or 0) >= (
                latest[key].recorded_at,
                latest[key].id or 0,
            ):
                latest[key] = consent
        return latest

    def has_consent(self, channel: str, purpose: str = "marketing") -> bool:
        """True when the latest consent for this channel and purpose was a grant."""
        consent = self.current_consents().get((channel, purpose))
        return bool(consent and consent.granted)


class CustomerEmail(Base):
    """One email address of a customer, stored lower-cased and validated."""

    __tablename__ = "core_customer_email"
    __table_args__ = (sa.UniqueConstraint("customer_id", "email"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        BigId, sa.ForeignKey("core_customer.id", ondelete="CASCADE")
    )
    email: Mapped[str] = mapped_column(search_key(254), index=True)
    label: Mapped[str | None] = mapped_column(sa.String(32))

    customer: Mapped[Customer] = relationship(back_populates="emails")


class CustomerPhone(Base):
    """One phone number of a customer, stored in E.164 form."""

    __tablename__ = "core_customer_phone"
    __table_args__ = (
        sa.UniqueConstraint("customer_id", "number"),
        # The number with its customer: a phone-prefix search (`0905…`, hundreds to thousands of
        # numbers) reads the customer ids from the index alone instead of one row per number.
        sa.Index("ix_core_customer_phone_number", "number", "customer_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        BigId, sa.ForeignKey("core_customer.id", ondelete="CASCADE")
    )
    number: Mapped[str] = mapped_column(search_key(20))
    label: Mapped[str | None] = mapped_column(sa.String(32))

    customer: Mapped[Customer] = relationship(back_populates="phones")


class CustomerAddress(Base):
    """A postal address of a customer."""

    __tablename__ = "core_customer_address"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        BigId, sa.ForeignKey("core_customer.id", ondelete="CASCADE"), index=True
    )
    label: Mapped[str | None] = mapped_column(sa.String(32))
    line1: Mapped[str] = mapped_column(sa.String(250))
    line2: Mapped[str | None] = mapped_column(sa.String(250))
    city: Mapped[str | None] = mapped_column(sa.String(120))
    region: Mapped[str | None] = mapped_column(sa.String(120))
    postal_code: Mapped[str | None] = mapped_column(sa.String(20))
    country: Mapped[str | None] = mapped_column(sa.String(2))

    customer: Mapped[Customer] = relationship(back_populates="addresses")


class CustomerTag(Base):
    """A free-form label on a customer, indexed for filtering."""

    __tablename__ = "core_customer_tag"
    __table_args__ = (sa.Index(None, "tag", "customer_id"),)

    customer_id: Mapped[int] = mapped_column(
        BigId, sa.ForeignKey("core_customer.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(sa.String(64), primary_key=True)

    customer: Mapped[Customer] = relationship(back_populates="tags")


class CustomerConsent(Base):
    """One consent decision: append-only, so the latest row is the state and the rest history."""

    __tablename__ = "core_customer_consent"
    __table_args__ = (
        sa.Index(None, "customer_id", "channel", "purpose", "recorded_at"),
        sa.Index(None, "channel", "purpose", "granted", "customer_id"),  # the list's rare-consent filter
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        BigId, sa.ForeignKey("core_customer.id", ondelete="CASCADE")
    )
    channel: Mapped[str] = mapped_column(sa.String(32))
    purpose: Mapped[str] = mapped_column(sa.String(32), default="marketing")
    granted: Mapped[bool] = mapped_column(sa.Boolean)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    source: Mapped[str | None] = mapped_column(sa.String(120))

    customer: Mapped[Customer] = relationship(back_populates="consents")
