"""Returns under parallel requests (the `race` kit; SQLite and PostgreSQL), with and without an
`Idempotency-Key`: two approvals or replacements of one return at once move it once and place
exactly one replacement order; returns opened at once on two tickets never claim more units than
were bought; an event delivered twice at once acts once; and a stale or forged event never
records more returned units on a line than it holds."""

from __future__ import annotations

import threading
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

import payvand.plugins.sales as sales
import payvand.plugins.service as service
from payvand.core.models import OutboxEvent
from payvand.plugins.sales.models import Order, OrderLine, OrderLineReturn
from payvand.plugins.service.models_returns import ReturnItem, ReturnRequest
from tests.service.lamps import deliver_paid_lamps


@pytest.fixture
def payvand_plugins() -> list[Any]:
    """The service plugin with the sales plugin."""
    return [service, sales]


@pytest.fixture
def bought(api, make_customer) -> dict[str, Any]:
    """A customer's delivered, paid order of two lamps, its line's reference and two tickets of the customer."""
    order, invoice, customer = deliver_paid_lamps(api, make_customer)
    tickets = [api.post("service/tickets", json={"customer_id": customer.id, "subject": f"Lamp {n}"}).get_json()
               for n in range(4)]
    [item] = api.get(f"service/tickets/{tickets[0]['id']}/returnable").get_json()
    return {"order": order, "customer": customer, "tickets": tickets, "source": item["source"],
            "line_id": int(item["source"].split(":")[1])}


def _open(api, bought, quantity: str = "2", ticket: int = 0) -> dict[str, Any]:
    made = api.post(f"service/tickets/{bought['tickets'][ticket]['id']}/return",
                    json={"reason": "Broken", "items": [{"source": bought["source"], "quantity": quantity}]})
    assert made.status_code == 201, made.get_json()
    return made.get_json()


def _act(api, return_id: int, action: str) -> Any:
    moved = api.post(f"service/returns/{return_id}/actions", json={"action": action})
    assert moved.status_code == 200, moved.get_json()
    return moved.get_json()


def _no_5xx_and_the_error_shape(results) -> None:
    for result in results:
        assert result.status < 500, result
        if result.status >= 400:
            assert result.json["error"]["code"] and result.json["error"]["message"], result


def _events(db_session, hook: str) -> int:
    db_session.expire_all()
    return db_session.scalar(sa.select(sa.func.count()).select_from(OutboxEvent).where(OutboxEvent.hook == hook))


def _returned_never_exceed_bought(db_session, line_id: int) -> Decimal:
    """The units recorded as returned on the line (all kinds), asserted at most what was bought."""
    db_session.expire_all()
    returned = db_session.scalar(sa.select(sa.func.coalesce(sa.func.sum(OrderLineReturn.quantity), 0))
                                 .where(OrderLineReturn.order_line_id == line_id))
    claimed = db_session.scalar(sa.select(sa.func.coalesce(sa.func.sum(ReturnItem.quantity), 0)).join(ReturnRequest)
                                .where(ReturnItem.source == f"sales.order_line:{line_id}",
                                       ReturnRequest.status != "rejected"))
    line = db_session.get(OrderLine, line_id)
    assert Decimal(returned) <= line.quantity and Decimal(claimed) <= line.quantity, (returned, claimed)
    return Decimal(returned)


def _replacement_orders(db_session, customer_id: int) -> list[int]:
    db_session.expire_all()
    return list(db_session.scalars(sa.select(Order.id).where(Order.customer_id == customer_id, Order.total == 0)))


@pytest.mark.parametrize("keyed", [False, True], ids=["no-key", "one-key"])
def test_parallel_replacements_of_one_return_place_exactly_one_replacement_order(
        api, bought, race, run_jobs, db_session, keyed):
    opened = _open(api, bought)
    for action in ("approve", "receive"):
        _act(api, opened["id"], action)
    headers = {"Idempotency-Key": "replace-once"} if keyed else None
    results = race(8, "POST", f"service/returns/{opened['id']}/actions", client=api, json={"action": "replace"},
                   headers=headers)
    _no_5xx_and_the_error_shape(results)
    won = [r for r in results if r.status == 200]
    if keyed:  # one acted; the others replayed its answer or were told it is still running
        assert won and {r.body for r in won} == {won[0].body}
        assert all(r.json["error"]["code"] == "idempotency_in_progress" for r in results if r.status != 200)
    else:
        assert Counter(r.status for r in results) == {200: 1, 409: 7}
    assert _events(db_session, "service.return_replaced") == 1
    run_jobs()
    run_jobs()
    assert len(_replacement_orders(db_session, bought["customer"].id)) == 1
    assert _returned_never_exceed_bought(db_session, bought["line_id"]) == 2
    assert db_session.get(ReturnRequest, opened["id"]).status == "replaced"


@pytest.mark.parametrize("keyed", [False, True], ids=["no-key", "one-key"])
def test_parallel_approvals_of_one_return_approve_it_once(api, bought, race, db_session, keyed):
    opened = _open(api, bought)
    headers = {"Idempotency-Key": "approve-once"} if keyed else None
    results = race(8, "POST", f"service/returns/{opened['id']}/actions", client=api, json={"action": "approve"},
                   headers=headers)
    _no_5xx_and_the_error_shape(results)
    if not keyed:
        assert Counter(r.status for r in results) == {200: 1, 409: 7}
    assert _events(db_session, "service.return_approved") == 1


def test_returns_opened_at_once_on_two_tickets_never_claim_more_than_was_bought(api, bought, race, db_session):
    calls = [("POST", f"service/tickets/{ticket['id']}/return",
              {"reason": "Broken", "items": [{"source": bought["source"], "quantity": "2"}]})
             for ticket in bought["tickets"]]
    results = race.mixed(calls, client=api)
    _no_5xx_and_the_error_shape(results)
    assert Counter(r.status for r in results) == {201: 1, 422: 3}
    assert all("items" in r.json["error"]["fields"] for r in results if r.status == 422)
    _returned_never_exceed_bought(db_session, bought["line_id"])


def test_partial_returns_opened_at_once_take_at_most_the_line(api, bought, race, db_session):
    calls = [("POST", f"service/tickets/{ticket['id']}/return",
              {"items": [{"source": bought["source"], "quantity": "1"}]}) for ticket in bought["tickets"]]
    results = race.mixed(calls, client=api)
    _no_5xx_and_the_error_shape(results)
    assert Counter(r.status for r in results) == {201: 2, 422: 2}
    _returned_never_exceed_bought(db_session, bought["line_id"])


@pytest.mark.parametrize("keyed", [False, True], ids=["no-key", "one-key"])
def test_one_ticket_opened_at_once_gets_one_return(api, bought, race, db_session, keyed):
    headers = {"Idempotency-Key": "open-once"} if keyed else None
    results = race(6, "POST", f"service/tickets/{bought['tickets'][0]['id']}/return", client=api,
                   json={"items": [{"source": bought["source"], "quantity": "1"}]}, headers=headers)
    _no_5xx_and_the_error_shape(results)
    if keyed:
        won = [r for r in results if r.status == 201]
        assert won and {r.body for r in won} == {won[0].body}
    else:
        assert Counter(r.status for r in results) == {201: 1, 409: 5}
    db_session.expire_all()
    assert db_session.scalar(sa.select(sa.func.count()).select_from(ReturnRequest)) == 1


def _replaced_event(db_session) -> Any:
    from payvand.sdk import Event

    payload = db_session.scalar(sa.select(OutboxEvent.payload).where(OutboxEvent.hook == "service.return_replaced"))
    return Event("service.return_replaced", payload["events"][0], "again", None)


def test_a_replacement_event_delivered_twice_at_once_places_one_order(api, bought, in_app, db_session):
    from payvand.plugins.sales.services.returns import replace_return

    opened = _open(api, bought, quantity="1")
    for action in ("approve", "receive", "replace"):
        _act(api, opened["id"], action)
    event = _replaced_event(db_session)
    barrier, placed, errors = threading.Barrier(2), [], []

    def deliver() -> None:
        try:
            barrier.wait(10)
            with in_app() as session:
                placed.append(replace_return(session, event))
        except BaseException as exc:  # reported below
            errors.append(exc)

    workers = [threading.Thread(target=deliver) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert not errors, errors
    assert sorted(len(ids) for ids in placed) == [0, 1]
    assert len(_replacement_orders(db_session, bought["customer"].id)) == 1
    assert _returned_never_exceed_bought(db_session, bought["line_id"]) == 1


def test_a_stale_event_never_records_more_than_the_line_holds(api, bought, in_app, db_session):
    from payvand.plugins.sales.services.returns import refund_return, replace_return
    from payvand.sdk import Event

    first = _open(api, bought, quantity="2")
    for action in ("approve", "receive", "replace"):
        _act(api, first["id"], action)
    event = _replaced_event(db_session)
    with in_app() as session:
        assert len(replace_return(session, event)) == 1
    stale = {**event.payload, "return_id": event.payload["return_id"] + 100}  # another return, same two units
    with in_app() as session:
        assert replace_return(session, Event("service.return_replaced", stale, "stale", None)) == []
        assert refund_return(session, Event("service.return_refunded", {**stale, "amounts": ["6600"]}, "s", None)) == []
    assert _returned_never_exceed_bought(db_session, bought["line_id"]) == 2
    assert len(_replacement_orders(db_session, bought["customer"].id)) == 1
