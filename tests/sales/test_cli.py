"""`payvand sales ...` commands, run as an admin would, with the plugin installed through an entry point."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from plugins_system.entrypoints import installed

from payvand.core.cli import cli
from payvand.plugins.sales.models import Order, OrderLine, Product, ProductDay


@pytest.fixture
def sales_installed(tmp_path, monkeypatch):
    monkeypatch.setenv("PAYVAND_PLUGINS", "sales")
    monkeypatch.setenv("PAYVAND_INSTANCE", str(tmp_path / "cli-instance"))
    with installed(tmp_path / "dist", {"sales": "payvand.plugins.sales"}, distribution="payvand_sales_test"):
        yield


def test_rebuild_rollups_recomputes_the_daily_product_sales(sales_installed, payvand_database_url, db_session,
                                                                make_customer):
    customer = make_customer()
    product = Product(sku="P-1", name="Tea")
    db_session.add(product)
    db_session.flush()
    order = Order(number="O-1", customer_id=customer.id, currency="IRR", total=Decimal("3000"))
    order.lines.append(OrderLine(product_id=product.id, description="Tea", quantity=Decimal("3"), total=Decimal("3000")))
    db_session.add(order)
    db_session.commit()
    result = CliRunner().invoke(cli, ["--database-url", payvand_database_url, "sales", "rebuild-rollups"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Rebuilt the daily product rollup: 1 rows")
    row = db_session.scalars(sa.select(ProductDay)).one()
    assert (row.product_id, row.quantity_milli, row.revenue_minor) == (product.id, 3000, 3000)


def test_recompute_scores_scores_every_lead(sales_installed, payvand_database_url, db_session):
    from payvand.plugins.sales.models import Lead, ScoringRule

    db_session.add_all([ScoringRule(name="From the web", field="source", operator="eq", value="web_form", points=15),
                        Lead(given_name="Ava", email="ava@example.com", source="web_form"),
                        Lead(given_name="Bo", email="bo@example.com", source="manual")])
    db_session.commit()
    result = CliRunner().invoke(cli, ["--database-url", payvand_database_url, "sales", "recompute-scores"])
    assert result.exit_code == 0, result.output
    assert "Recomputed the scores of 2 leads" in result.output
    db_session.expire_all()
    scores = dict(db_session.execute(sa.select(Lead.given_name, Lead.score)).all())
    assert scores["Ava"] >= 15 and scores["Ava"] - scores["Bo"] == 15


def test_sync_catalogs_imports_the_products_other_plugins_offer(tmp_path, monkeypatch, payvand_database_url, db_session):
    monkeypatch.setenv("PAYVAND_PLUGINS", "sales,every_hook")
    monkeypatch.setenv("PAYVAND_INSTANCE", str(tmp_path / "cli-instance"))
    with installed(tmp_path / "dist", {"sales": "payvand.plugins.sales", "every_hook": "plugins_system.every_hook_plugin"},
                   distribution="payvand_sales_catalog_test"):
        result = CliRunner().invoke(cli, ["--database-url", payvand_database_url, "sales", "sync-catalogs"])
        missing = CliRunner().invoke(cli, ["--database-url", payvand_database_url, "sales", "sync-catalogs", "nope"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "every_hook: 1 products created, 0 updated.\n"
    product = db_session.scalars(sa.select(Product).where(Product.sku == "EH-1")).one()
    assert (product.name, product.source) == ("Widget", "every_hook")
    assert missing.exit_code != 0 and "No plugin offers a catalog named nope" in missing.output


def test_the_demo_gives_its_sales_records_to_the_admin_who_can_log_in(sales_installed, tmp_path):
    from payvand.core.db import make_engine
    from payvand.core.models import User
    from payvand.plugins.sales.models import Activity, Deal

    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    result = CliRunner().invoke(cli, ["--database-url", url, "demo", "--no-serve", "--customers", "40",
                                      "--interactions", "100"])
    assert result.exit_code == 0, result.output
    engine = make_engine(url)
    with engine.connect() as connection:
        admin = connection.scalar(sa.select(User.id).where(User.email == "admin@example.com"))
        owners = set(connection.scalars(sa.select(Deal.owner_id).distinct()))
        mine = connection.scalar(sa.select(sa.func.count()).select_from(Activity).where(Activity.owner_id == admin))
    engine.dispose()
    assert owners == {admin} and mine > 0
