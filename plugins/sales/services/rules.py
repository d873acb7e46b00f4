"""The record rules of the sales plugin: who may see and change which rows, and who may own them.

One declarative place, used by every door (lists, gets by id, PDFs, state changes, pages, the
API, the customer export): `RULES` maps each model to the clause that a caller without
`sales.manage` must satisfy to see — and so to change — a row; `restrict` applies it to a
query, `may_see` checks one row. A row the caller may not see answers exactly as a missing one
(no existence oracle). Managers (`sales.manage`) and the system (jobs, the CLI, the public lead
form: caller None) see everything; `sales.document.all` (accounting) sees every quote, order,
invoice and payment but only the leads, deals and activities a rep would.

| rows | a rep (no `sales.manage`) sees and changes |
|---|---|
| leads | the leads they own |
| deals | the deals they own |
| activities | the ones they own, and those on a deal or lead they own |
| quotes | those they wrote, those on a deal they own, those of a customer they own |
| orders | those that count for them (`owner_id`), those they placed, those of a customer they own, those made from a quote they see |
| invoices | those of an order they see, those of a customer they own |
| payments | those on an invoice they see |

Ownership (`may_assign`): a rep may own a new lead, deal or activity themselves only, and
may not give an existing one to someone else (nor leave it unassigned); a manager or the system
may name any active user. A refused owner is refused (422 on `owner_id`), never silently
replaced by the caller.

DESIGN.md plans record rules declared to the kernel; until then these clauses are that
declaration, kept in this one module.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, Protocol

import sqlalchemy as sa
from payvand.plugins.sales import permissions as perm
from payvand.plugins.sales.models import Activity, Deal, Invoice, Lead, Order, Payment, Quote
from payvand.sdk import Customer


class Caller(Protocol):
    """Whoever acts: an API or staff principal (`user_id`), a staff user (`id`), with `can()`."""

    def can(self, permission: str) -> bool:
        """True when the caller holds `permission`."""


@dataclasses.dataclass(frozen=True)
class Scope:
    """What the rules let a caller see: everything (`owner_id` None) or only what concerns `owner_id`."""

    user_id: int | None
    owner_id: int | None
    all_documents: bool = False

    @property
    def sees_all(self) -> bool:
        """True for managers (`sales.manage`) and the system."""
        return self.owner_id is None


#: The scope of the system (jobs, the CLI, scripts): sees everything.
SYSTEM = Scope(None, None)


def scope_of(caller: Caller | Scope | None) -> Scope:
    """The scope of `caller`; None (scripts, jobs) sees everything. A user without an id sees nothing."""
    if caller is None:
        return SYSTEM
    if isinstance(caller, Scope):
        return caller
    user_id = getattr(caller, "user_id", None) or getattr(caller, "id", None)
    if caller.can(perm.MANAGE):
        return Scope(user_id, None)
    return Scope(user_id, user_id if user_id is not None else -1, bool(caller.can(perm.DOCUMENT_ALL)))


def acting() -> Caller | None:
    """The caller of the current API or staff request, or None outside a request (jobs, CLI)."""
    from flask import g, has_app_context

    return g.get("payvand_principal") if has_app_context() else None


# --------------------------------------------------------------------------- the rules


def _owned_customers(me: int) -> Any:
    return sa.select(Customer.id).where(Customer.owner_id == me)


def _owned_deals(me: int) -> Any:
    return sa.select(Deal.id).where(Deal.owner_id == me)


def _quote_ids(me: int) -> Any:
    """Ids of the quotes a rep sees: a union of indexed lookups (writer, deal, customer)."""
    return sa.union_all(sa.select(Quote.id).where(Quote.created_by_id == me),
                    sa.select(Quote.id).where(Quote.deal_id.in_(_owned_deals(me))),
                    sa.select(Quote.id).where(Quote.customer_id.in_(_owned_customers(me))))


def _order_ids(me: int) -> Any:
    """Ids of the orders a rep sees: owner, placer, customer, or a quote they see (each indexed)."""
    return sa.union_all(sa.select(Order.id).where(Order.owner_id == me),
                    sa.select(Order.id).where(Order.created_by_id == me),
                    sa.select(Order.id).where(Order.customer_id.in_(_owned_customers(me))),
                    sa.select(Order.id).where(Order.quote_id.in_(_quote_ids(me))))


def _invoice_ids(me: int) -> Any:
    """Ids of the invoices a rep sees: of an order they see, or of a customer they own (each indexed)."""
    return sa.union_all(sa.select(Invoice.id).where(Invoice.customer_id.in_(_owned_customers(me))),
                    sa.select(Invoice.id).where(Invoice.order_id.in_(_order_ids(me))))


#: Per model, the clause a rep's rows satisfy (`me` is the rep's user id).
RULES: dict[type, Callable[[int], Any]] = {
    Lead: lambda me: Lead.owner_id == me,
    Deal: lambda me: Deal.owner_id == me,
    Activity: lambda me: sa.or_(Activity.owner_id == me, Activity.deal_id.in_(_owned_deals(me)),
                                Activity.lead_id.in_(sa.select(Lead.id).where(Lead.owner_id == me))),
    # documents: the id sets above, so that a rep's list reads their rows by index whatever the table's size
    Quote: lambda me: Quote.id.in_(_quote_ids(me)),
    Order: lambda me: Order.id.in_(_order_ids(me)),
    Invoice: lambda me: Invoice.id.in_(_invoice_ids(me)),
    Payment: lambda me: Payment.invoice_id.in_(_invoice_ids(me)),
}


#: The documents that `sales.document.all` (accounting) sees and works on, whoever they belong to.
DOCUMENTS = (Quote, Order, Invoice, Payment)


def clause(model: type, caller: Caller | Scope | None) -> Any:
    """The SQL condition on `model` rows that `caller` may see, or None when they see every row."""
    scope = scope_of(caller)
    if scope.sees_all or (scope.all_documents and model in DOCUMENTS):
        return None
    return RULES[model](scope.owner_id)


def restrict(query: Any, model: type, caller: Caller | Scope | None) -> Any:
    """`query` over `model` narrowed to the rows `caller` may see."""
    condition = clause(model, caller)
    return query if condition is None else query.where(condition)


def may_see(s: Any, model: type, row_id: int, caller: Caller | Scope | None) -> bool:
    """Whether `caller` may see (and so change) the `model` row `row_id` (one indexed query; False if missing)."""
    query = restrict(sa.select(model.id).where(model.id == row_id), model, caller)
    return s.scalar(query) is not None


# --------------------------------------------------------------------------- ownership


def may_assign(caller: Caller | Scope | None, owner_id: int | None, current: Any = ...) -> bool:
    """Whether `caller` may make `owner_id` the owner of a row now owned by `current`.

    `current` is omitted for a new row. A rep may own a new row themselves only, and may keep an
    existing row's owner or take it over (they see it, so it is theirs or on their deal); a
    manager or the system may name anyone (whether the user exists is checked by the caller).
    """
    scope = scope_of(caller)
    if scope.sees_all or owner_id == scope.user_id:
        return True
    return current is not ... and owner_id == current
