"""Staff forms of the catalog and documents: new and edit product (with its default-list price), new quote.

Numbers are typed in any digits with ٬ or , separators (`read_number`, every staff form's rule); the quote's date in
Jalali when the page is in Persian (`parse_date`, which also refuses dates outside the business-date
range, 1900-01-01 … 2199-12-31). Rules are checked by the services; their
errors are shown next to the field they name, with status 422.
"""

from __future__ import annotations

import decimal
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale

from payvand.plugins.sales import permissions as perm
from payvand.plugins.sales.models import Price, Product
from payvand.plugins.sales.services import catalog, documents
from payvand.plugins.sales.services.catalog import CatalogError
from payvand.plugins.sales.services.documents import DocumentError, LineIn
from payvand.plugins.sales.views import as_id, bp
from payvand.plugins.sales.views.activities import customer_picks
from payvand.plugins.sales.views.messages import service_message
from payvand.sdk import (
    BUSINESS_DATE_MESSAGE,
    Customer,
    FormResult,
    parse_date,
    read_number,
    session,
    staff_required,
)
from payvand.sdk import gettext as _

#: Line rows on the new-quote form.
LINE_ROWS = 10
#: Products offered in a line's select (active ones, by name).
PRODUCT_CHOICES = 500
_TEXT_LIMITS = {"sku": 64, "name": 200, "unit": 32}


def _number(form: FormResult, name: str, text: str) -> decimal.Decimal | None:
    """The exact number typed in `name` (None when empty); an error on the field when it is not one."""
    if not text.strip():
        return None
    try:
        value = read_number(text)  # the staff forms' one number rule
    except ValueError as exc:
        form.errors.setdefault(name, []).append(str(exc))
        return None
    if not value.is_finite() or value < 0 or abs(value) >= documents.MAX_AMOUNT:
        form.errors.setdefault(name, []).append(_("Enter a number between 0 and 10¹⁵."))
        return None
    return value


def _id(text: str) -> int | None:
    """A typed id in any digits (Persian, Arabic-Indic or Latin), else None."""
    return as_id(text)


# --------------------------------------------------------------------------- products


def _product_page(form: FormResult, product: Product | None, status: int = 200) -> Any:
    default = catalog.default_price_list(session())
    categories = [(c.id, c.name) for c in catalog.list_categories(session())]
    return render_template("sales/product_form.html", form=form, product=product, price_list=default,
                           categories=categories, kinds=[("product", _("Product")), ("service", _("Service"))],
                           tax_classes=[("standard", _("Standard")), ("exempt", _("Exempt"))]), status


def _read_product(form: FormResult) -> tuple[dict[str, Any], decimal.Decimal | None]:
    """The product's fields and price from the posted form (errors go to `form.errors`)."""
    values = form.values
    data: dict[str, Any] = {}
    for name in ("sku", "name", "unit"):
        text = values.get(name, "").strip()
        if not text and name != "unit":
            form.errors.setdefault(name, []).append(_("This field is required."))
        elif len(text) > _TEXT_LIMITS[name]:
            form.errors.setdefault(name, []).append(_("At most %(n)s characters.", n=_TEXT_LIMITS[name]))
        elif text:
            data[name] = text
    data["kind"] = values.get("kind") or "product"
    data["tax_class"] = values.get("tax_class") or "standard"
    category = values.get("category_id", "").strip()
    data["category_id"] = _id(category) if category else None
    if category and data["category_id"] is None:
        form.errors.setdefault("category_id", []).append(_("Choose a category from the list."))
    data["in_stock"] = values.get("in_stock") == "1"
    data["active"] = values.get("active") == "1"
    data["description"] = values.get("description", "").strip() or None
    return data, _number(form, "unit_price", values.get("unit_price", ""))


def _save_product(form: FormResult, product: Product | None) -> Any:
    data, price = _read_product(form)
    if form.ok:
        try:
            if product is None:
                product = catalog.create_product(session(), data)
            else:
                catalog.update_product(session(), product, data)
            default = catalog.default_price_list(session())
            if price is not None:
                if default is None:
                    default = catalog.create_price_list(session(), _("Default"))
                catalog.set_price(session(), default, product.id, price)
            session().commit()
            flash(_("Product %(sku)s saved.", sku=product.sku), "success")
            return redirect(url_for("sales.products"))
        except CatalogError as exc:
            session().rollback()
            form.errors.setdefault(exc.field or "_form", []).append(service_message(exc.message))
    return _product_page(form, product, 422)


def _posted() -> FormResult:
    return FormResult.empty({key: value for key, value in request.form.items() if key != "csrf_token"})


@bp.route("/sales/products/new", methods=["GET", "POST"])
@staff_required(perm.CATALOG_EDIT)
def product_new() -> Any:
    """The new-product form, with the product's price in the default price list."""
    if request.method == "GET":
        return _product_page(FormResult.empty({"kind": "product", "tax_class": "standard", "unit": "unit",
                                               "in_stock": "1", "active": "1"}), None)
    return _save_product(_posted(), None)


@bp.route("/sales/products/<int:product_id>/edit", methods=["GET", "POST"])
@staff_required(perm.CATALOG_EDIT)
def product_edit(product_id: int) -> Any:
    """Change a product and its price in the default price list."""
    product = session().get(Product, product_id) if product_id <= catalog.MAX_ID else None
    if product is None:
        abort(404)
    if request.method == "POST":
        return _save_product(_posted(), product)
    default = catalog.default_price_list(session())
    price = session().get(Price, (default.id, product.id)) if default else None
    values = {key: getattr(product, key) for key in ("sku", "name", "kind", "unit", "tax_class", "description")}
    values.update(category_id=product.category_id or "", in_stock="1" if product.in_stock else "",
                  active="1" if product.active else "", unit_price=documents.plain(price.unit_price) if price else "")
    return _product_page(FormResult.empty({k: ("" if v is None else v) for k, v in values.items()}), product)


# --------------------------------------------------------------------------- quotes


def _quote_page(form: FormResult, status: int = 200) -> Any:
    db = session()
    customer_id = _id(str(form.value("customer_id")))
    customer = db.get(Customer, customer_id) if customer_id else None
    products = db.execute(sa.select(Product.id, Product.sku, Product.name).where(Product.active.is_(True))
                          .order_by(Product.name, Product.id).limit(PRODUCT_CHOICES)).all()
    price_lists = [(p.id, f"{p.name} ({p.currency})") for p in catalog.list_price_lists(db)]
    return render_template("sales/quote_form.html", form=form, customer=customer, price_lists=price_lists,
                           products=[(p.id, f"{p.name} — {p.sku}") for p in products], rows=range(LINE_ROWS)), status


def _read_lines(form: FormResult) -> tuple[list[LineIn], list[int]]:
    """The filled line rows as LineIn and the row number of each (empty rows are skipped)."""
    lines: list[LineIn] = []
    positions: list[int] = []
    for n in range(LINE_ROWS):
        def get(key: str, n: int = n) -> str:
            return str(form.values.get(f"lines-{n}-{key}", "")).strip()

        if not any(get(key) for key in ("product_id", "description", "quantity", "unit_price", "discount_percent")):
            continue
        product_id = None
        if get("product_id"):
            product_id = _id(get("product_id"))
            if product_id is None:
                form.errors.setdefault(f"lines-{n}-product_id", []).append(_("Choose a product from the list."))
        quantity = _number(form, f"lines-{n}-quantity", get("quantity") or "1")
        if quantity is not None and quantity <= 0:
            form.errors.setdefault(f"lines-{n}-quantity", []).append(_("The quantity must be more than zero."))
        price = _number(form, f"lines-{n}-unit_price", get("unit_price"))
        percent = _number(form, f"lines-{n}-discount_percent", get("discount_percent"))
        if percent is not None and percent > 100:
            form.errors.setdefault(f"lines-{n}-discount_percent", []).append(_("Enter a percent from 0 to 100."))
        if quantity is not None:
            lines.append(LineIn(quantity=quantity, product_id=product_id, description=get("description")[:500] or None,
                                unit_price=price, discount_percent=percent or None))
            positions.append(n)
    if not lines and not form.errors:
        form.errors.setdefault("lines", []).append(_("A document needs at least one line."))
    return lines, positions


def _document_field(field: str | None, positions: list[int]) -> str:
    """The form field of a DocumentError's field: `lines.2.unit_price` is row positions[2]'s input."""
    if not field:
        return "_form"
    parts = field.split(".")
    if parts[0] == "lines" and len(parts) >= 2 and parts[1].isdigit() and int(parts[1]) < len(positions):
        row = positions[int(parts[1])]
        return f"lines-{row}-{parts[2]}" if len(parts) > 2 else f"lines-{row}-quantity"
    return parts[0] if parts[0] in ("customer_id", "price_list_id", "valid_until", "lines") else "_form"


@bp.get("/sales/quotes/customers")
@staff_required(perm.DOCUMENT_EDIT)
def quote_customers() -> Any:
    """The customer picker of the new-quote form (the activity forms' picker, for quote editors):
    up to ten live customers matching `q`, as an HTML fragment; the core's search."""
    return customer_picks()


@bp.route("/sales/quotes/new", methods=["GET", "POST"])
@staff_required(perm.DOCUMENT_EDIT)
def quote_new() -> Any:
    """The new-quote form: a customer, a price list, a validity date and up to LINE_ROWS lines."""
    if request.method == "GET":
        return _quote_page(FormResult.empty({"customer_id": request.args.get("customer_id", "")}))
    form = _posted()
    customer_id = _id(str(form.value("customer_id")))
    if customer_id is None:
        form.errors.setdefault("customer_id", []).append(_("Choose a customer, or enter the customer's number."))
    price_list_id = None
    if str(form.value("price_list_id")).strip():
        price_list_id = _id(str(form.value("price_list_id")))
        if price_list_id is None:
            form.errors.setdefault("price_list_id", []).append(_("Choose a price list from the list."))
    valid_until = None
    if str(form.value("valid_until")).strip():
        try:
            valid_until = parse_date(str(form.value("valid_until")), str(get_locale() or "en"))
        except ValueError as exc:
            message = _(BUSINESS_DATE_MESSAGE) if str(exc) == BUSINESS_DATE_MESSAGE else \
                _("Enter a date like 1405/09/05 or 2026-11-26.")
            form.errors.setdefault("valid_until", []).append(message)
    lines, positions = _read_lines(form)
    if form.ok and customer_id is not None:
        try:
            quote = documents.create_quote(session(), customer_id, lines, price_list_id=price_list_id,
                                           valid_until=valid_until)
            session().commit()
            flash(_("Quote %(number)s saved.", number=quote.number), "success")
            return redirect(url_for("sales.quote", quote_id=quote.id))
        except DocumentError as exc:
            session().rollback()
            form.errors.setdefault(_document_field(exc.field, positions), []).append(service_message(exc.message))
    return _quote_page(form, 422)
