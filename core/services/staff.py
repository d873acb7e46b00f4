"""Reading staff users, roles, permissions and API tokens: the admin pages and the user pickers.

Changes (with their rules and audit entries) are in `payvand.core.services.users`; this module
only reads, one function per question a page asks, each a bounded number of queries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from payvand.core.db import MAX_ID
from payvand.core.models import ApiToken, Permission, Role, User, WebSession, user_role
from payvand.core.services.users import PERSONAL_ROLE_PREFIX


def user_choices(session: Session, *, limit: int, order: str = "name", active_only: bool = True,
                 superusers: bool = True) -> list[Any]:
    """Users as rows of (`id`, `name`, `email`) for a select: ordered by `order` ("name" or
    "email"), at most `limit`; inactive users and superusers left out when asked."""
    query = sa.select(User.id, User.name, User.email)
    if active_only:
        query = query.where(User.is_active.is_(True))
    if not superusers:
        query = query.where(User.is_superuser.is_(False))
    ordering = (User.email,) if order == "email" else (User.name, User.email, User.id)
    return list(session.execute(query.order_by(*ordering).limit(limit)).all())


def get_user(session: Session, user_id: int, *, with_roles: bool = False) -> User | None:
    """The user with this id (its roles and their grants loaded when asked), or None."""
    if not 0 < user_id <= MAX_ID:
        return None
    query = sa.select(User).where(User.id == user_id)
    if with_roles:
        query = query.options(selectinload(User.roles).selectinload(Role.grants))
    return session.scalars(query).first()


def email_taken(session: Session, email: str) -> bool:
    """True when a user has this (normalised) email."""
    return session.scalar(sa.select(User.id).where(User.email == email)) is not None


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def find_users(session: Session, q: str, after: str, limit: int) -> list[User]:
    """Users by email whose email or name contains `q` (any case), after the email `after`;
    at most `limit`, roles and grants loaded."""
    query = (sa.select(User).options(selectinload(User.roles).selectinload(Role.grants))
             .order_by(User.email).limit(limit))
    if q:
        pattern = _like(q)
        query = query.where(sa.or_(sa.func.lower(User.email).like(pattern, escape="\\"),
                                   sa.func.lower(User.name).like(pattern, escape="\\")))
    if after:
        query = query.where(User.email > after)
    return list(session.scalars(query))


def last_logins(session: Session, user_ids: Sequence[int]) -> dict[int, dt.datetime]:
    """When each user's newest live web session (kept in the database) began."""
    if not user_ids:
        return {}
    rows = session.execute(sa.select(WebSession.user_id, sa.func.max(WebSession.created_at))
                           .where(WebSession.user_id.in_(list(user_ids))).group_by(WebSession.user_id))
    return {user_id: at for user_id, at in rows.all() if user_id is not None}  # never None: user_id IN (...)


def live_token_count(session: Session, user_id: int) -> int:
    """How many of the user's API tokens are not revoked."""
    return session.scalar(sa.select(sa.func.count()).select_from(ApiToken).where(
        ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))) or 0


def assignable_roles(session: Session) -> list[Role]:
    """Every role but the personal ones, by name."""
    return list(session.scalars(sa.select(Role).where(~Role.name.startswith(PERSONAL_ROLE_PREFIX)).order_by(Role.name)))


def all_roles(session: Session) -> list[Role]:
    """Every role (shared and personal) by name, with its grants."""
    return list(session.scalars(sa.select(Role).options(selectinload(Role.grants)).order_by(Role.name)))


def get_role(session: Session, role_id: int) -> Role | None:
    """The role with this id and its grants, or None."""
    if not 0 < role_id <= MAX_ID:
        return None
    return session.scalars(sa.select(Role).where(Role.id == role_id).options(selectinload(Role.grants))).first()


def role_holder_counts(session: Session) -> dict[int, int]:
    """How many users hold each role, by role id (roles nobody holds are left out)."""
    rows = session.execute(sa.select(user_role.c.role_id, sa.func.count()).group_by(user_role.c.role_id))
    return {role_id: count for role_id, count in rows.all()}


def role_owner_emails(session: Session, role_ids: Sequence[int]) -> dict[int, str]:
    """The email of a user holding each role (for personal roles: their one owner)."""
    if not role_ids:
        return {}
    rows = session.execute(sa.select(user_role.c.role_id, User.email).join(User, User.id == user_role.c.user_id)
                           .where(user_role.c.role_id.in_(list(role_ids))))
    return {role_id: email for role_id, email in rows.all()}


def recorded_permissions(session: Session) -> list[Any]:
    """Every recorded permission as rows of (`plugin`, `name`, `description`), the core's first."""
    return list(session.execute(
        sa.select(Permission.plugin, Permission.name, Permission.description)
        .order_by(Permission.plugin != "core", Permission.plugin, Permission.name)).all())


def token_page(session: Session, *, user_id: int | None, before: int | None, limit: int) -> list[Any]:
    """API tokens newest first as rows of (token, owner's email): one user's when `user_id` is
    given, older than the id `before` when given; at most `limit`."""
    query = (sa.select(ApiToken, User.email).join(User, User.id == ApiToken.user_id)
             .order_by(ApiToken.id.desc()).limit(limit))
    if user_id:
        query = query.where(ApiToken.user_id == user_id)
    if before:
        query = query.where(ApiToken.id < before)
    return list(session.execute(query).all())


def get_token(session: Session, token_id: int) -> ApiToken | None:
    """The API token with this id, or None."""
    return session.get(ApiToken, token_id) if 0 < token_id <= MAX_ID else None
