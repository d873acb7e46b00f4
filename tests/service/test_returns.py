"""Returns with the sales plugin enabled: items picked from the customer's orders (through
`payvand_returnable_items`), the flow, the events, the refund on the invoice and the order
marked returned; permissions; and two refunds at once (the race kit, SQLite and PostgreSQL)."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

import payvand.plugins.sales as sales
import payvand.plugins.service as service
from payvand.core.models import OutboxEvent
from payvand.plugins.sales.models import Invoice, Order, OrderLine, Payment
from tests.service.lamps import deliver_paid_lamps

EDIT = ["service.ticket.view", "service.ticket.edit"]


@pytest.fixture
def payvand_plugins() -> list[Any]:
    """The service plugin with the sales plugin."""
    return [service, sales]


@pytest.fixture
def delivered(api, make_customer) -> dict[str, Any]:
    """A customer's delivered, fully paid order of two lamps (2 × 3,000 + 10 % VAT = 6,600 IRR), and its ticket."""
    order, invoice, customer = deliver_paid_lamps(api, make_customer)
    ticket = api.post("service/tickets", json={"customer_id": customer.id, "subject": "Broken lamps"}).get_json()
    return {"order": order, "invoice": invoice, "ticket": ticket, "customer": customer}


def _open(api, delivered, quantity: str = "2") -> dict[str, Any]:
    ticket_id = delivered["ticket"]["id"]
    [item] = api.get(f"service/tickets/{ticket_id}/returnable").get_json()
    made = api.post(f"service/tickets/{ticket_id}/return",
                    json={"reason": "Arrived broken", "items": [{"source": item["source"], "quantity": quantity}]})
    assert made.status_code == 201, made.get_json()
    return made.get_json()


def _act(api, return_id: int, action: str, **extra: Any) -> Any:
    return api.post(f"service/returns/{return_id}/actions", json={"action": action, **extra})


def test_the_returnable_items_are_the_customers_order_lines_through_the_hook(api, delivered, db_session):
    [item] = api.get(f"service/tickets/{delivered['ticket']['id']}/returnable").get_json()
    line_id = db_session.scalar(sa.select(OrderLine.id).where(OrderLine.order_id == delivered["order"]["id"]))
    assert item["source"] == f"sales.order_line:{line_id}"
    assert item["document"] == f"sales.order:{delivered['order']['id']}"
    assert (Decimal(item["quantity"]), Decimal(item["remaining"]), Decimal(item["amount"]), item["currency"]) == \
        (2, 2, 6600, "IRR")
    assert delivered["order"]["number"] in item["label"]


def test_a_refunded_return_refunds_the_invoice_and_marks_the_order_returned(api, delivered, run_jobs, db_session):
    opened = _open(api, delivered)
    assert (opened["status"], Decimal(opened["total"]), opened["currency"]) == ("requested", 6600, "IRR")
    ticket = api.get(f"service/tickets/{delivered['ticket']['id']}").get_json()
    assert ticket["type"] == "return"
    for action, status in (("approve", "approved"), ("receive", "received"), ("refund", "refunded")):
        moved = _act(api, opened["id"], action)
        assert moved.status_code == 200, moved.get_json()
        assert moved.get_json()["status"] == status
    names = db_session.scalars(sa.select(OutboxEvent.hook).order_by(OutboxEvent.id)).all()
    assert "service.return_approved" in names and "service.return_refunded" in names
    run_jobs()
    db_session.expire_all()
    invoice = db_session.get(Invoice, delivered["invoice"]["id"])
    assert (invoice.paid_total, invoice.status) == (0, "unpaid")
    [refund] = db_session.scalars(sa.select(Payment).where(Payment.amount < 0)).all()
    assert (refund.amount, refund.reference) == (Decimal(-6600), f"service.return:{opened['id']}")
    assert db_session.get(Order, delivered["order"]["id"]).status == "returned"
    assert api.get(f"service/tickets/{delivered['ticket']['id']}/returnable").get_json() == []


def test_a_partial_return_refunds_its_share_and_leaves_the_order_delivered(api, delivered, run_jobs, db_session):
    opened = _open(api, delivered, quantity="1")
    assert Decimal(opened["total"]) == 3300
    for action in ("approve", "receive", "refund"):
        assert _act(api, opened["id"], action).status_code == 200
    run_jobs()
    db_session.expire_all()
    assert db_session.get(Invoice, delivered["invoice"]["id"]).paid_total == 3300
    assert db_session.get(Order, delivered["order"]["id"]).status == "delivered"


def test_more_than_was_bought_is_refused_with_a_field_message(api, delivered):
    ticket_id = delivered["ticket"]["id"]
    [item] = api.get(f"service/tickets/{ticket_id}/returnable").get_json()
    refused = api.post(f"service/tickets/{ticket_id}/return", json={"items": [{"source": item["source"], "quantity": "3"}]})
    assert refused.status_code == 422
    assert "items" in refused.get_json()["error"]["fields"]
    stranger = api.post(f"service/tickets/{ticket_id}/return",
                        json={"items": [{"source": "sales.order_line:999999", "quantity": "1"}]})
    assert stranger.status_code == 422


def test_a_second_return_on_one_ticket_and_a_move_out_of_order_answer_409(api, delivered):
    opened = _open(api, delivered)
    again = api.post(f"service/tickets/{delivered['ticket']['id']}/return", json={"items": [{"label": "x", "quantity": "1"}]})
    assert again.status_code == 409
    assert _act(api, opened["id"], "refund").status_code == 409  # requested: not received yet


def test_deciding_needs_the_decide_permission_receiving_does_not(api, api_as, delivered):
    opened = _open(api, delivered)
    agent = api_as(EDIT)
    assert _act(agent, opened["id"], "approve").status_code == 403
    assert _act(api, opened["id"], "approve").status_code == 200
    assert _act(agent, opened["id"], "receive").status_code == 200
    assert _act(agent, opened["id"], "refund").status_code == 403
    decider = api_as([*EDIT, "service.return.decide"])
    assert _act(decider, opened["id"], "replace").status_code == 200


def test_a_rejected_return_frees_its_items(api, delivered):
    opened = _open(api, delivered)
    assert _act(api, opened["id"], "reject", note="Past the return window").get_json()["decision_note"] == \
        "Past the return window"
    [item] = api.get(f"service/tickets/{delivered['ticket']['id']}/returnable").get_json()
    assert Decimal(item["remaining"]) == 2


def test_two_refunds_at_once_refund_once(api, delivered, race, run_jobs, db_session):
    opened = _open(api, delivered)
    for action in ("approve", "receive"):
        assert _act(api, opened["id"], action).status_code == 200
    results = race(6, "POST", f"service/returns/{opened['id']}/actions", client=api, json={"action": "refund"})
    assert Counter(r.status for r in results) == {200: 1, 409: 5}
    assert all(r.json["error"]["code"] for r in results if r.status == 409)
    run_jobs()
    db_session.expire_all()
    refunds = db_session.scalars(sa.select(Payment.amount).where(Payment.amount < 0)).all()
    assert refunds == [Decimal(-6600)]
    assert db_session.scalar(sa.select(sa.func.count()).select_from(OutboxEvent)
                             .where(OutboxEvent.hook == "service.return_refunded")) == 1


def _event(return_id: int, customer_id: int, sources: list[str], quantities: list[str], amounts: list[str]) -> Any:
    import datetime as dt

    from payvand.sdk import Event

    payload = {"return_id": return_id, "ticket_id": 1, "customer_id": customer_id, "sources": sources,
               "quantities": quantities, "amounts": amounts, "total": sum(Decimal(a) for a in amounts),
               "currency": "IRR"}
    return Event("service.return_refunded", payload, f"test:{return_id}", dt.datetime.now(dt.UTC))


def test_a_refund_event_delivered_twice_refunds_once_and_a_strangers_line_not_at_all(
        api, delivered, in_app, db_session, make_customer):
    from payvand.plugins.sales.services.returns import refund_return

    line_id = db_session.scalar(sa.select(OrderLine.id).where(OrderLine.order_id == delivered["order"]["id"]))
    event = _event(77, delivered["customer"].id, [f"sales.order_line:{line_id}"], ["1"], ["3300"])
    with in_app() as session:
        assert len(refund_return(session, event)) == 1
    with in_app() as session:
        assert refund_return(session, event) == []  # the same return again: already refunded
    stranger = _event(78, make_customer().id, [f"sales.order_line:{line_id}", "other.thing:1"], ["1", "1"],
                      ["3300", "5"])
    with in_app() as session:
        assert refund_return(session, stranger) == []  # not that customer's order
    db_session.expire_all()
    assert db_session.get(Invoice, delivered["invoice"]["id"]).paid_total == 3300


def test_a_refund_never_exceeds_what_was_paid(api, make_customer, run_jobs, db_session):
    retail = api.post("sales/price-lists", json={"name": "Retail"}).get_json()
    lamp = api.post("sales/products", json={"sku": "LAMP", "name": "Lamp"}).get_json()
    api.put(f"sales/price-lists/{retail['id']}/prices/{lamp['id']}", json={"unit_price": "3000"})
    customer = make_customer()
    order = api.post("sales/orders", json={"customer_id": customer.id,
                                           "lines": [{"product_id": lamp["id"], "quantity": "1"}]}).get_json()
    invoice = api.post("sales/invoices", json={"order_id": order["id"]}).get_json()
    assert api.post(f"sales/invoices/{invoice['id']}/payments", json={"amount": "1000"}).status_code == 201
    assert api.post(f"sales/orders/{order['id']}/status", json={"status": "paid"}).status_code == 200
    ticket = api.post("service/tickets", json={"customer_id": customer.id, "subject": "Return"}).get_json()
    opened = _open(api, {"ticket": ticket}, quantity="1")
    assert Decimal(opened["total"]) == 3300
    for action in ("approve", "receive", "refund"):
        assert _act(api, opened["id"], action).status_code == 200
    run_jobs()
    db_session.expire_all()
    assert db_session.scalars(sa.select(Payment.amount).where(Payment.amount < 0)).all() == [Decimal(-1000)]
    assert db_session.get(Invoice, invoice["id"]).paid_total == 0
    assert db_session.get(Order, order["id"]).status == "paid"  # not delivered: stays as it is


def test_staff_pick_the_purchased_items_on_the_ticket_page(web_as, api, delivered, db_session):
    web = web_as([*EDIT, "core.customer.view", "service.return.decide"])
    ticket_id = delivered["ticket"]["id"]
    api.patch(f"service/tickets/{ticket_id}", json={"type": "return"})
    page = web.get(f"/service/tickets/{ticket_id}").get_data(as_text=True)
    assert 'id="return-quantity-1"' in page and delivered["order"]["number"] in page
    bad = web.post(f"/service/tickets/{ticket_id}/return", {"source-1": page.split('name="source-1" value="')[1]
                                                            .split('"')[0], "quantity-1": "5"})
    assert bad.status_code == 302 and api.get(f"service/tickets/{ticket_id}/return").status_code == 404
    line_id = db_session.scalar(sa.select(OrderLine.id).where(OrderLine.order_id == delivered["order"]["id"]))
    opened = web.post(f"/service/tickets/{ticket_id}/return", {"source-1": f"sales.order_line:{line_id}",
                                                               "quantity-1": "۲", "reason": "Broken"})
    assert opened.status_code == 302
    found = api.get(f"service/tickets/{ticket_id}/return").get_json()
    assert (found["status"], Decimal(found["total"])) == ("requested", 6600)
    page = web.get(f"/service/tickets/{ticket_id}").get_data(as_text=True)
    assert 'id="return-approve"' in page and 'id="return-reject"' in page and 'id="return-refund"' not in page


def _second_ticket(api, delivered) -> dict[str, Any]:
    ticket = api.post("service/tickets", json={"customer_id": delivered["customer"].id, "subject": "Other lamp"})
    return {**delivered, "ticket": ticket.get_json()}


def test_partial_returns_record_their_quantities_and_the_last_one_marks_the_order_returned(
        api, delivered, run_jobs, db_session):
    from payvand.plugins.sales.services.returns import returned_quantities

    first = _open(api, delivered, quantity="1")
    for action in ("approve", "receive", "refund"):
        assert _act(api, first["id"], action).status_code == 200
    run_jobs()
    db_session.expire_all()
    order_id = delivered["order"]["id"]
    line_id = db_session.scalar(sa.select(OrderLine.id).where(OrderLine.order_id == order_id))
    assert db_session.get(Order, order_id).status == "delivered"
    assert returned_quantities(db_session, order_id) == {line_id: Decimal(1)}
    [shown] = api.get(f"sales/orders/{order_id}").get_json()["returns"]
    assert (shown["order_line_id"], shown["kind"], Decimal(shown["quantity"]), shown["reference"]) == \
        (line_id, "refunded", 1, f"service.return:{first['id']}")
    second = _open(api, _second_ticket(api, delivered), quantity="1")
    for action in ("approve", "receive", "refund"):
        assert _act(api, second["id"], action).status_code == 200
    run_jobs()
    db_session.expire_all()
    assert returned_quantities(db_session, order_id, "refunded") == {line_id: Decimal(2)}
    assert db_session.get(Order, order_id).status == "returned"
    refunds = db_session.scalars(sa.select(Payment.amount).where(Payment.amount < 0)).all()
    assert sorted(refunds) == [Decimal(-3300), Decimal(-3300)]  # proportional: half the line each


def test_a_replaced_return_places_a_replacement_order_once_and_keeps_the_original(
        api, delivered, run_jobs, db_session, runtime):
    from payvand.plugins.sales.models import OrderLineReturn
    from payvand.plugins.sales.services.returns import replace_return
    from payvand.sdk import Event

    opened = _open(api, delivered, quantity="1")
    for action in ("approve", "receive", "replace"):
        assert _act(api, opened["id"], action).status_code == 200
    run_jobs()
    db_session.expire_all()
    original = db_session.get(Order, delivered["order"]["id"])
    assert original.status == "delivered"  # a replacement keeps the sale
    [mark] = db_session.scalars(sa.select(OrderLineReturn)).all()
    assert (mark.kind, mark.quantity) == ("replaced", Decimal(1))
    replacement = db_session.get(Order, mark.replacement_order_id)
    assert (replacement.customer_id, replacement.status, replacement.total) == (original.customer_id, "paid", 0)
    [line] = replacement.lines
    assert (line.quantity, line.product_id) == (Decimal(1), original.lines[0].product_id)
    payload = db_session.scalar(sa.select(OutboxEvent.payload).where(OutboxEvent.hook == "service.return_replaced"))
    event = Event("service.return_replaced", payload["events"][0], "again", original.placed_at)
    with runtime.sessionmaker.begin() as session:
        assert replace_return(session, event) == []  # delivered twice: one replacement
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Order)) == 2
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Payment).where(Payment.amount < 0)) == 0
