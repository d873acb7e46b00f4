"""`/api/v1/sales/products`, `/categories` and `/price-lists`: the catalog and its prices."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from payvand.plugins.sales import permissions as perm
from payvand.plugins.sales.api import blp
from payvand.plugins.sales.api.fields import fail, needs_json
from payvand.plugins.sales.schemas import (
    CategoryIn,
    CategoryOut,
    PriceIn,
    PriceListIn,
    PriceListOut,
    PriceOut,
    ProductIn,
    ProductListArgs,
    ProductOut,
    ProductPage,
    ProductPatch,
)
from payvand.plugins.sales.services import catalog as service
from payvand.plugins.sales.services.catalog import CatalogError
from payvand.sdk import api_page, current_actor, require, session


@blp.route("/products")
class Products(MethodView):
    """The catalog."""

    @require(perm.CATALOG_VIEW)
    @blp.arguments(ProductListArgs, location="query")
    @blp.response(200, ProductPage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List products by id: search `q` in the name or SKU, filter by category and active flag."""
        return api_page(service.PRODUCTS, session(), args, current_actor())

    @require(perm.CATALOG_EDIT)
    @needs_json
    @blp.arguments(ProductIn)
    @blp.response(201, ProductOut)
    def post(self, data: dict[str, Any]) -> Any:
        """Add a product (the SKU must be unique: 409 otherwise)."""
        try:
            product = service.create_product(session(), data)
        except CatalogError as exc:
            raise fail(exc) from None
        session().commit()
        return product


@blp.route("/products/<int:product_id>")
class ProductItem(MethodView):
    """One product."""

    @require(perm.CATALOG_VIEW)
    @blp.response(200, ProductOut)
    def get(self, product_id: int) -> Any:
        """A product."""
        try:
            return service.get_product(session(), product_id)
        except CatalogError as exc:
            raise fail(exc) from None

    @require(perm.CATALOG_EDIT)
    @needs_json
    @blp.arguments(ProductPatch)
    @blp.response(200, ProductOut)
    def patch(self, data: dict[str, Any], product_id: int) -> Any:
        """Change some fields of a product."""
        try:
            product = service.update_product(session(), service.get_product(session(), product_id), data)
        except CatalogError as exc:
            raise fail(exc) from None
        session().commit()
        return product


@blp.route("/categories")
class Categories(MethodView):
    """Product categories."""

    @require(perm.CATALOG_VIEW)
    @blp.response(200, CategoryOut(many=True))
    def get(self) -> Any:
        """Every category, by name."""
        return service.list_categories(session())

    @require(perm.CATALOG_EDIT)
    @needs_json
    @blp.arguments(CategoryIn)
    @blp.response(201, CategoryOut)
    def post(self, data: dict[str, Any]) -> Any:
        """Add a category (optionally under a parent)."""
        try:
            category = service.create_category(session(), data["name"], data.get("parent_id"))
        except CatalogError as exc:
            raise fail(exc) from None
        session().commit()
        return category


@blp.route("/price-lists")
class PriceLists(MethodView):
    """Price lists."""

    @require(perm.CATALOG_VIEW)
    @blp.response(200, PriceListOut(many=True))
    def get(self) -> Any:
        """Every price list, the default first."""
        return service.list_price_lists(session())

    @require(perm.CATALOG_EDIT)
    @needs_json
    @blp.arguments(PriceListIn)
    @blp.response(201, PriceListOut)
    def post(self, data: dict[str, Any]) -> Any:
        """Add a price list; the first one (or one with `is_default`) becomes the default."""
        try:
            found = service.create_price_list(session(), data["name"], data["currency"], data["is_default"])
        except CatalogError as exc:
            raise fail(exc) from None
        session().commit()
        return found


@blp.route("/price-lists/<int:price_list_id>/prices")
@require(perm.CATALOG_VIEW)
@blp.response(200, PriceOut(many=True))
def list_prices(price_list_id: int) -> Any:
    """Every price of a list, by product id."""
    try:
        service.get_price_list(session(), price_list_id)
    except CatalogError as exc:
        raise fail(exc) from None
    return [{"price_list_id": price_list_id, "product_id": product_id, "unit_price": price}
            for product_id, price in service.prices_in(session(), price_list_id)]


@blp.route("/price-lists/<int:price_list_id>/prices/<int:product_id>", methods=["PUT"])
@require(perm.CATALOG_EDIT)
@needs_json
@blp.arguments(PriceIn)
@blp.response(200, PriceOut)
def set_price(data: dict[str, Any], price_list_id: int, product_id: int) -> Any:
    """Set a product's unit price in a list (rounded to the list's currency)."""
    try:
        price = service.set_price(session(), service.get_price_list(session(), price_list_id), product_id,
                                  data["unit_price"])
    except CatalogError as exc:
        raise fail(exc) from None
    session().commit()
    return price
