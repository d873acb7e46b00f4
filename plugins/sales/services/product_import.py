"""Importing products from a CSV file: upsert by SKU in batches, bad rows reported and skipped.

Columns (English or Persian headers, any order): sku (شناسه کالا), name (نام), category (دسته),
unit (واحد), price (قیمت), currency (ارز), tax_class (کلاس مالیاتی), in_stock (موجود). Only sku
and name are required. Per batch: one query finds the batch's existing products by SKU and one
its existing prices; categories and price lists are read once. A price goes to the default
price list when its currency matches, else to the first list in that currency (made on demand,
named "Import <currency>"), rounded to the currency by `pricing.round_money`.
"""

from __future__ import annotations

import csv
import dataclasses
import decimal
from collections.abc import Iterable, Iterator
from typing import IO, Any

import sqlalchemy as sa
from payvand.plugins.sales import pricing
from payvand.plugins.sales.models import Price, PriceList, Product
from payvand.plugins.sales.services import catalog
from payvand.sdk import session, utcnow

COLUMNS = ("sku", "name", "category", "unit", "price", "currency", "tax_class", "in_stock")
#: Header spellings (after trimming and lower-casing) -> column.
HEADERS: dict[str, str] = {
    **{name: name for name in COLUMNS},
    "شناسه کالا": "sku", "شناسه": "sku", "کد کالا": "sku",
    "نام": "name", "نام کالا": "name",
    "دسته": "category", "دسته‌بندی": "category", "دسته بندی": "category",
    "واحد": "unit",
    "قیمت": "price",
    "ارز": "currency", "واحد پول": "currency",
    "کلاس مالیاتی": "tax_class", "کلاس مالیات": "tax_class", "مالیات": "tax_class",
    "موجود": "in_stock", "موجودی": "in_stock",
}


def _fold(text: str) -> str:
    """A header folded for matching: Arabic ye/kaf as Persian, zero-width non-joiners as spaces, lower case."""
    text = text.replace("\u200c", " ").replace("ي", "ی").replace("ك", "ک")
    return " ".join(text.split()).lower()


_HEADERS = {_fold(spelling): column for spelling, column in HEADERS.items()}
TAX_WORDS = {"standard": "standard", "exempt": "exempt", "استاندارد": "standard", "عادی": "standard",
             "معاف": "exempt"}
TRUE_WORDS = {"1", "true", "yes", "y", "بله", "آری", "دارد", "موجود"}
FALSE_WORDS = {"0", "false", "no", "n", "خیر", "ندارد", "ناموجود"}
_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩٬،", "01234567890123456789,,")


class ImportFileError(Exception):
    """The file cannot be imported at all (no header, no sku or name column, unknown columns)."""


@dataclasses.dataclass
class ImportResult:
    """What an import did: products created and updated, and (line, reason) of every rejected row."""

    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class _Row:
    line: int
    sku: str
    values: dict[str, Any]
    category: str | None
    price: decimal.Decimal | None
    currency: str | None


def _header(fields: list[str] | None) -> list[str]:
    if not fields:
        raise ImportFileError("The file is empty: it needs a header line.")
    columns = []
    unknown = []
    for raw in fields:
        column = _HEADERS.get(_fold(raw or ""))
        if column is None:
            unknown.append(raw)
        columns.append(column or "")
    if unknown:
        raise ImportFileError(f"Unknown columns: {', '.join(map(repr, unknown))}; use {', '.join(COLUMNS)}.")
    for required in ("sku", "name"):
        if required not in columns:
            raise ImportFileError(f"The file has no {required} column.")
    return columns


def _parse(line: int, record: dict[str, str], default_currency: str) -> _Row:
    """One CSV record checked and converted; ValueError with the reason when it is bad."""
    get = {k: (v or "").strip() for k, v in record.items()}
    sku, name = get.get("sku", ""), get.get("name", "")
    if not sku:
        raise ValueError("the SKU is missing")
    if len(sku) > 64:
        raise ValueError("the SKU is longer than 64 characters")
    if not name:
        raise ValueError("the name is missing")
    if len(name) > 200:
        raise ValueError("the name is longer than 200 characters")
    values: dict[str, Any] = {"name": name}
    if get.get("unit"):
        if len(get["unit"]) > 32:
            raise ValueError("the unit is longer than 32 characters")
        values["unit"] = get["unit"]
    if get.get("tax_class"):
        tax = TAX_WORDS.get(get["tax_class"].lower())
        if tax is None:
            raise ValueError(f"unknown tax class {get['tax_class']!r}; use {' or '.join(catalog.TAX_CLASSES)}")
        values["tax_class"] = tax
    if get.get("in_stock"):
        word = get["in_stock"].translate(_DIGITS).lower()
        if word not in TRUE_WORDS | FALSE_WORDS:
            raise ValueError(f"in_stock {get['in_stock']!r} is not yes or no")
        values["in_stock"] = word in TRUE_WORDS
    currency = get.get("currency", "").upper() or None
    if currency is not None:
        try:
            pricing.currency_places(currency)
        except ValueError:
            raise ValueError(f"unknown currency {get['currency']!r}") from None
    price = None
    if get.get("price"):
        text = get["price"].translate(_DIGITS).replace(",", "").replace(" ", "")
        try:
            price = decimal.Decimal(text)
        except decimal.InvalidOperation:
            raise ValueError(f"the price {get['price']!r} is not a number") from None
        if not price.is_finite() or price < 0:
            raise ValueError("the price must be a number of at least 0")
        if price >= decimal.Decimal("1e15"):
            raise ValueError("the price is too large")
        currency = currency or default_currency
        if pricing.round_money(price, currency) != price:
            raise ValueError(f"the price has more decimals than {currency} allows")
    category = get.get("category") or None
    if category is not None and len(category) > 120:
        raise ValueError("the category is longer than 120 characters")
    return _Row(line, sku, values, category, price, currency)


def _batches(rows: Iterable[_Row], size: int) -> Iterator[list[_Row]]:
    batch: list[_Row] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class _Importer:
    def __init__(self) -> None:
        self.s = session()
        self.default = catalog.default_price_list(self.s)
        self.default_currency = self.default.currency if self.default else "IRR"
        self.categories = {c.name: c for c in catalog.list_categories(self.s)}
        self.lists: dict[str, PriceList] = {}
        for price_list in catalog.list_price_lists(self.s):  # the default first, then by name
            self.lists.setdefault(price_list.currency, price_list)
        self.result = ImportResult()

    def price_list(self, currency: str) -> PriceList:
        found = self.lists.get(currency)
        if found is None:
            found = self.lists[currency] = catalog.create_price_list(self.s, f"Import {currency}", currency)
        return found

    def category_id(self, name: str) -> int:
        found = self.categories.get(name)
        if found is None:
            found = self.categories[name] = catalog.create_category(self.s, name)
        return found.id

    def run(self, batch: list[_Row]) -> None:
        """Upsert one batch: one SELECT of its SKUs, one INSERT (and SELECT of their ids) of the new products, one UPDATE
        (executemany) of the known ones, then one SELECT, INSERT and UPDATE for their prices."""
        s = self.s
        s.flush()
        existing = dict(s.execute(sa.select(Product.sku, Product.id).where(Product.sku.in_([r.sku for r in batch]))).all())
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for row in batch:
            values = dict(row.values)
            if row.category is not None:
                values["category_id"] = self.category_id(row.category)
            if row.sku in existing:
                updates.append({"id": existing[row.sku], **values})
            else:
                inserts.append({"sku": row.sku, "unit": "unit", "tax_class": "standard", "in_stock": True,
                                "category_id": None, "kind": "product", "active": True, "created_at": utcnow(),
                                **values})
        if inserts:
            s.execute(sa.insert(Product.__table__), inserts)  # executemany; then one SELECT for the new ids
            existing.update(s.execute(sa.select(Product.sku, Product.id)
                                      .where(Product.sku.in_([values["sku"] for values in inserts]))).all())
        if updates:
            for keys in {tuple(sorted(u)) for u in updates}:  # one executemany per set of columns given
                s.execute(sa.update(Product), [u for u in updates if tuple(sorted(u)) == keys])
        self.result.created += len(inserts)
        self.result.updated += len(updates)
        priced = [row for row in batch if row.price is not None]
        if not priced:
            return
        amounts = {}
        for row in priced:
            target = self.price_list(row.currency or self.default_currency)
            amounts[(target.id, existing[row.sku])] = pricing.round_money(row.price, target.currency)  # type: ignore[arg-type]
        known = set(s.execute(sa.select(Price.price_list_id, Price.product_id)
                              .where(sa.tuple_(Price.price_list_id, Price.product_id).in_(list(amounts)))).all())
        new = [{"price_list_id": k[0], "product_id": k[1], "unit_price": v} for k, v in amounts.items() if k not in known]
        old = [{"price_list_id": k[0], "product_id": k[1], "unit_price": v} for k, v in amounts.items() if k in known]
        if new:
            s.execute(sa.insert(Price), new)
        if old:
            s.execute(sa.update(Price), old)


def import_products(handle: IO[str], *, batch_size: int = 500) -> ImportResult:
    """Upsert the products of a CSV file by SKU in the current session (flushed, not committed)."""
    reader = csv.reader(handle)
    try:
        columns = _header(next(reader, None))
    except csv.Error as exc:
        raise ImportFileError(f"line 1: {exc}") from None
    importer = _Importer()
    seen: dict[str, int] = {}

    def good_rows() -> Iterator[_Row]:
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                importer.result.errors.append((reader.line_num, str(exc)))
                continue
            line = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) > len(columns):
                importer.result.errors.append((line, f"{len(cells)} cells for {len(columns)} columns"))
                continue
            record = {column: cell for column, cell in zip(columns, cells) if column}
            try:
                row = _parse(line, record, importer.default_currency)
            except ValueError as exc:
                importer.result.errors.append((line, str(exc)))
                continue
            if row.sku in seen:
                importer.result.errors.append((line, f"the SKU {row.sku!r} is already on line {seen[row.sku]}"))
                continue
            seen[row.sku] = line
            yield row

    for batch in _batches(good_rows(), batch_size):
        importer.run(batch)
    importer.result.errors.sort()
    return importer.result
