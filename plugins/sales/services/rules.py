"""The record rules of the sales plugin: who may see and change which rows, and who may own them.

One declarative place, used by every door (lists, gets by id, PDFs, state changes, pages, the
API, the customer export): `RULES` maps each model to the rule that a caller without
`sales.manage` must satisfy to see — and so to change — a row; `restrict` applies it to a
query, `may_see` checks one row, `page` reads a keyset page of a list. Each document rule is
declared in two equivalent forms next to each other — per row (primary-key probes) and as a
set of ids (indexed lookups) — so that a page costs about the same for a rep with three
orders and for one with thousands (see `page`, and `benchmarks/sales_rules.py`). A row the caller may not see answers exactly as a missing one
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
import functools
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from payvand.plugins.sales import permissions as perm
from payvand.plugins.sales.models import Activity, Deal, Invoice, Lead, Order, Payment, Quote
from payvand.sdk import Actor, Customer, current_actor
from sqlalchemy.orm import aliased


#: Whoever acts (the kernel's one actor type); None in older signatures means the system.
Caller = Actor


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
    user_id = caller.user_id
    if caller.can(perm.MANAGE):
        return Scope(user_id, None)
    return Scope(user_id, user_id if user_id is not None else -1, bool(caller.can(perm.DOCUMENT_ALL)))


def acting() -> Caller:
    """The actor of the current API or staff request; the system outside a request (jobs, CLI)."""
    return current_actor()


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


# Row forms: each EXISTS reads its own alias, so that it never correlates with a table the
# enclosing query happens to join (the export joins payments to invoices, for instance).


def _customer_owned(column: Any, me: int) -> Any:
    customer = aliased(Customer)
    return sa.exists().where(customer.id == column, customer.owner_id == me)


def _quote_seen(me: int, quote: Any = Quote) -> Any:
    """A quote row a rep sees: they wrote it, or its deal or its customer is theirs (primary-key probes)."""
    deal = aliased(Deal)
    return sa.or_(quote.created_by_id == me, sa.exists().where(deal.id == quote.deal_id, deal.owner_id == me),
                  _customer_owned(quote.customer_id, me))


def _order_seen(me: int, order: Any = Order) -> Any:
    """An order row a rep sees: it counts for them, they placed it, its customer is theirs, or its quote is seen."""
    quote = aliased(Quote)
    return sa.or_(order.owner_id == me, order.created_by_id == me, _customer_owned(order.customer_id, me),
                  sa.exists().where(quote.id == order.quote_id, _quote_seen(me, quote)))


def _invoice_seen(me: int, invoice: Any = Invoice) -> Any:
    """An invoice row a rep sees: its customer is theirs, or its order is seen."""
    order = aliased(Order)
    return sa.or_(_customer_owned(invoice.customer_id, me),
                  sa.exists().where(order.id == invoice.order_id, _order_seen(me, order)))


def _payment_seen(me: int) -> Any:
    """A payment row a rep sees: its invoice is seen."""
    invoice = aliased(Invoice)
    return sa.exists().where(invoice.id == Payment.invoice_id, _invoice_seen(me, invoice))


@dataclasses.dataclass(frozen=True)
class Rule:
    """One rule in its two equivalent forms.

    `row(me)` tests each row by primary-key probes (cost per row: a get by id, or a list walked
    newest first where the rep's rows are frequent); `ids(me)`, when given, is the same set as a
    union of indexed lookups (cost: the rep's whole set; the fast way where their rows are rare).
    `page()` uses both; `tests/sales/test_access_rules.py` checks that they agree."""

    row: Callable[[int], Any]
    ids: Callable[[int], Any] | None = None


#: Per model, the rule a rep's rows satisfy (`me` is the rep's user id).
RULES: dict[type, Rule] = {
    Lead: Rule(lambda me: Lead.owner_id == me),
    Deal: Rule(lambda me: Deal.owner_id == me),
    Activity: Rule(lambda me: sa.or_(Activity.owner_id == me, Activity.deal_id.in_(_owned_deals(me)),
                                     Activity.lead_id.in_(sa.select(Lead.id).where(Lead.owner_id == me)))),
    Quote: Rule(_quote_seen, _quote_ids),
    Order: Rule(_order_seen, _order_ids),
    Invoice: Rule(_invoice_seen, _invoice_ids),
    Payment: Rule(_payment_seen,
                  lambda me: sa.select(Payment.id).where(Payment.invoice_id.in_(_invoice_ids(me)))),
}


#: The documents that `sales.document.all` (accounting) sees and works on, whoever they belong to.
DOCUMENTS = (Quote, Order, Invoice, Payment)


def clause(model: type, caller: Caller | Scope | None) -> Any:
    """The SQL condition on `model` rows that `caller` may see, or None when they see every row."""
    scope = scope_of(caller)
    if scope.sees_all or (scope.all_documents and model in DOCUMENTS):
        return None
    return _row_form(model, scope.owner_id)


@functools.lru_cache(maxsize=512)
def _row_form(model: type, me: int) -> Any:
    """`RULES[model].row(me)`, built once per rep (building the nested EXISTS costs more than running it)."""
    return RULES[model].row(me)


@functools.lru_cache(maxsize=512)
def _ids_form(model: type, me: int) -> Any:
    """`RULES[model].ids(me)` (or the row form's ids), built once per rep."""
    rule = RULES[model]
    return rule.ids(me) if rule.ids is not None else sa.select(model.id).where(rule.row(me))


def id_set(model: type, caller: Caller | Scope | None) -> Any:
    """The ids of the `model` rows `caller` may see as one indexed union, or None when they see every row."""
    scope = scope_of(caller)
    if clause(model, caller) is None:
        return None
    return _ids_form(model, scope.owner_id)


def restrict(query: Any, model: type, caller: Caller | Scope | None) -> Any:
    """`query` over `model` narrowed to the rows `caller` may see."""
    condition = clause(model, caller)
    return query if condition is None else query.where(condition)


def may_see(s: Any, model: type, row_id: int, caller: Caller | Scope | None) -> bool:
    """Whether `caller` may see (and so change) the `model` row `row_id` (one indexed query; False if missing)."""
    query = restrict(sa.select(model.id).where(model.id == row_id), model, caller)
    return s.scalar(query) is not None


def _newest_ids(ids: Any, model: type, where: list[Any], limit: int) -> Any:
    """`ids` narrowed to `where`, each branch of its union ordered by id and cut to `limit` + 1 rows.

    Each branch then reads at most a page by its index, and PostgreSQL does not hash the whole
    union and walk the table by id to probe it (40 ms for a rep with four orders among 300,000)."""
    branches = ids.selects if isinstance(ids, sa.CompoundSelect) else [ids]
    cut = [branch.where(*where).order_by(model.id.desc()).limit(limit + 1).subquery() for branch in branches]
    return sa.union_all(*(sa.select(part.c.id) for part in cut))


#: How many rows per row of the page `page()` walks newest first before it reads the rep's id set.
WALK = 40


def page(s: Any, model: type, caller: Caller | Scope | None, *conditions: Any, before_id: int | None = None,
         limit: int = 50, walk: int = WALK) -> list[Any]:
    """Up to `limit` + 1 `model` rows that `caller` may see and that satisfy `conditions`, newest (highest id) first.

    Bounded by the page rather than by the rep's volume or the table. With `cap` = `WALK` ×
    (`limit` + 1): a rep whose id set (`Rule.ids`) holds fewer than `cap` rows — counted with a
    LIMIT, so at most `cap` index entries are read — gets their page from that set; anyone else
    gets it by testing the newest `cap` rows below `before_id` one by one (`Rule.row`, primary-key
    probes), which fills it unless their rows are rarer than one in `WALK`; only then are the rows
    below that window read through the id set."""
    where = [c for c in conditions if c is not None]
    if before_id is not None:
        where.append(model.id < before_id)
    newest = sa.select(model).where(*where).order_by(model.id.desc())
    ids = id_set(model, caller)
    if ids is None:
        return list(s.scalars(newest.limit(limit + 1)))
    cap = walk * (limit + 1)
    few = s.scalar(sa.select(sa.func.count()).select_from(
        sa.select(sa.literal(1)).select_from(ids.subquery()).limit(cap).subquery()))
    if few < cap:
        return list(s.scalars(newest.where(model.id.in_(_newest_ids(ids, model, where, limit))).limit(limit + 1)))
    # the window as a range of ids, so that the database walks the primary key backwards and stops at a full page
    floor = s.scalar(sa.select(model.id).where(*where).order_by(model.id.desc()).offset(cap - 1).limit(1))
    window = newest.where(clause(model, caller))
    rows = list(s.scalars((window if floor is None else window.where(model.id >= floor)).limit(limit + 1)))
    if len(rows) > limit or floor is None:
        return rows  # a full page, or the window reached the end of the table
    below = [*where, model.id < floor]
    rest = newest.where(model.id < floor, model.id.in_(_newest_ids(ids, model, below, limit))).limit(limit + 1 - len(rows))
    return rows + list(s.scalars(rest))


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
