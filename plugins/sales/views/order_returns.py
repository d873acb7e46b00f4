"""What returns took back of an order's lines, as the order page shows it.

The rows come from `sales_order_line_return` (one per line and return). A return is known to the
sales plugin only by its opaque reference (`service.return:7`); the link to it is the endpoint
`<plugin>.reference` of the plugin the reference names (`service.reference`), when that plugin
is enabled — the convention of docs/decisions.md — so this module knows no other plugin's pages.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from flask import current_app, url_for
from sqlalchemy.orm import Session

from payvand.plugins.sales.services.returns import line_returns


@dataclasses.dataclass(frozen=True)
class LineReturnView:
    """One return's units of one line: `kind` (refunded, replaced), `quantity`, the link to the
    return (None when its plugin offers none) and the replacement order's id."""

    kind: str
    quantity: Decimal
    url: str | None
    replacement_order_id: int | None


@dataclasses.dataclass
class LineReturns:
    """A line's returns and the units they took back in all (`returned`)."""

    returned: Decimal = Decimal(0)
    returns: list[LineReturnView] = dataclasses.field(default_factory=list)


def reference_url(reference: str) -> str | None:
    """The staff page of an opaque reference (`plugin.kind:id`) through the endpoint
    `<plugin>.reference` of the plugin it names, or None when that plugin offers no such page."""
    plugin = reference.split(".", 1)[0]
    endpoint = f"{plugin}.reference"
    if not plugin or endpoint not in current_app.view_functions:
        return None
    return url_for(endpoint, reference=reference)


def returns_by_line(session: Session, order_id: int) -> dict[int, LineReturns]:
    """The order's returned units per line id, with each return's link (one query)."""
    found: dict[int, LineReturns] = {}
    for row in line_returns(session, order_id):
        entry = found.setdefault(row.order_line_id, LineReturns())
        entry.returned += row.quantity
        entry.returns.append(LineReturnView(kind=row.kind, quantity=row.quantity, url=reference_url(row.reference),
                                            replacement_order_id=row.replacement_order_id))
    return found
