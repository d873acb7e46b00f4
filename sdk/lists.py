"""payvand.sdk.lists: declarative lists — API arguments, SQL, OpenAPI, the list macro and CSV.

Declare a `ListSpec` of `Column`s, `Filter`s and `Sort`s (each a `SortKey` tuple); from it
`list_args` validates a request's query arguments (400 with field messages), `api_page`
answers one keyset page of an API list (record rules applied, one opaque cursor), `list_view`
builds what the Jinja macro `macros/list.html` renders on a staff page, and `csv_response`
streams the same rows as CSV. `ListContext`, `Page` and `ListView` are what a spec's hooks and
pages receive; `Drive` lets a filter read the page from its own index instead of narrowing it, `Either` an
OR filter have each arm read apart in the page's order and merged;
`BadCursor` is what a tampered or foreign cursor raises. `ListSpec.describe()`
reads the filters as data (marketing segments build on it). `customer_list()` is the customer
list itself (the Customers page and `GET /api/v1/customers`): a segment chooses its customers
with the same filters (`describe()`, `args_schema()`, `select()`).

Stability: every name is stable (semantic versioning) except those in `PROVISIONAL`, which may
change in any minor release: `ListContext` (what a spec's callables receive may grow), `Drive`
(a filter that reads the page from its own index, joined), `Either` (an OR read arm by arm
and merged; new with the name-prefix work), `by_share` and `unindexed` (filters
that read about one page under every sort; new in the scale work), `customer_list` and
`customer_ids` (segments by the customer list's filters; new with the NPS survey).
"""

from __future__ import annotations

from typing import Any

from payvand.core.listing import (
    BadCursor,
    Column,
    Drive,
    Either,
    Filter,
    ListContext,
    ListSpec,
    ListView,
    Page,
    Sort,
    SortKey,
    api_page,
    by_share,
    csv_response,
    list_args,
    list_view,
    unindexed,
)

__all__ = [
    "ListSpec", "Column", "Filter", "Sort", "SortKey",
    "list_args", "api_page", "list_view", "csv_response",
    "ListContext", "Drive", "Either", "Page", "ListView", "BadCursor", "by_share", "unindexed",
    "customer_list", "customer_ids",
]

#: Names that may change in a minor release (the rest are stable).
PROVISIONAL: frozenset[str] = frozenset({"ListContext", "Drive", "Either", "by_share", "unindexed", "customer_list",
                                         "customer_ids"})


def customer_list() -> ListSpec:
    """The customer list of the Customers page and `GET /api/v1/customers`, as its `ListSpec`.

    Its `describe()` gives the filters as data (names, operators, parameters, choices), its
    `args_schema()()` validates a mapping of them with field messages (`load` raises
    `ValidationError`), and `customer_ids` below turns validated filters into the matching
    customers: a segment chosen with the page's own filters.
    """
    from payvand.core.services.customer_list import CUSTOMERS

    return CUSTOMERS


def customer_ids(session: Any, filters: Any, actor: Any) -> Any:
    """A select of the ids of the customers matching validated `filters` of `customer_list()`
    (merged-away customers left out, the record rules of `actor` applied), unordered: add
    `.order_by()`/`.where()` to walk it in batches, or count it."""
    from payvand.core.models import Customer

    spec = customer_list()
    return spec.select(filters, spec.context(session, actor)).with_only_columns(Customer.id)
