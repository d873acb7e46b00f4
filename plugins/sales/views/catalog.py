"""Catalog pages: the product list (search by name or SKU, filter by category and active flag)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import render_template, request, url_for

from payvand.plugins.sales import permissions as perm
from payvand.plugins.sales.models import Price
from payvand.plugins.sales.services import catalog as service
from payvand.plugins.sales.views import as_id, bp
from payvand.sdk import session, staff_required

PAGE_SIZE = 50


def _int(name: str) -> int | None:
    value = request.args.get(name, "")
    return as_id(value)  # any digits


@bp.route("/sales/products")
@staff_required(perm.CATALOG_VIEW)
def products() -> Any:
    """The product list: a constant number of queries per page (products, categories)."""
    q = request.args.get("q", "").strip()[:200] or None
    active = {"1": True, "0": False}.get(request.args.get("active", ""))
    category_id = _int("category_id")
    filters = {"q": q or "", "category_id": category_id, "active": request.args.get("active", "")}
    items, last = service.list_products(session(), q=q, category_id=category_id, active=active,
                                        after_id=_int("after"), limit=PAGE_SIZE)
    categories = service.list_categories(session())
    default = service.default_price_list(session())
    prices = dict(session().execute(sa.select(Price.product_id, Price.unit_price).where(
        Price.price_list_id == default.id, Price.product_id.in_([p.id for p in items]))).all()) if default and items else {}
    args: dict[str, Any] = {k: v for k, v in request.args.items() if k != "after"}
    next_url = url_for("sales.products", **args, after=last) if last else None
    first_url = url_for("sales.products", **args) if request.args.get("after") else None
    return render_template("sales/products.html", products=items, categories=categories, filters=filters,
                           category_names={c.id: c.name for c in categories}, prices=prices,
                           price_currency=default.currency if default else "IRR", next_url=next_url, first_url=first_url)
