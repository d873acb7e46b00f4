"""Order history import from CSV: the service and `payvand sales import-orders`."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import sqlalchemy as sa
from click.testing import CliRunner

from payvand.core.cli import cli
from payvand.core.models import AuditLog, Customer, CustomerEmail, CustomerPhone, Interaction, OutboxEvent
from payvand.plugins.sales.models import CustomerKey, Invoice, Order, OrderLine, Product, ProductDay
from payvand.plugins.sales.services import rollup
from payvand.plugins.sales.services.order_import import import_orders, parse_date
from payvand.plugins.sales.services.orders import purchase_facts
from tests.sales.test_import_products import sales_installed  # noqa: F401 - the plugin installed for the CLI

HEADER = "order_number,date,customer_id,email,phone,customer,sku,description,quantity,amount,currency\n"
GOOD = (HEADER
        + "A-1,2024-03-01,C-7,sara@example.com,,Sara Ahmadi,TEA,,2,500000,IRR\n"
        + "A-1,2024-03-01,C-7,,,,,Gift wrap,1,20000,IRR\n"
        + "A-2,2024-05-10 18:30,,,09123456789,Ali Rezaei,PIS,,1.5,300000,\n"
        + "A-3,2025-01-02,C-7,,,,TEA,,1,250000,IRR\n")


def _import(text: str, **options):
    return import_orders(io.StringIO(text), **options)


def _products(db_session) -> dict[str, int]:
    db_session.add_all([Product(sku="TEA", name="Black tea"), Product(sku="PIS", name="Pistachios")])
    db_session.flush()
    return dict(db_session.execute(sa.select(Product.sku, Product.id)).all())


def _orders(db_session) -> list[Order]:
    db_session.expire_all()
    return list(db_session.scalars(sa.select(Order).order_by(Order.external_number)))


def test_orders_lines_and_customers_are_created_and_count_as_purchases(in_app, db_session):
    skus = _products(db_session)
    db_session.commit()
    result = _import(GOOD)
    db_session.commit()
    assert result.errors == []
    assert (result.created, result.updated, result.lines, result.customers_created) == (3, 0, 4, 2)
    a1, a2, a3 = _orders(db_session)
    assert (a1.number, a1.status, a1.channel, a1.total, a1.currency) == ("IA-1", "delivered", "import",
                                                                          Decimal(520000), "IRR")
    assert a1.customer_id == a3.customer_id != a2.customer_id  # C-7 found again by its external id
    assert [(line.product_id, line.description, line.quantity, line.unit_price, line.total) for line in a1.lines] == [
        (skus["TEA"], "Black tea", Decimal(2), Decimal(250000), Decimal(500000)),
        (None, "Gift wrap", Decimal(1), Decimal(20000), Decimal(20000))]
    assert a2.lines[0].unit_price == Decimal(200000)
    # a date alone is noon in the site's zone; a time is read in the site's zone
    assert a1.placed_at.date() == dt.date(2024, 3, 1)
    key = db_session.get(CustomerKey, "C-7")
    assert key is not None and key.customer_id == a1.customer_id
    assert db_session.scalar(sa.select(CustomerEmail.customer_id).where(CustomerEmail.email == "sara@example.com")) \
        == a1.customer_id
    assert db_session.scalar(sa.select(CustomerPhone.customer_id).where(CustomerPhone.number == "+989123456789")) \
        == a2.customer_id
    facts = db_session.execute(purchase_facts().order_by("occurred_at", "amount")).all()
    assert [(f.customer_id, f.amount) for f in facts] == [
        (a1.customer_id, Decimal(20000)), (a1.customer_id, Decimal(500000)), (a2.customer_id, Decimal(300000)),
        (a3.customer_id, Decimal(250000))]
    # history makes no invoice, no timeline entry and no order event; one audit entry for the import
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Invoice)) == 0
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Interaction)) == 0
    assert db_session.scalar(sa.select(sa.func.count()).select_from(OutboxEvent)
                             .where(OutboxEvent.hook != "payvand_customer_created")) == 0
    assert db_session.scalar(sa.select(sa.func.count()).select_from(AuditLog)
                             .where(AuditLog.action == "import", AuditLog.object_type == "sales_order")) == 1


def test_a_rerun_updates_instead_of_duplicating_and_the_rollup_stays_exact(in_app, db_session):
    _products(db_session)
    db_session.commit()
    _import(GOOD)
    db_session.commit()
    again = _import(GOOD)
    db_session.commit()
    assert (again.created, again.updated, again.customers_created, again.errors) == (0, 3, 0, [])
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Order)) == 3
    assert db_session.scalar(sa.select(sa.func.count()).select_from(OrderLine)) == 4
    corrected = _import(HEADER + "A-1,2024-03-02,C-7,,,,PIS,,3,900000,IRR\n")
    db_session.commit()
    assert (corrected.created, corrected.updated) == (0, 1)
    a1 = _orders(db_session)[0]
    assert (a1.total, len(a1.lines), a1.placed_at.date()) == (Decimal(900000), 1, dt.date(2024, 3, 2))
    counted = sorted(db_session.execute(sa.select(ProductDay.product_id, ProductDay.day, ProductDay.quantity_milli,
                                                  ProductDay.revenue_minor).where(ProductDay.quantity_milli != 0)))
    rollup.rebuild()
    db_session.commit()
    rebuilt = sorted(db_session.execute(sa.select(ProductDay.product_id, ProductDay.day, ProductDay.quantity_milli,
                                                  ProductDay.revenue_minor)))
    assert counted == rebuilt and len(rebuilt) == 3


def test_bad_rows_refuse_their_order_and_the_good_orders_are_kept(in_app, db_session):
    _products(db_session)
    db_session.commit()
    future = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    result = _import(HEADER
                     + "B-1,2024-01-01,,ok@example.com,,,TEA,,1,100,IRR\n"        # 2 good
                     + f"B-2,{future},,f@example.com,,,TEA,,1,100,IRR\n"           # 3 future
                     + "B-3,2024-01-01,,u@example.com,,,NOPE,,1,100,IRR\n"          # 4 unknown SKU
                     + "B-3,2024-01-01,,u@example.com,,,TEA,,1,100,IRR\n"           # 5 same order
                     + "B-4,2024-01-01,,x@example.com,,,TEA,,1,abc,IRR\n"           # 6 bad amount
                     + "B-4,2024-01-01,,x@example.com,,,TEA,,1,100,IRR\n"           # 7 same order
                     + "B-1,2024-01-01,,ok@example.com,,,TEA,,1,100,IRR\n"          # 8 number seen before
                     + "B-5,1402/10/11,,j@example.com,,,,Tea by weight,0.5,100,IRR\n"  # 9 good (Jalali)
                     + "B-6,2024-01-01,,,,,TEA,,1,100,IRR\n"                        # 10 no customer
                     + "B-7,2024-01-01,,y@example.com,,,TEA,,1,100,XYZ\n"           # 11 unknown currency
                     + "B-8,2024-01-01,,z@example.com,,,TEA,,1,100.5,IRR\n"         # 12 decimals in rials
                     + "B-9,2024-01-01,,w@example.com,,,TEA,,1,100,IRR\n"           # 13 date differs below
                     + "B-9,2024-01-02,,w@example.com,,,TEA,,1,100,IRR\n")          # 14
    db_session.commit()
    reasons = dict(result.errors)
    assert sorted(reasons) == [3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14]
    assert "in the future" in reasons[3]
    assert reasons[4] == "the SKU 'NOPE' is not a product"
    assert reasons[5] == "not imported: line 4 of the same order is refused"
    assert reasons[6] == "the amount 'abc' is not a number" and reasons[7].startswith("not imported: line 6")
    assert reasons[8].startswith("the order 'B-1' is already on line 2")
    assert reasons[10] == "no customer_id, email or phone"
    assert reasons[11] == "unknown currency 'XYZ'"
    assert reasons[12] == "the amount has more decimals than IRR allows"
    assert reasons[14] == "the date or currency differs from the order's first line"
    assert [(o.external_number, o.placed_at.date()) for o in _orders(db_session)] == [
        ("B-1", dt.date(2024, 1, 1)), ("B-5", dt.date(2024, 1, 1))]  # 1402/10/11 is 2024-01-01


def test_a_dry_run_writes_nothing(in_app, db_session):
    _products(db_session)
    db_session.commit()
    result = _import(GOOD, dry_run=True)
    db_session.commit()
    assert (result.created, result.customers_created, result.dry_run) == (3, 2, True)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Order)) == 0
    assert db_session.scalar(sa.select(sa.func.count()).select_from(CustomerKey)) == 0


def test_persian_headers_and_digits_are_read(in_app, db_session):
    _products(db_session)
    db_session.commit()
    result = _import("شماره سفارش,تاریخ,ایمیل,نام مشتری,شناسه کالا,تعداد,مبلغ\n"
                     "۱۰۱,۱۴۰۲/۰۱/۰۱,ali@example.com,علی رضایی,TEA,۲,۱٬۰۰۰٬۰۰۰\n")
    db_session.commit()
    assert result.errors == []
    order = _orders(db_session)[0]
    assert (order.external_number, order.total, order.placed_at.date()) == ("101", Decimal(1000000),
                                                                            dt.date(2023, 3, 21))


def test_new_customers_of_a_batch_are_created_together_once_each(in_app, db_session):
    _products(db_session)
    db_session.commit()
    long_name = "N" * 130 + " Long"
    result = _import(HEADER
                     + "N-1,2024-01-01,K-1,k@example.com,,Kian Ahmadi,TEA,,1,100,IRR\n"    # 2 new customer
                     + "N-2,2024-01-02,,k@example.com,,,TEA,,1,100,IRR\n"                   # 3 the same by email
                     + "N-3,2024-01-03,K-1,,09121112233,,TEA,,1,100,IRR\n"                  # 4 the same by key
                     + "N-4,2024-01-04,,,09124445566,,TEA,,1,100,IRR\n"                     # 5 another, named by phone
                     + f"N-5,2024-01-05,,bad@example.com,,{long_name},TEA,,1,100,IRR\n")   # 6 name too long
    db_session.commit()
    assert result.customers_created == 2 and result.created == 4
    assert result.errors == [(6, "the customer cannot be created: given_name: longer than 120 characters")]
    orders = {o.external_number: o.customer_id for o in _orders(db_session)}
    assert orders["N-1"] == orders["N-2"] == orders["N-3"] != orders["N-4"]
    kian = db_session.get(Customer, orders["N-1"])
    assert (kian.display_name, kian.search_name, kian.lifecycle_stage) == ("Kian Ahmadi", "kian ahmadi", "customer")
    assert db_session.get(CustomerKey, "K-1").customer_id == kian.id
    assert db_session.get(Customer, orders["N-4"]).display_name == "+989124445566"
    assert db_session.scalar(sa.select(CustomerPhone.customer_id).where(CustomerPhone.number == "+989124445566")) \
        == orders["N-4"]
    entries = db_session.scalars(sa.select(AuditLog).where(AuditLog.object_type == "customer")).all()
    assert [(e.action, e.after["count"], e.after["source"]) for e in entries] == [("import", 2, "import")]
    created = db_session.scalars(sa.select(OutboxEvent).where(OutboxEvent.hook == "payvand_customer_created")).all()
    assert sorted(i for event in created for i in event.payload["ids"]) == sorted({orders["N-1"], orders["N-4"]})


def test_parse_date_keeps_the_day_in_the_sites_zone():
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    tehran = dt.timezone(dt.timedelta(hours=3, minutes=30))
    assert parse_date("2024-03-01", tehran, now) == dt.datetime(2024, 3, 1, 8, 30, tzinfo=dt.UTC)
    assert parse_date("2024-03-01 01:00", tehran, now).date() == dt.date(2024, 2, 29)
    for bad in ("1899-12-31", "2024-02-30", "yesterday", "2026-01-02"):
        try:
            parse_date(bad, tehran, now)
        except ValueError:
            continue
        raise AssertionError(bad)


def test_the_command_imports_and_reports(sales_installed, payvand_database_url, db_session, tmp_path):  # noqa: F811
    db_session.add(Product(sku="TEA", name="Black tea"))
    db_session.add(Product(sku="PIS", name="Pistachios"))
    db_session.commit()
    path = tmp_path / "orders.csv"
    path.write_text(GOOD + "A-9,2024-01-01,,,,,TEA,,1,x,IRR\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["--database-url", payvand_database_url, "sales", "import-orders", str(path)])
    assert result.exit_code == 0, result.output
    assert "line 6: no customer_id, email or phone" in result.stdout
    assert "Imported 3 orders (3 created, 0 updated; 4 lines; 2 customers created); 1 rows rejected" in result.stdout
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Order)) == 3


# --------------------------------------------------------------------------- the page


def _upload(web, text: str, **fields):
    return web.post("/sales/orders/import", {"file": (io.BytesIO(text.encode()), "orders.csv"), **fields},
                    content_type="multipart/form-data")


def test_the_page_imports_history_and_lists_the_rejected_rows(web, db_session):
    _products(db_session)
    db_session.commit()
    assert 'id="order-import"' in web.get("/sales/orders").get_data(as_text=True)
    assert 'id="order-import-form"' in web.get("/sales/orders/import").get_data(as_text=True)
    done = _upload(web, GOOD + "A-9,2024-01-01,,,,,TEA,,1,5,IRR\n")
    assert done.status_code == 302 and done.headers["Location"].endswith("/sales/orders/import/result")
    page = web.get("/sales/orders/import/result").get_data(as_text=True)
    assert 'id="order-import-rejects"' in page and "no customer_id, email or phone" in page
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Order)) == 3
    dry = _upload(web, HEADER + "Z-1,2024-01-01,,z@example.com,,,TEA,,1,5,IRR\n", dry_run="1")
    assert dry.status_code == 302
    assert 'id="order-import-dry-run"' in web.get("/sales/orders/import/result").get_data(as_text=True)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Order)) == 3
    refused = _upload(web, "order_number,date\nA,2024-01-01\n")
    assert refused.status_code == 422 and "no amount column" in refused.get_data(as_text=True)


def test_the_page_needs_sales_manage(web_as):
    from payvand.plugins.sales import permissions as perm

    rep = web_as([perm.DOCUMENT_VIEW, perm.DOCUMENT_EDIT])
    assert rep.get("/sales/orders/import").status_code == 403
    assert _upload(rep, GOOD).status_code == 403
    assert 'id="order-import"' not in rep.get("/sales/orders").get_data(as_text=True)
