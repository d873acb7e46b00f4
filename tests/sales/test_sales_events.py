"""The sales plugin's declared events reach other plugins through the outbox, after the commit,
and the hooks it declares (`plugins/sales/hookspecs.py`) check their implementers."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pytest

import payvand.plugins.sales as sales
from payvand.core.plugins import check_plugin
from payvand.sdk import Event, PluginMeta, Subscription, hookimpl

SALES_EVENTS = ("sales.order_placed", "sales.deal_won", "sales.deal_lost", "sales.quote_sent",
                "sales.quote_accepted", "sales.invoice_issued", "sales.invoice_paid")


class Analytics:
    """A third party that counts sales without importing the sales plugin: it names the events."""

    meta = PluginMeta(name="counting", version="1.0")

    def __init__(self) -> None:
        self.received: list[Event] = []

    def note(self, events: Sequence[Event]) -> None:
        """Keep what arrived."""
        self.received.extend(events)

    @hookimpl
    def payvand_subscriptions(self) -> list[Subscription]:
        return [Subscription(name, self.note) for name in SALES_EVENTS]

    def names(self) -> list[str]:
        return [event.name for event in self.received]


counting = Analytics()


@pytest.fixture
def payvand_plugins() -> list[Any]:
    return [sales, counting]


@pytest.fixture(autouse=True)
def nothing_received() -> None:
    counting.received.clear()


@pytest.fixture
def pen(api):
    retail = api.post("sales/price-lists", json={"name": "Retail"}).json
    product = api.post("sales/products", json={"sku": "PEN", "name": "Fountain pen"}).json
    api.put(f"sales/price-lists/{retail['id']}/prices/{product['id']}", json={"unit_price": "1250000"})
    return product


def test_the_document_flow_emits_its_events_after_each_commit(api, pen, make_customer, run_jobs):
    customer = make_customer(given_name="Sara", family_name="Ahmadi-Zarvand", emails=["sara@example.com"])
    quote = api.post("sales/quotes", json={"customer_id": customer.id, "lines": [
        {"product_id": pen["id"], "quantity": "2"}]}).json
    api.post(f"sales/quotes/{quote['id']}/send")
    order = api.post(f"sales/quotes/{quote['id']}/accept").json
    invoice = api.post("sales/invoices", json={"order_id": order["id"]}).json
    assert counting.received == []  # nothing inside the requests
    api.post(f"sales/invoices/{invoice['id']}/payments", json={"amount": invoice["total"], "method": "card"})
    run_jobs()
    assert counting.names() == ["sales.quote_sent", "sales.order_placed", "sales.quote_accepted",
                                "sales.invoice_issued", "sales.invoice_paid"]
    by_name = {event.name: event.payload for event in counting.received}
    total = Decimal(quote["total"])
    assert by_name["sales.quote_sent"] == {"quote_id": quote["id"], "customer_id": customer.id, "total": total,
                                           "currency": "IRR", "by_email": False}  # mail is off here
    assert by_name["sales.order_placed"] == {"order_id": order["id"], "customer_id": customer.id,
                                             "quote_id": quote["id"], "channel": "staff",
                                             "owner_id": order["owner_id"], "total": total, "currency": "IRR"}
    assert by_name["sales.quote_accepted"]["order_id"] == order["id"]
    issued = by_name["sales.invoice_issued"]
    assert (issued["invoice_id"], issued["order_id"], issued["total"]) == (invoice["id"], order["id"], total)
    assert isinstance(issued["due_at"], dt.date)
    assert by_name["sales.invoice_paid"]["invoice_id"] == invoice["id"]
    text = json.dumps([event.payload for event in counting.received], default=str)
    assert "Sara" not in text and "Zarvand" not in text and "example.com" not in text  # ids, not personal data


def test_an_order_placed_directly_and_a_refused_one(api, pen, make_customer, run_jobs):
    customer = make_customer()
    placed = api.post("sales/orders", json={"customer_id": customer.id, "lines": [
        {"product_id": pen["id"], "quantity": "1"}]})
    assert placed.status_code == 201
    refused = api.post("sales/orders", json={"customer_id": customer.id, "lines": [
        {"product_id": 999999, "quantity": "1"}]})
    assert refused.status_code == 422
    run_jobs()
    assert [(e.name, e["order_id"], e["quote_id"]) for e in counting.received] == [
        ("sales.order_placed", placed.json["id"], None)]


def test_deals_won_and_lost_are_emitted(api, make_customer, run_jobs, db_session, in_app):
    from payvand.plugins.sales.services import pipeline

    lost_reason = pipeline.add_reason(db_session, "lost", "Too expensive")
    db_session.commit()
    stages = {s["name"]: s["id"] for s in api.get("sales/pipelines").json[0]["stages"]}
    customer = make_customer()
    won = api.post("sales/deals", json={"title": "Big", "amount": "5000000", "customer_id": customer.id}).json
    lost = api.post("sales/deals", json={"title": "Small"}).json
    api.post(f"sales/deals/{won['id']}/move", json={"stage_id": stages["Won"]})
    api.post(f"sales/deals/{lost['id']}/move", json={"stage_id": stages["Lost"], "reason_id": lost_reason.id})
    run_jobs()
    assert [(e.name, dict(e.payload)) for e in counting.received] == [
        ("sales.deal_won", {"deal_id": won["id"], "customer_id": customer.id, "owner_id": won["owner_id"],
                            "amount": Decimal(5000000), "currency": "IRR"}),
        ("sales.deal_lost", {"deal_id": lost["id"], "customer_id": None, "owner_id": lost["owner_id"],
                             "reason_id": lost_reason.id})]


def test_a_failing_subscriber_does_not_touch_the_sale_and_is_retried(api, pen, make_customer, run_jobs, runtime):
    from payvand.core.db import utcnow

    def broken(events: Sequence[Event]) -> None:
        raise ConnectionError("the warehouse is down")

    original = counting.note
    counting.note = broken  # type: ignore[method-assign]
    runtime.activate_plugins()  # the subscription is read again
    try:
        placed = api.post("sales/orders", json={"customer_id": make_customer().id, "lines": [
            {"product_id": pen["id"], "quantity": "1"}]})
        assert placed.status_code == 201
        run_jobs()
    finally:
        counting.note = original  # type: ignore[method-assign]
        runtime.activate_plugins()
    assert api.get(f"sales/orders/{placed.json['id']}").json["status"] == "placed"
    runtime.job_runner.deliver_due(utcnow() + dt.timedelta(minutes=1))
    assert counting.names() == ["sales.order_placed"]


class WrongScorer:
    """Implements a sales hook with an argument its spec does not offer."""

    meta = PluginMeta(name="wrong_scorer", version="1.0")

    @staticmethod
    @hookimpl
    def payvand_lead_score(lead: Any) -> Any:
        return None


def test_an_implementation_of_a_sales_hook_is_checked_against_the_sales_spec(runtime):
    plugin = runtime.plugins.add(WrongScorer())
    assert check_plugin(plugin, runtime.plugins.installed) == [
        "hook payvand_lead_score takes unknown argument(s) lead; the spec offers leads"]
    without_sales = {name: p for name, p in runtime.plugins.installed.items() if name != "sales"}
    assert check_plugin(plugin, without_sales) == ["implements unknown hook 'payvand_lead_score'"]
