"""Catalog pages: the product list (search by name or SKU, filter by category and active flag)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import render_template

from payvand.plugins.sales import permissions as perm
from payvand.plugins.sales.models import Price
from payvand.plugins.sales.services import catalog as service
from payvand.plugins.sales.views import bp, staff
from payvand.sdk import gettext as _
from payvand.sdk import list_view, session, staff_required

PAGE_SIZE = 50


@bp.route("/sales/products")
@staff_required(perm.CATALOG_VIEW)
def products() -> Any:
    """The product list (`catalog.PRODUCTS`): a constant number of queries per page (products, categories, prices)."""
    view = list_view(service.PRODUCTS, session(), staff(), "sales.products", limit=PAGE_SIZE,
                     message=lambda: _("The page link is no longer valid; start again from the first page."))
    items = view.items
    filters = {"q": view.values.get("q", ""), "category_id": (view.args or {}).get("category_id"),
               "active": view.values.get("active", "")}
    categories = service.list_categories(session())
    default = service.default_price_list(session())
    prices = dict(session().execute(sa.select(Price.product_id, Price.unit_price).where(
        Price.price_list_id == default.id, Price.product_id.in_([p.id for p in items]))).all()) if default and items else {}
    return render_template("sales/products.html", view=view, products=items, categories=categories, filters=filters,
                           category_names={c.id: c.name for c in categories}, prices=prices,
                           price_currency=default.currency if default else "IRR", next_url=view.next_url,
                           first_url=view.first_url), view.status
