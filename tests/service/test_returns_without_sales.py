"""Returns with the sales plugin off: no purchases to pick, items described as free text, the
whole flow still works and its events are emitted with no items for a seller."""

from __future__ import annotations

import sqlalchemy as sa

from payvand.core.models import OutboxEvent


def test_without_sales_a_return_has_free_text_items_and_still_moves(api, make_customer, run_jobs, db_session):
    ticket = api.post("service/tickets", json={"customer_id": make_customer().id, "subject": "Return"}).get_json()
    assert api.get(f"service/tickets/{ticket['id']}/returnable").get_json() == []
    picked = api.post(f"service/tickets/{ticket['id']}/return",
                      json={"items": [{"source": "sales.order_line:1", "quantity": "1"}]})
    assert picked.status_code == 422  # nobody sells: nothing to pick
    made = api.post(f"service/tickets/{ticket['id']}/return",
                    json={"reason": "Wrong size", "items": [{"label": "Blue shirt, size M", "quantity": "1"}]})
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert (body["total"], body["currency"], body["items"][0]["source"]) == ("0", None, None)
    for action in ("approve", "receive", "refund"):
        moved = api.post(f"service/returns/{body['id']}/actions", json={"action": action})
        assert moved.status_code == 200, moved.get_json()
    run_jobs()  # nobody subscribes: delivered to no one, no error
    assert db_session.scalar(sa.select(sa.func.count()).select_from(OutboxEvent)
                             .where(OutboxEvent.hook == "service.return_refunded")) == 1


def test_without_sales_a_replaced_return_is_delivered_to_no_one(api, make_customer, run_jobs, db_session):
    ticket = api.post("service/tickets", json={"customer_id": make_customer().id, "subject": "Swap"}).get_json()
    made = api.post(f"service/tickets/{ticket['id']}/return",
                    json={"items": [{"label": "Kettle", "quantity": "1"}]}).get_json()
    for action in ("approve", "receive", "replace"):
        assert api.post(f"service/returns/{made['id']}/actions", json={"action": action}).status_code == 200
    assert run_jobs() >= 0  # no subscriber, no error
    assert db_session.scalar(sa.select(sa.func.count()).select_from(OutboxEvent)
                             .where(OutboxEvent.hook == "service.return_replaced")) == 1


def test_an_unknown_return_and_an_unknown_action_are_refused(api):
    assert api.post("service/returns/999/actions", json={"action": "approve"}).status_code == 404
    assert api.post("service/returns/1/actions", json={"action": "explode"}).status_code == 422


def test_a_merge_moves_the_returns_and_an_erasure_blanks_their_reasons(api, make_customer, runtime):
    from payvand.plugins.service.models_returns import ReturnRequest

    target, source = make_customer(), make_customer()
    ticket = api.post("service/tickets", json={"customer_id": source.id, "subject": "r"}).get_json()
    made = api.post(f"service/tickets/{ticket['id']}/return",
                    json={"reason": "ReasonQ", "items": [{"label": "Kettle", "quantity": "1"}]}).get_json()
    merged = api.post(f"customers/{target.id}/merge", json={"source_id": source.id})
    assert merged.status_code == 200, merged.get_json()
    assert api.get(f"service/tickets/{ticket['id']}/return").get_json()["customer_id"] == target.id
    undone = api.post(f"customers/merges/{merged.get_json()['id']}/undo")
    assert undone.status_code == 200, undone.get_json()
    assert api.get(f"service/tickets/{ticket['id']}/return").get_json()["customer_id"] == source.id
    assert api.post(f"customers/{source.id}/erase").status_code == 200
    with runtime.sessionmaker() as session:
        assert session.get(ReturnRequest, made["id"]).reason == ""
