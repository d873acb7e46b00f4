"""Staff users, roles, permissions and API tokens."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from payvand.core.db import Base, BigId, JSONText, UTCDateTime, utcnow

user_role = sa.Table(
    "core_user_role",
    Base.metadata,
    sa.Column("user_id", BigId, sa.ForeignKey("core_user.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("role_id", BigId, sa.ForeignKey("core_role.id", ondelete="CASCADE"), primary_key=True),
)


class Permission(Base):
    """A permission string declared by the core or a plugin (`<plugin>.<thing>.<action>`)."""

    __tablename__ = "core_permission"

    name: Mapped[str] = mapped_column(sa.String(120), primary_key=True)
    plugin: Mapped[str] = mapped_column(sa.String(64), index=True)
    description: Mapped[str] = mapped_column(sa.String(250), default="")


class Role(Base):
    """A named group of permissions given to users."""

    __tablename__ = "core_role"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    description: Mapped[str] = mapped_column(sa.String(250), default="")

    grants: Mapped[list[RolePermission]] = relationship(cascade="all, delete-orphan")

    @property
    def permissions(self) -> list[str]:
        """The permission strings this role grants."""
        return sorted(g.permission for g in self.grants)


class RolePermission(Base):
    """One permission granted by a role; a plain string so a disabled plugin's grants survive."""

    __tablename__ = "core_role_permission"

    role_id: Mapped[int] = mapped_column(
        BigId, sa.ForeignKey("core_role.id", ondelete="CASCADE"), primary_key=True
    )
    permission: Mapped[str] = mapped_column(sa.String(120), primary_key=True)


class User(Base):
    """A staff account. Passwords are Argon2id hashes; superusers hold every permission."""

    __tablename__ = "core_user"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    is_active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    is_superuser: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    locale: Mapped[str | None] = mapped_column(sa.String(8))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    roles: Mapped[list[Role]] = relationship(secondary=user_role)


class ApiToken(Base):
    """A bearer token for the REST API: only its SHA-256 is stored; scoped and revocable."""

    __tablename__ = "core_api_token"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("core_user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    prefix: Mapped[str] = mapped_column(sa.String(16))
    scopes: Mapped[list[str]] = mapped_column(JSONText, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
