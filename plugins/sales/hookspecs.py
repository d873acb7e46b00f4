"""Hooks the sales plugin offers other plugins: its part of the hook contract.

Named by the sales plugin's `PluginMeta(hookspecs=...)`, so Payvand adds these specifications
when the plugins are loaded, whether sales is enabled or not: a plugin implementing them is
checked against them like against the kernel's (`payvand plugins check`), and its
implementations are called only while sales is enabled. Every hook here is a *contribution*
hook: the sales plugin calls it when it needs the other plugins' parts (`call_hook`), and each
plugin adds its own. Implementers need not import the sales plugin: the types below are for
reading (and for type checkers, under `TYPE_CHECKING`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol, TypeAlias, TypedDict

from payvand.sdk import ColumnSpec, SelectableShape, hookspec

if TYPE_CHECKING:
    import sqlalchemy as sa

    from payvand.plugins.sales.models import Invoice
    from payvand.sdk import Actor, Panel

#: The leads being scored, as `payvand_lead_score` receives them (a subquery with these columns).
LEADS_TO_SCORE = SelectableShape((
    ColumnSpec("id", int, "the lead"),
    ColumnSpec("email", str, "its email, lower-cased", nullable=True),
    ColumnSpec("phone", str, "its phone in E.164", nullable=True),
    ColumnSpec("customer_id", int, "the customer it was converted into", nullable=True),
    ColumnSpec("created_at", dt.datetime, "when it came in (UTC)"),
))

#: The rows `payvand_lead_score` returns: points for a lead under a named rule.
LEAD_POINTS = SelectableShape((
    ColumnSpec("lead_id", int, "a lead of the subquery"),
    ColumnSpec("rule", str, "a short label shown on the lead to explain the points"),
    ColumnSpec("points", int, "points to add (negative to take away)"),
))

#: What `payvand_lead_score` returns: a select of `LEAD_POINTS` rows.
LeadPointsSelect: TypeAlias = "sa.Select[tuple[int, str, int]]"


class CatalogProduct(TypedDict, total=False):
    """One product of an outside catalog; `sku`, `name`, `unit_price` and `currency` are required."""

    sku: str
    name: str
    unit_price: Decimal
    currency: str
    unit: str
    category: str
    description: str
    in_stock: bool
    tax_class: str


class OutsideCatalog(Protocol):
    """A product catalog another plugin offers the sales catalog (`payvand_catalogs`)."""

    name: str  # unique, e.g. "acme": the products' source
    title: str

    def products(self) -> Iterable[CatalogProduct]:
        """Every product of the catalog."""


@hookspec
def payvand_lead_score(leads: sa.Subquery) -> LeadPointsSelect | None:
    """Return extra lead-scoring points as a select of `LEAD_POINTS` rows, or None.

    `leads` is a subquery of the leads being scored with the `LEADS_TO_SCORE` columns (`id`,
    `email`, `phone`, `customer_id`, `created_at`). Return a `select` of rows `(lead_id, rule,
    points)`; the sales plugin adds the points to its own rules' in one set-based UPDATE, so a
    recompute over a million leads stays in SQL. Called by the sales plugin when scores are
    recomputed.
    """


@hookspec
def payvand_catalogs() -> OutsideCatalog | Sequence[OutsideCatalog] | None:
    """Return outside product catalogs this plugin makes available to the sales catalog.

    Each is an `OutsideCatalog`: `name` (unique, e.g. `acme`), `title` and `products()`, an
    iterable of `CatalogProduct` dicts. The sales plugin imports them in bulk (upsert by SKU,
    marked with the catalog's name as source) when staff synchronise a catalog.
    """


@hookspec
def payvand_invoice_views(invoice: Invoice, actor: Actor) -> Panel | Sequence[Panel] | None:
    """Return alternative billing views of `invoice` (a sales invoice with its lines and payments).

    Each Panel is offered on the invoice page as another way to show or print it (e.g. an
    official tax-authority layout); `html` is trusted markup rendered by the plugin.
    """


#: The kinds of the hooks above, for the generated reference (`docs/hooks.md`).
CONTRIBUTION_HOOKS = ("payvand_lead_score", "payvand_catalogs", "payvand_invoice_views")

#: The selectables `payvand_lead_score` takes and returns (listed in the reference).
SHAPES = {"payvand_lead_score": LEAD_POINTS}
