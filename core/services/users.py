"""Staff users and roles."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from payvand.core.auth import hash_password
from payvand.core.models import Role, RolePermission, User


class UserError(ValueError):
    """A user that cannot be created or changed as asked."""


def ensure_role(session: Session, name: str, permissions: Iterable[str], description: str = "") -> Role:
    """Return the role called `name`, creating it, and make it grant exactly `permissions`."""
    role = session.scalars(sa.select(Role).where(Role.name == name)).first()
    if role is None:
        role = Role(name=name, description=description, grants=[])
        session.add(role)
    wanted = set(permissions)
    role.grants = [g for g in role.grants if g.permission in wanted] + [
        RolePermission(permission=p) for p in sorted(wanted - {g.permission for g in role.grants})
    ]
    session.flush()
    return role


def create_user(
    session: Session,
    email: str,
    *,
    password: str | None,
    name: str = "",
    superuser: bool = False,
    permissions: Iterable[str] = (),
    roles: Iterable[str] = (),
    profile: str = "default",
) -> User:
    """Create a staff user; `permissions` are granted through a personal role."""
    email = email.strip().lower()
    if "@" not in email:
        raise UserError(f"{email!r} is not an email address")
    if session.scalars(sa.select(User.id).where(User.email == email)).first() is not None:
        raise UserError(f"a user with email {email} already exists")
    if password is not None and len(password) < 10:
        raise UserError("a password needs at least 10 characters")
    user = User(
        email=email, name=name, is_superuser=superuser, is_active=True,
        password_hash=hash_password(password, profile) if password else None, roles=[],
    )
    session.add(user)
    session.flush()
    permissions = list(permissions)
    if permissions:
        user.roles.append(ensure_role(session, f"user:{user.id}", permissions, f"Personal role of {email}"))
    for role_name in roles:
        role = session.scalars(sa.select(Role).where(Role.name == role_name)).first()
        if role is None:
            raise UserError(f"there is no role {role_name!r}")
        user.roles.append(role)
    session.flush()
    return user
