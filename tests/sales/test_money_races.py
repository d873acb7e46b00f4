"""Money and documents under concurrency: parallel requests at a real server (the `race` kit).

Every money path is raced on SQLite and on PostgreSQL: payments and refunds against one
invoice, accepting one quote, invoicing one order, voiding against paying, rejecting against
accepting, order status changes, and document numbers. The invariants: the paid total is the
sum of the payments, 0 <= paid <= total, one order per quote, one live invoice per order,
numbers unique — and a loser gets a 4xx with the error shape, never a 5xx.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest
import sqlalchemy as sa

from payvand.core.models import AuditLog
from payvand.plugins.sales.models import Invoice, Order, Payment, Quote
from payvand.sdk import Interaction


@pytest.fixture
def lamp(api):
    """A default price list with one standard-VAT product at 3,000 IRR: an order of one is 3,300."""
    retail = api.post("sales/price-lists", json={"name": "Retail"}).get_json()
    product = api.post("sales/products", json={"sku": "LAMP", "name": "Lamp"}).get_json()
    api.put(f"sales/price-lists/{retail['id']}/prices/{product['id']}", json={"unit_price": "3000"})
    return product


@pytest.fixture
def order(api, lamp, make_customer):
    """A placed order of 3,300 IRR."""
    return _order(api, lamp, make_customer().id)


@pytest.fixture
def invoice(api, order):
    """An unpaid invoice of 3,300 IRR."""
    made = api.post("sales/invoices", json={"order_id": order["id"]})
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["total"] == "3300"
    return made.get_json()


@pytest.fixture
def quote(api, lamp, make_customer):
    """A draft quote of 3,300 IRR."""
    made = api.post("sales/quotes", json={"customer_id": make_customer().id,
                                          "lines": [{"product_id": lamp["id"], "quantity": "1"}]})
    assert made.status_code == 201, made.get_json()
    return made.get_json()


def _order(api, product: dict, customer_id: int) -> dict:
    made = api.post("sales/orders", json={"customer_id": customer_id,
                                          "lines": [{"product_id": product["id"], "quantity": "1"}]})
    assert made.status_code == 201, made.get_json()
    return made.get_json()


def _statuses(results) -> Counter:
    return Counter(r.status for r in results)


def _errors_have_the_shape(results) -> None:
    for result in results:
        assert result.status < 500, result
        if result.status >= 400:
            error = result.json["error"]
            assert error["code"] and error["message"], result


def _ledger(db_session, invoice_id: int) -> tuple[Invoice, Decimal, int]:
    """The invoice as stored, the sum of its payments and how many there are."""
    db_session.expire_all()
    found = db_session.get(Invoice, invoice_id)
    amounts = db_session.scalars(sa.select(Payment.amount).where(Payment.invoice_id == invoice_id)).all()
    return found, sum(amounts, Decimal(0)), len(amounts)


def _balanced(api, db_session, invoice_id: int) -> Invoice:
    """Assert the invoice's books add up (stored and as the API shows them); return it."""
    found, paid, _ = _ledger(db_session, invoice_id)
    assert found.paid_total == paid
    assert Decimal(0) <= found.paid_total <= found.total
    shown = api.get(f"sales/invoices/{invoice_id}").get_json()
    assert Decimal(shown["paid_total"]) == paid
    if found.status != "void":
        assert Decimal(shown["balance_due"]) == found.total - paid
    return found


def _pay(invoice_id: int) -> str:
    return f"sales/invoices/{invoice_id}/payments"


# --------------------------------------------------------------------------- payments


def test_parallel_payments_are_accepted_only_up_to_the_total(api, invoice, race, db_session):
    results = race(16, "POST", _pay(invoice["id"]), client=api, json={"amount": "300", "method": "cash"})
    _errors_have_the_shape(results)
    assert _statuses(results) == {201: 11, 422: 5}
    found = _balanced(api, db_session, invoice["id"])
    assert (found.paid_total, found.status) == (Decimal(3300), "paid")
    assert _ledger(db_session, invoice["id"])[2] == 11


def test_parallel_full_payments_accept_exactly_one(api, invoice, order, race, db_session):
    results = race(8, "POST", _pay(invoice["id"]), client=api, json={"amount": "3300"})
    _errors_have_the_shape(results)
    assert _statuses(results) == {201: 1, 422: 7}
    found = _balanced(api, db_session, invoice["id"])
    assert (found.paid_total, found.status) == (Decimal(3300), "paid")
    assert api.get(f"sales/orders/{order['id']}").get_json()["status"] == "paid"
    paid_events = db_session.scalars(sa.select(Interaction).where(Interaction.kind == "sales.invoice_paid")).all()
    assert len(paid_events) == 1


def test_parallel_refunds_never_exceed_what_was_paid(api, invoice, race, db_session):
    assert api.post(_pay(invoice["id"]), json={"amount": "3300"}).status_code == 201
    results = race(8, "POST", _pay(invoice["id"]), client=api, json={"amount": "-3300"})
    _errors_have_the_shape(results)
    assert _statuses(results) == {201: 1, 422: 7}
    found = _balanced(api, db_session, invoice["id"])
    assert (found.paid_total, found.status) == (Decimal(0), "unpaid")


def test_payments_and_refunds_interleaved_keep_the_books(api, invoice, race, db_session):
    assert api.post(_pay(invoice["id"]), json={"amount": "1500"}).status_code == 201
    bodies = [{"amount": "600"}, {"amount": "-600"}] * 6
    results = race(12, "POST", _pay(invoice["id"]), client=api, jsons=bodies)
    _errors_have_the_shape(results)
    assert set(_statuses(results)) <= {201, 422}
    found = _balanced(api, db_session, invoice["id"])
    accepted = sum((Decimal(b["amount"]) for b, r in zip(bodies, results, strict=True) if r.status == 201), Decimal(0))
    assert found.paid_total == Decimal(1500) + accepted


def test_an_overpayment_is_refused_with_the_balance_due(api, invoice):
    assert api.post(_pay(invoice["id"]), json={"amount": "3000"}).status_code == 201
    refused = api.post(_pay(invoice["id"]), json={"amount": "301"})
    assert refused.status_code == 422
    error = refused.get_json()["error"]
    assert "300" in error["message"] and "amount" in error["fields"]
    paid = api.post(_pay(invoice["id"]), json={"amount": "300"}).get_json()
    assert (paid["status"], paid["balance_due"]) == ("paid", "0")


# --------------------------------------------------------------------------- void against payments


def test_voiding_races_payments_and_never_voids_money(api, invoice, race, db_session):
    calls = [("POST", f"sales/invoices/{invoice['id']}/void", {"reason": "typo"})]
    calls += [("POST", _pay(invoice["id"]), {"amount": "300"})] * 7
    results = race.mixed(calls, client=api)
    _errors_have_the_shape(results)
    voided, payments = results[0], results[1:]
    found = _balanced(api, db_session, invoice["id"])
    _, paid, count = _ledger(db_session, invoice["id"])
    if voided.status == 200:  # the void came first: every payment after it finds the invoice void
        assert {r.status for r in payments} == {409}
        assert (found.status, paid, count) == ("void", 0, 0)
    else:  # a payment came first: the void is refused and every payment lands
        assert voided.status == 409 and {r.status for r in payments} == {201}
        assert (found.status, paid, count) == ("partially_paid", Decimal(2100), 7)


def test_parallel_voids_void_once(api, invoice, race, db_session):
    results = race(6, "POST", f"sales/invoices/{invoice['id']}/void", client=api, json={"reason": "typo"})
    _errors_have_the_shape(results)
    assert _statuses(results) == {200: 1, 409: 5}
    voids = db_session.scalars(sa.select(AuditLog).where(AuditLog.action == "void")).all()
    assert len(voids) == 1


# --------------------------------------------------------------------------- one quote, one order


def test_parallel_accepts_make_exactly_one_order(api, quote, race, db_session):
    results = race(8, "POST", f"sales/quotes/{quote['id']}/accept", client=api)
    _errors_have_the_shape(results)
    assert _statuses(results) == {201: 1, 409: 7}
    orders = db_session.scalars(sa.select(Order).where(Order.quote_id == quote["id"])).all()
    assert len(orders) == 1
    assert db_session.get(Quote, quote["id"]).status == "accepted"


def test_reject_races_accept_and_only_one_wins(api, quote, race, db_session):
    accept = ("POST", f"sales/quotes/{quote['id']}/accept")
    reject = ("POST", f"sales/quotes/{quote['id']}/reject", {"reason": "too dear"})
    results = race.mixed([accept, reject] * 4, client=api)
    _errors_have_the_shape(results)
    winners = [r for r in results if r.status in (200, 201)]
    assert len(winners) == 1 and {r.status for r in results if r not in winners} == {409}
    status = db_session.get(Quote, quote["id"]).status
    orders = db_session.scalars(sa.select(Order.id).where(Order.quote_id == quote["id"])).all()
    assert (status, len(orders)) == (("accepted", 1) if winners[0].status == 201 else ("rejected", 0))


def test_sending_never_takes_back_an_accepted_quote(api, quote, race, db_session):
    accept = ("POST", f"sales/quotes/{quote['id']}/accept")
    send = ("POST", f"sales/quotes/{quote['id']}/send")
    results = race.mixed([accept, send] * 4, client=api)
    _errors_have_the_shape(results)
    assert [r.status for r in results[0::2]].count(201) == 1
    db_session.expire_all()
    assert db_session.get(Quote, quote["id"]).status == "accepted"
    assert len(db_session.scalars(sa.select(Order.id).where(Order.quote_id == quote["id"])).all()) == 1


def test_the_database_refuses_a_second_order_for_a_quote(api, quote, db_session):
    assert api.post(f"sales/quotes/{quote['id']}/accept").status_code == 201
    first = db_session.scalars(sa.select(Order).where(Order.quote_id == quote["id"])).one()
    db_session.add(Order(number="O-TEST-2", customer_id=first.customer_id, quote_id=quote["id"]))
    with pytest.raises(sa.exc.IntegrityError):
        db_session.flush()


def test_an_order_already_made_from_the_quote_answers_409_not_500(api, quote, runtime):
    assert api.post(f"sales/quotes/{quote['id']}/accept").status_code == 201
    with runtime.sessionmaker.begin() as session:  # as if a second accept had passed the status check
        session.execute(sa.update(Quote).where(Quote.id == quote["id"]).values(status="sent"))
    again = api.post(f"sales/quotes/{quote['id']}/accept")
    assert again.status_code == 409, again.get_json()
    assert "has an order already" in again.get_json()["error"]["message"]


# --------------------------------------------------------------------------- one order, one live invoice


def test_parallel_invoicing_makes_exactly_one_invoice(api, order, race, db_session):
    results = race(8, "POST", "sales/invoices", client=api, json={"order_id": order["id"]})
    _errors_have_the_shape(results)
    assert _statuses(results) == {201: 1, 409: 7}
    live = db_session.scalars(sa.select(Invoice).where(Invoice.order_id == order["id"], Invoice.status != "void")).all()
    assert len(live) == 1


def test_a_voided_order_is_invoiced_again_once(api, order, invoice, race, db_session):
    assert api.post(f"sales/invoices/{invoice['id']}/void", json={}).status_code == 200
    results = race(6, "POST", "sales/invoices", client=api, json={"order_id": order["id"]})
    _errors_have_the_shape(results)
    assert _statuses(results) == {201: 1, 409: 5}
    rows = db_session.scalars(sa.select(Invoice.status).where(Invoice.order_id == order["id"])).all()
    assert sorted(rows) == ["unpaid", "void"]


def test_the_database_refuses_a_second_live_invoice_for_an_order(api, order, invoice, db_session):
    first = db_session.get(Invoice, invoice["id"])
    second = dict(customer_id=first.customer_id, order_id=order["id"], year=first.year, total=first.total)
    db_session.add(Invoice(number="INV-TEST-2", sequence=2, **second))
    with pytest.raises(sa.exc.IntegrityError):
        db_session.flush()
    db_session.rollback()
    db_session.add(Invoice(number="INV-TEST-3", sequence=3, status="void", **second))
    db_session.flush()  # a void one may stand beside the live one


# --------------------------------------------------------------------------- order status


def test_parallel_status_changes_move_an_order_once(api, order, race, db_session):
    bodies = [{"status": "cancelled"}, {"status": "paid"}] * 4
    results = race(8, "POST", f"sales/orders/{order['id']}/status", client=api, jsons=bodies)
    _errors_have_the_shape(results)
    assert _statuses(results) == {200: 1, 409: 7}
    winner = next(b["status"] for b, r in zip(bodies, results, strict=True) if r.status == 200)
    db_session.expire_all()
    assert db_session.get(Order, order["id"]).status == winner
    changes = db_session.scalars(sa.select(AuditLog).where(AuditLog.object_type == "sales_order",
                                                           AuditLog.action == "status")).all()
    assert len(changes) == 1


def test_a_payment_racing_a_cancel_is_recorded_whichever_comes_first(api, lamp, make_customer, race, db_session):
    customer = make_customer()
    pairs = []
    for _ in range(4):
        placed = _order(api, lamp, customer.id)
        billed = api.post("sales/invoices", json={"order_id": placed["id"]}).get_json()
        pairs.append((placed, billed))
    calls = []
    for placed, billed in pairs:
        calls += [("POST", f"sales/orders/{placed['id']}/status", {"status": "cancelled"}),
                  ("POST", _pay(billed["id"]), {"amount": "3300"})]
    results = race.mixed(calls, client=api)
    _errors_have_the_shape(results)
    assert [r.status for r in results[1::2]] == [201] * 4  # the money came in: it is recorded
    db_session.expire_all()
    for (placed, billed), cancel in zip(pairs, results[0::2], strict=True):
        status = db_session.get(Order, placed["id"]).status
        assert (cancel.status, status) in ((200, "cancelled"), (409, "paid"))
        assert _balanced(api, db_session, billed["id"]).status == "paid"


# --------------------------------------------------------------------------- numbers


def test_parallel_invoices_never_share_a_number(api, lamp, make_customer, race, db_session):
    customer = make_customer()
    orders = [_order(api, lamp, customer.id) for _ in range(8)]
    results = race(8, "POST", "sales/invoices", client=api, jsons=[{"order_id": o["id"]} for o in orders])
    _errors_have_the_shape(results)
    assert _statuses(results) == {201: 8}
    numbers = db_session.execute(sa.select(Invoice.number, Invoice.sequence)).all()
    assert len({n for n, _ in numbers}) == 8
    assert sorted(s for _, s in numbers) == list(range(1, 9))


def test_parallel_quotes_and_orders_never_share_a_number(api, lamp, make_customer, race, db_session):
    customer = make_customer()
    line = [{"product_id": lamp["id"], "quantity": "1"}]
    calls = [("POST", "sales/quotes", {"customer_id": customer.id, "lines": line}),
             ("POST", "sales/orders", {"customer_id": customer.id, "lines": line})] * 5
    results = race.mixed(calls, client=api)
    _errors_have_the_shape(results)
    assert _statuses(results) == {201: 10}
    for model in (Quote, Order):
        numbers = db_session.scalars(sa.select(model.number)).all()
        assert len(numbers) == len(set(numbers)) == 5
