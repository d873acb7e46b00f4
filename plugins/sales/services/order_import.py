"""Importing past orders (purchase history) from a CSV file: one row per order line, upserted by
the order's number in the system it came from.

Columns (English or Persian headers, any order): order_number, date, customer_id (the customer's
id in the other system), email, phone, customer (a name, used when the customer is created),
sku, description, quantity, amount (the line's total) and currency. Required: order_number,
date, amount and one of customer_id, email or phone. The rows of one order follow each other
and agree on date, currency and customer. A date is `YYYY-MM-DD` (a Jalali year below 1700 is
read as Jalali: `1402/05/12`), optionally with a time, in the site's zone (a date alone is
noon there, so its day stays the same in UTC), never in the future and inside the business
date range.

The customer is found by external id (`sales_customer_key`), then email, then phone among live
customers; the customers no row of a batch finds are created together (`create_customers`: set-based,
one audit entry and one `payvand_customer_created` event per batch) and their external ids
remembered. A line names a product by SKU (looked up in the
catalogue; an unknown SKU refuses its order) or is free text. An order with any bad line is
refused as a whole: the bad line with its reason, the others saying which line refused them;
the good orders are kept.

An order number seen before (`Order.external_number`, unique) is updated in place — customer,
date, currency, totals and lines replaced, its status kept — so a re-run of the same file
changes nothing and a corrected file corrects. Imported orders are `delivered`, channel
`import`, and count as purchases (`payvand_purchase_facts`) and in the daily product rollup;
they record no timeline entry, send no event, mail or invoice. Per batch of orders: one query
each for products, customer keys, emails, phones and known orders; the new orders' ids are
reserved from the sequence and orders and lines go in through `COPY` on PostgreSQL
(`bulk_insert`), multi-row INSERTs on SQLite; each batch in a savepoint, so a batch the
database refuses is reported and the rest kept. Imports take a lock to the caller's commit,
so two never interleave.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import decimal
import functools
import os
import re
from collections.abc import Iterator
from typing import IO, Any, cast
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from payvand.plugins.sales import pricing
from payvand.plugins.sales.models import CustomerKey, Order, OrderLine, Product
from payvand.plugins.sales.services import rollup
from payvand.plugins.sales.services.csv_rows import Columns, CsvRows, Record, batches, latin_digits
from payvand.plugins.sales.services.document_base import core_currency
from payvand.sdk import (
    MAX_BUSINESS_DATE,
    MIN_BUSINESS_DATE,
    Customer,
    CustomerEmail,
    CustomerPhone,
    NormalizationError,
    audit,
    bulk_insert,
    create_customers,
    from_jalali,
    local_zone,
    normalize_email,
    normalize_phone,
    phone_region,
    reserve_ids,
    session,
    to_latin_digits,
    transaction_lock,
    utcnow,
)

COLUMNS = ("order_number", "date", "customer_id", "email", "phone", "customer", "sku", "description",
           "quantity", "amount", "currency")
HEADERS: dict[str, str] = {
    **{name: name for name in COLUMNS},
    "order": "order_number", "order no": "order_number", "order id": "order_number", "number": "order_number",
    "شماره سفارش": "order_number", "سفارش": "order_number",
    "order date": "date", "placed at": "date", "تاریخ": "date", "تاریخ سفارش": "date",
    "customer id": "customer_id", "customer number": "customer_id", "external id": "customer_id",
    "شناسه مشتری": "customer_id", "کد مشتری": "customer_id",
    "e-mail": "email", "ایمیل": "email", "رایانامه": "email",
    "mobile": "phone", "تلفن": "phone", "موبایل": "phone",
    "customer name": "customer", "name": "customer", "مشتری": "customer", "نام مشتری": "customer",
    "شناسه کالا": "sku", "کد کالا": "sku",
    "item": "description", "product": "description", "شرح": "description", "کالا": "description",
    "qty": "quantity", "تعداد": "quantity", "مقدار": "quantity",
    "total": "amount", "line total": "amount", "مبلغ": "amount", "جمع": "amount",
    "ارز": "currency", "واحد پول": "currency",
}
ORDER_COLUMNS = Columns(HEADERS, required=(("order_number",), ("date",), ("amount",),
                                           ("customer_id", "email", "phone")),
                        verbatim=("description",))
BATCH_SIZE = 500  # orders per batch
IMPORT_LOCK = "payvand.sales.import.orders"
STATUS = "delivered"
CHANNEL = "import"
NUMBER_PREFIX = "I"
MAX_NUMBER = 31  # `Order.number` is 32 characters: the prefix and the outside number
MAX_AMOUNT = decimal.Decimal("1e15")
ORDER_INSERT = ("id", "number", "customer_id", "currency", "subtotal", "discount_total", "tax_total", "total",
                "created_at", "status", "channel", "placed_at", "external_number")
LINE_INSERT = ("order_id", "product_id", "position", "description", "quantity", "unit_price", "discount",
               "tax_rate", "net", "tax", "total")
_DATE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?")
_ZERO = decimal.Decimal(0)


@functools.lru_cache(maxsize=64)
def _step(currency: str) -> decimal.Decimal:
    """The currency's minor unit as a Decimal step (`pricing.round_money`'s, cached: rows repeat currencies)."""
    return decimal.Decimal(1).scaleb(-pricing.currency_places(currency))


def _latin(text: str) -> str:
    """`to_latin_digits`, skipped for the usual ASCII cell."""
    return text if text.isascii() else to_latin_digits(text)


def _round(amount: decimal.Decimal, currency: str) -> decimal.Decimal:
    """`pricing.round_money` (half-up to the minor unit) without looking the currency up again."""
    return amount.quantize(_step(currency), rounding=decimal.ROUND_HALF_UP)


class OrderImportError(Exception):
    """The import cannot run at all (bad options)."""


@dataclasses.dataclass
class OrderImportResult:
    """What an import did: orders and lines created or updated, customers created, refused rows by line."""

    created: int = 0
    updated: int = 0
    lines: int = 0
    customers_created: int = 0
    errors: list[tuple[int, str]] = dataclasses.field(default_factory=list)
    dry_run: bool = False

    def summary(self) -> dict[str, Any]:
        """The counts, JSON-ready (for the audit log, the command and the result page)."""
        return {"created": self.created, "updated": self.updated, "lines": self.lines,
                "customers_created": self.customers_created, "rejected": len(self.errors),
                "dry_run": self.dry_run}


@dataclasses.dataclass(slots=True)
class _LineIn:
    line: int
    sku: str | None
    description: str | None
    quantity: decimal.Decimal
    amount: decimal.Decimal


@dataclasses.dataclass
class _OrderIn:
    """One order of the file: its rows, and what they agree on."""

    line: int
    number: str
    placed_at: dt.datetime
    currency: str
    external_id: str | None
    email: str | None
    phone: str | None
    name: str | None
    lines: list[_LineIn] = dataclasses.field(default_factory=list)

    def refuse(self, bad_line: int, reason: str) -> list[tuple[int, str]]:
        """The order's rows as rejects: `bad_line` with `reason`, the others naming it."""
        return [(item.line, reason if item.line == bad_line else f"not imported: line {bad_line} of the same "
                 f"order is refused") for item in self.lines]


@dataclasses.dataclass(slots=True)
class _Row:
    line: int
    number: str
    placed_at: dt.datetime
    currency: str
    external_id: str | None
    email: str | None
    phone: str | None
    name: str | None
    item: _LineIn


def parse_date(text: str, zone: dt.tzinfo, now: dt.datetime) -> dt.datetime:
    """A date cell as an aware UTC time: ISO or Jalali (a year below 1700), noon in `zone` when no time
    is given; ValueError when unreadable, outside the business range or after `now`."""
    match = _DATE.fullmatch(latin_digits(text).strip())
    if match is None:
        raise ValueError(f"the date {text!r} is not a date (YYYY-MM-DD)")
    year, month, day = int(match[1]), int(match[2]), int(match[3])
    try:
        date = from_jalali(year, month, day) if year < 1700 else dt.date(year, month, day)
        hour, minute, second = (int(match[4]), int(match[5]), int(match[6] or 0)) if match[4] else (12, 0, 0)
        moment = dt.datetime.combine(date, dt.time(hour, minute, second), tzinfo=zone)
    except ValueError:
        raise ValueError(f"the date {text!r} does not exist") from None
    if not MIN_BUSINESS_DATE <= date <= MAX_BUSINESS_DATE:
        raise ValueError(f"the date {text!r} is outside {MIN_BUSINESS_DATE} … {MAX_BUSINESS_DATE}")
    moment = moment.astimezone(dt.UTC)
    if moment > now:
        raise ValueError(f"the date {text!r} is in the future")
    return moment


def _number(text: str, column: str) -> decimal.Decimal:
    """A decimal cell (Persian digits and thousands separators allowed)."""
    cleaned = latin_digits(text).replace(",", "").replace(" ", "")
    try:
        value = decimal.Decimal(cleaned)
    except decimal.InvalidOperation:
        raise ValueError(f"the {column} {text!r} is not a number") from None
    if not value.is_finite():
        raise ValueError(f"the {column} {text!r} is not a number")
    return value


class _Parser:
    """Turns one record into a `_Row` (ValueError with the reason when it is bad)."""

    def __init__(self, default_currency: str) -> None:
        self.default_currency = default_currency
        self.zone = local_zone()
        self.now = utcnow()
        self.region = phone_region()
        self.currencies: dict[str, bool] = {}

    def currency(self, text: str | None) -> str:
        code = (text or self.default_currency).upper()
        if code not in self.currencies:
            try:
                pricing.currency_places(code)
                self.currencies[code] = True
            except ValueError:
                self.currencies[code] = False
        if not self.currencies[code]:
            raise ValueError(f"unknown currency {text!r}")
        return code

    def __call__(self, record: Record) -> _Row | _Bad:
        try:
            return self.row(record)
        except ValueError as exc:
            number = to_latin_digits(record.cells.get("order_number") or "")
            return _Bad(record.line, number if number and len(number) <= MAX_NUMBER else None, str(exc))

    def row(self, record: Record) -> _Row:
        """The record as an order line; ValueError with the reason when it is bad."""
        get = record.cells.get
        number = _latin(get("order_number") or "")  # numbers and ids: Persian digits as Latin
        if not number:
            raise ValueError("the order number is missing")
        if len(number) > MAX_NUMBER:
            raise ValueError(f"the order number is longer than {MAX_NUMBER} characters")
        if not get("date"):
            raise ValueError("the date is missing")
        placed_at = parse_date(get("date", ""), self.zone, self.now)
        currency = self.currency(get("currency"))
        external_id = _latin(get("customer_id") or "") or None
        if external_id is not None and len(external_id) > 64:
            raise ValueError("the customer_id is longer than 64 characters")
        email = phone = None
        if get("email"):
            try:
                email = normalize_email(get("email", ""))
            except NormalizationError:
                raise ValueError(f"the email {get('email')!r} is not valid") from None
        if get("phone"):
            try:
                phone = normalize_phone(get("phone", ""), self.region)
            except NormalizationError:
                raise ValueError(f"the phone {get('phone')!r} is not valid") from None
        if not (external_id or email or phone):
            raise ValueError("no customer_id, email or phone")
        name = get("customer")
        if name is not None and len(name) > 200:
            raise ValueError("the customer name is longer than 200 characters")
        sku, description = get("sku"), get("description")
        if not (sku or description):
            raise ValueError("the line has neither a SKU nor a description")
        if description is not None and len(description) > 500:
            raise ValueError("the description is longer than 500 characters")
        quantity = _number(get("quantity", "1"), "quantity")
        if quantity <= 0 or quantity >= MAX_AMOUNT or quantity != quantity.quantize(decimal.Decimal("0.001")):
            raise ValueError(f"the quantity {get('quantity')!r} must be above 0 with at most 3 decimals")
        amount = _number(get("amount", ""), "amount") if get("amount") else None
        if amount is None:
            raise ValueError("the amount is missing")
        if amount < 0 or amount >= MAX_AMOUNT:
            raise ValueError("the amount must be at least 0 and below 10^15")
        if _round(amount, currency) != amount:
            raise ValueError(f"the amount has more decimals than {currency} allows")
        return _Row(record.line, number, placed_at, currency, external_id, email, phone, name,
                    _LineIn(record.line, sku, description, quantity, amount))


@dataclasses.dataclass(slots=True)
class _Bad:
    """A row that cannot be an order line: its order (when the number is readable) is refused with it."""

    line: int
    number: str | None
    reason: str


def _orders(rows: Iterator[_Row | _Bad], errors: list[tuple[int, str]]) -> Iterator[_OrderIn]:
    """Consecutive rows with one order number grouped into orders; an order with a bad row, whose rows
    disagree, or whose number came earlier in the file, is refused as a whole (its rows to `errors`)."""
    seen: dict[str, int] = {}
    current: _OrderIn | None = None
    problem: tuple[int, str] | None = None
    lines: list[int] = []

    def finish() -> Iterator[_OrderIn]:
        if current is None:
            return
        if problem is None:
            yield current
            return
        bad_line, reason = problem
        errors.extend((line, reason if line == bad_line else f"not imported: line {bad_line} of the same order "
                       "is refused") for line in lines)

    for row in rows:
        if isinstance(row, _Bad) and row.number is None:  # a bad row without an order number stands alone
            errors.append((row.line, row.reason))
            continue
        number = cast(str, row.number)
        if current is None or row.number != current.number:
            yield from finish()
            problem, lines = None, []
            if isinstance(row, _Bad):
                current = _OrderIn(row.line, number, dt.datetime.min, "", None, None, None, None)
            else:
                current = _OrderIn(row.line, row.number, row.placed_at, row.currency, row.external_id, row.email,
                                   row.phone, row.name)
            if row.number in seen:
                problem = (row.line, f"the order {row.number!r} is already on line {seen[row.number]} "
                                     "(an order's rows must follow each other)")
            seen.setdefault(number, row.line)
        lines.append(row.line)
        if problem is not None:
            continue
        if isinstance(row, _Bad):
            problem = (row.line, row.reason)
        elif current.currency:  # (an order whose first rows were bad is refused already: nothing to compare)
            problem = _differs_from_first_line(row, current)
        if problem is None and isinstance(row, _Row):
            current.lines.append(row.item)
    yield from finish()


def _differs_from_first_line(row: Any, current: Any) -> tuple[int, str] | None:
    """The problem of a row that does not belong with its order's first line, or None."""
    if (row.placed_at, row.currency) != (current.placed_at, current.currency):
        return (row.line, "the date or currency differs from the order's first line")
    if any(value and value != known for value, known in ((row.external_id, current.external_id),
                                                         (row.email, current.email), (row.phone, current.phone))):
        return (row.line, "the customer differs from the order's first line")
    return None


class _Importer:
    def __init__(self, result: OrderImportResult) -> None:
        self.s = session()
        self.result = result
        self.products: dict[str, tuple[int, str] | None] = {}
        self.postgres = self.s.get_bind().dialect.name == "postgresql"
        self.zone: ZoneInfo | None = None
        self.deltas: dict[rollup.Key, list[int]] = collections.defaultdict(lambda: [0, 0])

    # ------------------------------------------------------------------ lookups
    def _among(self, column: Any, name: str) -> Any:
        """`column IN (…)` of the text list bound as `name`: one array on PostgreSQL (`= ANY`), expanded on SQLite
        (a batch's hundreds of values are otherwise as many placeholders built and bound per query)."""
        if self.postgres:
            return column == sa.any_(sa.bindparam(name, type_=sa.ARRAY(sa.String)))
        return column.in_(sa.bindparam(name, expanding=True))

    def _load_products(self, skus: set[str]) -> None:
        wanted = [sku for sku in skus if sku not in self.products]
        if wanted:
            found = {sku: (pid, name) for pid, sku, name in
                     self.s.execute(sa.select(Product.id, Product.sku, Product.name).where(self._among(Product.sku, "v")),
                                    {"v": wanted})}
            for sku in wanted:
                self.products[sku] = found.get(sku)

    def _customers(self, orders: list[_OrderIn]) -> dict[int, int]:
        """Customer id per order (by position in `orders`); orders whose customer cannot be made are dropped."""
        s = self.s
        live = (Customer.merged_into_id.is_(None), Customer.erased_at.is_(None))
        ext_ids = {o.external_id for o in orders if o.external_id}
        emails = {o.email for o in orders if o.email}
        phones = {o.phone for o in orders if o.phone}
        by_ext: dict[str, int] = dict(s.execute(
            sa.select(CustomerKey.external_id, CustomerKey.customer_id).join(Customer, Customer.id == CustomerKey.customer_id)
            .where(self._among(CustomerKey.external_id, "v"), *live), {"v": sorted(ext_ids)}).all()) if ext_ids else {}
        by_email: dict[str, int] = {}
        if emails:
            for email, owner_cid in s.execute(sa.select(CustomerEmail.email, Customer.id)
                                        .join(Customer, Customer.id == CustomerEmail.customer_id)
                                        .where(self._among(CustomerEmail.email, "v"), *live).order_by(Customer.id),
                                        {"v": sorted(emails)}):
                by_email.setdefault(email, owner_cid)
        by_phone: dict[str, int] = {}
        if phones:
            for number, phone_cid in s.execute(sa.select(CustomerPhone.number, Customer.id)
                                         .join(Customer, Customer.id == CustomerPhone.customer_id)
                                         .where(self._among(CustomerPhone.number, "v"), *live).order_by(Customer.id),
                                         {"v": sorted(phones)}):
                by_phone.setdefault(number, phone_cid)
        found: dict[int, int] = {}
        new_keys: dict[str, int] = {}
        # Customers to create, one per distinct key: an order whose keys were met earlier in the
        # batch goes with that one (negative placeholders), as it would with the customer made.
        pending: list[list[int]] = []  # per new customer: the positions of its orders in `orders`
        made_ext: dict[str, int] = {}
        made_email: dict[str, int] = {}
        made_phone: dict[str, int] = {}
        for index, order in enumerate(orders):
            cid: int | None = ((by_ext.get(order.external_id) or new_keys.get(order.external_id) if order.external_id else None)
                   or (by_email.get(order.email) if order.email else None)
                   or (by_phone.get(order.phone) if order.phone else None))
            if cid is None:
                cid = ((made_ext.get(order.external_id) if order.external_id else None)
                       or (made_email.get(order.email) if order.email else None)
                       or (made_phone.get(order.phone) if order.phone else None))
                if cid is None:
                    pending.append([])
                    cid = -len(pending)
                    if order.email:
                        made_email[order.email] = cid
                    if order.phone:
                        made_phone[order.phone] = cid
                pending[-cid - 1].append(index)
                if order.external_id:
                    made_ext.setdefault(order.external_id, cid)
                continue
            found[index] = cid
            if order.external_id and order.external_id not in by_ext and order.external_id not in new_keys:
                new_keys[order.external_id] = cid
        if pending:
            made = create_customers([self._customer_data(orders[positions[0]]) for positions in pending],
                                    source="import")
            for positions, outcome in zip(pending, made, strict=True):
                if isinstance(outcome, str):
                    for position in positions:
                        self.result.errors.extend(orders[position].refuse(
                            orders[position].line, f"the customer cannot be created: {outcome}"))
                    continue
                self.result.customers_created += 1
                for position in positions:
                    found[position] = outcome
                    external_id = orders[position].external_id
                    if external_id and external_id not in by_ext and external_id not in new_keys:
                        new_keys[external_id] = outcome
        if new_keys:
            s.execute(sa.insert(CustomerKey), [{"external_id": k, "customer_id": v} for k, v in new_keys.items()])
        return found

    @staticmethod
    def _customer_data(order: _OrderIn) -> dict[str, Any]:
        """The customer an order names, as `create_customers` takes it (its name split at the first space)."""
        name = order.name or order.email or order.phone or order.external_id or ""
        given, _, family = name.partition(" ")
        return {"given_name": given, "family_name": family.strip() or None, "lifecycle_stage": "customer",
                "emails": [order.email] if order.email else [], "phones": [order.phone] if order.phone else []}

    # ------------------------------------------------------------------ writing
    def _count(self, order_id_lines: list[tuple[dt.datetime, str, int | None, decimal.Decimal, decimal.Decimal]],
               sign: int) -> None:
        """Rollup deltas of lines (placed_at, currency, product_id, quantity, total)."""
        if self.zone is None:
            self.zone = rollup.writing_zone()
        for placed_at, currency, product_id, quantity, total in order_id_lines:
            if product_id is None:
                continue
            entry = self.deltas[(product_id, currency, placed_at.astimezone(self.zone).date())]
            entry[0] += sign * int((quantity * 1000).to_integral_value())
            entry[1] += sign * rollup.minor_units(total, currency)

    def run(self, batch: list[_OrderIn]) -> None:
        """Write one batch of orders in a savepoint; a batch the database refuses is reported as such."""
        self._load_products({item.sku for order in batch for item in order.lines if item.sku})
        good: list[_OrderIn] = []
        for order in batch:
            bad = next((item for item in order.lines if item.sku and self.products.get(item.sku) is None), None)
            if bad is not None:
                self.result.errors.extend(order.refuse(bad.line, f"the SKU {bad.sku!r} is not a product"))
            else:
                good.append(order)
        if not good:
            return
        saved = (self.result.created, self.result.updated, self.result.lines, self.result.customers_created,
                 len(self.result.errors), {k: list(v) for k, v in self.deltas.items()})
        try:
            with self.s.begin_nested():
                self._write(good)
        except SQLAlchemyError as exc:
            (self.result.created, self.result.updated, self.result.lines, self.result.customers_created,
             count, deltas) = saved
            del self.result.errors[count:]
            self.deltas.clear()
            self.deltas.update(deltas)
            reason = f"not saved: the database refused the batch ({type(getattr(exc, 'orig', exc)).__name__})"
            self.result.errors.extend((item.line, reason) for order in good for item in order.lines)

    def _write(self, batch: list[_OrderIn]) -> None:
        s = self.s
        customers = self._customers(batch)
        orders = [order for index, order in enumerate(batch) if index in customers]
        customer_of = {order.number: customers[index] for index, order in enumerate(batch) if index in customers}
        if not orders:
            return
        known = {number: (oid, status) for oid, number, status in s.execute(
            sa.select(Order.id, Order.external_number, Order.status)
            .where(self._among(Order.external_number, "v")), {"v": [o.number for o in orders]})}
        now = utcnow()
        new = [o for o in orders if o.number not in known]
        old = [o for o in orders if o.number in known]
        totals = {o.number: sum((item.amount for item in o.lines), _ZERO) for o in orders}
        if old:
            old_ids = [known[o.number][0] for o in old]
            counted = [oid for oid, status in known.values() if status in rollup.COUNTED and oid in set(old_ids)]
            if counted:
                self._count(list(s.execute(
                    sa.select(Order.placed_at, Order.currency, OrderLine.product_id, OrderLine.quantity, OrderLine.total)
                    .join(Order, Order.id == OrderLine.order_id).where(OrderLine.order_id.in_(counted))).all()), -1)
            s.execute(sa.delete(OrderLine).where(OrderLine.order_id.in_(old_ids)))
            s.execute(sa.update(Order), [
                {"id": known[o.number][0], "customer_id": customer_of[o.number], "currency": o.currency,
                 "placed_at": o.placed_at, "subtotal": totals[o.number], "total": totals[o.number],
                 "discount_total": _ZERO, "tax_total": _ZERO} for o in old])
        ids: dict[str, int] = {cast(str, number): oid for number, (oid, _) in known.items()}
        if new:
            table = cast(sa.Table, Order.__table__)
            rows = [(NUMBER_PREFIX + o.number, customer_of[o.number], o.currency, totals[o.number], 0, 0,
                     totals[o.number], now, STATUS, CHANNEL, o.placed_at, o.number) for o in new]
            reserved = reserve_ids(table, len(new))
            if reserved is not None:
                bulk_insert(table, ORDER_INSERT, [(oid, *row) for oid, row in zip(reserved, rows, strict=True)])
                ids.update((o.number, oid) for o, oid in zip(new, reserved, strict=True))
            else:
                bulk_insert(table, ORDER_INSERT[1:], rows)
                ids.update((cast(str, number), oid) for number, oid in s.execute(
                    sa.select(Order.external_number, Order.id).where(self._among(Order.external_number, "v")),
                    {"v": [o.number for o in new]}))
        lines: list[tuple[Any, ...]] = []
        facts: list[tuple[dt.datetime, str, int | None, decimal.Decimal, decimal.Decimal]] = []
        for order in orders:
            counts = order.number not in known or known[order.number][1] in rollup.COUNTED
            for position, item in enumerate(order.lines):
                product = self.products.get(item.sku) if item.sku else None
                product_id = product[0] if product else None
                description = item.description or (product[1] if product else "")
                unit_price = _round(item.amount / item.quantity, order.currency)
                quantity = item.quantity
                # zeros and whole quantities as ints: `bulk_insert` converts a repeated int once, a Decimal every time
                lines.append((ids[order.number], product_id, position, description,
                              int(quantity) if quantity == quantity.to_integral_value() else quantity, unit_price, 0,
                              0, item.amount, 0, item.amount))
                if counts:
                    facts.append((order.placed_at, order.currency, product_id, item.quantity, item.amount))
        bulk_insert(cast(sa.Table, OrderLine.__table__), LINE_INSERT, lines)
        self._count(facts, 1)
        self.result.created += len(new)
        self.result.updated += len(old)
        self.result.lines += len(lines)

    def finish(self) -> None:
        """Apply the rollup deltas gathered over the whole import."""
        rollup.add_deltas({key: (q, r) for key, (q, r) in self.deltas.items() if q or r})


def _open_transaction() -> None:
    """Begin a real transaction on SQLite before the first savepoint (see `lead_import._open_transaction`)."""
    connection = session().connection()
    if connection.dialect.name == "sqlite":
        raw = connection.connection.dbapi_connection
        if raw is not None and not raw.in_transaction:
            connection.exec_driver_sql("BEGIN")


def import_orders(source: str | os.PathLike[str] | IO[Any], *, dry_run: bool = False, batch_size: int = BATCH_SIZE,
                  default_currency: str | None = None, name: str | None = None) -> OrderImportResult:
    """Import the past orders of a CSV file (a path, or a binary or text stream) in the current session.

    Rows are order lines (see the module doc); bad ones are reported as (line, reason) and the
    good orders kept. `default_currency` is the currency of rows without one (the site's by
    default). With `dry_run` everything is done in a savepoint and rolled back: the result says
    what would be done. Flushed, not committed. Raises `CsvFileError` when the file cannot be
    read at all and `OrderImportError` for a bad option.
    """
    if batch_size < 1:
        raise OrderImportError("batch_size must be at least 1")
    result = OrderImportResult(dry_run=dry_run)
    s = session()
    with CsvRows(source, ORDER_COLUMNS) as rows:
        parser = _Parser(default_currency or core_currency())
        parser.currency(None)  # an unknown default currency is refused before any row
        _open_transaction()
        if not dry_run:
            transaction_lock(s, IMPORT_LOCK)
        outer = s.begin_nested() if dry_run else None
        importer = _Importer(result)
        for batch in batches(_orders(rows.parsed(parser, result.errors), result.errors), batch_size):
            importer.run(batch)
        importer.finish()
        if outer is not None:
            outer.rollback()
    result.errors.sort()
    if not dry_run:
        audit("import", Order.__tablename__, None,
              after={"file": (name or (os.fspath(source) if isinstance(source, (str, os.PathLike)) else "upload"))[:200],
                     **result.summary()})
        s.flush()
    return result
