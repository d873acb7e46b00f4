"""Lines and totals of a document: exact decimals, priced by `pricing` (rounding per line, taxes
per rate), refused with DocumentError (422, field `lines` / `lines.N`) when malformed.

    inputs = [line_input(n, quantity=q, unit_price=p, tax_rate=r) for n, (q, p, r) in enumerate(rows)]
    totals = compute_totals(inputs, "IRR")          # pricing.DocumentTotals
    set_totals(document, totals)                     # subtotal, discount_total, tax_total, total
    for row, amounts in zip(rows, line_amounts(totals)): ...   # discount, net, tax, total per line
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from payvand.core.digits import plain_decimal
from payvand.core.documents import pricing
from payvand.core.documents.errors import DocumentError

#: The largest document total stored (the kit's money columns hold 16 integer digits).
MAX_AMOUNT = Decimal("1e15")


def line_input(n: int, *, quantity: Decimal, unit_price: Decimal, tax_rate: Decimal, description: str = "",
               discount_percent: Decimal | None = None, discount_amount: Decimal | None = None) -> pricing.LineInput:
    """Line `n` (0-based) for `compute_totals`; DocumentError 422 on `lines.N` (or its discount) when invalid."""
    field = f"lines.{n}"
    if discount_percent is not None and discount_amount is not None:
        raise DocumentError("Give a percent or an amount discount, not both.", field=f"{field}.discount_amount")
    try:
        discount = None
        if discount_percent is not None:
            discount = pricing.percent_off(discount_percent)
        elif discount_amount is not None:
            discount = pricing.amount_off(discount_amount)
        return pricing.LineInput(quantity=quantity, unit_price=unit_price, tax_rate=tax_rate, discount=discount,
                                 description=description)
    except (ValueError, TypeError) as exc:
        raise DocumentError(str(exc), field=field) from None


def compute_totals(inputs: Sequence[pricing.LineInput], currency: str,
                   max_total: Decimal = MAX_AMOUNT) -> pricing.DocumentTotals:
    """The exact totals of a document's lines in `currency`; DocumentError 422 on `lines` when there
    are none, the figures are invalid or the total exceeds `max_total`."""
    if not inputs:
        raise DocumentError("A document needs at least one line.", field="lines")
    try:
        totals = pricing.compute_document(inputs, currency)
    except ValueError as exc:
        raise DocumentError(str(exc), field="lines") from None
    if totals.total > max_total:
        raise DocumentError(f"The total must not exceed {max_total:f}.", field="lines")
    return totals


def line_amounts(totals: pricing.DocumentTotals) -> list[dict[str, Decimal]]:
    """Per line, the stored figures: discount (line and document share), net, tax and total."""
    return [{"discount": a.discount + a.document_discount, "net": a.net, "tax": a.tax, "total": a.total}
            for a in totals.lines]


def set_totals(document: Any, totals: pricing.DocumentTotals) -> None:
    """Copy the totals onto a document: `subtotal`, `discount_total`, `tax_total`, `total`."""
    document.subtotal = totals.subtotal
    document.discount_total = totals.discount_total
    document.tax_total = totals.tax_total
    document.total = totals.total


def tax_summary(lines: Sequence[Any]) -> dict[Decimal, Decimal]:
    """Tax per rate (ascending) of a stored document's lines (`tax_rate`, `tax`), as printed on it."""
    by_rate: dict[Decimal, Decimal] = {}
    for line in lines:
        rate = Decimal(line.tax_rate).normalize()
        by_rate[rate] = by_rate.get(rate, Decimal(0)) + line.tax
    return dict(sorted(by_rate.items()))


def plain(amount: Decimal) -> str:
    """An amount as a plain decimal string without trailing zeros ("12.5", "1375000")."""
    return plain_decimal(amount)
