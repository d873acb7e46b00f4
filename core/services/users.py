"""Staff users, roles and API tokens: creation, changes with their rules, and audit entries."""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from payvand.core import audit
from payvand.core.actor import Actor
from payvand.core.auth import create_token, hash_password
from payvand.core.db import utcnow
from payvand.core.models import ApiToken, Permission, Role, RolePermission, User, user_role


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


# --------------------------------------------------------------------------- administration
#
# The functions below serve the admin pages (and any other caller): each checks its rules,
# changes the rows, writes the audit entry in the same session and leaves the commit to the
# caller. Rule violations raise `RuleError` (a `UserError`) naming the form field in `field`.

PERSONAL_ROLE_PREFIX = "user:"
MIN_PASSWORD_LENGTH = 10
MAX_ROLE_NAME = 64
MAX_TOKEN_NAME = 120


class RuleError(UserError):
    """A change refused by a rule, naming the form field it concerns (`_form` for the whole form).

    `message` is a translatable text with `%(name)s` placeholders filled from `params`.
    """

    def __init__(self, message: str, field: str = "_form", **params: Any) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.field = field
        self.params = params


def user_label(session: Session, user_id: int) -> str | None:
    """How a user is named on pages (their name, else their email), or None for no such user."""
    row = session.connection().execute(sa.select(User.name, User.email).where(User.id == user_id)).first()
    return (row.name or row.email) if row else None


def set_locale(session: Session, user_id: int | None, locale: str) -> None:
    """Remember the user's language on their account (the caller commits); no user id, no change."""
    if user_id is None:
        return
    session.execute(sa.update(User).where(User.id == user_id).values(locale=locale))


def is_personal_role(name: str) -> bool:
    """True for the personal roles (`user:<id>`) that hold a user's direct permissions."""
    return name.startswith(PERSONAL_ROLE_PREFIX)


def check_grantable(granter: Actor, permissions: Iterable[str], field: str = "roles") -> None:
    """Refuse (RuleError on `field`) to let `granter` give permissions they do not hold themselves.

    A user manager who is not a superuser may give only roles, and put into roles only
    permissions, that they hold: otherwise `core.users.manage` would be a way to every
    permission. The system (the CLI) and superusers may give anything.
    """
    if granter.is_system or granter.is_superuser:
        return
    missing = sorted(set(permissions) - granter.permissions)
    if missing:
        raise RuleError("You can only give permissions you hold yourself: %(names)s", field, names=", ".join(missing))


def _check_superuser_grant(granter: Actor, was_superuser: bool, superuser: bool) -> None:
    if superuser and not was_superuser and not granter.is_system and not granter.is_superuser:
        raise RuleError("Only a superuser can grant superuser.", "is_superuser")


def user_snapshot(user: User) -> dict[str, Any]:
    """What audit entries record about a user (never the password hash); as the CLI records it."""
    personal = [r for r in user.roles if is_personal_role(r.name)]
    return {
        "email": user.email, "name": user.name, "is_active": user.is_active, "is_superuser": user.is_superuser,
        "roles": sorted(r.name for r in user.roles if not is_personal_role(r.name)),
        "permissions": sorted(p for r in personal for p in r.permissions),
    }


def role_snapshot(role: Role) -> dict[str, Any]:
    """What audit entries record about a role."""
    return {"name": role.name, "description": role.description, "permissions": role.permissions}


def other_active_superusers(session: Session, user_id: int) -> int:
    """How many active superusers there are besides `user_id`."""
    return int(session.scalar(
        sa.select(sa.func.count()).select_from(User)
        .where(User.is_superuser.is_(True), User.is_active.is_(True), User.id != user_id)
    ) or 0)


def add_user(session: Session, actor: Actor, email: str, *, password: str | None, name: str = "",
             superuser: bool = False, roles: Sequence[Role] = (), profile: str = "default") -> User:
    """Create a staff user with `create_user`'s rules, give them `roles` and audit it as the CLI does.

    Only a superuser (or the system) may grant superuser, and the roles' permissions must all
    be the actor's own (`check_grantable`)."""
    if any(is_personal_role(role.name) for role in roles):
        raise RuleError("Personal roles cannot be given to other users.", "roles")
    _check_superuser_grant(actor, False, superuser)
    check_grantable(actor, (p for role in roles for p in role.permissions))
    user = create_user(session, email, password=password, name=name, superuser=superuser, profile=profile)
    user.roles.extend(dict.fromkeys(roles))
    session.flush()
    audit.record(session, actor, "create", "user", user.id, after=user_snapshot(user))
    return user


def update_user(
    session: Session,
    user: User,
    actor: Actor,
    *,
    name: str,
    roles: Sequence[Role],
    is_active: bool,
    is_superuser: bool,
) -> dict[str, list[Any]]:
    """Change a user's name, (non-personal) roles, active flag and superuser flag; audit it.

    Refused: disabling oneself, leaving no active superuser, and a
    non-superuser granting superuser or a new role with permissions they lack. Personal roles stay as they
    are. Returns the audited differences (empty when nothing changed). The caller commits and,
    when `is_active` went from True to False, ends the user's sessions (`end_user` of the
    session store) — a disabled user's API tokens stop working but are not revoked.
    """
    if user.id == actor.user_id and not is_active:
        raise RuleError("You cannot disable your own account.", "is_active")
    if user.is_superuser and user.is_active and (not is_superuser or not is_active):
        if other_active_superusers(session, user.id) == 0:
            raise RuleError("At least one active superuser must remain.",
                            "is_superuser" if not is_superuser else "is_active")
    if any(is_personal_role(role.name) for role in roles):
        raise RuleError("Personal roles cannot be given to other users.", "roles")
    _check_superuser_grant(actor, user.is_superuser, is_superuser)
    held = {role.id for role in user.roles}  # roles the user keeps are not given again
    check_grantable(actor, (p for role in roles if role.id not in held for p in role.permissions))
    before = user_snapshot(user)
    user.name = name
    user.is_superuser = is_superuser
    user.roles = [r for r in user.roles if is_personal_role(r.name)] + list(dict.fromkeys(roles))
    active_changed = user.is_active != is_active
    user.is_active = is_active
    session.flush()
    after = user_snapshot(user)
    if active_changed:
        audit.record(session, actor, "enable" if is_active else "disable", "user", user.id,
                     before={"is_active": not is_active}, after={"is_active": is_active})
    changed = audit.diff(before, after)
    rest = {key: value for key, value in changed.items() if key != "is_active"}
    if rest:
        audit.record(session, actor, "update", "user", user.id,
                     before={key: old for key, (old, _) in rest.items()},
                     after={key: new for key, (_, new) in rest.items()})
    return changed


def set_password(session: Session, user: User, password: str, actor: Actor, profile: str = "default") -> None:
    """Give a user a new password (at least 10 characters, taken as typed) and audit it."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise RuleError("A password needs at least %(count)s characters.", "password", count=MIN_PASSWORD_LENGTH)
    user.password_hash = hash_password(password, profile)
    audit.record(session, actor, "set_password", "user", user.id, after={"email": user.email})


def known_permissions(session: Session) -> dict[str, tuple[str, str]]:
    """Every recorded permission: name -> (plugin, description), from `core_permission`."""
    return {name: (plugin, description) for name, plugin, description in session.execute(
        sa.select(Permission.name, Permission.plugin, Permission.description))}


def check_role_name(session: Session, name: str, role_id: int | None = None) -> str:
    """The cleaned role name, or RuleError when empty, too long, reserved or taken."""
    name = name.strip()
    if not name:
        raise RuleError("Give the role a name.", "name")
    if is_personal_role(name):
        raise RuleError("Role names starting with “user:” are reserved for personal roles.", "name")
    if len(name) > MAX_ROLE_NAME:
        raise RuleError("A role name has at most %(count)s characters.", "name", count=MAX_ROLE_NAME)
    taken = session.scalar(sa.select(Role.id).where(Role.name == name))
    if taken is not None and taken != role_id:
        raise RuleError("A role with this name already exists.", "name")
    return name


def _check_grants(session: Session, permissions: Iterable[str], kept: Iterable[str] = (),
                  allow_empty: bool = False) -> list[str]:
    wanted = list(dict.fromkeys(permissions))
    if not wanted and not allow_empty:
        raise RuleError("Choose at least one permission.", "permissions")
    allowed = set(known_permissions(session)) | set(kept)
    unknown = [p for p in wanted if p not in allowed]
    if unknown:
        raise RuleError("Unknown permission: %(names)s", "permissions", names=", ".join(unknown))
    return sorted(wanted)


def create_role(session: Session, actor: Actor, name: str, permissions: Iterable[str], description: str = "") -> Role:
    """Create a role granting recorded permissions (at least one; only ones the actor holds) and audit it."""
    name = check_role_name(session, name)
    granted = _check_grants(session, permissions)
    check_grantable(actor, granted, "permissions")
    role = ensure_role(session, name, granted, description)
    audit.record(session, actor, "create", "role", role.id, after=role_snapshot(role))
    return role


def update_role(session: Session, role: Role, actor: Actor, *, name: str, description: str,
                permissions: Iterable[str]) -> dict[str, list[Any]]:
    """Rename a role, change its description and make it grant exactly `permissions`; audit it.

    A personal role keeps its name and may grant nothing. Grants of permissions no longer
    recorded (a plugin gone) may be kept but not added; a permission may be
    added only by an actor who holds it. Returns the audited differences.
    """
    before = role_snapshot(role)
    personal = is_personal_role(role.name)
    if not personal:
        role.name = check_role_name(session, name, role.id)
    role.description = description
    wanted = set(_check_grants(session, permissions, kept=before["permissions"], allow_empty=personal))
    check_grantable(actor, wanted - set(before["permissions"]), "permissions")  # what it adds
    role.grants = [g for g in role.grants if g.permission in wanted] + [
        RolePermission(permission=p) for p in sorted(wanted - {g.permission for g in role.grants})
    ]
    session.flush()
    changed = audit.diff(before, role_snapshot(role))
    if changed:
        audit.record(session, actor, "update", "role", role.id,
                     before={key: old for key, (old, _) in changed.items()},
                     after={key: new for key, (_, new) in changed.items()})
    return changed


def delete_role(session: Session, role: Role, actor: Actor) -> int:
    """Delete a role, taking it from every user who held it; audit it; return how many held it."""
    holders = session.scalar(
        sa.select(sa.func.count()).select_from(user_role).where(user_role.c.role_id == role.id)) or 0
    snapshot = {**role_snapshot(role), "users": int(holders)}
    session.execute(sa.delete(user_role).where(user_role.c.role_id == role.id))
    session.delete(role)
    session.flush()
    audit.record(session, actor, "delete", "role", role.id, before=snapshot)
    return int(holders)


def check_scopes(known: Iterable[str], wanted: Iterable[str]) -> list[str]:
    """Token scopes (deduplicated; `*` when none): known permissions, `plugin.*` prefixes or `*`.

    Mirrors `payvand tokens create --scope`: an unknown scope raises RuleError naming it and
    the closest known names.
    """
    names = sorted(known)
    result: list[str] = []
    problems: list[str] = []
    for scope in dict.fromkeys(s.strip() for s in wanted if s.strip()):
        if scope in names or scope == "*" or (
                scope.endswith(".*") and any(n.startswith(scope[:-1]) for n in names)):
            result.append(scope)
            continue
        close = difflib.get_close_matches(scope, names, n=3, cutoff=0.6)
        problems.append(scope + (f" ({', '.join(close)}?)" if close else ""))
    if problems:
        raise RuleError("Unknown scope: %(names)s", "scopes", names="; ".join(problems))
    return result or ["*"]


def create_api_token(session: Session, user: User, actor: Actor, name: str, scopes: Iterable[str],
                     expires_at: dt.datetime | None = None) -> tuple[ApiToken, str]:
    """Create a token for an active user and audit it (prefix only); return the row and the secret.

    The secret is returned this once and never stored; show it to the caller and forget it.
    """
    name = name.strip()
    if not name or len(name) > MAX_TOKEN_NAME:
        raise RuleError("A token name must have 1 to %(count)s characters.", "name", count=MAX_TOKEN_NAME)
    if not user.is_active:
        raise RuleError("This user is disabled: enable them first.", "user_id")
    if expires_at is not None and expires_at <= utcnow():
        raise RuleError("The expiry must be in the future.", "expires_on")
    scopes = list(scopes)
    token, secret = create_token(session, user, name, scopes, expires_at)
    audit.record(session, actor, "create", "api_token", token.id,
                 after={"user": user.email, "name": name, "prefix": token.prefix, "scopes": scopes,
                        "expires_at": expires_at.isoformat() if expires_at else None})
    return token, secret


def revoke_token(session: Session, token: ApiToken, actor: Actor) -> bool:
    """Revoke a token now and audit it; False when it was already revoked."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    audit.record(session, actor, "revoke", "api_token", token.id,
                 before={"revoked_at": None}, after={"revoked_at": token.revoked_at.isoformat()})
    return True
