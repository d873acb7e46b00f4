"""Quotes, orders, invoices and payments through the API: exact money, numbering, flows, timeline."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa

from payvand.plugins.sales import permissions as perm
from payvand.plugins.sales import pricing
from payvand.plugins.sales.models import Order
from payvand.plugins.sales.services import documents
from payvand.sdk import Interaction


@pytest.fixture
def shop(api):
    """A default IRR price list with a standard product (1,250,000) and an exempt one (333,333)."""
    retail = api.post("sales/price-lists", json={"name": "Retail"}).get_json()
    pen = api.post("sales/products", json={"sku": "PEN", "name": "Pen"}).get_json()
    book = api.post("sales/products", json={"sku": "BOOK", "name": "Book", "tax_class": "exempt"}).get_json()
    api.put(f"sales/price-lists/{retail['id']}/prices/{pen['id']}", json={"unit_price": "1250000"})
    api.put(f"sales/price-lists/{retail['id']}/prices/{book['id']}", json={"unit_price": "333333"})
    return {"list": retail, "pen": pen, "book": book}


def _year() -> int:
    return pricing.fiscal_year(dt.datetime.now(dt.timezone(dt.timedelta(hours=3, minutes=30))).date(), "jalali")


def _kinds(db_session, customer_id):
    return db_session.scalars(sa.select(Interaction.kind).where(Interaction.customer_id == customer_id)
                              .order_by(Interaction.id)).all()


def test_a_quote_prices_lines_from_the_list_and_taxes_them_by_class(api, shop, make_customer):
    customer = make_customer()
    response = api.post("sales/quotes", json={"customer_id": customer.id, "lines": [
        {"product_id": shop["pen"]["id"], "quantity": "3", "discount_percent": "10"},
        {"product_id": shop["book"]["id"], "quantity": "2"},
        {"description": "Gift wrapping", "quantity": "1", "unit_price": "50001", "discount_amount": "1"},
    ]})
    assert response.status_code == 201, response.get_json()
    quote = response.get_json()
    assert quote["number"] == f"Q-{_year()}-000001" and quote["status"] == "draft"
    pen, book, wrap = quote["lines"]
    assert (pen["unit_price"], pen["discount"], pen["net"], pen["tax_rate"], pen["tax"], pen["total"]) == (
        "1250000", "375000", "3375000", "10", "337500", "3712500")
    assert (book["net"], book["tax_rate"], book["tax"], book["total"]) == ("666666", "0", "0", "666666")
    assert (wrap["description"], wrap["net"], wrap["tax"]) == ("Gift wrapping", "50000", "5000")
    assert Decimal(quote["subtotal"]) == Decimal(3750000) + Decimal(666666) + Decimal(50001)
    assert quote["discount_total"] == "375001"
    assert quote["tax_total"] == "342500"
    assert quote["total"] == "4434166"


def test_usd_lines_round_half_up_to_cents(api, make_customer):
    customer = make_customer()
    api.post("sales/price-lists", json={"name": "Export", "currency": "USD"})
    quote = api.post("sales/quotes", json={"customer_id": customer.id, "currency": "USD", "lines": [
        {"description": "Consulting", "quantity": "1.5", "unit_price": "33.33", "tax_rate": "9"},
        {"description": "Travel", "quantity": "1", "unit_price": "0.05", "tax_rate": "10"},
    ]}).get_json()
    first, second = quote["lines"]
    assert (first["net"], first["tax"], first["total"]) == ("50", "4.5", "54.5")  # 49.995 -> 50.00
    assert (second["tax"], second["total"]) == ("0.01", "0.06")  # 0.005 -> 0.01
    assert (quote["tax_total"], quote["total"]) == ("4.51", "54.56")


def _set(runtime, key, value):
    from payvand.core.models import Setting  # test set-up only: the plugin reads it through the SDK

    with runtime.sessionmaker.begin() as session:
        session.merge(Setting(key=key, value=value))


def test_the_vat_setting_sets_the_standard_rate_and_exempt_stays_zero(api, shop, make_customer, runtime):
    _set(runtime, documents.VAT_RATE, "9")
    customer = make_customer()
    quote = api.post("sales/quotes", json={"customer_id": customer.id, "lines": [
        {"product_id": shop["pen"]["id"], "quantity": "1"}, {"product_id": shop["book"]["id"], "quantity": "1"}]}).get_json()
    assert [(line["tax_rate"], line["tax"]) for line in quote["lines"]] == [("9", "112500"), ("0", "0")]


def test_gregorian_fiscal_calendar_numbers_by_gregorian_year(api, shop, make_customer, runtime):
    _set(runtime, documents.FISCAL_CALENDAR, "gregorian")
    customer = make_customer()
    quote = api.post("sales/quotes", json={"customer_id": customer.id, "lines": [
        {"product_id": shop["pen"]["id"], "quantity": "1"}]}).get_json()
    local = dt.datetime.now(dt.timezone(dt.timedelta(hours=3, minutes=30))).date()
    assert quote["number"] == f"Q-{local.year}-000001"


def test_numbers_grow_per_kind(api, shop, make_customer):
    customer = make_customer()
    body = {"customer_id": customer.id, "lines": [{"product_id": shop["pen"]["id"], "quantity": "1"}]}
    numbers = [api.post("sales/quotes", json=body).get_json()["number"] for _ in range(3)]
    order = api.post("sales/orders", json=body).get_json()
    assert numbers == [f"Q-{_year()}-00000{n}" for n in (1, 2, 3)]
    assert order["number"] == f"O-{_year()}-000001"


def test_a_sent_quote_accepted_becomes_a_staff_order_with_the_same_lines(api, shop, make_customer, db_session):
    customer = make_customer()
    quote = api.post("sales/quotes", json={"customer_id": customer.id, "lines": [
        {"product_id": shop["pen"]["id"], "quantity": "2", "unit_price": "1000000"}]}).get_json()
    sent = api.post(f"sales/quotes/{quote['id']}/send")
    assert sent.status_code == 200 and sent.get_json()["status"] == "sent"
    accepted = api.post(f"sales/quotes/{quote['id']}/accept")
    assert accepted.status_code == 201
    order = accepted.get_json()
    assert order["channel"] == "staff" and order["quote_id"] == quote["id"] and order["status"] == "placed"
    assert order["total"] == quote["total"] == "2200000"
    assert [line["unit_price"] for line in order["lines"]] == ["1000000"]
    assert api.get(f"sales/quotes/{quote['id']}").get_json()["status"] == "accepted"
    again = api.post(f"sales/quotes/{quote['id']}/accept")
    assert again.status_code == 409
    assert _kinds(db_session, customer.id) == ["sales.quote_sent", "sales.order_placed"]
    placed = db_session.scalar(sa.select(Interaction).where(Interaction.kind == "sales.order_placed"))
    assert placed.value == Decimal(2200000) and placed.currency == "IRR"


def test_an_online_order_is_priced_from_the_default_list(api, shop, make_customer):
    customer = make_customer()
    response = api.post("sales/orders", json={"customer_id": customer.id, "lines": [
        {"product_id": shop["pen"]["id"], "quantity": "2"}, {"product_id": shop["book"]["id"], "quantity": 1}]})
    assert response.status_code == 201, response.get_json()
    order = response.get_json()
    assert order["channel"] == "api"
    assert (order["subtotal"], order["tax_total"], order["total"]) == ("2833333", "250000", "3083333")


def test_an_order_of_an_unknown_or_unpriced_product_is_refused(api, shop, make_customer):
    customer = make_customer()
    unpriced = api.post("sales/products", json={"sku": "NEW", "name": "New"}).get_json()
    unknown = api.post("sales/orders", json={"customer_id": customer.id, "lines": [{"product_id": 999, "quantity": "1"}]})
    assert unknown.status_code == 422 and "lines.0.product_id" in unknown.get_json()["error"]["fields"]
    no_price = api.post("sales/orders", json={"customer_id": customer.id, "lines": [
        {"product_id": shop["pen"]["id"], "quantity": "1"}, {"product_id": unpriced["id"], "quantity": "1"}]})
    assert no_price.status_code == 422 and "lines.1.unit_price" in no_price.get_json()["error"]["fields"]
    nobody = api.post("sales/orders", json={"customer_id": 999, "lines": [{"product_id": shop["pen"]["id"], "quantity": "1"}]})
    assert nobody.status_code == 422 and "customer_id" in nobody.get_json()["error"]["fields"]


def test_order_status_follows_its_flow(api, shop, make_customer):
    customer = make_customer()
    order = api.post("sales/orders", json={"customer_id": customer.id, "lines": [
        {"product_id": shop["pen"]["id"], "quantity": "1"}]}).get_json()

    def move(status):
        return api.post(f"sales/orders/{order['id']}/status", json={"status": status})

    refused = move("delivered")
    assert refused.status_code == 409
    assert "can only become paid or cancelled" in refused.get_json()["error"]["message"]
    for status in ("paid", "shipped", "delivered", "returned"):
        assert move(status).get_json()["status"] == status
    assert "final" in move("placed").get_json()["error"]["message"]


def test_a_cancelled_order_is_neither_invoiced_nor_a_purchase(api, shop, make_customer, db_session):
    customer = make_customer()
    body = {"customer_id": customer.id, "lines": [{"product_id": shop["pen"]["id"], "quantity": "2"}]}
    kept = api.post("sales/orders", json=body).get_json()
    cancelled = api.post("sales/orders", json=body).get_json()
    api.post(f"sales/orders/{cancelled['id']}/status", json={"status": "cancelled"})
    assert api.post("sales/invoices", json={"order_id": cancelled["id"]}).status_code == 409
    facts = db_session.execute(documents.purchase_facts()).all()
    assert [(f.customer_id, f.product_id, f.quantity, f.amount, f.currency) for f in facts] == [
        (customer.id, shop["pen"]["id"], Decimal(2), Decimal(2750000), "IRR")]
    assert db_session.get(Order, kept["id"]).placed_at == facts[0].occurred_at


def test_an_invoice_is_paid_in_parts_with_a_refund(api, shop, make_customer, db_session):
    customer = make_customer()
    order = api.post("sales/orders", json={"customer_id": customer.id, "lines": [
        {"product_id": shop["pen"]["id"], "quantity": "1"}]}).get_json()
    created = api.post("sales/invoices", json={"order_id": order["id"], "due_at": "2030-01-31"})
    assert created.status_code == 201, created.get_json()
    invoice = created.get_json()
    assert invoice["number"] == f"INV-{_year()}-000001" and invoice["year"] == _year() and invoice["sequence"] == 1
    assert (invoice["total"], invoice["balance_due"], invoice["status"]) == ("1375000", "1375000", "unpaid")
    assert api.post("sales/invoices", json={"order_id": order["id"]}).status_code == 409

    def pay(amount):
        return api.post(f"sales/invoices/{invoice['id']}/payments", json={"amount": amount, "method": "card"})

    first = pay("375000").get_json()
    assert (first["paid_total"], first["balance_due"], first["status"]) == ("375000", "1000000", "partially_paid")
    assert pay("0.5").status_code == 422  # rials have no fraction
    assert pay("-400000").status_code == 422  # more than was paid
    full = pay("1000000").get_json()
    assert (full["balance_due"], full["status"]) == ("0", "paid")
    assert api.get(f"sales/orders/{order['id']}").get_json()["status"] == "paid"
    refunded = pay("-100000").get_json()
    assert (refunded["paid_total"], refunded["balance_due"], refunded["status"]) == ("1275000", "100000", "partially_paid")
    assert [p["amount"] for p in refunded["payments"]] == ["375000", "1000000", "-100000"]
    assert _kinds(db_session, customer.id) == ["sales.order_placed", "sales.invoice_issued", "sales.invoice_paid"]


def test_documents_are_listed_newest_first_in_pages(api, shop, make_customer):
    customer = make_customer()
    body = {"customer_id": customer.id, "lines": [{"product_id": shop["pen"]["id"], "quantity": "1"}]}
    ids = [api.post("sales/orders", json=body).get_json()["id"] for _ in range(3)]
    first = api.get("sales/orders?limit=2").get_json()
    assert [o["id"] for o in first["items"]] == ids[:0:-1]
    second = api.get(f"sales/orders?limit=2&cursor={first['next_cursor']}").get_json()
    assert [o["id"] for o in second["items"]] == ids[:1] and second["next_cursor"] is None
    assert api.get(f"sales/orders?customer_id={customer.id}&status=placed").get_json()["items"][0]["id"] == ids[-1]


def test_document_lists_refuse_odd_arguments_and_foreign_cursors(api, web, shop, make_customer):
    """The lists are the list kit's: a status outside the flow is a 422 on `status`, a cursor of
    another list (or a plain id, the old format) a 400 on `cursor`; the pages answer 400 too."""
    customer = make_customer()
    body = {"customer_id": customer.id, "lines": [{"product_id": shop["pen"]["id"], "quantity": "1"}]}
    ids = [api.post("sales/orders", json=body).get_json()["id"] for _ in range(2)]
    refused = api.get("sales/invoices?status=nonsense")
    assert refused.status_code == 422 and "status" in str(refused.get_json()["error"]["fields"])
    order_cursor = api.get("sales/orders?limit=1").get_json()["next_cursor"]
    for path in (f"sales/quotes?cursor={order_cursor}", "sales/orders?cursor=12"):
        answer = api.get(path)
        assert answer.status_code == 400 and "cursor" in str(answer.get_json()["error"]["fields"]), path
    assert web.get(f"/sales/invoices?cursor={order_cursor}").status_code == 400
    page = web.get("/sales/orders?status=placed&limit=1")
    assert page.status_code == 200 and 'id="orders-filter"' in page.get_data(as_text=True)
    older = web.get(f"/sales/orders?cursor={order_cursor}").get_data(as_text=True)  # one cursor for API and page
    assert f'id="order-row-{ids[0]}"' in older and f'id="order-row-{ids[1]}"' not in older


def test_documents_need_their_permissions(api_as, shop, make_customer):
    customer = make_customer()
    body = {"customer_id": customer.id, "lines": [{"product_id": shop["pen"]["id"], "quantity": "1"}]}
    viewer = api_as([perm.DOCUMENT_VIEW])
    assert viewer.get("sales/orders").status_code == 200
    assert viewer.post("sales/orders", json=body).status_code == 403
    editor = api_as([perm.DOCUMENT_VIEW, perm.DOCUMENT_EDIT])
    order = editor.post("sales/orders", json=body).get_json()
    invoice = editor.post("sales/invoices", json={"order_id": order["id"]}).get_json()
    assert editor.post(f"sales/invoices/{invoice['id']}/payments", json={"amount": "1"}).status_code == 403
    cashier = api_as([perm.PAYMENT_RECORD, perm.DOCUMENT_ALL])  # accounting: every rep's invoices
    assert cashier.post(f"sales/invoices/{invoice['id']}/payments", json={"amount": "1"}).status_code == 201


def test_concurrent_orders_get_distinct_consecutive_numbers(app, api, shop, make_customer, runtime):
    import threading

    from payvand.core.db import session_scope

    customer = make_customer()
    numbers: list[str] = []
    errors: list[BaseException] = []

    def place() -> None:
        try:
            with app.app_context(), session_scope(runtime.sessionmaker) as session:
                order = documents.place_order(session, customer.id, [documents.LineIn(product_id=shop["pen"]["id"],
                                                                                      quantity=Decimal(1))])
                numbers.append(order.number)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=place) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert sorted(numbers) == [f"O-{_year()}-00000{n}" for n in range(1, 7)]


def test_merging_customers_moves_their_documents_and_export_lists_them(api, shop, make_customer, db_session, app):
    keep, gone = make_customer(), make_customer()
    order = api.post("sales/orders", json={"customer_id": gone.id, "lines": [
        {"product_id": shop["pen"]["id"], "quantity": "1"}]}).get_json()
    with app.app_context():
        moved = documents.merge_customer(db_session.get(type(keep), keep.id), db_session.get(type(gone), gone.id))
        assert [(m.table, list(m.ids)) for m in moved] == [("sales_order", [order["id"]])]
        exported = documents.customer_export(db_session.get(type(keep), keep.id))
    assert [o["number"] for o in exported["orders"]] == [order["number"]]
    assert exported["orders"][0]["total"] == "1375000"


def test_a_customer_with_invoices_cannot_be_deleted_only_erased(api, make_customer, db_session):
    from payvand.plugins.sales.models import Order

    customer = make_customer()
    db_session.add(Order(number="O-1405-777777", customer_id=customer.id))
    db_session.commit()
    response = api.delete(f"customers/{customer.id}")
    assert response.status_code == 409
    assert response.json["error"]["code"] == "customer_referenced"
    assert api.get(f"customers/{customer.id}").status_code == 200  # nothing was deleted


def test_order_status_changes_and_payments_are_audited(api_as, make_customer, db_session):
    from payvand.core.models import AuditLog
    from payvand.plugins.sales import permissions as perm
    from payvand.plugins.sales.models import Invoice, Order

    customer = make_customer()
    db_session.add(Order(number="O-1405-555555", customer_id=customer.id, total=Decimal("100"), currency="IRR"))
    db_session.commit()
    order_id = db_session.scalar(sa.select(Order.id).where(Order.number == "O-1405-555555"))
    client = api_as([perm.DOCUMENT_VIEW, perm.DOCUMENT_EDIT, perm.PAYMENT_RECORD, perm.DOCUMENT_ALL])
    invoice = client.post("sales/invoices", json={"order_id": order_id})
    assert invoice.status_code == 201, invoice.json
    assert client.post(f"sales/invoices/{invoice.json['id']}/payments", json={"amount": "40"}).status_code == 201
    actions = db_session.execute(sa.select(AuditLog.object_type, AuditLog.action, AuditLog.after)
                                 .where(AuditLog.object_type.in_(("sales_order", "sales_invoice")))).all()
    assert ("sales_invoice", "payment") in {(a.object_type, a.action) for a in actions}
    payment = next(a for a in actions if a.action == "payment")
    assert payment.after["paid_total"] == "40" and payment.after["status"] == "partially_paid"
    assert db_session.get(Invoice, invoice.json["id"]).paid_total == Decimal("40")
