"""Catalog API: products (search, filters, keyset pages, SKU conflicts), categories, price lists and prices."""

from __future__ import annotations

from payvand.plugins.sales import permissions as perm


def _product(api, sku: str, name: str, **fields):
    response = api.post("sales/products", json={"sku": sku, "name": name, **fields})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_product_is_created_read_and_patched(api):
    created = _product(api, "TEA-1", "Green tea", unit="box", tax_class="exempt")
    assert created["tax_class"] == "exempt" and created["active"] is True
    got = api.get(f"sales/products/{created['id']}").get_json()
    assert got["name"] == "Green tea"
    patched = api.patch(f"sales/products/{created['id']}", json={"name": "Black tea", "in_stock": False})
    assert patched.status_code == 200
    assert patched.get_json()["name"] == "Black tea" and patched.get_json()["in_stock"] is False


def test_a_taken_sku_is_a_conflict(api):
    _product(api, "SKU-1", "One")
    response = api.post("sales/products", json={"sku": "SKU-1", "name": "Two"})
    assert response.status_code == 409
    assert "sku" in response.get_json()["error"]["fields"]


def test_an_unknown_tax_class_is_refused(api):
    response = api.post("sales/products", json={"sku": "X", "name": "X", "tax_class": "luxury"})
    assert response.status_code == 422


def test_products_are_searched_by_name_or_sku_and_filtered(api):
    category = api.post("sales/categories", json={"name": "Drinks"}).get_json()
    _product(api, "COF-1", "Coffee beans", category_id=category["id"])
    _product(api, "TEA-9", "Tea", active=False)
    _product(api, "MUG-1", "Mug")

    def names(query):
        return [p["name"] for p in api.get(f"sales/products?{query}").get_json()["items"]]

    assert names("q=coffee") == ["Coffee beans"]
    assert names("q=tea-9") == ["Tea"]
    assert names(f"category_id={category['id']}") == ["Coffee beans"]
    assert names("active=false") == ["Tea"]
    assert names("q=%25") == []  # a LIKE wildcard is searched literally


def test_product_pages_walk_every_row_once(api):
    for n in range(5):
        _product(api, f"P-{n}", f"Product {n}")
    seen, cursor = [], None
    while True:
        page = api.get("sales/products?limit=2" + (f"&cursor={cursor}" if cursor else "")).get_json()
        seen += [p["sku"] for p in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"P-{n}" for n in range(5)]


def test_prices_are_set_per_list_and_rounded_to_the_currency(api):
    product = _product(api, "P", "Pen")
    retail = api.post("sales/price-lists", json={"name": "Retail"}).get_json()
    assert retail["is_default"] is True and retail["currency"] == "IRR"
    usd = api.post("sales/price-lists", json={"name": "Export", "currency": "USD"}).get_json()
    assert usd["is_default"] is False
    assert api.put(f"sales/price-lists/{retail['id']}/prices/{product['id']}",
                   json={"unit_price": "1250000.5"}).get_json()["unit_price"] == "1250001"
    assert api.put(f"sales/price-lists/{usd['id']}/prices/{product['id']}",
                   json={"unit_price": "12.345"}).get_json()["unit_price"] == "12.35"
    assert api.put(f"sales/price-lists/{usd['id']}/prices/{product['id']}",
                   json={"unit_price": "12.5"}).get_json()["unit_price"] == "12.5"
    prices = api.get(f"sales/price-lists/{usd['id']}/prices").get_json()
    assert prices == [{"price_list_id": usd["id"], "product_id": product["id"], "unit_price": "12.5"}]


def test_a_float_price_is_refused_as_inexact(api):
    product = _product(api, "P", "Pen")
    retail = api.post("sales/price-lists", json={"name": "Retail"}).get_json()
    response = api.put(f"sales/price-lists/{retail['id']}/prices/{product['id']}", json={"unit_price": 0.1})
    assert response.status_code == 422


def test_catalog_needs_its_permissions(api_as):
    viewer = api_as([perm.CATALOG_VIEW])
    assert viewer.get("sales/products").status_code == 200
    assert viewer.post("sales/products", json={"sku": "A", "name": "A"}).status_code == 403
    assert api_as([]).get("sales/products").status_code == 403
    editor = api_as([perm.CATALOG_VIEW, perm.CATALOG_EDIT])
    assert editor.post("sales/products", json={"sku": "A", "name": "A"}).status_code == 201


def test_an_outside_catalog_is_upserted_by_sku_with_its_prices(api, db_session):
    from decimal import Decimal

    import sqlalchemy as sa

    from payvand.plugins.sales.models import Price, Product
    from payvand.plugins.sales.services import catalog as service

    class Acme:
        name = "acme"
        title = "ACME"

        def __init__(self, rows):
            self.rows = rows

        def products(self):
            return iter(self.rows)

    api.post("sales/price-lists", json={"name": "Retail"})
    _product(api, "A-1", "Old name")
    result = service.sync_catalog(db_session, Acme([
        {"sku": "A-1", "name": "Anvil", "unit_price": Decimal(990000), "currency": "IRR", "category": "Tools"},
        {"sku": "A-2", "name": "Rocket", "unit_price": Decimal("12.5"), "currency": "USD", "tax_class": "exempt"},
    ]))
    db_session.commit()
    assert result == {"created": 1, "updated": 1}
    products = {p.sku: p for p in db_session.scalars(sa.select(Product))}
    assert products["A-1"].name == "Anvil" and products["A-1"].source == "acme" and products["A-1"].category_id
    assert products["A-2"].tax_class == "exempt"
    prices = {(p.product_id, p.unit_price) for p in db_session.scalars(sa.select(Price))}
    assert prices == {(products["A-1"].id, Decimal(990000)), (products["A-2"].id, Decimal("12.5"))}
    lists = [pl["name"] for pl in api.get("sales/price-lists").get_json()]
    assert lists == ["Retail", "acme USD"]
