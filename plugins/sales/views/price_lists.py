"""Price-list pages: the lists (name, currency, default, number of prices), new and edit, and a list's prices.

The list form is validated by the API's `PriceListIn` schema and the catalog service's rules
(one default list; a list with prices keeps its currency), errors shown on the fields with 422.
The prices page lists products by id (the product list `catalog.PRODUCTS`: keyset pages, search
by name or SKU) with their price in
the list, each editable in one form: any digits and separators (`read_number`), rounded to the
list's currency, empty removes the price. Every change is audited.
"""

from __future__ import annotations

import decimal
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from marshmallow import ValidationError

from payvand.plugins.sales import permissions as perm
from payvand.plugins.sales.models import PriceList
from payvand.plugins.sales.schemas import PriceListIn
from payvand.plugins.sales.services import catalog
from payvand.plugins.sales.services.catalog import CatalogError
from payvand.plugins.sales.views import bp, staff
from payvand.sdk import FormResult, audit, format_number, list_view, read_number, session, staff_required
from payvand.sdk import gettext as _

PAGE_SIZE = 50
MAX_AMOUNT = decimal.Decimal("1e15")


def _price_list(price_list_id: int) -> PriceList:
    try:
        return catalog.get_price_list(session(), price_list_id)
    except CatalogError:
        abort(404)


@bp.get("/sales/price-lists")
@staff_required(perm.CATALOG_VIEW)
def price_lists() -> Any:
    """Every price list, the default first, with how many prices it holds (two queries)."""
    return render_template("sales/price_lists.html", price_lists=catalog.list_price_lists(session()),
                           counts=catalog.price_counts(session()))


# --------------------------------------------------------------------------- new and edit


def _form_page(form: FormResult, price_list: PriceList | None, status: int = 200) -> Any:
    return render_template("sales/price_list_form.html", form=form, price_list=price_list), status


def _read_list_form() -> FormResult:
    """The posted list form validated by `PriceListIn` (currency upper-cased, the checkbox as a boolean)."""
    values = {"name": (request.form.get("name") or "").strip(),
              "currency": (request.form.get("currency") or "").strip().upper(),
              "is_default": "1" if request.form.get("is_default") in ("1", "on") else ""}
    data = {"name": values["name"], "currency": values["currency"] or "IRR", "is_default": values["is_default"] == "1"}
    try:
        return FormResult(values=values, data=PriceListIn().load(data))
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_form": exc.messages}
        return FormResult(values=values, errors={k: [str(m) for m in (v if isinstance(v, list) else [v])]
                                                 for k, v in messages.items()})


@bp.route("/sales/price-lists/new", methods=["GET", "POST"])
@staff_required(perm.CATALOG_EDIT)
def price_list_new() -> Any:
    """Add a price list (the first one, or one marked default, becomes the default)."""
    if request.method == "GET":
        return _form_page(FormResult.empty({"currency": "IRR"}), None)
    form = _read_list_form()
    if form.ok:
        try:
            created = catalog.create_price_list(session(), form.data["name"], form.data["currency"],
                                                form.data["is_default"])
        except CatalogError as exc:
            session().rollback()
            form.errors[exc.field or "_form"] = [exc.message]
        else:
            audit("create", PriceList.__tablename__, created.id,
                  after={"name": created.name, "currency": created.currency, "is_default": created.is_default})
            session().commit()
            flash(_("Price list saved."), "success")
            return redirect(url_for("sales.price_list_prices", price_list_id=created.id))
    return _form_page(form, None, 422)


@bp.route("/sales/price-lists/<int:price_list_id>/edit", methods=["GET", "POST"])
@staff_required(perm.CATALOG_EDIT)
def price_list_edit(price_list_id: int) -> Any:
    """Rename a price list, change its currency (while it has no prices) or make it the default."""
    found = _price_list(price_list_id)
    if request.method == "GET":
        values = {"name": found.name, "currency": found.currency, "is_default": "1" if found.is_default else ""}
        return _form_page(FormResult.empty(values), found)
    form = _read_list_form()
    if form.ok:
        try:
            changes = catalog.update_price_list(session(), found, form.data)
        except CatalogError as exc:
            session().rollback()
            form.errors[exc.field or "_form"] = [exc.message]
        else:
            if changes:
                audit("update", PriceList.__tablename__, found.id, before={k: v[0] for k, v in changes.items()},
                      after={k: v[1] for k, v in changes.items()})
            session().commit()
            flash(_("Price list saved."), "success")
            return redirect(url_for("sales.price_lists"))
    return _form_page(form, _price_list(price_list_id), 422)


# --------------------------------------------------------------------------- prices


def _prices_page(price_list: PriceList, form: FormResult | None = None, status: int = 200) -> Any:
    """One page of products (`catalog.PRODUCTS`) with their price in the list: three queries (list, products, prices)."""
    view = list_view(catalog.PRODUCTS, session(), staff(), "sales.price_list_prices", limit=PAGE_SIZE,
                     url_values={"price_list_id": price_list.id},
                     message=lambda: _("The page link is no longer valid; start again from the first page."))
    items = view.items
    priced = catalog.products_with_prices(session(), [p.id for p in items], price_list.id)
    prices = {product_id: amount for product_id, (_, amount) in priced.items() if amount is not None}
    if form is None:
        form = FormResult.empty({f"price-{pid}": format(amount.normalize(), "f") for pid, amount in prices.items()})
    here = url_for("sales.price_list_save", price_list_id=price_list.id, **_page_args())
    return render_template("sales/price_list_prices.html", view=view, price_list=price_list, products=items,
                           prices=prices, form=form, q=view.values.get("q", ""), next_url=view.next_url,
                           first_url=view.first_url, save_url=here), max(status, view.status)


def _page_args() -> dict[str, Any]:
    """The search and page being shown (`q`, `cursor`), to come back to them after saving."""
    return {k: v for k in ("q", "cursor") if (v := request.args.get(k, "").strip())}


@bp.get("/sales/price-lists/<int:price_list_id>")
@staff_required(perm.CATALOG_VIEW)
def price_list_prices(price_list_id: int) -> Any:
    """The products with their price in this list, a page at a time, searchable by name or SKU."""
    return _prices_page(_price_list(price_list_id))


def _read_amounts(form: FormResult, product_ids: list[int]) -> dict[int, decimal.Decimal | None]:
    """The typed amount of each product on the form (None: remove); errors go to `form.errors`."""
    amounts: dict[int, decimal.Decimal | None] = {}
    for product_id in product_ids:
        name = f"price-{product_id}"
        text = form.values.get(name, "")
        if not text.strip():
            amounts[product_id] = None
            continue
        try:
            value = read_number(text)  # the staff forms' one number rule
        except ValueError as exc:
            form.errors[name] = [str(exc)]
            continue
        if not value.is_finite() or value < 0 or value >= MAX_AMOUNT:
            form.errors[name] = [_("Enter a number between 0 and 10¹⁵.")]
            continue
        amounts[product_id] = value
    return amounts


@bp.post("/sales/price-lists/<int:price_list_id>")
@staff_required(perm.CATALOG_EDIT)
def price_list_save(price_list_id: int) -> Any:
    """Save the prices of the products on the page (only those that changed); empty removes a price."""
    found = _price_list(price_list_id)
    product_ids = []
    for raw in request.form.getlist("product_id")[:PAGE_SIZE]:
        if raw.isascii() and raw.isdigit() and 0 < int(raw) <= catalog.MAX_ID:
            product_ids.append(int(raw))
    values = {f"price-{pid}": request.form.get(f"price-{pid}", "") for pid in product_ids}
    form = FormResult(values=values, errors={})
    amounts = _read_amounts(form, product_ids)
    if form.errors:
        return _prices_page(found, form, 422)
    try:
        changes = catalog.set_prices(session(), found, amounts)
    except CatalogError as exc:
        session().rollback()
        form.errors[exc.field or "_form"] = [exc.message]
        return _prices_page(_price_list(price_list_id), form, 422)
    if changes:
        audit("prices", PriceList.__tablename__, found.id, before={str(k): v[0] for k, v in changes.items()},
              after={str(k): v[1] for k, v in changes.items()})
    session().commit()
    flash(_("%(count)s prices changed.", count=format_number(len(changes))), "success")
    return redirect(url_for("sales.price_list_prices", price_list_id=found.id, **_page_args()))
