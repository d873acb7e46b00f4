"""What the sales documents (quotes, orders, invoices) share on top of the kernel's document kit
(`payvand.sdk.documents`): their settings, status flows with labels, visibility checks, lines
priced from a price list, and numbers per fiscal year from `sales_counter`.

Numbers ("Q-1405-000001", "O-…", "INV-…") come from the kit's `next_number` on `sales_counter`:
one `INSERT … ON CONFLICT DO UPDATE … RETURNING` locks the counter row until the transaction
ends, so two documents never get the same number and a rolled-back document gives its number back.
"""

from __future__ import annotations

import datetime as dt
import decimal
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from payvand.plugins.sales import pricing
from payvand.plugins.sales.models import Counter, Deal, Invoice, Order, PriceList, Product, Quote
from payvand.plugins.sales.services import catalog
from payvand.sdk import (
    N_,
    Actor,
    Customer,
    SettingSpec,
    current_actor,
    get_visible,
    local_zone,
    may_see,
    record_clause,
    setting,
    utcnow,
)
from payvand.sdk import lazy_gettext as _l
from payvand.sdk.documents import (
    MAX_AMOUNT,
    DocumentError,
    StatusFlow,
    compute_totals,
    conflict,
    line_amounts,
    line_input,
    plain,
    set_totals,
    tax_summary,
)
from payvand.sdk.documents import next_number as take_number

__all__ = ["MAX_AMOUNT", "DocumentError", "conflict", "plain", "set_totals", "tax_summary"]

VAT_RATE = "sales.vat_rate"
FISCAL_CALENDAR = "sales.fiscal_calendar"
INVOICE_DUE_DAYS = "sales.invoice_due_days"

#: The settings this area reads; declared through `payvand_settings` in the plugin's `__init__`.
SETTINGS: tuple[SettingSpec, ...] = (
    SettingSpec(VAT_RATE, str(pricing.DEFAULT_VAT_RATE), N_("VAT rate (%)"),
                N_("Value-added tax on products of the standard tax class, in percent (Iran: 10 since 1403).")),
    SettingSpec(FISCAL_CALENDAR, "jalali", N_("Fiscal calendar"),
                N_("jalali or gregorian: the year in quote, order and invoice numbers.")),
    SettingSpec(INVOICE_DUE_DAYS, 30, N_("Invoice due in (days)"), N_("Days from issue to the due date of a new invoice.")),
)
_DEFAULTS = {spec.key: spec.default for spec in SETTINGS}

#: Quotes: a draft or sent quote may be sent (again), accepted, rejected or expire.
QUOTE_FLOW = StatusFlow("quote", {
    "draft": ("sent", "accepted", "rejected", "expired"),
    "sent": ("sent", "accepted", "rejected", "expired"),
    "accepted": (), "rejected": (), "expired": (),
}, labels={"draft": _l("Draft"), "sent": _l("Sent"), "accepted": _l("Accepted"), "rejected": _l("Rejected"),
           "expired": _l("Expired")})
#: Orders: placed→paid→shipped→delivered→returned (shipped→returned: sent back before delivery), placed→cancelled.
ORDER = StatusFlow("order", {
    "placed": ("paid", "cancelled"),
    "paid": ("shipped",),
    "shipped": ("delivered", "returned"),
    "delivered": ("returned",),
    "cancelled": (),
    "returned": (),
}, labels={"placed": _l("Placed"), "paid": _l("Paid"), "shipped": _l("Shipped"), "delivered": _l("Delivered"),
           "cancelled": _l("Cancelled"), "returned": _l("Returned")})
#: Invoices: payments move the status by the paid total (`pricing.payment_status`); only an
#: invoice with nothing paid net may be voided.
INVOICE_FLOW = StatusFlow("invoice", {
    "unpaid": ("partially_paid", "paid", "overpaid", "void"),
    "partially_paid": ("unpaid", "paid", "overpaid"),
    "paid": ("unpaid", "partially_paid", "overpaid"),
    "overpaid": ("unpaid", "partially_paid", "paid"),
    "void": (),
}, labels={"unpaid": _l("Unpaid"), "partially_paid": _l("Partially paid"), "paid": _l("Paid"),
           "overpaid": _l("Overpaid"), "void": _l("Void")})
#: Order status flow: status -> statuses it may move to.
ORDER_FLOW: dict[str, tuple[str, ...]] = dict(ORDER.moves)
ORDER_STATUSES = ORDER.states
PAYMENT_METHODS = ("cash", "card", "transfer", "online", "cheque")


#: Default of the `actor` arguments: the actor of the current request (`SYSTEM` outside one: jobs, the CLI).
ACTING: Any = current_actor
KIND = {Quote: "quote", Order: "order", Invoice: "invoice"}


def actor_of(actor: Any) -> Actor:
    """The actor an `actor` argument names (`ACTING`: the current request's)."""
    return actor() if actor is ACTING else actor


def require_visible(session: Session, document: Any, actor: Any = ACTING) -> None:
    """Raise DocumentError 404 — as for a missing one — unless `actor` may see `document` (record rules, `rules.py`).

    Called first by every function that changes a quote, order or invoice, so a page or route
    that loaded the row some other way still cannot change another rep's document."""
    who = actor_of(actor)
    if record_clause(type(document), who) is not None and not may_see(session, type(document), document.id, who):
        raise DocumentError(f"There is no {KIND[type(document)]} {document.id}.", status=404)


def get_document(session: Session, model: Any, row_id: int, actor: Any) -> Any:
    """The `model` row `row_id` if `actor` may see it; DocumentError 404 otherwise (missing or not theirs)."""
    found = None
    if 1 <= row_id <= catalog.MAX_ID:
        found = get_visible(session, model, row_id, actor_of(actor))
    if found is None:
        raise DocumentError(f"There is no {KIND[model]} {row_id}.", status=404)
    return found


def check_deal(session: Session, deal_id: int | None, actor: Any = ACTING) -> None:
    """Refuse (422 on `deal_id`) a deal that does not exist or that `actor` may not see: one answer for both."""
    if deal_id is not None and (not 1 <= deal_id <= catalog.MAX_ID
                                or not may_see(session, Deal, deal_id, actor_of(actor))):
        raise DocumentError(f"There is no deal {deal_id}.", field="deal_id")


@dataclass(frozen=True, kw_only=True)
class LineIn:
    """A line as entered: a product (priced from the price list unless `unit_price` is given) or
    free text (`description` and `unit_price` required); an optional percent or amount discount
    on the whole line; `tax_rate` overrides the product's tax class."""

    quantity: Decimal
    product_id: int | None = None
    description: str | None = None
    unit_price: Decimal | None = None
    discount_percent: Decimal | None = None
    discount_amount: Decimal | None = None
    tax_rate: Decimal | None = None


# --------------------------------------------------------------------------- settings


def sales_setting(key: str) -> Any:
    """A setting of this area, or its default while the plugin's settings are not declared (yet)."""
    try:
        return setting(key)
    except KeyError:
        return _DEFAULTS[key]


def vat_rate() -> Decimal:
    """The VAT rate (percent) of the standard tax class: the `sales.vat_rate` setting."""
    try:
        rate = Decimal(str(sales_setting(VAT_RATE)).strip())
    except decimal.InvalidOperation:
        return pricing.DEFAULT_VAT_RATE
    return rate if rate.is_finite() and 0 <= rate <= 100 else pricing.DEFAULT_VAT_RATE


def fiscal_calendar() -> str:
    """`jalali` or `gregorian`: the `sales.fiscal_calendar` setting."""
    value = str(sales_setting(FISCAL_CALENDAR) or "jalali").lower()
    return value if value in ("jalali", "gregorian") else "jalali"


def local_today() -> dt.date:
    """Today in the deployment's time zone (the SDK's `local_zone()`: `core.timezone`)."""
    try:
        zone = local_zone()
    except (RuntimeError, ValueError, zoneinfo.ZoneInfoNotFoundError):  # no app running, or a bad zone name
        zone = zoneinfo.ZoneInfo("Asia/Tehran")
    return utcnow().astimezone(zone).date()


def tax_rate_for(tax_class: str, standard_rate: Decimal) -> Decimal:
    """The tax rate of a product's tax class: the VAT rate for `standard`, 0 for `exempt`."""
    return Decimal(0) if tax_class == "exempt" else standard_rate


def company_name() -> str:
    """The company name printed on documents (the core's `core.company_name` setting)."""
    try:
        return str(setting("core.company_name") or "")
    except KeyError:
        return ""


def core_currency() -> str:
    """The deployment's currency (`core.currency`, IRR by default)."""
    try:
        return str(setting("core.currency") or "IRR")
    except KeyError:
        return "IRR"


def acting_user_id() -> int | None:
    """The user of the current API or staff request (None in jobs, the CLI and outside requests)."""
    try:
        user_id = current_actor().user_id
        return int(user_id) if user_id is not None else None
    except Exception:  # noqa: BLE001 - no request, no app, or an anonymous caller
        return None


# --------------------------------------------------------------------------- numbering


def next_number(session: Session, kind: str, prefix: str, today: dt.date | None = None) -> tuple[int, int, str]:
    """Take the next number of `kind` in the current fiscal year: (year, sequence, "PREFIX-year-seq")."""
    return take_number(session, Counter, kind, prefix, today or local_today(), fiscal_calendar())  # type: ignore[arg-type]


# --------------------------------------------------------------------------- lines


def active_customer(session: Session, customer_id: int) -> Customer:
    """The customer, unless missing, merged or erased (DocumentError 422 on `customer_id`)."""
    customer = session.get(Customer, customer_id)
    if customer is None or customer.merged_into_id is not None or customer.erased_at is not None:
        raise DocumentError(f"There is no active customer {customer_id}.", field="customer_id")
    return customer


def price_list_or_default(session: Session, price_list_id: int | None) -> PriceList | None:
    """The price list named, else the default one (DocumentError 422 on `price_list_id` when missing)."""
    if price_list_id is None:
        return catalog.default_price_list(session)
    found = session.get(PriceList, price_list_id)
    if found is None:
        raise DocumentError(f"There is no price list {price_list_id}.", field="price_list_id")
    return found


def price_lines(session: Session, lines: Sequence[LineIn], price_list: PriceList | None,
                currency: str) -> tuple[list[dict[str, Any]], pricing.DocumentTotals]:
    """The column values of each line and the document's totals (one query for the products)."""
    if not lines:
        raise DocumentError("A document needs at least one line.", field="lines")
    found = catalog.products_with_prices(session, (li.product_id for li in lines if li.product_id is not None),
                                         price_list.id if price_list else None)
    standard = vat_rate()
    inputs: list[pricing.LineInput] = []
    rows: list[dict[str, Any]] = []
    for n, line in enumerate(lines):
        field = f"lines.{n}"
        product: Product | None = None
        price = line.unit_price
        if line.product_id is not None:
            if line.product_id not in found:
                raise DocumentError(f"There is no product {line.product_id}.", field=f"{field}.product_id")
            product, listed = found[line.product_id]
            if not product.active:
                raise DocumentError(f"Product {product.sku} is not active.", field=f"{field}.product_id")
            if price is None:
                price = listed
            if price is None:
                raise DocumentError(f"Product {product.sku} has no price in the price list; give a unit price.",
                                    field=f"{field}.unit_price")
        elif price is None or not line.description:
            raise DocumentError("A line without a product needs a description and a unit price.", field=field)
        description = line.description or (product.name if product else "")
        tax_class = product.tax_class if product else "standard"
        rate = line.tax_rate if line.tax_rate is not None else tax_rate_for(tax_class, standard)
        inputs.append(line_input(n, quantity=line.quantity, unit_price=price, tax_rate=rate, description=description,
                                 discount_percent=line.discount_percent, discount_amount=line.discount_amount))
        rows.append({"position": n, "product_id": product.id if product else None, "description": description[:500],
                     "quantity": line.quantity, "unit_price": price, "tax_rate": rate})
    totals = compute_totals(inputs, currency, MAX_AMOUNT)
    for row, amounts in zip(rows, line_amounts(totals), strict=True):
        row.update(amounts)
    return rows, totals


