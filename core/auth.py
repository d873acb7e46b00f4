"""Authentication: Argon2id passwords, hashed API tokens and the actor they stand for."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from payvand.core.actor import Actor
from payvand.core.db import utcnow
from payvand.core.models import ApiToken, RolePermission, User, user_role

TOKEN_PREFIX = "pv_"

_HASHERS = {
    "default": PasswordHasher(),  # Argon2id, RFC 9106 low-memory profile
    "fast": PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1),  # tests only
}


def password_hasher(profile: str = "default") -> PasswordHasher:
    """The Argon2id hasher for a profile (`default`, or `fast` for test suites)."""
    return _HASHERS[profile]


def hash_password(password: str, profile: str = "default") -> str:
    """Hash a password with Argon2id."""
    return password_hasher(profile).hash(password)


def verify_password(user: User, password: str, profile: str = "default") -> bool:
    """Check a password; rehash it in place when the parameters have changed."""
    if not user.password_hash:
        return False
    hasher = password_hasher(profile)
    try:
        hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return True


def hash_token(token: str) -> str:
    """The SHA-256 hex digest under which a token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    session: Session,
    user: User,
    name: str,
    scopes: Iterable[str] = ("*",),
    expires_at: dt.datetime | None = None,
) -> tuple[ApiToken, str]:
    """Create an API token for `user`; return the row and the secret, shown only this once."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=hash_token(secret),
        prefix=secret[:10],
        scopes=list(scopes),
        expires_at=expires_at,
    )
    session.add(token)
    session.flush()
    return token, secret


def user_permissions(session: Session, user_id: int) -> frozenset[str]:
    """All permission strings granted to a user through their roles, in one query."""
    rows = session.scalars(
        sa.select(RolePermission.permission)
        .join(user_role, user_role.c.role_id == RolePermission.role_id)
        .where(user_role.c.user_id == user_id)
    )
    return frozenset(rows)


def actor_for_user(session: Session, user: User) -> Actor:
    """The actor of a staff user (as the staff UI signs them in)."""
    return Actor.user(user.id, user.email, is_superuser=user.is_superuser,
                      permissions=user_permissions(session, user.id), name=user.name or "", locale=user.locale)


_TOKEN = ApiToken.__table__.c
_USER = User.__table__.c
_GRANT = RolePermission.__table__.c

#: Token, user and every permission the user's roles grant, in one Core round trip (one row
#: per permission; one row with a NULL permission when there is none). Core rather than the
#: ORM: this runs on every API request and needs no entities.
_TOKEN_LOOKUP = (
    sa.select(_TOKEN.id, _TOKEN.scopes, _TOKEN.expires_at, _TOKEN.revoked_at, _TOKEN.last_used_at,
              _USER.id, _USER.email, _USER.is_active, _USER.is_superuser, _GRANT.permission)
    .select_from(
        ApiToken.__table__.join(User.__table__, _USER.id == _TOKEN.user_id)
        .outerjoin(user_role, user_role.c.user_id == _USER.id)
        .outerjoin(RolePermission.__table__, _GRANT.role_id == user_role.c.role_id)
    )
    .where(_TOKEN.token_hash == sa.bindparam("token_hash"))
)


def actor_for_token(session: Session, secret: str) -> Actor | None:
    """The actor a bearer token stands for, or None when unknown, revoked or expired.

    Nothing is cached: a revoked token, an expired one or a deactivated user is refused on
    the very next request, in every process.
    """
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    rows = session.connection().execute(_TOKEN_LOOKUP, {"token_hash": hash_token(secret)}).all()
    if not rows:
        return None
    token_id, scopes, expires_at, revoked_at, last_used_at, user_id, email, is_active, is_superuser, _ = rows[0]
    now = utcnow()
    if revoked_at is not None or not is_active:
        return None
    if expires_at is not None and expires_at <= now:
        return None
    if last_used_at is None or now - last_used_at > dt.timedelta(minutes=5):
        session.execute(
            sa.update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now)
        )
        session.commit()
    return Actor.token(user_id, email, token_id, tuple(scopes or ()), is_superuser=bool(is_superuser),
                       permissions=frozenset(row[-1] for row in rows if row[-1] is not None))
