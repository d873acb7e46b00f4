"""Whoever acts: one `Actor` type for staff users, API tokens, system jobs and signed-in customers.

Every service, hook and page that needs to know who is acting takes an `Actor`. What an actor
may do is `can(permission)`; what it is bound to depends on its kind:

| kind | bound to | `can(p)` |
|---|---|---|
| `user` | `user_id` (a staff member signed in to the staff UI) | superuser, or `p` granted by a role |
| `token` | `user_id` and `token_id`, `scopes` | as the user, and only within the token's scopes |
| `customer` | `customer_id` (signed in to the customer portal) | only the permissions it was given |
| `system` | nothing (jobs, the CLI, scripts, trusted public entry points) | everything |
| `anonymous` | nothing (a request nobody signed in to) | nothing |

The staff UI's login manager holds the actor itself (hence `is_authenticated`, `get_id`).
"""

from __future__ import annotations

import dataclasses
from typing import Literal

from payvand.core.permissions import scope_allows

ActorKind = Literal["user", "token", "customer", "system", "anonymous"]


@dataclasses.dataclass(frozen=True)
class Actor:
    """Who is acting, what they may do and what they are bound to (see the module docstring)."""

    kind: ActorKind = "system"
    label: str = "system"
    user_id: int | None = None
    token_id: int | None = None
    customer_id: int | None = None
    is_superuser: bool = False
    permissions: frozenset[str] = frozenset()
    scopes: tuple[str, ...] | None = None
    name: str = ""
    locale: str | None = None

    # ------------------------------------------------------------------ constructors

    @classmethod
    def user(cls, user_id: int, label: str, *, is_superuser: bool = False,
             permissions: frozenset[str] = frozenset(), name: str = "", locale: str | None = None) -> Actor:
        """A staff member signed in to the staff UI (`label` is their email)."""
        return cls("user", label, user_id=user_id, is_superuser=is_superuser, permissions=permissions,
                   name=name or label, locale=locale)

    @classmethod
    def token(cls, user_id: int, label: str, token_id: int, scopes: tuple[str, ...], *,
              is_superuser: bool = False, permissions: frozenset[str] = frozenset()) -> Actor:
        """A staff member's API token: the user's permissions, limited to the token's scopes."""
        return cls("token", label, user_id=user_id, token_id=token_id, scopes=scopes,
                   is_superuser=is_superuser, permissions=permissions, name=label)

    @classmethod
    def customer(cls, customer_id: int, label: str, *, permissions: frozenset[str] = frozenset(),
                 locale: str | None = None) -> Actor:
        """A customer signed in to the portal; sees only what record rules bind to `customer_id`."""
        return cls("customer", label, customer_id=customer_id, permissions=permissions, name=label, locale=locale)

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        """The system (a job, the CLI, a script, a trusted public entry point), named by `label`."""
        return cls("system", label, name=label)

    # ------------------------------------------------------------------ what it may do

    def can(self, permission: str) -> bool:
        """True when the actor holds `permission` (a token only within its scopes)."""
        if self.kind == "system":
            return True
        if self.kind == "anonymous":
            return False
        if self.scopes is not None and not scope_allows(self.scopes, permission):
            return False
        return self.is_superuser or permission in self.permissions

    @property
    def is_system(self) -> bool:
        """True for the system, which every record rule lets through."""
        return self.kind == "system"

    @property
    def is_staff(self) -> bool:
        """True for a staff user or one of their API tokens."""
        return self.kind in ("user", "token")

    # ------------------------------------------------------------------ Flask-Login

    @property
    def is_authenticated(self) -> bool:
        """Flask-Login: a signed-in user or customer."""
        return self.kind in ("user", "token", "customer")

    @property
    def is_active(self) -> bool:
        """Flask-Login: inactive users never become actors."""
        return self.is_authenticated

    @property
    def is_anonymous(self) -> bool:
        """Flask-Login: nobody signed in."""
        return self.kind == "anonymous"

    def get_id(self) -> str:
        """Flask-Login: the id kept in the staff session."""
        return str(self.user_id)


#: The system: jobs, scripts and the CLI when nothing more specific is known.
SYSTEM = Actor.system()

#: Nobody signed in (a public page's request): may do nothing and sees no protected row.
ANONYMOUS = Actor("anonymous", "anonymous")


def current_actor() -> Actor:
    """The actor of the current request (staff user or API token), `ANONYMOUS` in a request
    nobody signed in to, and `SYSTEM` outside requests (jobs, the CLI)."""
    from flask import g, has_request_context

    if not has_request_context():
        from flask import has_app_context

        if has_app_context():
            found = g.get("payvand_actor")
            if found is not None:
                return found
        return SYSTEM
    found = g.get("payvand_actor")
    return found if found is not None else ANONYMOUS
