"""Quotes, orders, invoices and payments: lines priced from a price list, taxed by tax class,
totalled by `pricing.compute_document`, numbered per fiscal year, recorded on the timeline.

Numbers ("Q-1405-000001", "O-…", "INV-…") come from `sales_counter`, bumped with one
`INSERT … ON CONFLICT DO UPDATE … RETURNING`: PostgreSQL locks the counter row until the
transaction ends (as SELECT … FOR UPDATE would), SQLite holds its write lock, so two documents
never get the same number and a rolled-back document gives its number back.
"""

from __future__ import annotations

import datetime as dt
import decimal
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from payvand.plugins.sales import events, pricing
from payvand.plugins.sales.models import (
    Counter,
    Deal,
    Invoice,
    Order,
    OrderLine,
    Payment,
    PriceList,
    Product,
    Quote,
    QuoteLine,
)
from payvand.plugins.sales.services import catalog, quote_mail, rollup, rules
from payvand.plugins.sales.services.locking import lock_row
from payvand.sdk import (
    N_,
    SYSTEM,
    Actor,
    Customer,
    JobSpec,
    MovedRows,
    SettingSpec,
    audit,
    current_actor,
    get_visible,
    keep_text,
    local_zone,
    may_see,
    record_clause,
    record_interaction,
    record_interactions,
    restrict,
    setting,
    utcnow,
)
from payvand.sdk import session as current_session

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

#: Order status flow: status -> statuses it may move to.
ORDER_FLOW: dict[str, tuple[str, ...]] = {
    "placed": ("paid", "cancelled"),
    "paid": ("shipped",),
    "shipped": ("delivered",),
    "delivered": ("returned",),
    "cancelled": (),
    "returned": (),
}
ORDER_STATUSES = tuple(ORDER_FLOW)
PAYMENT_METHODS = ("cash", "card", "transfer", "online", "cheque")
#: The largest document total stored (the money columns hold 16 integer digits).
MAX_AMOUNT = Decimal("1e15")
#: Interaction channel per order channel (staff orders are taken in person or by phone).
_INTERACTION_CHANNEL = {"staff": "other", "web": "web", "api": "web"}


class DocumentError(Exception):
    """A document rule was broken: `status` 404 (missing), 409 (wrong state) or 422 (invalid `field`)."""

    def __init__(self, message: str, *, status: int = 422, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.field = field


def _conflict(session: Session, message: str) -> DocumentError:
    """A 409 for a write the database refused by a constraint: the transaction is rolled back."""
    session.rollback()
    return DocumentError(message, status=409)


#: Default of the `actor` arguments: the actor of the current request (`SYSTEM` outside one: jobs, the CLI).
ACTING: Any = current_actor
_KIND = {Quote: "quote", Order: "order", Invoice: "invoice"}


def _actor(actor: Any) -> Actor:
    return actor() if actor is ACTING else actor


def require_visible(session: Session, document: Any, actor: Any = ACTING) -> None:
    """Raise DocumentError 404 — as for a missing one — unless `actor` may see `document` (`rules.py`).

    Called first by every function that changes a quote, order or invoice, so a page or route
    that loaded the row some other way still cannot change another rep's document."""
    who = _actor(actor)
    if record_clause(type(document), who) is not None and not may_see(session, type(document), document.id, who):
        raise DocumentError(f"There is no {_KIND[type(document)]} {document.id}.", status=404)


def _get(session: Session, model: Any, row_id: int, actor: Any) -> Any:
    """The `model` row `row_id` if `actor` may see it; DocumentError 404 otherwise (missing or not theirs)."""
    found = None
    if 1 <= row_id <= catalog.MAX_ID:
        found = get_visible(session, model, row_id, _actor(actor))
    if found is None:
        raise DocumentError(f"There is no {_KIND[model]} {row_id}.", status=404)
    return found


def _check_deal(session: Session, deal_id: int | None, actor: Any = ACTING) -> None:
    """Refuse (422 on `deal_id`) a deal that does not exist or that `actor` may not see: one answer for both."""
    if deal_id is not None and (not 1 <= deal_id <= catalog.MAX_ID
                                or not may_see(session, Deal, deal_id, _actor(actor))):
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


def _setting(key: str) -> Any:
    try:
        return setting(key)
    except KeyError:  # the plugin's settings are not declared (yet): use the defaults
        return _DEFAULTS[key]


def vat_rate() -> Decimal:
    """The VAT rate (percent) of the standard tax class: the `sales.vat_rate` setting."""
    try:
        rate = Decimal(str(_setting(VAT_RATE)).strip())
    except decimal.InvalidOperation:
        return pricing.DEFAULT_VAT_RATE
    return rate if rate.is_finite() and 0 <= rate <= 100 else pricing.DEFAULT_VAT_RATE


def fiscal_calendar() -> str:
    """`jalali` or `gregorian`: the `sales.fiscal_calendar` setting."""
    value = str(_setting(FISCAL_CALENDAR) or "jalali").lower()
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


# --------------------------------------------------------------------------- numbering


def next_number(session: Session, kind: str, prefix: str, today: dt.date | None = None) -> tuple[int, int, str]:
    """Take the next number of `kind` in the current fiscal year: (year, sequence, "PREFIX-year-seq")."""
    year = pricing.fiscal_year(today or local_today(), fiscal_calendar())  # type: ignore[arg-type]
    table = cast(sa.Table, Counter.__table__)
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = (insert(table).values(kind=kind, year=year, last=1)
                 .on_conflict_do_update(index_elements=[table.c.kind, table.c.year], set_={"last": table.c.last + 1})
                 .returning(table.c.last))
    seq = int(session.execute(statement).scalar_one())
    return year, seq, pricing.invoice_number(year, seq, prefix)


# --------------------------------------------------------------------------- lines


def _customer(session: Session, customer_id: int) -> Customer:
    customer = session.get(Customer, customer_id)
    if customer is None or customer.merged_into_id is not None or customer.erased_at is not None:
        raise DocumentError(f"There is no active customer {customer_id}.", field="customer_id")
    return customer


def _price_list(session: Session, price_list_id: int | None) -> PriceList | None:
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
        discount = None
        if line.discount_percent is not None and line.discount_amount is not None:
            raise DocumentError("Give a percent or an amount discount, not both.", field=f"{field}.discount_amount")
        try:
            if line.discount_percent is not None:
                discount = pricing.percent_off(line.discount_percent)
            elif line.discount_amount is not None:
                discount = pricing.amount_off(line.discount_amount)
            inputs.append(pricing.LineInput(quantity=line.quantity, unit_price=price, tax_rate=rate,
                                            discount=discount, description=description))
        except (ValueError, TypeError) as exc:
            raise DocumentError(str(exc), field=field) from None
        rows.append({"position": n, "product_id": product.id if product else None, "description": description[:500],
                     "quantity": line.quantity, "unit_price": price, "tax_rate": rate})
    try:
        totals = pricing.compute_document(inputs, currency)
    except ValueError as exc:
        raise DocumentError(str(exc), field="lines") from None
    if totals.total > MAX_AMOUNT:
        raise DocumentError(f"The total must not exceed {MAX_AMOUNT:f}.", field="lines")
    for row, amounts in zip(rows, totals.lines, strict=True):
        row.update(discount=amounts.discount + amounts.document_discount, net=amounts.net, tax=amounts.tax,
                   total=amounts.total)
    return rows, totals


def _set_totals(document: Any, totals: pricing.DocumentTotals) -> None:
    document.subtotal = totals.subtotal
    document.discount_total = totals.discount_total
    document.tax_total = totals.tax_total
    document.total = totals.total


def tax_summary(lines: Sequence[Any]) -> dict[Decimal, Decimal]:
    """Tax per rate (ascending) of a stored document's lines, as printed on it."""
    by_rate: dict[Decimal, Decimal] = {}
    for line in lines:
        rate = Decimal(line.tax_rate).normalize()
        by_rate[rate] = by_rate.get(rate, Decimal(0)) + line.tax
    return dict(sorted(by_rate.items()))


# --------------------------------------------------------------------------- quotes


def create_quote(session: Session, customer_id: int, lines: Sequence[LineIn], *, price_list_id: int | None = None,
                 currency: str | None = None, valid_until: dt.date | None = None, deal_id: int | None = None) -> Quote:
    """A draft quote for a customer; product prices come from the price list (the default one).
    `deal_id` names the deal it is for (its order then counts for the deal's owner)."""
    _customer(session, customer_id)
    _check_deal(session, deal_id)
    price_list = _price_list(session, price_list_id)
    currency = currency or (price_list.currency if price_list else str(_core_currency()))
    if price_list is not None and currency != price_list.currency:
        raise DocumentError(f"The price list is in {price_list.currency}, not {currency}.", field="currency")
    rows, totals = price_lines(session, lines, price_list, currency)
    _, _, number = next_number(session, "quote", "Q")
    quote = Quote(number=number, customer_id=customer_id, currency=currency, status="draft", deal_id=deal_id,
                  created_by_id=_acting_user_id(),
                  price_list_id=price_list.id if price_list else None, valid_until=valid_until,
                  lines=[QuoteLine(**row) for row in rows])
    _set_totals(quote, totals)
    session.add(quote)
    session.flush()
    return quote


def _core_currency() -> str:
    try:
        return str(setting("core.currency") or "IRR")
    except KeyError:
        return "IRR"


def get_quote(session: Session, quote_id: int, actor: Any = ACTING) -> Quote:
    """The quote with this id if `actor` (default: the request's) may see it; DocumentError 404 otherwise."""
    return _get(session, Quote, quote_id, actor)


def _check_sendable(quote: Quote) -> None:
    if quote.status not in ("draft", "sent"):
        raise DocumentError(f"Quote {quote.number} is {quote.status}; only a draft or sent quote can be sent.", status=409)


def send_quote(session: Session, quote: Quote, *, emailed: bool = False, to: str | None = None) -> Quote:
    """Mark a draft (or re-send a sent) quote as sent; recorded as `sales.quote_sent` (with `emailed`).

    Only marks it: `deliver_quote` also queues its email (`emailed`: the `sales.quote_sent`
    event asks the plugin's subscriber to mail it after the commit). The quote's row is locked
    first, so a quote accepted, rejected or expired meanwhile is refused (409), never taken back.
    """
    require_visible(session, quote)
    lock_row(session, quote)
    _check_sendable(quote)
    quote.status = "sent"
    quote.sent_at = utcnow()
    payload: dict[str, Any] = {"number": quote.number, "emailed": emailed}
    if to:
        payload["to"] = to
    record_interaction(quote.customer_id, "sales.quote_sent", "email" if emailed else "other",
                       f"Quote {quote.number} sent", value=quote.total, currency=quote.currency,
                       source=("sales.quote", quote.id), direction="outbound", payload=payload)
    events.quote_sent(quote, by_email=emailed)
    session.flush()
    return quote


@dataclass(frozen=True)
class QuoteDelivery:
    """What sending a quote did: it is marked sent; `emailed` says whether its email to `to` is
    queued (mailed after the commit), else `problem` says why not (`mail_off` or `no_email`) and
    `mail_error` explains it in English."""

    quote: Quote
    emailed: bool
    to: str | None = None
    problem: str | None = None
    mail_error: str | None = None


def deliver_quote(session: Session, quote: Quote) -> QuoteDelivery:
    """Send a draft or sent quote: mark it sent (`sales.quote_sent`) and, when mail is on and the
    customer has an address, queue its email with the PDF in the same transaction: the event's
    subscriber (`quote_mail.py`) mails it after the commit, in the customer's preferred language,
    and the outbox retries it until the server takes it. A quote is marked sent even when it
    cannot be emailed; the result says why (`emailed` then False)."""
    _check_sendable(quote)
    to = _customer(session, quote.customer_id).primary_email
    refused = quote_mail.problem(to)
    emailed = refused is None
    send_quote(session, quote, emailed=emailed, to=to if emailed else None)
    return QuoteDelivery(quote=quote, emailed=emailed, to=to if emailed else None,
                         problem=refused[0] if refused else None, mail_error=refused[1] if refused else None)


def company_name() -> str:
    """The company name printed on documents (the core's `core.company_name` setting)."""
    try:
        return str(setting("core.company_name") or "")
    except KeyError:
        return ""


def reject_quote(session: Session, quote: Quote, reason: str | None = None) -> Quote:
    """The customer declined a draft or sent quote: it becomes `rejected` with the reason given;
    recorded as `sales.quote_rejected` and audited. Locks the quote's row: a concurrent accept
    and reject cannot both succeed."""
    require_visible(session, quote)
    lock_row(session, quote)
    if quote.status not in ("draft", "sent"):
        raise DocumentError(f"Quote {quote.number} is {quote.status}; only a draft or sent quote can be rejected.",
                            status=409)
    reason = keep_text((reason or "")[:500])  # what the person wrote, as written
    audit("reject", Quote.__tablename__, quote.id, before={"status": quote.status},
          after={"status": "rejected", "reason": reason})
    quote.status = "rejected"
    quote.rejected_at = utcnow()
    quote.reject_reason = reason
    record_interaction(quote.customer_id, "sales.quote_rejected", "other", f"Quote {quote.number} rejected",
                       value=quote.total, currency=quote.currency, source=("sales.quote", quote.id),
                       payload={"number": quote.number, "reason": reason})
    session.flush()
    return quote


def expire_quotes() -> int:
    """Mark every draft or sent quote whose `valid_until` is before the local today `expired`, in
    one UPDATE; the sent ones (the customer had them) are recorded as `sales.quote_expired` in one
    bulk insert. Returns how many quotes expired. The daily job `sales.quote_expiry`.

    The UPDATE returns the rows it changed, so a quote accepted or rejected while the job runs
    is neither expired nor recorded as expired."""
    session = current_session()
    today = local_today()
    now = utcnow()
    due = (Quote.status.in_(("draft", "sent")), Quote.valid_until < today)
    changed = session.execute(sa.update(cast(sa.Table, Quote.__table__)).where(*due).values(status="expired", expired_at=now)
                              .returning(Quote.id, Quote.customer_id, Quote.number, Quote.total, Quote.currency,
                                         Quote.sent_at)).all()
    expired = len(changed)
    sent = [row for row in changed if row.sent_at is not None]  # only a sent quote has a sent_at
    record_interactions([
        {"customer_id": row.customer_id, "kind": "sales.quote_expired", "channel": "other",
         "summary": f"Quote {row.number} expired", "value": row.total, "currency": row.currency,
         "source": ("sales.quote", row.id), "direction": "internal", "payload": {"number": row.number}}
        for row in sent
    ], skip_inactive=True)  # a quote of an erased customer still expires; its timeline is closed
    session.flush()
    return expired


def jobs() -> list[JobSpec]:
    """`payvand_jobs`: expire the quotes past their validity once a day."""
    return [JobSpec("sales.quote_expiry", expire_quotes, 24 * 3600, "Expire draft and sent quotes past their validity")]


def accept_quote(session: Session, quote: Quote) -> Order:
    """Accept a draft or sent quote: it becomes `accepted` and an order (channel staff) copies its lines.

    One quote makes one order: the quote's row is locked before its status is checked, so of
    concurrent accepts one wins and the others get 409; a unique `quote_id` on orders backs it.
    """
    require_visible(session, quote)
    lock_row(session, quote)
    if quote.status not in ("draft", "sent"):
        raise DocumentError(f"Quote {quote.number} is {quote.status}; only a draft or sent quote can be accepted.", status=409)
    if quote.valid_until is not None and quote.valid_until < local_today():
        raise DocumentError(f"Quote {quote.number} expired on {quote.valid_until.isoformat()}.", status=409)
    quote.status = "accepted"
    quote.accepted_at = utcnow()
    lines = [OrderLine(**{key: getattr(line, key) for key in _LINE_COLUMNS}) for line in quote.lines]
    refused = f"Quote {quote.number} has an order already."  # the rollback below expires the quote
    try:
        order = _place(session, quote.customer_id, quote.currency, lines, quote, channel="staff", quote_id=quote.id,
                       deal_id=quote.deal_id)
    except sa.exc.IntegrityError:
        raise _conflict(session, refused) from None
    events.quote_accepted(quote, order)
    return order


_LINE_COLUMNS = ("position", "product_id", "description", "quantity", "unit_price", "discount", "tax_rate", "net", "tax", "total")


# --------------------------------------------------------------------------- orders


def _acting_user_id() -> int | None:
    """The user of the current API or staff request (None in jobs, the CLI and outside requests)."""
    try:
        user_id = current_actor().user_id
        return int(user_id) if user_id is not None else None
    except Exception:  # noqa: BLE001 - no request, no app, or an anonymous caller
        return None


def order_owner(session: Session, customer_id: int, deal_id: int | None = None) -> int | None:
    """Who an order counts for: its deal's owner, else the customer's owner, else the acting staff user."""
    deal = session.get(Deal, deal_id) if deal_id is not None else None
    if deal is not None and deal.owner_id is not None:
        return deal.owner_id
    customer = session.get(Customer, customer_id)  # loaded already by the caller: no query
    if customer is not None and customer.owner_id is not None:
        return customer.owner_id
    return _acting_user_id()


def _place(session: Session, customer_id: int, currency: str, lines: list[OrderLine], totals: Any, *,
           channel: str, quote_id: int | None = None, deal_id: int | None = None) -> Order:
    _, _, number = next_number(session, "order", "O")
    order = Order(number=number, customer_id=customer_id, currency=currency, status="placed", channel=channel,
                  quote_id=quote_id, owner_id=order_owner(session, customer_id, deal_id),
                  placed_at=utcnow(), lines=lines, subtotal=totals.subtotal,
                  discount_total=totals.discount_total, tax_total=totals.tax_total, total=totals.total)
    session.add(order)
    session.flush()
    rollup.count_order(order.id, 1)
    record_interaction(customer_id, "sales.order_placed", _INTERACTION_CHANNEL.get(channel, "other"),
                       f"Order {number} placed", value=order.total, currency=currency,
                       source=("sales.order", order.id), payload={"number": number, "channel": channel})
    events.order_placed(order)
    return order


def place_order(session: Session, customer_id: int, lines: Sequence[LineIn], *, channel: str = "api",
                price_list_id: int | None = None, deal_id: int | None = None) -> Order:
    """Place an order for a customer (online, through the API, or by staff), priced from the price list;
    it counts for the deal's owner (when given), else the customer's owner, else the acting user.
    A deal the acting user may not see is refused as a missing one (`rules.py`)."""
    _customer(session, customer_id)
    _check_deal(session, deal_id)
    price_list = _price_list(session, price_list_id)
    currency = price_list.currency if price_list else _core_currency()
    rows, totals = price_lines(session, lines, price_list, currency)
    order = _place(session, customer_id, currency, [OrderLine(**row) for row in rows], totals, channel=channel,
                   deal_id=deal_id)
    order.created_by_id = _acting_user_id()
    return order


def get_order(session: Session, order_id: int, actor: Any = ACTING) -> Order:
    """The order with this id if `actor` (default: the request's) may see it; DocumentError 404 otherwise."""
    return _get(session, Order, order_id, actor)


def change_order_status(session: Session, order: Order, status: str) -> Order:
    """Move an order along its flow (placed→paid→shipped→delivered, placed→cancelled, delivered→returned).

    The order's row is locked before its status is checked: of concurrent changes one wins."""
    require_visible(session, order)
    if status not in ORDER_FLOW:
        raise DocumentError(f"Unknown status; use one of: {', '.join(ORDER_STATUSES)}.", field="status")
    lock_row(session, order)
    allowed = ORDER_FLOW[order.status]
    if status not in allowed:
        then = f"it can only become {' or '.join(allowed)}" if allowed else "its status is final"
        raise DocumentError(f"Order {order.number} is {order.status}: {then}, not {status}.", status=409, field="status")
    was_counted = order.status in rollup.COUNTED
    audit("status", Order.__tablename__, order.id, before={"status": order.status}, after={"status": status})
    order.status = status
    order.status_changed_at = utcnow()
    session.flush()
    if was_counted != (status in rollup.COUNTED):  # cancelled or returned: out of the revenue reports
        rollup.count_order(order.id, 1 if status in rollup.COUNTED else -1)
    return order


def list_orders(session: Session, *, status: str | None = None, customer_id: int | None = None,
                before_id: int | None = None, limit: int = 50, actor: Any = ACTING) -> tuple[list[Order], int | None]:
    """A page of the orders `actor` (default: the request's) may see, newest first (by id); filter by status or customer."""
    return _page(session, Order, before_id, limit, Order.status == status if status else None,
                 Order.customer_id == customer_id if customer_id else None, actor=actor)


def _page(session: Session, model: Any, before_id: int | None, limit: int, *conditions: Any,
          actor: Any = ACTING) -> tuple[list[Any], int | None]:
    rows = rules.page(session, model, _actor(actor), *conditions, before_id=before_id, limit=limit)
    page = rows[:limit]
    return page, (page[-1].id if len(rows) > limit else None)


def list_quotes(session: Session, *, status: str | None = None, customer_id: int | None = None,
                before_id: int | None = None, limit: int = 50, actor: Any = ACTING) -> tuple[list[Quote], int | None]:
    """A page of the quotes `actor` (default: the request's) may see, newest first (by id); filter by status or customer."""
    return _page(session, Quote, before_id, limit, Quote.status == status if status else None,
                 Quote.customer_id == customer_id if customer_id else None, actor=actor)


# --------------------------------------------------------------------------- invoices and payments


def create_invoice(session: Session, order: Order, *, due_at: dt.date | None = None) -> Invoice:
    """Invoice an order (once; not a cancelled one): numbered per fiscal year, due after the due-days setting.

    One order has one live (not void) invoice: the order's row is locked before the check, so of
    concurrent requests one invoices it and the others get 409; a partial unique index on the
    live invoices' `order_id` backs it. A void invoice does not count: the order is invoiced again.
    """
    require_visible(session, order)
    lock_row(session, order)
    if order.status == "cancelled":
        raise DocumentError(f"Order {order.number} is cancelled.", status=409)
    existing = session.scalar(sa.select(Invoice.number).where(Invoice.order_id == order.id, Invoice.status != "void"))
    if existing is not None:
        raise DocumentError(f"Order {order.number} already has invoice {existing}.", status=409)
    today = local_today()
    year, seq, number = next_number(session, "invoice", "INV", today)
    if due_at is None:
        due_at = today + dt.timedelta(days=int(_setting(INVOICE_DUE_DAYS) or 0))
    invoice = Invoice(number=number, customer_id=order.customer_id, currency=order.currency, order_id=order.id,
                      year=year, sequence=seq, status="unpaid", issued_at=utcnow(), due_at=due_at,
                      subtotal=order.subtotal, discount_total=order.discount_total, tax_total=order.tax_total,
                      total=order.total, paid_total=pricing.round_money(Decimal(0), order.currency))
    session.add(invoice)
    refused = f"Order {order.number} has a live invoice already."  # the rollback below expires the order
    try:
        session.flush()
    except sa.exc.IntegrityError:
        raise _conflict(session, refused) from None
    record_interaction(order.customer_id, "sales.invoice_issued", "other", f"Invoice {number} issued",
                       value=invoice.total, currency=invoice.currency, source=("sales.invoice", invoice.id),
                       direction="outbound", payload={"number": number, "order": order.number})
    events.invoice_issued(invoice)
    return invoice


def get_invoice(session: Session, invoice_id: int, actor: Any = ACTING) -> Invoice:
    """The invoice with this id if `actor` (default: the request's) may see it; DocumentError 404 otherwise."""
    return _get(session, Invoice, invoice_id, actor)


def list_invoices(session: Session, *, status: str | None = None, customer_id: int | None = None,
                  before_id: int | None = None, limit: int = 50, actor: Any = ACTING) -> tuple[list[Invoice], int | None]:
    """A page of the invoices `actor` (default: the request's) may see, newest first (by id); filter by status or customer."""
    return _page(session, Invoice, before_id, limit, Invoice.status == status if status else None,
                 Invoice.customer_id == customer_id if customer_id else None, actor=actor)


def record_payment(session: Session, invoice: Invoice, amount: Decimal, *, method: str = "transfer",
                   reference: str | None = None, paid_at: dt.datetime | None = None) -> Any:
    """Record a payment (a refund when negative) and update the invoice's paid total and status.

    The amount must be exact in the invoice's currency. A payment may not exceed the balance due
    and a refund may not exceed what was paid (422, field `amount`): the paid total stays between
    0 and the invoice's total and always equals the sum of its payments. The invoice's row is
    locked before it is read, so concurrent payments and refunds queue and each sees the ones
    before it. The invoice becoming paid is recorded as `sales.invoice_paid`, and its order becomes
    paid if it is still placed (an order cancelled meanwhile stays cancelled; the money is recorded).
    """
    require_visible(session, invoice)
    if method not in PAYMENT_METHODS:
        raise DocumentError(f"Unknown method; use one of: {', '.join(PAYMENT_METHODS)}.", field="method")
    if amount == 0:
        raise DocumentError("A payment must not be zero.", field="amount")
    if pricing.round_money(amount, invoice.currency) != amount:
        raise DocumentError(f"The amount has more decimals than {invoice.currency} allows.", field="amount")
    lock_row(session, invoice)
    if invoice.status == "void":
        raise DocumentError(f"Invoice {invoice.number} is void.", status=409)
    paid = invoice.paid_total + amount
    if paid < 0:
        raise DocumentError(f"A refund cannot exceed the {plain(invoice.paid_total)} {invoice.currency} paid.",
                            field="amount")
    if amount > 0 and paid > invoice.total:
        due = max(invoice.total - invoice.paid_total, Decimal(0))
        raise DocumentError(f"A payment cannot exceed the {plain(due)} {invoice.currency} due.", field="amount")
    was = invoice.status
    payment = Payment(invoice_id=invoice.id, amount=amount, method=method, reference=reference,
                      paid_at=paid_at or utcnow())
    session.add(payment)
    invoice.paid_total = paid
    invoice.status = pricing.payment_status(invoice.total, paid)
    audit("payment", Invoice.__tablename__, invoice.id, before={"paid_total": plain(paid - amount), "status": was},
          after={"paid_total": plain(paid), "status": invoice.status, "method": method})
    if invoice.status in ("paid", "overpaid") and was not in ("paid", "overpaid"):
        record_interaction(invoice.customer_id, "sales.invoice_paid", "other", f"Invoice {invoice.number} paid",
                           value=invoice.total, currency=invoice.currency, source=("sales.invoice", invoice.id),
                           payload={"number": invoice.number})
        events.invoice_paid(invoice)
        order = session.get(Order, invoice.order_id) if invoice.order_id is not None else None
        if order is not None and lock_row(session, order).status == "placed":  # not cancelled meanwhile
            change_order_status(session, order, "paid")
    session.flush()
    return payment


def balance(invoice: Invoice) -> Decimal:
    """What the customer still owes on the invoice (negative: a credit); nothing on a void one."""
    if invoice.status == "void":
        return pricing.round_money(Decimal(0), invoice.currency)
    return pricing.balance_due(invoice.total, [invoice.paid_total])


def void_invoice(session: Session, invoice: Invoice, reason: str | None = None) -> Invoice:
    """Void an invoice whose payments net to zero (refund them first): status `void`, out of the
    balance due; the order may then be invoiced again. Recorded as `sales.invoice_voided`, audited.

    The invoice's row is locked first: a payment racing the void either lands before it (and
    the void is refused) or finds the invoice void (409)."""
    require_visible(session, invoice)
    lock_row(session, invoice)
    if invoice.status == "void":
        raise DocumentError(f"Invoice {invoice.number} is already void.", status=409)
    if invoice.paid_total != 0:
        raise DocumentError(f"Invoice {invoice.number} has {plain(invoice.paid_total)} {invoice.currency} paid; "
                            "refund the payments before voiding it.", status=409)
    reason = keep_text((reason or "")[:500])  # what the person wrote, as written
    audit("void", Invoice.__tablename__, invoice.id, before={"status": invoice.status},
          after={"status": "void", "reason": reason})
    invoice.status = "void"
    invoice.voided_at = utcnow()
    invoice.void_reason = reason
    record_interaction(invoice.customer_id, "sales.invoice_voided", "other", f"Invoice {invoice.number} voided",
                       value=invoice.total, currency=invoice.currency, source=("sales.invoice", invoice.id),
                       direction="internal", payload={"number": invoice.number, "reason": reason})
    session.flush()
    return invoice


# --------------------------------------------------------------------------- facts


def purchase_facts() -> sa.Select[int, int | None, dt.datetime, Decimal, Decimal, str]:
    """Purchases for analytics (the `payvand_purchase_facts` hook): one row per order line of
    orders neither cancelled nor returned: (customer_id, product_id, occurred_at, quantity, amount, currency),
    `amount` the exact line total (tax included)."""
    return (
        sa.select(
            Order.customer_id.label("customer_id"),
            OrderLine.product_id.label("product_id"),
            Order.placed_at.label("occurred_at"),
            OrderLine.quantity.label("quantity"),
            OrderLine.total.label("amount"),
            Order.currency.label("currency"),
        )
        .join(Order, Order.id == OrderLine.order_id)
        .where(Order.status.not_in(("cancelled", "returned")))
    )


# --------------------------------------------------------------------------- customer hooks


def plain(amount: Decimal) -> str:
    """An amount as a plain decimal string without trailing zeros ("12.5", "1375000")."""
    text = format(amount, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def merge_customer(target: Customer, source: Customer) -> list[MovedRows]:
    """Move the source customer's quotes, orders and invoices to the target (`payvand_customer_merge`)."""
    session = current_session()
    moved: list[MovedRows] = []
    for model in (Quote, Order, Invoice):
        ids = list(session.scalars(sa.select(model.id).where(model.customer_id == source.id)))
        if ids:
            session.execute(sa.update(model).where(model.id.in_(ids)).values(customer_id=target.id))
            moved.append(MovedRows(model.__tablename__, "customer_id", ids))
    return moved


def customer_export(customer: Customer, actor: Actor = SYSTEM) -> dict[str, Any]:
    """The customer's quotes, orders, invoices and payments that `actor` may see (record rules),
    for a data export (`payvand_customer_export`)."""
    session = current_session()

    def value(v: Any) -> Any:
        return plain(v) if isinstance(v, Decimal) else v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else v

    def rows(model: Any, *columns: str) -> list[dict[str, Any]]:
        query = restrict(sa.select(model).where(model.customer_id == customer.id), actor, model)
        return [{c: value(getattr(row, c)) for c in columns} for row in session.scalars(query.order_by(model.id))]

    common = ("number", "status", "currency", "subtotal", "discount_total", "tax_total", "total", "created_at")
    payments = session.execute(restrict(cast(
        sa.Select[Any],
        sa.select(Payment.id, Invoice.number.label("invoice"), Payment.amount, Payment.method, Payment.reference,
                  Payment.paid_at)
        .join(Invoice, Invoice.id == Payment.invoice_id).where(Invoice.customer_id == customer.id)), actor, Payment)
        .order_by(Payment.id)).all()
    return {
        "quotes": rows(Quote, *common, "valid_until", "reject_reason"),
        "orders": rows(Order, *common, "channel", "placed_at"),
        "invoices": rows(Invoice, *common, "issued_at", "due_at", "paid_total", "void_reason"),
        "payments": [{k: value(v) for k, v in row._asdict().items() if k != "id"} for row in payments],
    }


def customer_erase(customer: Customer) -> dict[str, list[int]]:
    """Blank the free text of the customer's quotes, orders, invoices and payments (`payvand_customer_erase`):
    line descriptions become the product's name (or "Line N"), reasons and payment references go;
    numbers, amounts, taxes and dates stay. Set-based; returns the ids per audit object type."""
    session = current_session()
    ids = {model: list(session.scalars(sa.select(model.id).where(model.customer_id == customer.id)))
           for model in (Quote, Order, Invoice)}
    for line, parent, column in ((QuoteLine, Quote, QuoteLine.quote_id), (OrderLine, Order, OrderLine.order_id)):
        if ids[parent]:
            product_name = sa.select(Product.name).where(Product.id == line.product_id).scalar_subquery()
            session.execute(sa.update(line).where(column.in_(ids[parent]))
                            .values(description=sa.func.coalesce(product_name, sa.literal("Line ")
                                                                 + sa.cast(line.position + 1, sa.String)))
                            .execution_options(synchronize_session=False))
    if ids[Quote]:
        session.execute(sa.update(Quote).where(Quote.id.in_(ids[Quote])).values(reject_reason=None)
                        .execution_options(synchronize_session=False))
    if ids[Invoice]:
        session.execute(sa.update(Invoice).where(Invoice.id.in_(ids[Invoice])).values(void_reason=None)
                        .execution_options(synchronize_session=False))
        session.execute(sa.update(Payment).where(Payment.invoice_id.in_(ids[Invoice])).values(reference=None)
                        .execution_options(synchronize_session=False))
    return {model.__tablename__: found for model, found in ids.items()}
