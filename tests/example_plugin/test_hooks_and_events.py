"""The example plugin's own hook, its declared event, its subscription to the sales plugin's
orders, its configuration key and its core-version requirement."""

from __future__ import annotations

import types
from typing import Any

import pytest
import sqlalchemy as sa

from payvand.core.models import Interaction
from payvand.sdk import PluginMeta, Subscription, hookimpl

# A second plugin, as a third party would write it: it answers the example plugin's hook and
# subscribes to its event, importing neither the example plugin nor anything but the SDK.
RECEIVED: list[tuple[str, dict[str, Any]]] = []
greeter = types.ModuleType("greeter_plugin")
greeter.meta = PluginMeta(name="greeter", version="1.0")


@hookimpl
def _welcome_text(customer: Any) -> str:
    return f"Khosh amadid, {customer.given_name}!"


@hookimpl
def _subscriptions() -> list[Subscription]:
    return [Subscription("payvand_example.note_added", lambda events: RECEIVED.extend(
        (e.name, dict(e.payload)) for e in events))]


greeter.payvand_example_welcome_text = _welcome_text
greeter.payvand_subscriptions = _subscriptions


@pytest.fixture(autouse=True)
def nothing_received() -> None:
    RECEIVED.clear()


@pytest.mark.parametrize("payvand_plugins", [["payvand_example", greeter]])
def test_another_plugin_answers_the_example_plugins_own_hook(runtime, api, run_jobs, db_session):
    assert runtime.plugins.enabled == ["greeter", "payvand_example"]
    assert runtime.check_plugins()["greeter"] == []  # checked against the example plugin's spec
    customer_id = api.post("customers", json={"given_name": "Reza"}).json["id"]
    run_jobs()
    summary = db_session.scalar(sa.select(Interaction.summary).where(
        Interaction.customer_id == customer_id, Interaction.kind == "payvand_example.welcomed"))
    assert summary == "Khosh amadid, Reza!"


def test_without_an_answer_the_example_plugin_writes_its_own_welcome(api, run_jobs, db_session):
    customer_id = api.post("customers", json={"given_name": "Reza", "family_name": "Ahmadi"}).json["id"]
    run_jobs()
    assert db_session.scalar(sa.select(Interaction.summary).where(Interaction.customer_id == customer_id)) \
        == "Welcome message sent to Reza Ahmadi"


@pytest.mark.parametrize("payvand_plugins", [["payvand_example", greeter]])
def test_a_written_note_reaches_a_subscriber_after_the_commit(api, make_customer, run_jobs):
    customer = make_customer()
    note = api.post("example/notes", json={"customer_id": customer.id, "text": "Call after 5pm"}).json
    assert RECEIVED == []
    run_jobs()
    assert RECEIVED == [("payvand_example.note_added", {"note_id": note["id"], "customer_id": customer.id})]


@pytest.mark.parametrize("payvand_plugins", [["payvand_example", "sales"]])
def test_an_order_placed_in_the_sales_plugin_becomes_a_note(api, make_customer, run_jobs):
    customer = make_customer()
    retail = api.post("sales/price-lists", json={"name": "Retail"}).json
    product = api.post("sales/products", json={"sku": "PEN", "name": "Pen"}).json
    api.put(f"sales/price-lists/{retail['id']}/prices/{product['id']}", json={"unit_price": "1000"})
    order = api.post("sales/orders", json={"customer_id": customer.id, "lines": [
        {"product_id": product["id"], "quantity": "2"}]})
    assert order.status_code == 201, order.json
    run_jobs()
    notes = api.get("example/notes", query_string={"customer_id": customer.id}).json["items"]
    assert [n["text"] for n in notes] == [f"Ordered {order.json['total']} IRR"]


@pytest.mark.parametrize("payvand_config", [{"PAYVAND_EXAMPLE_NOTE_MAX_LENGTH": "10"}])
def test_the_declared_configuration_key_is_read_and_applied(runtime, api, make_customer):
    assert runtime.config["PAYVAND_EXAMPLE_NOTE_MAX_LENGTH"] == 10  # parsed as the declared int
    customer = make_customer()
    refused = api.post("example/notes", json={"customer_id": customer.id, "text": "eleven char"})
    assert refused.status_code == 422 and refused.json["error"]["fields"] == {"text": ["At most 10 characters."]}
    assert api.post("example/notes", json={"customer_id": customer.id, "text": "ten chars!"}).status_code == 201


@pytest.mark.parametrize("payvand_config", [{"PAYVAND_EXAMPLE_NOTE_MAX_LENGTH": "long"}])
def test_a_value_that_does_not_parse_keeps_the_plugin_out_and_says_why(runtime):
    assert runtime.plugins.enabled == []
    assert runtime.check_plugins()["payvand_example"] == [
        "configuration: PAYVAND_EXAMPLE_NOTE_MAX_LENGTH='long' is not an integer"]
