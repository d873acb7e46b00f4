"""The sales reports' CSV guards text a spreadsheet would run as a formula (as the customer export does)."""

from __future__ import annotations

import csv
import io

import sqlalchemy as sa

from payvand.plugins.sales import permissions as perm
from payvand.plugins.sales.models import Product
from tests.sales.test_reports import orders  # noqa: F401 - the fixture


def test_a_product_name_starting_like_a_formula_is_guarded_in_the_csv(web_as, orders, db_session):  # noqa: F811
    chair = db_session.scalars(sa.select(Product).where(Product.sku == "CH-1")).one()
    chair.name = "=HYPERLINK(\"http://evil.example\",\"Chair\")"
    db_session.commit()
    web = web_as([perm.REPORTS_VIEW])
    text = web.get("/sales/reports/revenue_by_product.csv?start=2026-01-01&end=2026-12-31").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    cells = [cell for row in rows[1:] for cell in row]
    assert "'=HYPERLINK(\"http://evil.example\",\"Chair\")" in cells
    assert not any(cell.startswith(("=", "+", "@")) for cell in cells)
