"""Catalog rules: categories, products (SKU, unit, tax class, stock flag), price lists and prices.

Used by the API, the staff pages and the CLI. The product list is `PRODUCTS` (the list kit); a price
is one row per (price list, product), set with an upsert.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from payvand.plugins.sales import pricing
from payvand.plugins.sales.models import MAX_ID, Category, Price, PriceList, Product
from payvand.sdk import Actor, Filter, ListContext, ListSpec, Page, Sort, SortKey

#: Tax classes a product may have: `standard` pays the VAT setting, `exempt` pays none.
TAX_CLASSES = ("standard", "exempt")
KINDS = ("product", "service")
#: The largest id a row can have (BIGINT); larger ones are simply not found.
PRODUCT_FIELDS = ("sku", "name", "kind", "category_id", "unit", "tax_class", "in_stock", "description", "active")


class CatalogError(Exception):
    """A catalog rule was broken: `status` 404 (missing), 409 (conflict) or 422 (invalid `field`)."""

    def __init__(self, message: str, *, status: int = 422, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.field = field


# --------------------------------------------------------------------------- categories


def create_category(session: Session, name: str, parent_id: int | None = None) -> Category:
    """Add a category (under `parent_id` when given, which must exist)."""
    if parent_id is not None and session.get(Category, parent_id) is None:
        raise CatalogError(f"There is no category {parent_id}.", field="parent_id")
    category = Category(name=name.strip(), parent_id=parent_id)
    session.add(category)
    session.flush()
    return category


def list_categories(session: Session) -> Sequence[Category]:
    """Every category, by name then id."""
    return session.scalars(sa.select(Category).order_by(Category.name, Category.id)).all()


# --------------------------------------------------------------------------- products


def _check_product(session: Session, data: Mapping[str, Any], current: Product | None = None) -> None:
    if "kind" in data and data["kind"] not in KINDS:
        raise CatalogError(f"Unknown kind; use one of: {', '.join(KINDS)}.", field="kind")
    if "tax_class" in data and data["tax_class"] not in TAX_CLASSES:
        raise CatalogError(f"Unknown tax class; use one of: {', '.join(TAX_CLASSES)}.", field="tax_class")
    if data.get("category_id") is not None and session.get(Category, data["category_id"]) is None:
        raise CatalogError(f"There is no category {data['category_id']}.", field="category_id")
    sku = data.get("sku")
    if sku is not None and (current is None or sku != current.sku):
        taken = session.scalar(sa.select(Product.id).where(Product.sku == sku))
        if taken is not None:
            raise CatalogError(f"The SKU {sku!r} is already used by product {taken}.", status=409, field="sku")


def create_product(session: Session, data: Mapping[str, Any]) -> Product:
    """Add a product from `data` (PRODUCT_FIELDS; `sku` and `name` required, `sku` unique)."""
    _check_product(session, data)
    product = Product(**{key: data[key] for key in PRODUCT_FIELDS if key in data})
    session.add(product)
    session.flush()
    return product


def update_product(session: Session, product: Product, data: Mapping[str, Any]) -> Product:
    """Change the given fields of `product` (same rules as creation)."""
    _check_product(session, data, product)
    for key in PRODUCT_FIELDS:
        if key in data:
            setattr(product, key, data[key])
    session.flush()
    return product


def get_product(session: Session, product_id: int) -> Product:
    """The product with this id; CatalogError 404 if there is none."""
    product = session.get(Product, product_id) if 1 <= product_id <= MAX_ID else None
    if product is None:
        raise CatalogError(f"There is no product {product_id}.", status=404)
    return product


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _search(value: str, _operator: str, _context: ListContext) -> Any:
    pattern = _like(value.strip())
    return sa.or_(Product.name.ilike(pattern, escape="\\"), Product.sku.ilike(pattern, escape="\\"))


#: The product list (API, the product page, a price list's prices page): search `q` in the name or
#: SKU, filters `category_id` and `active`; by id (oldest first), one opaque cursor.
PRODUCTS = ListSpec(
    name="sales.products",
    model=Product,
    filters=(
        Filter("q", "text", apply=_search, description="Part of the name or SKU"),
        Filter("category_id", "id", column=Product.category_id),
        Filter("active", "boolean", column=Product.active),
    ),
    sorts=(Sort("id", (SortKey(Product.id, "id", "id"),)),),
)


def list_products(session: Session, args: Mapping[str, Any], actor: Actor | None = None) -> Page:
    """One page of products by id, filtered by `args` (PRODUCTS' arguments).

    Raises BadCursor for a cursor the product list did not make.
    """
    return PRODUCTS.page(session, args, actor)


# --------------------------------------------------------------------------- price lists and prices


def create_price_list(session: Session, name: str, currency: str = "IRR", is_default: bool = False) -> PriceList:
    """Add a price list; the first one, or one marked `is_default`, becomes the default."""
    try:
        pricing.currency_places(currency)
    except ValueError as exc:
        raise CatalogError(str(exc), field="currency") from None
    if session.scalar(sa.select(PriceList.id).where(PriceList.name == name)) is not None:
        raise CatalogError(f"There is already a price list named {name!r}.", status=409, field="name")
    if not is_default:
        is_default = session.scalar(sa.select(PriceList.id).limit(1)) is None
    if is_default:
        session.execute(sa.update(PriceList).values(is_default=False))
    price_list = PriceList(name=name, currency=currency, is_default=is_default)
    session.add(price_list)
    session.flush()
    return price_list


def list_price_lists(session: Session) -> Sequence[PriceList]:
    """Every price list, the default first."""
    return session.scalars(sa.select(PriceList).order_by(PriceList.is_default.desc(), PriceList.name)).all()


def get_price_list(session: Session, price_list_id: int) -> PriceList:
    """The price list with this id; CatalogError 404 if there is none."""
    found = session.get(PriceList, price_list_id) if 1 <= price_list_id <= MAX_ID else None
    if found is None:
        raise CatalogError(f"There is no price list {price_list_id}.", status=404)
    return found


def default_price_list(session: Session) -> PriceList | None:
    """The default price list (None when there is no price list yet)."""
    return session.scalar(sa.select(PriceList).order_by(PriceList.is_default.desc(), PriceList.id).limit(1))


def set_price(session: Session, price_list: PriceList, product_id: int, unit_price: decimal.Decimal) -> Price:
    """Set `product_id`'s unit price in `price_list`, rounded to the list's currency."""
    get_product(session, product_id)
    if unit_price < 0:
        raise CatalogError("A price must not be negative.", field="unit_price")
    amount = pricing.round_money(unit_price, price_list.currency)
    price = session.get(Price, (price_list.id, product_id))
    if price is None:
        price = Price(price_list_id=price_list.id, product_id=product_id, unit_price=amount)
        session.add(price)
    else:
        price.unit_price = amount
    session.flush()
    return price


def update_price_list(session: Session, price_list: PriceList, data: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Change a price list's `name`, `currency` and `is_default`; return the changes as `{field: [old, new]}`.

    The rule of `create_price_list` holds: there is exactly one default list, so marking a list
    as default takes the flag from the others, and the default cannot be unmarked (mark another
    one instead). The currency of a list that has prices cannot change (its amounts would be
    read in another currency).
    """
    changes: dict[str, list[Any]] = {}
    name = data.get("name", price_list.name)
    if name != price_list.name:
        taken = session.scalar(sa.select(PriceList.id).where(PriceList.name == name, PriceList.id != price_list.id))
        if taken is not None:
            raise CatalogError(f"There is already a price list named {name!r}.", status=409, field="name")
        changes["name"] = [price_list.name, name]
    currency = data.get("currency", price_list.currency)
    if currency != price_list.currency:
        try:
            pricing.currency_places(currency)
        except ValueError as exc:
            raise CatalogError(str(exc), field="currency") from None
        if session.scalar(sa.select(Price.product_id).where(Price.price_list_id == price_list.id).limit(1)) is not None:
            raise CatalogError("The currency of a price list that has prices cannot change.", field="currency")
        changes["currency"] = [price_list.currency, currency]
    is_default = bool(data.get("is_default", price_list.is_default))
    if price_list.is_default and not is_default:
        raise CatalogError("There must be a default price list: mark another list as the default instead.",
                           field="is_default")
    if is_default and not price_list.is_default:
        session.execute(sa.update(PriceList).where(PriceList.id != price_list.id).values(is_default=False)
                        .execution_options(synchronize_session="fetch"))
        changes["is_default"] = [False, True]
    price_list.name, price_list.currency, price_list.is_default = name, currency, is_default
    session.flush()
    return changes


def set_prices(session: Session, price_list: PriceList,
               amounts: Mapping[int, decimal.Decimal | None]) -> dict[int, list[str | None]]:
    """Set or (None) remove several products' prices in a list at once; return `{product_id: [old, new]}` of the changes.

    Amounts are rounded to the list's currency (`pricing.round_money`); negative ones raise
    CatalogError. A constant number of statements whatever the count: one SELECT of the
    products, one of their prices, then one executemany INSERT, UPDATE and one DELETE.
    """
    if not amounts:
        return {}
    rounded: dict[int, decimal.Decimal | None] = {}
    for product_id, amount in amounts.items():
        if amount is not None and amount < 0:
            raise CatalogError("A price must not be negative.", field=f"price-{product_id}")
        rounded[product_id] = None if amount is None else pricing.round_money(amount, price_list.currency)
    ids = sorted(rounded)
    known = set(session.scalars(sa.select(Product.id).where(Product.id.in_(ids))))
    missing = [product_id for product_id in ids if product_id not in known]
    if missing:
        raise CatalogError(f"There is no product {missing[0]}.", status=404)
    current = dict(session.execute(sa.select(Price.product_id, Price.unit_price).where(
        Price.price_list_id == price_list.id, Price.product_id.in_(ids))).all())
    new, changed, removed = [], [], []
    changes: dict[int, list[str | None]] = {}
    for product_id, amount in rounded.items():
        old = current.get(product_id)
        if amount is None:
            if old is not None:
                removed.append(product_id)
        elif old is None:
            new.append({"price_list_id": price_list.id, "product_id": product_id, "unit_price": amount})
        elif old != amount:
            changed.append({"price_list_id": price_list.id, "product_id": product_id, "unit_price": amount})
        else:
            continue
        if old != amount:
            changes[product_id] = [None if old is None else format(old.normalize(), "f"),
                                   None if amount is None else format(amount.normalize(), "f")]
    if new:
        session.execute(sa.insert(Price), new)
    if changed:
        session.execute(sa.update(Price), changed)
    if removed:
        session.execute(sa.delete(Price).where(Price.price_list_id == price_list.id, Price.product_id.in_(removed))
                        .execution_options(synchronize_session=False))
    session.flush()
    return changes


def price_counts(session: Session) -> dict[int, int]:
    """How many prices each price list holds (one GROUP BY)."""
    return dict(session.execute(sa.select(Price.price_list_id, sa.func.count()).group_by(Price.price_list_id)).all())


def prices_in(session: Session, price_list_id: int) -> list[tuple[int, decimal.Decimal]]:
    """(product id, unit price) of every price in a list, by product id."""
    return [(row.product_id, row.unit_price) for row in session.execute(
        sa.select(Price.product_id, Price.unit_price).where(Price.price_list_id == price_list_id).order_by(Price.product_id))]


def products_with_prices(session: Session, product_ids: Iterable[int],
                         price_list_id: int | None) -> dict[int, tuple[Product, decimal.Decimal | None]]:
    """The products of `product_ids` with their price in the list (None if unpriced), one query."""
    ids = sorted(set(product_ids))
    if not ids:
        return {}
    if price_list_id is None:
        return {p.id: (p, None) for p in session.scalars(sa.select(Product).where(Product.id.in_(ids)))}
    query = (sa.select(Product, Price.unit_price).where(Product.id.in_(ids))
             .outerjoin(Price, sa.and_(Price.product_id == Product.id, Price.price_list_id == price_list_id)))
    return {product.id: (product, price) for product, price in session.execute(query)}


# --------------------------------------------------------------------------- outside catalogs


def sync_catalog(session: Session, catalog: Any) -> dict[str, int]:
    """Import an outside catalog (an item of the `payvand_catalogs` hook) in bulk: upsert by SKU.

    Products are marked with `source` = the catalog's name; each price goes to the default
    price list when its currency matches, else to a list named "<catalog> <currency>" (made on
    demand). Returns {"created": n, "updated": n}. A row without sku, name or unit_price raises
    CatalogError naming the row.
    """
    rows = list(catalog.products())
    for n, row in enumerate(rows):
        if not row.get("sku") or not row.get("name") or not isinstance(row.get("unit_price"), (decimal.Decimal, int)):
            raise CatalogError(f"Row {n + 1} of catalog {catalog.name!r} needs sku, name and an exact unit_price.",
                               field=f"products.{n}")
    skus = [str(row["sku"])[:64] for row in rows]
    existing = {p.sku: p for p in session.scalars(sa.select(Product).where(Product.sku.in_(skus)))} if skus else {}
    categories = {c.name: c for c in session.scalars(sa.select(Category))}
    default = default_price_list(session)
    lists: dict[str, PriceList] = {}
    created = updated = 0
    products: list[tuple[Product, dict[str, Any]]] = []
    for sku, row in zip(skus, rows, strict=True):
        product = existing.get(sku)
        if product is None:
            product = Product(sku=sku)
            session.add(product)
            existing[sku] = product
            created += 1
        else:
            updated += 1
        product.name = str(row["name"])[:200]
        product.source = str(catalog.name)[:64]
        for key in ("unit", "description", "in_stock"):
            if key in row:
                setattr(product, key, row[key])
        if row.get("tax_class") in TAX_CLASSES:
            product.tax_class = row["tax_class"]
        if row.get("category"):
            category = categories.get(row["category"])
            if category is None:
                category = categories[row["category"]] = Category(name=str(row["category"])[:120])
                session.add(category)
            products.append((product, {"category": category}))
        products.append((product, {"row": row}))
    session.flush()
    for product, extra in products:
        if "category" in extra:
            product.category_id = extra["category"].id
            continue
        row = extra["row"]
        currency = str(row.get("currency") or (default.currency if default else "IRR"))
        if default is not None and default.currency == currency:
            target = default
        else:
            name = f"{catalog.name} {currency}"
            target = lists.get(name) or session.scalar(sa.select(PriceList).where(PriceList.name == name)) \
                or create_price_list(session, name, currency)
            lists[name] = target
            default = default or target
        set_price(session, target, product.id, decimal.Decimal(row["unit_price"]))
    return {"created": created, "updated": updated}
