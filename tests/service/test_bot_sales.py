"""The `payvand_bot_answerers` hook with the sales plugin: "where is my order" — and without sales."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

import payvand.plugins.sales as sales
import payvand.plugins.service as service
from payvand.plugins.sales.bot import where_is_my_order
from payvand.plugins.service.models_bot import BotEvent
from payvand.sdk import BotQuestion

from .bot_kit import CHAT_CONFIG, Visitor


@pytest.fixture
def payvand_plugins() -> list[Any]:
    return [service, sales]


@pytest.fixture
def payvand_config() -> dict[str, Any]:
    return dict(CHAT_CONFIG)


@pytest.fixture
def orders(api, make_customer) -> tuple[int, list[dict]]:
    """A customer (buyer@example.com) with two orders, the second paid, and a stranger's order."""
    price_list = api.post("sales/price-lists", json={"name": "Retail"}).get_json()
    product = api.post("sales/products", json={"sku": "LAMP", "name": "Lamp"}).get_json()
    api.put(f"sales/price-lists/{price_list['id']}/prices/{product['id']}", json={"unit_price": "3000"})
    buyer = make_customer(emails=["buyer@example.com"])
    stranger = make_customer(emails=["stranger@example.com"])
    made = []
    for customer in (buyer, buyer, stranger):
        response = api.post("sales/orders", json={"customer_id": customer.id,
                                                  "lines": [{"product_id": product["id"], "quantity": "1"}]})
        assert response.status_code == 201, response.get_json()
        made.append(response.get_json())
    paid = api.post(f"sales/orders/{made[1]['id']}/status", json={"status": "paid"})
    assert paid.status_code == 200, paid.get_json()
    return buyer.id, made


def test_a_named_order_number_of_the_visitor_gets_its_status(client, run_jobs, runtime, orders):
    _buyer, made = orders
    visitor = Visitor(client, run_jobs, email="buyer@example.com", lang="en")
    [answer] = visitor.say(f"Where is my order {made[1]['number']}?")
    assert answer == f"Order {made[1]['number']}: paid, being prepared."
    with runtime.sessionmaker() as session:
        event = session.scalars(sa.select(BotEvent)).one()
        assert (event.kind, event.source, event.confidence) == ("answer", "sales.orders", 0.95)


def test_another_customers_order_number_is_not_told_and_the_bot_asks_for_ones_own(client, run_jobs, orders):
    _buyer, made = orders
    visitor = Visitor(client, run_jobs, email="buyer@example.com", lang="en")
    [answer] = visitor.say(f"where is order {made[2]['number']}")
    assert made[2]["number"] not in answer and "write your order number" in answer


def test_a_signed_in_customer_gets_their_latest_orders(app, in_app, orders):
    buyer, made = orders
    with in_app():
        found = where_is_my_order(BotQuestion("سفارش من کجاست؟", "fa", buyer, verified=True))
        assert found is not None and found.confidence == 0.9
        assert made[1]["number"] in found.text and made[0]["number"] in found.text and "پرداخت شده" in found.text
        assert made[2]["number"] not in found.text
        assert where_is_my_order(BotQuestion("what are your opening hours", "en", buyer, verified=True)) is None
        assert where_is_my_order(BotQuestion("where is my order", "en", None)) is None


def test_the_answerer_is_registered_through_the_hook(runtime):
    names = [a.name for a in runtime.plugins.call("payvand_bot_answerers")]
    assert names == ["sales.orders"]
