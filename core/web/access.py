"""Who is logged in to the staff UI and what they may see: the user object and the view guard."""

from __future__ import annotations

import functools
from urllib.parse import urlsplit
from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import Response, abort, g, has_request_context, redirect, request, url_for
from flask_login import current_user

from payvand.core.auth import Principal
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


class StaffUser:
    """The logged-in staff member as Flask-Login sees them, with their `Principal`."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self, user_id: int, email: str, name: str, locale: str | None, principal: Principal) -> None:
        self.id = user_id
        self.email = email
        self.name = name or email
        self.locale = locale
        self.principal = principal
        self.is_active = True

    def get_id(self) -> str:
        """The id Flask-Login keeps in the session."""
        return str(self.id)

    def can(self, permission: str) -> bool:
        """True when the user holds `permission`."""
        return self.principal.can(permission)


def load_staff_user(connection: sa.Connection, user_id: int) -> StaffUser | None:
    """The active user with this id and their permissions (one query), or None.

    Run on every request, so disabling a user or changing their roles takes effect at once.
    """
    rows = connection.execute(_USER_LOOKUP, {"user_id": user_id}).all()
    if not rows or not rows[0].is_active:
        return None
    first = rows[0]
    principal = Principal(
        user_id=first.id, label=first.email, is_superuser=bool(first.is_superuser),
        permissions=frozenset(row.permission for row in rows if row.permission is not None),
    )
    return StaffUser(first.id, first.email, first.name, first.locale, principal)


def staff_user() -> StaffUser | None:
    """The logged-in staff user of this request, or None."""
    if not has_request_context():
        return None
    user = current_user._get_current_object()  # type: ignore[attr-defined]
    return user if isinstance(user, StaffUser) else None


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


def set_request_principal() -> None:
    """Make the logged-in user the request's principal, so SDK permission checks see them."""
    user = staff_user()
    if user is not None and g.get("payvand_principal") is None:
        g.payvand_principal = user.principal
