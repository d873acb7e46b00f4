"""Price-list staff pages: the lists, new and edit (one default), and a list's prices edited in a form."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from payvand.core.models import AuditLog
from payvand.plugins.sales import permissions as perm
from payvand.plugins.sales.models import Price, PriceList, Product

_LATIN = str.maketrans("۰۱۲۳۴۵۶۷۸۹٬", "0123456789,")


def _text(response) -> str:
    return response.get_data(as_text=True).translate(_LATIN)


def _lists(db_session) -> dict[str, tuple[str, bool]]:
    db_session.expire_all()
    return {p.name: (p.currency, p.is_default) for p in db_session.scalars(sa.select(PriceList))}


def _prices(db_session, price_list_id: int) -> dict[int, Decimal]:
    db_session.expire_all()
    return dict(db_session.execute(sa.select(Price.product_id, Price.unit_price)
                                   .where(Price.price_list_id == price_list_id)).all())


@pytest.fixture
def products(db_session) -> list[int]:
    items = [Product(sku=f"P-{n:03d}", name=f"Product {n}") for n in range(1, 4)]
    db_session.add_all(items)
    db_session.commit()
    return [p.id for p in items]


def test_price_lists_are_listed_with_their_number_of_prices(web, api, products, db_session):
    retail = api.post("sales/price-lists", json={"name": "Retail"}).get_json()
    api.post("sales/price-lists", json={"name": "Export", "currency": "USD"})
    api.put(f"sales/price-lists/{retail['id']}/prices/{products[0]}", json={"unit_price": "1000"})
    api.put(f"sales/price-lists/{retail['id']}/prices/{products[1]}", json={"unit_price": "2000"})
    assert 'id="price-lists-link"' in web.get("/sales/products").get_data(as_text=True)
    page = web.get("/sales/price-lists")
    assert page.status_code == 200
    html = _text(page)
    row = html[html.index(f'id="price-list-row-{retail["id"]}"'):]
    row = row[:row.index("</tr>")]
    assert "Retail" in row and "IRR" in row and "badge" in row and ">2</td>" in row


def test_a_price_list_is_created_and_edited_with_one_default(web, db_session):
    form = web.get("/sales/price-lists/new")
    assert form.status_code == 200 and 'id="price-list-form"' in form.get_data(as_text=True)
    first = web.post("/sales/price-lists/new", {"name": "Retail", "currency": "irr"})
    assert first.status_code == 302
    second = web.post("/sales/price-lists/new", {"name": "Wholesale", "currency": "IRR", "is_default": "1"})
    assert second.status_code == 302
    assert _lists(db_session) == {"Retail": ("IRR", False), "Wholesale": ("IRR", True)}
    retail_id = db_session.scalar(sa.select(PriceList.id).where(PriceList.name == "Retail"))
    edited = web.post(f"/sales/price-lists/{retail_id}/edit", {"name": "Retail 2026", "currency": "USD", "is_default": "1"})
    assert edited.status_code == 302
    assert _lists(db_session) == {"Retail 2026": ("USD", True), "Wholesale": ("IRR", False)}  # still one default
    entries = db_session.scalars(sa.select(AuditLog).where(AuditLog.object_type == "sales_price_list")
                                 .order_by(AuditLog.id)).all()  # in the order written (PostgreSQL's heap order is not)
    assert [e.action for e in entries] == ["create", "create", "update"]


def test_price_list_form_errors_are_shown_on_the_fields_with_422(web, api, products, db_session):
    retail = api.post("sales/price-lists", json={"name": "Retail"}).get_json()
    api.put(f"sales/price-lists/{retail['id']}/prices/{products[0]}", json={"unit_price": "1000"})
    empty = web.post("/sales/price-lists/new", {"name": "", "currency": "RIAL"})
    assert empty.status_code == 422
    html = empty.get_data(as_text=True)
    assert 'id="f-name-error"' in html and 'id="f-currency-error"' in html
    taken = web.post("/sales/price-lists/new", {"name": "Retail", "currency": "IRR"})
    assert taken.status_code == 422 and "already a price list named" in taken.get_data(as_text=True)
    undefault = web.post(f"/sales/price-lists/{retail['id']}/edit", {"name": "Retail", "currency": "IRR"})
    assert undefault.status_code == 422
    assert 'id="f-is_default-error"' in undefault.get_data(as_text=True)
    currency = web.post(f"/sales/price-lists/{retail['id']}/edit", {"name": "Retail", "currency": "USD", "is_default": "1"})
    assert currency.status_code == 422 and "cannot change" in currency.get_data(as_text=True)
    assert _lists(db_session) == {"Retail": ("IRR", True)}
    assert web.get("/sales/price-lists/999999/edit").status_code == 404


def test_prices_are_saved_from_persian_digits_rounded_and_removed_when_empty(web, api, products, db_session):
    retail = api.post("sales/price-lists", json={"name": "Retail"}).get_json()
    export = api.post("sales/price-lists", json={"name": "Export", "currency": "USD"}).get_json()
    api.put(f"sales/price-lists/{retail['id']}/prices/{products[2]}", json={"unit_price": "500"})
    page = web.get(f"/sales/price-lists/{retail['id']}")
    assert page.status_code == 200 and 'id="prices-form"' in page.get_data(as_text=True)
    saved = web.post(f"/sales/price-lists/{retail['id']}", {
        "product_id": [str(p) for p in products],
        f"price-{products[0]}": "۱۲٬۵۰۰٬۰۰۰",   # Persian digits and separators
        f"price-{products[1]}": "990000.5",      # IRR has no decimals: rounded half up
        f"price-{products[2]}": "",              # empty: the price is removed
    })
    assert saved.status_code == 302
    assert _prices(db_session, retail["id"]) == {products[0]: Decimal("12500000"), products[1]: Decimal("990001")}
    web.post(f"/sales/price-lists/{export['id']}", {"product_id": [str(products[0])], f"price-{products[0]}": "۱۲٫۳۴۵"})
    assert _prices(db_session, export["id"]) == {products[0]: Decimal("12.35")}
    shown = _text(web.get(f"/sales/price-lists/{retail['id']}"))
    assert "12,500,000" in shown and 'value="12500000"' in shown
    entry = db_session.scalars(sa.select(AuditLog).where(AuditLog.action == "prices")).first()
    assert entry is not None and entry.object_id == str(retail["id"])


def test_a_bad_amount_is_shown_on_its_field_and_nothing_is_saved(web, api, products, db_session):
    retail = api.post("sales/price-lists", json={"name": "Retail"}).get_json()
    bad = web.post(f"/sales/price-lists/{retail['id']}", {
        "product_id": [str(products[0]), str(products[1])],
        f"price-{products[0]}": "1000", f"price-{products[1]}": "twelve"})
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert f'id="f-price-{products[1]}-error"' in html and f'id="f-price-{products[0]}-error"' not in html
    assert 'value="twelve"' in html
    negative = web.post(f"/sales/price-lists/{retail['id']}", {"product_id": [str(products[0])],
                                                               f"price-{products[0]}": "-5"})
    assert negative.status_code == 422
    assert _prices(db_session, retail["id"]) == {}


def test_the_prices_page_searches_and_pages_by_product_id(web, api, db_session):
    retail = api.post("sales/price-lists", json={"name": "Retail"}).get_json()
    db_session.add_all([Product(sku=f"S-{n:03d}", name=("Tea " if n % 2 else "Nut ") + str(n)) for n in range(1, 61)])
    db_session.commit()
    first = web.get(f"/sales/price-lists/{retail['id']}").get_data(as_text=True)
    assert first.count('id="price-row-') == 50 and 'rel="next"' in first
    after = first[first.index('rel="next"') - 200:first.index('rel="next"')]
    assert "cursor=" in after
    tea = web.get(f"/sales/price-lists/{retail['id']}?q=Tea").get_data(as_text=True)
    assert tea.count('id="price-row-') == 30 and "Nut " not in tea
    tea_id = db_session.scalar(sa.select(Product.id).where(Product.name == "Tea 1"))
    saved = web.post(f"/sales/price-lists/{retail['id']}?q=Tea", {"product_id": [str(tea_id)], f"price-{tea_id}": "7"})
    assert saved.status_code == 302 and saved.headers["Location"].endswith(f"/sales/price-lists/{retail['id']}?q=Tea")


def test_the_prices_page_runs_the_same_number_of_queries_for_one_or_many_products(web, api, db_session, count_queries):
    retail = api.post("sales/price-lists", json={"name": "Retail"}).get_json()
    db_session.add(Product(sku="ONE", name="One"))
    db_session.commit()
    web.get(f"/sales/price-lists/{retail['id']}")
    with count_queries() as one:
        web.get(f"/sales/price-lists/{retail['id']}")
    db_session.add_all([Product(sku=f"M-{n}", name=f"Many {n}") for n in range(80)])
    db_session.commit()
    with count_queries() as many:
        web.get(f"/sales/price-lists/{retail['id']}")
    assert len(one) == len(many)
    with count_queries() as lists_one:
        web.get("/sales/price-lists")
    api.post("sales/price-lists", json={"name": "Export", "currency": "USD"})
    with count_queries() as lists_two:
        web.get("/sales/price-lists")
    assert len(lists_one) == len(lists_two)


def test_price_list_pages_need_the_catalog_permissions(web_as, api, client, products):
    retail = api.post("sales/price-lists", json={"name": "Retail"}).get_json()
    nobody = web_as([])
    assert nobody.get("/sales/price-lists").status_code == 403
    assert nobody.get(f"/sales/price-lists/{retail['id']}").status_code == 403
    viewer = web_as([perm.CATALOG_VIEW])
    assert viewer.get("/sales/price-lists").status_code == 200
    page = viewer.get(f"/sales/price-lists/{retail['id']}").get_data(as_text=True)
    assert 'id="prices-save"' not in page and 'id="price-list-new"' not in viewer.get("/sales/price-lists").get_data(as_text=True)
    assert viewer.get("/sales/price-lists/new").status_code == 403
    assert viewer.post("/sales/price-lists/new", {"name": "X"}).status_code == 403
    assert viewer.post(f"/sales/price-lists/{retail['id']}", {"product_id": [str(products[0])],
                                                              f"price-{products[0]}": "1"}).status_code == 403
    assert viewer.post(f"/sales/price-lists/{retail['id']}/edit", {"name": "Y"}).status_code == 403
    assert client.get("/sales/price-lists").headers["Location"].startswith("/login")
    editor = web_as([perm.CATALOG_VIEW, perm.CATALOG_EDIT])
    assert editor.post("/sales/price-lists/new", {"name": "Z"}, csrf=False).status_code == 400
    assert editor.post("/sales/price-lists/new", {"name": "Z"}).status_code == 302
