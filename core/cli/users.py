"""`payvand users | roles | tokens`: staff accounts, roles and API tokens.

Every change is audited with the actor "cli". Passwords are read hidden (or from stdin)
and token secrets are printed once; neither is logged or stored in plain text.
"""

from __future__ import annotations

import datetime as dt
import difflib
import secrets
import sys
from collections.abc import Iterable, Sequence
from typing import Any

import click
import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from payvand.core import audit
from payvand.core.actor import Actor
from payvand.core.cli.common import CliEnv, CliError, friendly_errors, pass_env, require_ready

CLI_ACTOR = Actor.system("cli")
MIN_PASSWORD_LENGTH = 10
PERSONAL_ROLE_PREFIX = "user:"


# --------------------------------------------------------------------------- helpers


def _table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """Rows as left-aligned text columns under a header."""
    text_rows = [[("-" if cell is None or cell == "" else str(cell)) for cell in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in text_rows]) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in text_rows]
    return "\n".join(lines)


def _when(moment: dt.datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "-"


def check_permissions(env: CliEnv, wanted: Iterable[str], *, wildcards: bool = False) -> list[str]:
    """Return `wanted` (deduplicated) or fail naming each unknown permission and close names.

    With `wildcards`, token scopes are accepted too: `*` and prefixes such as `core.customer.*`.
    """
    known = sorted(env.runtime.permissions())
    result: list[str] = []
    problems: list[str] = []
    for name in dict.fromkeys(wanted):
        if name in known:
            result.append(name)
            continue
        if wildcards and (name == "*" or (name.endswith(".*") and any(k.startswith(name[:-1]) for k in known))):
            result.append(name)
            continue
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        problems.append(f"{name!r}{hint}")
    if problems:
        raise CliError(f"unknown permission{'s' if len(problems) > 1 else ''} {'; '.join(problems)}"
                       "; `payvand roles list --permissions` lists them all")
    return result


def _find_user(session: Session, email: str) -> Any:
    from payvand.core.models import User

    user = session.scalars(sa.select(User).where(User.email == email.strip().lower())).first()
    if user is None:
        raise CliError(f"there is no user with email {email.strip().lower()}")
    return user


def read_password(*, stdin: bool, generate: bool) -> tuple[str, bool]:
    """A new password from stdin, a generator, or two hidden prompts; and whether to print it."""
    if stdin and generate:
        raise CliError("give either --password-stdin or --generate, not both")
    if generate:
        return secrets.token_urlsafe(15), True
    if stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt="Repeat the password")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise CliError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    return password, False


def _password_options(function: Any) -> Any:
    function = click.option("--generate", is_flag=True,
                            help="Generate a strong password and print it once.")(function)
    return click.option("--password-stdin", is_flag=True,
                        help="Read the password from the first line of standard input.")(function)


def _user_view(user: Any) -> dict[str, Any]:
    """What audit entries record about a user (never the password hash)."""
    personal = [r for r in user.roles if r.name.startswith(PERSONAL_ROLE_PREFIX)]
    return {
        "email": user.email, "name": user.name, "is_active": user.is_active, "is_superuser": user.is_superuser,
        "roles": sorted(r.name for r in user.roles if not r.name.startswith(PERSONAL_ROLE_PREFIX)),
        "permissions": sorted(p for r in personal for p in r.permissions),
    }


# --------------------------------------------------------------------------- users


@click.group("users")
def users_group() -> None:
    """Staff accounts: create, list, set passwords, disable."""


@users_group.command("create")
@click.argument("email")
@click.option("--name", default="", help="Full name shown in the UI.")
@click.option("--superuser", is_flag=True, help="Holds every permission.")
@click.option("--role", "roles", multiple=True, metavar="NAME", help="Give this role (repeatable).")
@click.option("--permission", "permissions", multiple=True, metavar="P",
              help="Grant this permission directly (repeatable), e.g. core.customer.view.")
@_password_options
@click.option("--no-password", is_flag=True, help="No password: the account can use API tokens only.")
@pass_env
@friendly_errors
def users_create(env: CliEnv, email: str, name: str, superuser: bool, roles: tuple[str, ...],
                 permissions: tuple[str, ...], password_stdin: bool, generate: bool, no_password: bool) -> None:
    """Create a staff user. Without options, the password is asked twice (hidden)."""
    from payvand.core.models import Role, User
    from payvand.core.services.users import UserError, create_user

    require_ready(env)
    granted = check_permissions(env, permissions)
    email = email.strip().lower()
    with env.runtime.sessionmaker() as session:
        if session.scalar(sa.select(User.id).where(User.email == email)) is not None:
            raise CliError(f"a user with email {email} already exists")
        missing = sorted(set(roles) - set(session.scalars(sa.select(Role.name).where(Role.name.in_(roles)))))
        if missing:
            names = ", ".join(repr(m) for m in missing)
            raise CliError(f"there is no role {names}: `payvand roles list` shows them")
    password, show = (None, False) if no_password else read_password(stdin=password_stdin, generate=generate)
    with env.runtime.sessionmaker.begin() as session:
        try:
            user = create_user(session, email, password=password, name=name, superuser=superuser,
                               permissions=granted, roles=roles,
                               profile=env.config.get("PAYVAND_PASSWORD_PROFILE", "default"))
        except UserError as exc:
            raise CliError(str(exc)) from None
        audit.record(session, CLI_ACTOR, "create", "user", user.id, after=_user_view(user))
        user_id = user.id
    click.echo(f"Created user {email} (id {user_id}){' as superuser' if superuser else ''}.")
    if show:
        click.echo(f"Password: {password}")
        click.echo("  (shown only this once)")


@users_group.command("list")
@pass_env
@friendly_errors
def users_list(env: CliEnv) -> None:
    """List staff users with their roles and direct permissions."""
    from payvand.core.models import Role, User

    require_ready(env)
    with env.runtime.sessionmaker() as session:
        users = session.scalars(
            sa.select(User).options(selectinload(User.roles).selectinload(Role.grants)).order_by(User.id)
        ).all()
        rows = []
        for user in users:
            view = _user_view(user)
            rows.append((user.id, user.email, user.name, "active" if user.is_active else "disabled",
                         "yes" if user.is_superuser else "no", ", ".join(view["roles"]),
                         ", ".join(view["permissions"]), _when(user.created_at)))
    if not rows:
        click.echo("No users yet: `payvand users create EMAIL --superuser`.")
        return
    click.echo(_table(("ID", "EMAIL", "NAME", "STATUS", "SUPERUSER", "ROLES", "PERMISSIONS", "CREATED"), rows))


@users_group.command("set-password")
@click.argument("email")
@_password_options
@pass_env
@friendly_errors
def users_set_password(env: CliEnv, email: str, password_stdin: bool, generate: bool) -> None:
    """Set a new password for a user (asked twice, hidden, unless an option says otherwise)."""
    from payvand.core.auth import hash_password

    require_ready(env)
    with env.runtime.sessionmaker() as session:
        _find_user(session, email)
    password, show = read_password(stdin=password_stdin, generate=generate)
    with env.runtime.sessionmaker.begin() as session:
        user = _find_user(session, email)
        user.password_hash = hash_password(password, env.config.get("PAYVAND_PASSWORD_PROFILE", "default"))
        audit.record(session, CLI_ACTOR, "set_password", "user", user.id, after={"email": user.email})
        address = user.email
    click.echo(f"Password of {address} changed.")
    if show:
        click.echo(f"Password: {password}")
        click.echo("  (shown only this once)")


def _set_active(env: CliEnv, email: str, active: bool) -> None:
    require_ready(env)
    word = "enabled" if active else "disabled"
    with env.runtime.sessionmaker.begin() as session:
        user = _find_user(session, email)
        if user.is_active == active:
            click.echo(f"User {user.email} is already {word}.")
            return
        user.is_active = active
        audit.record(session, CLI_ACTOR, "enable" if active else "disable", "user", user.id,
                     before={"is_active": not active}, after={"is_active": active})
        address = user.email
    click.echo(f"User {address} {word}." + ("" if active else " Their API tokens stop working too."))


@users_group.command("disable")
@click.argument("email")
@pass_env
@friendly_errors
def users_disable(env: CliEnv, email: str) -> None:
    """Disable a user: no logins and no API access, data kept."""
    _set_active(env, email, False)


@users_group.command("enable")
@click.argument("email")
@pass_env
@friendly_errors
def users_enable(env: CliEnv, email: str) -> None:
    """Enable a disabled user again."""
    _set_active(env, email, True)


# --------------------------------------------------------------------------- roles


@click.group("roles")
def roles_group() -> None:
    """Roles: named groups of permissions given to users."""


@roles_group.command("create")
@click.argument("name")
@click.option("--permission", "permissions", multiple=True, required=True, metavar="P",
              help="A permission the role grants (repeatable).")
@click.option("--description", default="", help="What the role is for.")
@pass_env
@friendly_errors
def roles_create(env: CliEnv, name: str, permissions: tuple[str, ...], description: str) -> None:
    """Create a role granting the given permissions."""
    from payvand.core.models import Role
    from payvand.core.services.users import ensure_role

    require_ready(env)
    name = name.strip()
    if not name or name.startswith(PERSONAL_ROLE_PREFIX):
        raise CliError(f"{name!r} is not a valid role name (empty, or reserved prefix {PERSONAL_ROLE_PREFIX!r})")
    if len(name) > 64:
        raise CliError("a role name has at most 64 characters")
    granted = check_permissions(env, permissions)
    with env.runtime.sessionmaker.begin() as session:
        if session.scalar(sa.select(Role.id).where(Role.name == name)) is not None:
            raise CliError(f"a role named {name!r} already exists")
        role = ensure_role(session, name, granted, description)
        audit.record(session, CLI_ACTOR, "create", "role", role.id,
                     after={"name": name, "description": description, "permissions": sorted(granted)})
    click.echo(f"Created role {name!r} granting {', '.join(sorted(granted))}.")


@roles_group.command("list")
@click.option("--permissions", "show_permissions", is_flag=True,
              help="List every known permission instead of the roles.")
@pass_env
@friendly_errors
def roles_list(env: CliEnv, show_permissions: bool) -> None:
    """List roles with their permissions and how many users hold them."""
    from payvand.core.models import Role, user_role

    require_ready(env)
    if show_permissions:
        known = env.runtime.permissions()
        click.echo(_table(("PERMISSION", "PLUGIN", "DESCRIPTION"),
                          [(name, plugin, text) for name, (plugin, text) in sorted(known.items())]))
        return
    with env.runtime.sessionmaker() as session:
        counts = dict(session.execute(
            sa.select(user_role.c.role_id, sa.func.count()).group_by(user_role.c.role_id)
        ).all())
        roles = session.scalars(
            sa.select(Role).where(~Role.name.startswith(PERSONAL_ROLE_PREFIX))
            .options(selectinload(Role.grants)).order_by(Role.name)
        ).all()
        rows = [(r.name, r.description, ", ".join(r.permissions), counts.get(r.id, 0)) for r in roles]
    if not rows:
        click.echo("No roles yet: `payvand roles create NAME --permission P ...`.")
        return
    click.echo(_table(("NAME", "DESCRIPTION", "PERMISSIONS", "USERS"), rows))


# --------------------------------------------------------------------------- tokens


@click.group("tokens")
def tokens_group() -> None:
    """API tokens for the REST API: create, list, revoke."""


@tokens_group.command("create")
@click.argument("email")
@click.option("--name", required=True, help="What the token is for (e.g. 'website sync').")
@click.option("--scope", "scopes", multiple=True, metavar="S",
              help="Limit the token to a permission or prefix (core.customer.*) (repeatable). Default: *.")
@click.option("--expires-in-days", type=click.IntRange(min=1), help="Expire the token after this many days.")
@pass_env
@friendly_errors
def tokens_create(env: CliEnv, email: str, name: str, scopes: tuple[str, ...], expires_in_days: int | None) -> None:
    """Create an API token for a user and print its secret once.

    A token can do what its user may do, narrowed to its scopes.
    """
    from payvand.core.auth import create_token
    from payvand.core.db import utcnow

    require_ready(env)
    name = name.strip()
    if not name or len(name) > 120:
        raise CliError("a token name must have 1 to 120 characters")
    checked = check_permissions(env, scopes or ("*",), wildcards=True)
    expires = utcnow() + dt.timedelta(days=expires_in_days) if expires_in_days else None
    with env.runtime.sessionmaker.begin() as session:
        user = _find_user(session, email)
        if not user.is_active:
            raise CliError(f"user {user.email} is disabled: enable them first (`payvand users enable`)")
        token, secret = create_token(session, user, name, checked, expires)
        audit.record(session, CLI_ACTOR, "create", "api_token", token.id,
                     after={"user": user.email, "name": name, "prefix": token.prefix, "scopes": checked,
                            "expires_at": expires.isoformat() if expires else None})
        token_id, prefix = token.id, token.prefix
    click.echo(f"Created token {token_id} ({prefix}…) for {email.strip().lower()}, scopes {', '.join(checked)}"
               + (f", expires {_when(expires)} UTC" if expires else "") + ".")
    click.echo(f"Secret: {secret}")
    click.echo("  (shown only this once; send it as 'Authorization: Bearer <secret>')")


@tokens_group.command("list")
@click.argument("email", required=False)
@pass_env
@friendly_errors
def tokens_list(env: CliEnv, email: str | None) -> None:
    """List API tokens (of one user when EMAIL is given); secrets are never shown."""
    from payvand.core.models import ApiToken, User

    require_ready(env)
    with env.runtime.sessionmaker() as session:
        query = sa.select(ApiToken, User.email).join(User, User.id == ApiToken.user_id).order_by(ApiToken.id)
        if email:
            query = query.where(User.id == _find_user(session, email).id)
        rows = [
            (t.id, t.prefix, address, t.name, ", ".join(t.scopes or []), _when(t.created_at),
             _when(t.last_used_at), _when(t.expires_at),
             f"revoked {_when(t.revoked_at)}" if t.revoked_at else "active")
            for t, address in session.execute(query)
        ]
    if not rows:
        click.echo("No tokens.")
        return
    click.echo(_table(("ID", "PREFIX", "USER", "NAME", "SCOPES", "CREATED", "LAST USED", "EXPIRES", "STATUS"), rows))


@tokens_group.command("revoke")
@click.argument("token")
@pass_env
@friendly_errors
def tokens_revoke(env: CliEnv, token: str) -> None:
    """Revoke a token, given its ID, its prefix (as `tokens list` shows) or its secret."""
    from payvand.core.auth import hash_token
    from payvand.core.db import utcnow
    from payvand.core.models import ApiToken

    require_ready(env)
    token = token.strip()
    with env.runtime.sessionmaker.begin() as session:
        if token.isdigit():
            matches = list(session.scalars(sa.select(ApiToken).where(ApiToken.id == int(token))))
        else:
            matches = list(session.scalars(sa.select(ApiToken).where(
                sa.or_(ApiToken.prefix == token, ApiToken.token_hash == hash_token(token)))))
        if not matches:
            raise CliError(f"no token matches {token[:12]!r}: give an ID or prefix from `payvand tokens list`")
        if len(matches) > 1:
            raise CliError(f"{len(matches)} tokens have prefix {token!r}: give the ID instead")
        row = matches[0]
        if row.revoked_at is not None:
            click.echo(f"Token {row.id} ({row.prefix}…) was already revoked on {_when(row.revoked_at)} UTC.")
            return
        row.revoked_at = utcnow()
        audit.record(session, CLI_ACTOR, "revoke", "api_token", row.id,
                     before={"revoked_at": None}, after={"revoked_at": row.revoked_at.isoformat()})
        token_id, prefix = row.id, row.prefix
    click.echo(f"Token {token_id} ({prefix}…) revoked.")


def register(cli: click.Group) -> None:
    """Add the `users`, `roles` and `tokens` groups to the root CLI."""
    for group in (users_group, roles_group, tokens_group):
        cli.add_command(group)
