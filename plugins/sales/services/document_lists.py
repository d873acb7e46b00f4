"""The quote, order and invoice lists (API and staff pages) on the list kit (`payvand.sdk.lists`).

Each list filters by `status` (a state of the document's flow) and `customer_id`, newest first
by id, with the kit's opaque cursor (a status without a `(status, id)` index — invoices — walks
the ids when common and is read from its index when rare, `by_share`); the record rules of the model are applied by the kit,
and the base select reads a rep's few rows from their id set (`rules.narrowed`). The pages and
the API read the same descriptions, so their parameters cannot drift apart.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from payvand.plugins.sales.models import Invoice, Order, Quote
from payvand.plugins.sales.services import rules
from payvand.plugins.sales.services.document_base import INVOICE_FLOW, ORDER, QUOTE_FLOW
from payvand.sdk import Column, Filter, ListContext, ListSpec, Sort, SortKey, by_share
from payvand.sdk import lazy_gettext as _l
from payvand.sdk.documents import StatusFlow

#: Rows per page unless `limit` says otherwise, and the most a page may hold.
PAGE_SIZE = 50
MAX_PAGE = 200


def _indexed_with_id(model: Any, column: str) -> bool:
    """True when `model` has an index `(column, id)`, which serves the newest-first order."""
    return any([c.name for c in index.columns] == [column, "id"] for index in model.__table__.indexes)


def _spec(name: str, model: Any, flow: StatusFlow, date: str, date_label: Any) -> ListSpec:
    def base(context: ListContext) -> Any:
        if context.session is None or context.actor is None:
            return sa.select(model)
        return rules.narrowed(context.session, model, context.actor)

    return ListSpec(
        name=name,
        model=model,
        columns=(
            Column("number", _l("Number")),
            Column("customer_id", _l("Customer"), format="id"),
            Column("status", _l("Status"), value=lambda row: str(flow.label(row.status))),
            Column(date, date_label, format="datetime" if date.endswith("_at") else "date"),
            Column("total", _l("Total"), format="number"),
            Column("currency", _l("Currency")),
        ),
        filters=(
            Filter("status", "choice", column=model.status, label=_l("Status"),
                   choices=lambda: [(state, flow.label(state)) for state in flow.states],
                   apply=by_share(model.status, served=("newest",) if _indexed_with_id(model, "status") else ())),
            Filter("customer_id", "id", column=model.customer_id, label=_l("Customer number")),
        ),
        sorts=(Sort("newest", (SortKey(model.id, "id", "id", descending=True),), label=_l("Newest first")),),
        default_limit=PAGE_SIZE,
        max_limit=MAX_PAGE,
        base=base,
    )


#: The quote list: `status` (draft, sent, accepted, rejected, expired), `customer_id`; newest first.
QUOTES = _spec("sales.quotes", Quote, QUOTE_FLOW, "created_at", _l("Date"))
#: The order list: `status` (placed, paid, shipped, delivered, cancelled, returned), `customer_id`; newest first.
ORDERS = _spec("sales.orders", Order, ORDER, "placed_at", _l("Placed"))
#: The invoice list: `status` (unpaid, partially_paid, paid, overpaid, void), `customer_id`; newest first.
INVOICES = _spec("sales.invoices", Invoice, INVOICE_FLOW, "issued_at", _l("Issued"))

#: The query arguments of each list (for the API's OpenAPI document).
QuoteListArgs = QUOTES.args_schema("QuoteListArgs")
OrderListArgs = ORDERS.args_schema("OrderListArgs")
InvoiceListArgs = INVOICES.args_schema("InvoiceListArgs")

