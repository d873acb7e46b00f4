"""Who is logged in to the staff UI and what they may see: the user object and the view guard."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Response, abort, g, has_request_context, redirect, request, url_for
from flask_login import current_user

from payvand.core.actor import Actor
from payvand.core.models import RolePermission, User, user_role

F = TypeVar("F", bound=Callable[..., Any])

_USER = User.__table__.c
_GRANT = RolePermission.__table__.c

#: The user and every permission their roles grant, in one round trip (see auth._TOKEN_LOOKUP).
_USER_LOOKUP = (
    sa.select(_USER.id, _USER.email, _USER.name, _USER.locale, _USER.is_active, _USER.is_superuser, _GRANT.permission)
    .select_from(
        User.__table__.outerjoin(user_role, user_role.c.user_id == _USER.id)
        .outerjoin(RolePermission.__table__, _GRANT.role_id == user_role.c.role_id)
    )
    .where(_USER.id == sa.bindparam("user_id"))
)


def load_staff_user(connection: sa.Connection, user_id: int) -> Actor | None:
    """The active user with this id and their permissions (one query), or None.

    Run on every request, so disabling a user or changing their roles takes effect at once.
    """
    rows = connection.execute(_USER_LOOKUP, {"user_id": user_id}).all()
    if not rows or not rows[0].is_active:
        return None
    first = rows[0]
    return Actor.user(first.id, first.email, is_superuser=bool(first.is_superuser),
                      permissions=frozenset(row.permission for row in rows if row.permission is not None),
                      name=first.name or "", locale=first.locale)


def staff_user() -> Actor | None:
    """The logged-in staff user of this request (an `Actor` of kind `user`), or None."""
    if not has_request_context():
        return None
    user = current_user._get_current_object()
    return user if isinstance(user, Actor) and user.kind == "user" else None


def staff_required(permission: str | None = None) -> Callable[[F], F]:
    """Guard a staff page: anonymous callers go to the login page, others need `permission` (else 403).

    Every staff view carries this guard; a test walks the URL map to check it.
    """

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = staff_user()
            if user is None:
                login = url_for("auth.login", next=request.full_path.rstrip("?"))
                if request.headers.get("HX-Request"):  # a fragment: have htmx load the login page
                    return Response(status=401, headers={"HX-Redirect": login})
                return redirect(login)
            if permission is not None and not user.can(permission):
                abort(403)
            return view(*args, **kwargs)

        wrapper.__payvand_staff__ = True  # type: ignore[attr-defined]
        wrapper.__payvand_permission__ = permission  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorator


def public_page(view: F) -> F:
    """Mark a page as deliberately open to anyone (a lead form, a portal login); still CSRF-checked."""
    view.__payvand_public__ = True  # type: ignore[attr-defined]
    return view


def csrf_exempt(view: F) -> F:
    """Skip the session CSRF check for a public form that proves itself otherwise.

    Only for forms that act for nobody (no login, no session authority) and carry their own
    signed, expiring token — such as a lead form embedded in another site, where browsers do
    not send Payvand's `SameSite=Lax` session cookie, so a session token cannot be checked.
    """
    view.__payvand_csrf_exempt__ = True  # type: ignore[attr-defined]
    return view


def local_path(target: str | None) -> str | None:
    """`target` when it is a path on this site, else None: where forms may send the user next.

    Refuses other hosts in every spelling browsers accept (`//host`, `/\\host`, `https:`),
    so a crafted link cannot turn Payvand into an open redirect.
    """
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(ch) < 32 for ch in target):
        return None
    return target


def set_request_actor() -> None:
    """Make the logged-in user the request's actor, so services and SDK permission checks see them."""
    user = staff_user()
    if user is not None and g.get("payvand_actor") is None:
        g.payvand_actor = user
