"""Importing products from a CSV file: upsert by SKU in batches, bad rows reported and skipped.

Columns (English or Persian headers, any order): sku (شناسه کالا), name (نام), category (دسته),
unit (واحد), price (قیمت), currency (ارز), tax_class (کلاس مالیاتی), in_stock (موجود). Only sku
and name are required. Per batch: one query finds the batch's existing products by SKU and one
its existing prices; categories and price lists are read once. A price goes to the default
price list when its currency matches, else to the first list in that currency (made on demand,
named "Import <currency>"), rounded to the currency by `pricing.round_money`. New products and
prices are written in one go per batch: on PostgreSQL the products' ids are reserved from the
sequence and both go in through `COPY` (`payvand.sdk.bulk_insert`); on SQLite through
executemany INSERTs (the new products' ids then read back by SKU).
"""

from __future__ import annotations

import dataclasses
import decimal
import os
from collections.abc import Iterator
from typing import IO, Any, cast

import sqlalchemy as sa

from payvand.plugins.sales import pricing
from payvand.plugins.sales.models import Price, PriceList, Product
from payvand.plugins.sales.services import catalog
from payvand.plugins.sales.services.csv_rows import (
    Columns,
    CsvFileError,
    CsvRows,
    batches,
    latin_digits,
    parse_yes_no,
)
from payvand.sdk import bulk_insert, reserve_ids, session, utcnow

COLUMNS = ("sku", "name", "category", "unit", "price", "currency", "tax_class", "in_stock")
#: Header spellings (matched folded: case, ZWNJ, spaces and Arabic letter forms ignored) -> column.
HEADERS: dict[str, str] = {
    **{name: name for name in COLUMNS},
    "شناسه کالا": "sku", "شناسه": "sku", "کد کالا": "sku",
    "نام": "name", "نام کالا": "name",
    "دسته": "category", "دسته‌بندی": "category",
    "واحد": "unit",
    "قیمت": "price",
    "ارز": "currency", "واحد پول": "currency",
    "کلاس مالیاتی": "tax_class", "کلاس مالیات": "tax_class", "مالیات": "tax_class",
    "موجود": "in_stock", "موجودی": "in_stock",
}
PRODUCT_COLUMNS = Columns(HEADERS, required=(("sku",), ("name",)))
#: The columns of a new product and of a new price as `bulk_insert` writes them on PostgreSQL.
PRODUCT_INSERT = ("id", "sku", "name", "kind", "category_id", "unit", "tax_class", "in_stock", "active", "created_at")
PRICE_INSERT = ("price_list_id", "product_id", "unit_price")
TAX_WORDS = {"standard": "standard", "exempt": "exempt", "استاندارد": "standard", "عادی": "standard",
             "معاف": "exempt"}

#: The file cannot be imported at all (no header, no sku or name column, unknown columns).
ImportFileError = CsvFileError


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
        values["in_stock"] = parse_yes_no(get["in_stock"], "in_stock")
    currency = get.get("currency", "").upper() or None
    if currency is not None:
        try:
            pricing.currency_places(currency)
        except ValueError:
            raise ValueError(f"unknown currency {get['currency']!r}") from None
    price = None
    if get.get("price"):
        text = latin_digits(get["price"]).replace(",", "").replace(" ", "")
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
        self.copy = self.s.get_bind().dialect.name == "postgresql"  # new rows through COPY (`bulk_insert`)

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
        now = utcnow()
        for row in batch:
            values = dict(row.values)
            if row.category is not None:
                values["category_id"] = self.category_id(row.category)
            if row.sku in existing:
                updates.append({"id": existing[row.sku], **values})
            else:
                inserts.append({"sku": row.sku, "unit": "unit", "tax_class": "standard", "in_stock": True,
                                "category_id": None, "kind": "product", "active": True, "created_at": now,
                                **values})
        if inserts:
            table = cast(sa.Table, Product.__table__)
            ids = reserve_ids(table, len(inserts))
            if ids is not None:  # PostgreSQL: ids from the sequence, rows through COPY
                bulk_insert(table, PRODUCT_INSERT, [(product_id, *[values[name] for name in PRODUCT_INSERT[1:]])
                                                    for product_id, values in zip(ids, inserts, strict=True)])
                existing.update((values["sku"], product_id) for product_id, values in zip(ids, inserts, strict=True))
            else:  # executemany; then one SELECT for the new ids
                s.execute(sa.insert(table), inserts)
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
        if new and self.copy:
            bulk_insert(cast(sa.Table, Price.__table__), PRICE_INSERT,
                        [(v["price_list_id"], v["product_id"], v["unit_price"]) for v in new])
        elif new:
            s.execute(sa.insert(Price), new)
        if old:
            s.execute(sa.update(Price), old)


def import_products(source: str | os.PathLike[str] | IO[Any], *, batch_size: int = 500) -> ImportResult:
    """Upsert the products of a CSV file (a path, or a binary or text stream) by SKU in the current
    session (flushed, not committed). Raises ImportFileError when the file cannot be read at all."""
    with CsvRows(source, PRODUCT_COLUMNS) as rows:
        importer = _Importer()
        seen: dict[str, int] = {}

        def good_rows() -> Iterator[_Row]:
            for row in rows.parsed(lambda item: _parse(item.line, item.cells, importer.default_currency),
                                   importer.result.errors):
                if row.sku in seen:
                    importer.result.errors.append((row.line, f"the SKU {row.sku!r} is already on line {seen[row.sku]}"))
                    continue
                seen[row.sku] = row.line
                yield row

        for batch in batches(good_rows(), batch_size):
            importer.run(batch)
    importer.result.errors.sort()
    return importer.result
