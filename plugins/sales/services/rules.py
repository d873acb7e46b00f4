"""The record rules of the sales plugin: who may see and change which rows, and who may own them.

Declared to the kernel once (`RECORD_RULES`, registered through `payvand_record_rules`), and
applied by every door through the kernel's `restrict` / `may_see` / `get_visible` (lists, gets by
id, PDFs, state changes, pages, the API, the customer export, reports). Each document rule is
declared in two equivalent forms next to each other — per row (primary-key probes; the form the
kernel applies) and as a set of ids (indexed lookups) — so that a page costs about the same for
a rep with three orders and for one with thousands (see `page`, and
`benchmarks/sales_rules.py`). A row the actor may not see answers exactly as a missing one (no
existence oracle). Managers (`sales.manage`) and the system (jobs, the CLI, the public lead
form: `SYSTEM`) see everything; `sales.document.all` (accounting) sees every quote, order,
invoice and payment but only the leads, deals and activities a rep would.

| rows | a rep (no `sales.manage`) sees and changes |
|---|---|
| leads | the leads they own |
| deals | the deals they own |
| activities | the ones they own, and those on a deal or lead they own |
| quotes | those they wrote, those on a deal they own, those of a customer they own |
| orders | those that count for them (`owner_id`), those they placed, those of a customer they own, those from a quote they see |
| invoices | those of an order they see, those of a customer they own |
| payments | those on an invoice they see |

Ownership (`may_assign`, a service rule, not a record rule): a rep may own a new lead, deal or
activity themselves only, and may not give an existing one to someone else (nor leave it
unassigned); a manager or the system may name any active user. A refused owner is refused (422
on `owner_id`), never silently replaced by the actor.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from payvand.plugins.sales import permissions as perm
from payvand.plugins.sales.models import Activity, Deal, Invoice, Lead, Order, Payment, Quote
from payvand.sdk import Actor, Customer, RecordRule

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


#: A model that a sales record rule covers (a key of `RULES`).
RuledModel = type[Lead] | type[Deal] | type[Activity] | type[Quote] | type[Order] | type[Invoice] | type[Payment]

#: Per model, the rule a rep's rows satisfy (`me` is the rep's user id).
RULES: dict[RuledModel, Rule] = {
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


def _me(actor: Actor) -> int:
    """The rep's user id; a staff actor without one sees nothing."""
    return actor.user_id if actor.user_id is not None else -1


#: What each rule lets a rep see (the table above), for `payvand plugins rules`.
_DESCRIPTIONS = {
    Lead: "a rep sees the leads they own",
    Deal: "a rep sees the deals they own",
    Activity: "a rep sees their activities and those on a deal or lead they own",
    Quote: "a rep sees the quotes they wrote, on a deal they own or of a customer they own",
    Order: "a rep sees the orders that count for them, they placed, of a customer they own or from a quote they see",
    Invoice: "a rep sees the invoices of an order they see or of a customer they own",
    Payment: "a rep sees the payments on an invoice they see",
}


def _declared(model: RuledModel) -> RecordRule:
    name = f"sales.{model.__tablename__.removeprefix('sales_')}_owner"
    bypass: tuple[str, ...] = (perm.MANAGE, perm.DOCUMENT_ALL) if model in DOCUMENTS else (perm.MANAGE,)
    return RecordRule(name=name, model=model, clause=lambda actor: _row_form(model, _me(actor)), bypass=bypass,
                      description=_DESCRIPTIONS[model])


#: The sales record rules, one per model, declared to the kernel through `payvand_record_rules`.
RECORD_RULES: tuple[RecordRule, ...] = tuple(_declared(model) for model in RULES)


def _declared_rule(model: RuledModel) -> RecordRule:
    return next(rule for rule in RECORD_RULES if rule.model is model)


@functools.lru_cache(maxsize=512)
def _row_form(model: RuledModel, me: int) -> Any:
    """`RULES[model].row(me)`, built once per rep (building the nested EXISTS costs more than running it)."""
    return RULES[model].row(me)


@functools.lru_cache(maxsize=512)
def _ids_form(model: RuledModel, me: int) -> Any:
    """`RULES[model].ids(me)` (or the row form's ids), built once per rep."""
    rule = RULES[model]
    return rule.ids(me) if rule.ids is not None else sa.select(model.id).where(rule.row(me))


def id_set(model: RuledModel, actor: Actor) -> Any:
    """The ids of the `model` rows the sales rule lets `actor` see as one indexed union, or None
    when that rule does not narrow `actor` (the system, a bypass permission, a non-staff actor)."""
    rule = _declared_rule(model)
    if not actor.is_staff or any(actor.can(permission) for permission in rule.bypass or ()):
        return None
    return _ids_form(model, _me(actor))


#: A rep whose rule admits fewer rows than this has their list pages read through their id set.
FEW = 2040


def narrowed(s: Any, model: RuledModel, actor: Actor, *, cap: int = FEW) -> sa.Select[Any]:
    """`select(model)`, narrowed to the ids the sales rule lets `actor` see when they are few.

    The base of the document lists (`document_lists.py`, the list kit adds the record rules
    and the keyset itself): for a rep whose id set holds fewer than `cap` rows (counted with a
    LIMIT, so at most `cap` index entries are read) the page is read from that set instead of
    walking the table newest first with a probe per row — the slow case of a rep with three
    orders among 300,000. Anyone else gets the
    plain select, which the record rule then filters row by row."""
    select = sa.select(model)
    ids = id_set(model, actor)
    if ids is None:
        return select
    few = s.scalar(sa.select(sa.func.count()).select_from(
        sa.select(sa.literal(1)).select_from(ids.subquery()).limit(cap).subquery()))
    return select.where(model.id.in_(ids)) if few < cap else select


# --------------------------------------------------------------------------- ownership


def may_assign(actor: Actor, owner_id: int | None, current: Any = ...) -> bool:
    """Whether `actor` may make `owner_id` the owner of a row now owned by `current`.

    `current` is omitted for a new row. A rep may own a new row themselves only, and may keep an
    existing row's owner or take it over (they see it, so it is theirs or on their deal); a
    manager or the system may name anyone (whether the user exists is checked by the caller).
    """
    if actor.is_system or actor.can(perm.MANAGE) or owner_id == actor.user_id:
        return True
    return current is not ... and owner_id == current
