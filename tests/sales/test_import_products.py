"""`payvand sales import-products FILE.csv`: upsert by SKU in batches, bad rows reported by line, good rows kept."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from plugins_system.entrypoints import installed

from payvand.core.cli import cli
from payvand.plugins.sales.models import Category, Price, PriceList, Product


@pytest.fixture
def sales_installed(tmp_path, monkeypatch):
    """The plugin installed through an entry point, as an admin would (the pattern of test_cli.py)."""
    monkeypatch.setenv("PAYVAND_PLUGINS", "sales")
    monkeypatch.setenv("PAYVAND_INSTANCE", str(tmp_path / "cli-instance"))
    with installed(tmp_path / "dist", {"sales": "payvand.plugins.sales"}, distribution="payvand_sales_test"):
        yield


def _run(url: str, path, *extra: str):
    return CliRunner().invoke(cli, ["--database-url", url, "sales", "import-products", str(path), *extra])


def _write(tmp_path, text: str, name: str = "products.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_import_creates_products_categories_and_prices(sales_installed, payvand_database_url, db_session, tmp_path):
    path = _write(tmp_path, "sku,name,category,unit,price,currency,tax_class,in_stock\n"
                            "TEA-1,Black tea,Drinks,pack,2450000,IRR,standard,yes\n"
                            "PIS-1,Pistachios,Nuts,kg,\"14,200,000\",IRR,exempt,no\n"
                            "SRV-1,Delivery,,trip,,,,\n")
    result = _run(payvand_database_url, path)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Imported 3 products (3 created, 0 updated); 0 rows rejected")
    products = {p.sku: p for p in db_session.scalars(sa.select(Product))}
    assert (products["PIS-1"].tax_class, products["PIS-1"].in_stock, products["PIS-1"].unit) == ("exempt", False, "kg")
    assert products["SRV-1"].category_id is None and products["SRV-1"].in_stock is True
    assert sorted(db_session.scalars(sa.select(Category.name))) == ["Drinks", "Nuts"]
    price_list = db_session.scalars(sa.select(PriceList)).one()
    assert (price_list.currency, price_list.is_default) == ("IRR", True)
    prices = dict(db_session.execute(sa.select(Product.sku, Price.unit_price).join(Price, Price.product_id == Product.id)).all())
    assert prices == {"TEA-1": Decimal(2450000), "PIS-1": Decimal(14200000)}


def test_import_updates_by_sku_and_reports_bad_rows_with_their_lines(sales_installed, payvand_database_url,
                                                                     db_session, tmp_path):
    db_session.add(Product(sku="TEA-1", name="Old tea", unit="box"))
    db_session.commit()
    path = _write(tmp_path, "sku,name,price,tax_class,in_stock,currency\n"
                            "TEA-1,New tea,1000,,,\n"          # line 2: update
                            ",No sku,5,,,\n"                   # line 3: bad
                            "X-2,Bad price,abc,,,\n"           # line 4: bad
                            "X-3,Bad tax,5,luxury,,\n"         # line 5: bad
                            "X-4,Good,12.5,,,USD\n"            # line 6: good, a USD list is made
                            "X-4,Twice,7,,,\n"                 # line 7: duplicate SKU
                            "X-5,Bad stock,1,,maybe,\n"        # line 8: bad
                            "X-6,Bad currency,1,,,QQQ\n"      # line 9: bad
                            "X-7,Too exact,1.5,,,\n")          # line 10: bad (IRR has no decimals)
    result = _run(payvand_database_url, path, "--batch-size", "2")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[:7] == [
        "line 3: the SKU is missing",
        "line 4: the price 'abc' is not a number",
        "line 5: unknown tax class 'luxury'; use standard or exempt",
        "line 7: the SKU 'X-4' is already on line 6",
        "line 8: in_stock 'maybe' is not yes or no",
        "line 9: unknown currency 'QQQ'",
        "line 10: the price has more decimals than IRR allows",
    ]
    assert lines[7].startswith("Imported 2 products (1 created, 1 updated); 7 rows rejected")
    db_session.expire_all()
    tea = db_session.scalars(sa.select(Product).where(Product.sku == "TEA-1")).one()
    assert (tea.name, tea.unit) == ("New tea", "box")
    prices = db_session.execute(sa.select(Product.sku, PriceList.currency, Price.unit_price)
                                .join(Price, Price.product_id == Product.id)
                                .join(PriceList, PriceList.id == Price.price_list_id).order_by(Product.sku)).all()
    assert prices == [("TEA-1", "IRR", Decimal(1000)), ("X-4", "USD", Decimal("12.50"))]


def test_import_reads_persian_headers_and_digits(sales_installed, payvand_database_url, db_session, tmp_path):
    path = _write(tmp_path, "شناسه کالا,نام,دسته‌بندی,واحد,قیمت,کلاس مالیاتی,موجود\n"
                            "SAF-1,زعفران ۱ گرمی,ادویه,جعبه,\"۳٬۹۰۰٬۰۰۰\",معاف,خیر\n")
    result = _run(payvand_database_url, path)
    assert result.exit_code == 0, result.output
    product = db_session.scalars(sa.select(Product)).one()
    assert (product.sku, product.name, product.unit, product.tax_class, product.in_stock) == (
        "SAF-1", "زعفران ۱ گرمی", "جعبه", "exempt", False)
    assert db_session.scalar(sa.select(Price.unit_price)) == Decimal(3900000)
    assert db_session.scalar(sa.select(Category.name)) == "ادویه"


def test_import_refuses_a_file_without_a_name_column(sales_installed, payvand_database_url, tmp_path):
    result = _run(payvand_database_url, _write(tmp_path, "sku,price\nA,1\n"))
    assert result.exit_code == 1
    assert "The file has no name column." in result.output


def test_import_looks_skus_up_once_per_batch(sales_installed, payvand_database_url, db_session, tmp_path):
    rows = "".join(f"S-{n},Product {n},Cat,unit,{n * 100},,,\n" for n in range(1, 301))
    path = _write(tmp_path, "sku,name,category,unit,price,currency,tax_class,in_stock\n" + rows)
    assert _run(payvand_database_url, path, "--batch-size", "100").exit_code == 0
    result = _run(payvand_database_url, path, "--batch-size", "100")
    assert result.stdout.startswith("Imported 300 products (0 created, 300 updated); 0 rows rejected")
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Product)) == 300
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Price)) == 300


def test_sales_demo_command_loads_once(sales_installed, payvand_database_url, db_session, make_customer):
    make_customer(given_name="Buyer")
    first = CliRunner().invoke(cli, ["--database-url", payvand_database_url, "sales", "demo", "--seed", "2"])
    assert first.exit_code == 0, first.output
    assert first.stdout.startswith("Loaded the sales demo in ")
    assert "150 leads" in first.output and "60 orders" in first.output
    again = CliRunner().invoke(cli, ["--database-url", payvand_database_url, "sales", "demo"])
    assert again.stdout == "The database already has sales data: no sales demo data loaded.\n"


def test_the_service_selects_products_once_per_batch_not_per_row(in_app, db_session, count_queries, payvand_database):
    import io

    from payvand.plugins.sales.services.product_import import import_products

    text = "sku,name,price\n" + "".join(f"Q-{n},Item {n},{n}\n" for n in range(1, 251))
    with count_queries() as queries:
        result = import_products(io.StringIO(text), batch_size=100)
    assert (result.created, result.errors) == (250, [])
    lookups = [q for q in queries if q.lstrip().upper().startswith("SELECT") and "FROM sales_product " in q
               and "sales_product.sku IN" in q]
    if payvand_database == "postgresql":  # the new products' ids reserved first, rows through COPY
        assert len(lookups) == 3  # per batch: the SKUs already there
        heads = ("INSERT INTO SALES_PRODUCT", "INSERT INTO SALES_PRICE ")
        assert [q for q in queries if q.lstrip().upper().startswith(heads)] == []
    else:
        assert len(lookups) == 2 * 3  # per batch: the SKUs already there, then the new products' ids
    assert len(queries) < 30  # not one per row
