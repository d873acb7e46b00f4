"""Exact money for quotes, orders and invoices: pure functions, no database, no Flask.

Every amount is a `decimal.Decimal` (an `int` is accepted as exact); a float anywhere raises
`TypeError`, because binary floats cannot hold 0.1 and would leak rounding errors into invoices.

Rounding rule, per line: gross = round(qty × price); net = round(qty × price − discount);
the printed discount is gross − net; tax = round(net × rate / 100); total = net + tax. Every
figure is rounded half-up to the currency's minor unit, so the printed lines always add up and
document totals are exact sums of the printed line figures.

VAT: `DEFAULT_VAT_RATE` is 10 %: the 1403 budget law raised Iran's value-added tax and duties
from 9 % to 10 % from the start of 1403 (March 2024), as the Iranian National Tax
Administration's notice no. 27 announced ("اطلاعیه شماره 27"; also reported by
en.irangate.news, "Tax organization sets VAT rate at 10 percent"). No later change was found in
the sources searched (for 1404 or 1405), so treat it as the last known rate, not a guarantee. It
is only a default: the plugin's setting overrides it per deployment, and special goods (VAT law
article 26) or exempt goods take their own rate per line.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

import jdatetime
from babel.numbers import get_currency_precision, is_currency

__all__ = [
    "DEFAULT_VAT_RATE", "Discount", "DocumentTotals", "InvoiceNumber", "LineAmounts", "LineInput",
    "PaymentStatus", "amount_off", "balance_due", "compute_document", "compute_line",
    "currency_places", "fiscal_year", "invoice_number", "next_invoice_number",
    "parse_invoice_number", "payment_status", "percent_off", "round_money",
]

#: Iran's VAT (tax + duties) in percent since 1403; see the module docstring for the source.
DEFAULT_VAT_RATE = Decimal(10)

#: Minor units that differ from Babel's (CLDR) data: rials have no subunit in practice.
_PLACES_OVERRIDE = {"IRR": 0}
_ISO_CODE = re.compile(r"[A-Z]{3}", re.ASCII)
_HUNDRED = Decimal(100)
_QTY_STEP = Decimal("0.001")
#: Enough digits that no product or sum of realistic amounts is silently rounded.
_CONTEXT = decimal.Context(prec=60, rounding=ROUND_HALF_UP)


def _exact(value: object, name: str) -> Decimal:
    """`value` as a finite Decimal; TypeError for floats and other non-exact types."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{name} must be a finite number, not {value}")
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    raise TypeError(f"{name} must be a Decimal (or int), not {type(value).__name__}")


def _percent(value: object, name: str) -> Decimal:
    """`value` as a Decimal between 0 and 100 inclusive."""
    rate = _exact(value, name)
    if not 0 <= rate <= _HUNDRED:
        raise ValueError(f"{name} must be between 0 and 100, not {rate}")
    return rate


# --- currencies ---------------------------------------------------------------------------


def currency_places(code: str) -> int:
    """Decimal places of the currency's minor unit (USD 2, KWD 3, JPY 0, IRR 0).

    `code` is an upper-case ISO 4217 code; anything else raises ValueError.
    """
    if not isinstance(code, str) or not _ISO_CODE.fullmatch(code) or not is_currency(code):
        raise ValueError(f"unknown currency {code!r}: expected an ISO 4217 code such as 'IRR'")
    return _PLACES_OVERRIDE.get(code, get_currency_precision(code))


def round_money(amount: Decimal | int, currency: str) -> Decimal:
    """`amount` rounded half-up (ties away from zero) to the currency's minor unit."""
    value = _exact(amount, "amount")
    step = Decimal(1).scaleb(-currency_places(currency))
    return value.quantize(step, context=_CONTEXT)


# --- lines and documents -------------------------------------------------------------------


@dataclass(frozen=True)
class Discount:
    """A discount: `percent` of the amount (0–100), or a fixed `amount` in the currency."""

    kind: Literal["percent", "amount"]
    value: Decimal

    def __post_init__(self) -> None:
        if self.kind == "percent":
            object.__setattr__(self, "value", _percent(self.value, "discount percent"))
        elif self.kind == "amount":
            value = _exact(self.value, "discount amount")
            if value < 0:
                raise ValueError(f"discount amount must not be negative, not {value}")
            object.__setattr__(self, "value", value)
        else:
            raise ValueError(f"discount kind must be 'percent' or 'amount', not {self.kind!r}")

    def of(self, base: Decimal) -> Decimal:
        """The unrounded discount on `base`; ValueError if a fixed amount exceeds it."""
        if self.kind == "percent":
            return base * self.value / _HUNDRED
        if self.value > base:
            raise ValueError(f"discount {self.value} is larger than the amount {base}")
        return self.value


def percent_off(value: Decimal) -> Discount:
    """A discount of `value` percent, e.g. `percent_off(Decimal("15"))`."""
    return Discount("percent", value)


def amount_off(value: Decimal) -> Discount:
    """A fixed discount of `value` in the document's currency."""
    return Discount("amount", value)


@dataclass(frozen=True, kw_only=True)
class LineInput:
    """One quote, order or invoice line as entered.

    `quantity` > 0 with at most 3 decimals, `unit_price` >= 0, `tax_rate` in percent (0–100),
    `discount` on the whole line (percent or a fixed amount, not per unit).
    """

    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal
    discount: Discount | None = None
    description: str = ""

    def __post_init__(self) -> None:
        quantity = _exact(self.quantity, "quantity")
        if quantity <= 0 or _CONTEXT.remainder(quantity, _QTY_STEP) != 0:
            raise ValueError(f"quantity must be positive with at most 3 decimals, not {quantity}")
        price = _exact(self.unit_price, "unit_price")
        if price < 0:
            raise ValueError(f"unit_price must not be negative, not {price}")
        if self.discount is not None and not isinstance(self.discount, Discount):
            raise TypeError("discount must be a Discount (percent_off or amount_off) or None")
        object.__setattr__(self, "quantity", quantity)
        object.__setattr__(self, "unit_price", price)
        object.__setattr__(self, "tax_rate", _percent(self.tax_rate, "tax_rate"))
        if self.discount is not None:
            self.discount.of(self.raw_gross)  # a fixed discount larger than the line fails here

    @property
    def raw_gross(self) -> Decimal:
        """quantity × unit_price, unrounded."""
        return _CONTEXT.multiply(self.quantity, self.unit_price)


@dataclass(frozen=True)
class LineAmounts:
    """A line's printed figures, each rounded to the currency.

    gross − discount − document_discount == net and net + tax == total, exactly.
    `discount` is the line's own; `document_discount` its share of the document's.
    """

    gross: Decimal
    discount: Decimal
    document_discount: Decimal
    net: Decimal
    tax_rate: Decimal
    tax: Decimal
    total: Decimal


@dataclass(frozen=True)
class DocumentTotals:
    """A document's figures; every total is the exact sum of the printed line figures.

    subtotal (sum of gross) − discount_total (line and document discounts) == net_total;
    total == net_total + shipping + tax_total; `tax_by_rate` (rate → tax, ascending rates,
    shipping's tax included) is the tax summary printed on invoices.
    """

    currency: str
    lines: tuple[LineAmounts, ...]
    subtotal: Decimal
    discount_total: Decimal
    net_total: Decimal
    shipping: Decimal
    shipping_tax: Decimal
    tax_by_rate: dict[Decimal, Decimal] = field(hash=False)
    tax_total: Decimal
    total: Decimal


def _with_tax(gross: Decimal, discount: Decimal, document_discount: Decimal, rate: Decimal,
              currency: str) -> LineAmounts:
    """Line figures from rounded gross and discounts: tax on the rounded net, then rounded."""
    net = gross - discount - document_discount
    tax = round_money(net * rate / _HUNDRED, currency)
    return LineAmounts(gross, discount, document_discount, net, rate, tax, net + tax)


def compute_line(line: LineInput, currency: str) -> LineAmounts:
    """The printed figures of one line (no document discount)."""
    with decimal.localcontext(_CONTEXT):
        raw = line.raw_gross
        gross = round_money(raw, currency)
        off = line.discount.of(raw) if line.discount else Decimal(0)
        net = round_money(raw - off, currency)
        return _with_tax(gross, gross - net, Decimal(0), line.tax_rate, currency)


def _spread(amount: Decimal, weights: Sequence[Decimal], currency: str) -> list[Decimal]:
    """Split `amount` over `weights` proportionally; the shares sum to `amount` exactly.

    Each share is rounded half-up; the rounding remainder goes to the largest weight. When that
    line cannot take it all (its share would drop below 0 or exceed its weight, which happens
    with many lines), the rest goes to the next largest, and so on, so 0 <= share <= weight.
    """
    total = sum(weights, Decimal(0))
    if amount > total:
        raise ValueError(f"document discount {amount} is larger than the lines' net {total}")
    if amount == 0:
        return [round_money(Decimal(0), currency)] * len(weights)
    shares = [round_money(amount * w / total, currency) for w in weights]
    remainder = amount - sum(shares, Decimal(0))
    for i in sorted(range(len(weights)), key=lambda i: -weights[i]):  # stable: first wins ties
        if remainder == 0:
            break
        room = weights[i] - shares[i] if remainder > 0 else -shares[i]
        step = min(remainder, room) if remainder > 0 else max(remainder, room)
        shares[i] += step
        remainder -= step
    return shares


def compute_document(
    lines: Sequence[LineInput],
    currency: str,
    *,
    document_discount: Discount | None = None,
    shipping: Decimal = Decimal(0),
    shipping_tax_rate: Decimal = Decimal(0),
) -> DocumentTotals:
    """The figures of a quote, order or invoice.

    `document_discount` (percent of, or an amount off, the lines' net after their own
    discounts) is spread over the lines in proportion to their net (see `_spread`) and taxed
    at each line's rate. `shipping` is not discounted and is taxed at `shipping_tax_rate`.
    """
    if document_discount is not None and not isinstance(document_discount, Discount):
        raise TypeError("document_discount must be a Discount (percent_off or amount_off) or None")
    ship = round_money(_exact(shipping, "shipping"), currency)
    if ship < 0:
        raise ValueError(f"shipping must not be negative, not {ship}")
    ship_rate = _percent(shipping_tax_rate, "shipping_tax_rate")
    with decimal.localcontext(_CONTEXT):
        own = [compute_line(line, currency) for line in lines]
        nets = [a.net for a in own]
        wanted = document_discount.of(sum(nets, Decimal(0))) if document_discount else 0
        shares = _spread(round_money(wanted, currency), nets, currency)
        amounts = tuple(
            _with_tax(a.gross, a.discount, share, a.tax_rate, currency)
            for a, share in zip(own, shares, strict=True)
        )
        ship_tax = round_money(ship * ship_rate / _HUNDRED, currency)
        zero = round_money(Decimal(0), currency)
        by_rate: dict[Decimal, Decimal] = {}
        for a in amounts:
            by_rate[a.tax_rate] = by_rate.get(a.tax_rate, zero) + a.tax
        if ship:
            by_rate[ship_rate] = by_rate.get(ship_rate, zero) + ship_tax
        subtotal = sum((a.gross for a in amounts), zero)
        discount_total = sum((a.discount + a.document_discount for a in amounts), zero)
        net_total = sum((a.net for a in amounts), zero)
        tax_total = sum(by_rate.values(), zero)
        return DocumentTotals(
            currency=currency, lines=amounts, subtotal=subtotal, discount_total=discount_total,
            net_total=net_total, shipping=ship, shipping_tax=ship_tax,
            tax_by_rate=dict(sorted(by_rate.items())), tax_total=tax_total,
            total=net_total + ship + tax_total,
        )


# --- payments ---------------------------------------------------------------------------------

PaymentStatus = Literal["unpaid", "partially_paid", "paid", "overpaid"]


def balance_due(total: Decimal, payments: Iterable[Decimal]) -> Decimal:
    """`total` minus the payments (refunds are negative payments); negative means a credit."""
    paid = sum((_exact(p, "payment") for p in payments), Decimal(0))
    return _exact(total, "total") - paid


def payment_status(total: Decimal, paid: Decimal) -> PaymentStatus:
    """Where a document of `total` stands once `paid` (payments minus refunds) came in."""
    total, paid = _exact(total, "total"), _exact(paid, "paid")
    if total < 0:
        raise ValueError(f"total must not be negative, not {total}")
    if paid > total:
        return "overpaid"
    if paid == total:
        return "paid"
    return "partially_paid" if paid > 0 else "unpaid"


# --- invoice numbers --------------------------------------------------------------------------

_NUMBER = re.compile(r"(?P<prefix>[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*)-(?P<year>\d{4})-(?P<seq>\d{6,})",
                     re.ASCII)
_PREFIX = re.compile(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*", re.ASCII)


@dataclass(frozen=True)
class InvoiceNumber:
    """The parts of an invoice number such as "INV-1405-000123"."""

    prefix: str
    year: int
    seq: int


def invoice_number(year: int, seq: int, prefix: str = "INV") -> str:
    """The number of the `seq`-th invoice (from 1) of fiscal `year`: "INV-1405-000123".

    The sequence is zero-padded to six digits and simply grows past 999999.
    """
    if not isinstance(year, int) or isinstance(year, bool) or not 1000 <= year <= 9999:
        raise ValueError(f"year must be a four-digit int, not {year!r}")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
        raise ValueError(f"seq must be an int from 1, not {seq!r}")
    if not isinstance(prefix, str) or not _PREFIX.fullmatch(prefix):
        raise ValueError(f"prefix must be ASCII letters and digits (hyphens inside), not {prefix!r}")
    return f"{prefix}-{year}-{seq:06d}"


def parse_invoice_number(number: str) -> InvoiceNumber:
    """The parts of a number made by `invoice_number`; ValueError for anything else."""
    match = _NUMBER.fullmatch(number) if isinstance(number, str) else None
    if match is None or int(match["seq"]) < 1:
        raise ValueError(f"not an invoice number: {number!r}")
    return InvoiceNumber(match["prefix"], int(match["year"]), int(match["seq"]))


def next_invoice_number(last: str | None, year: int, prefix: str = "INV") -> str:
    """The number after `last` (the latest issued with `prefix`); each year restarts at 1."""
    if last is None:
        return invoice_number(year, 1, prefix)
    previous = parse_invoice_number(last)
    if previous.prefix != prefix:
        raise ValueError(f"{last!r} does not have the prefix {prefix!r}")
    return invoice_number(year, previous.seq + 1 if previous.year == year else 1, prefix)


def fiscal_year(date: dt.date, calendar: Literal["jalali", "gregorian"]) -> int:
    """The year `date` falls in: Jalali (1 Farvardin, about March 21, starts it) or Gregorian.

    Pass the local date of issue: an aware datetime is read as is, not converted.
    """
    if not isinstance(date, dt.date):
        raise TypeError(f"date must be a datetime.date, not {type(date).__name__}")
    day = date.date() if isinstance(date, dt.datetime) else date
    if calendar == "jalali":
        return jdatetime.date.fromgregorian(date=day).year
    if calendar == "gregorian":
        return day.year
    raise ValueError(f"calendar must be 'jalali' or 'gregorian', not {calendar!r}")
