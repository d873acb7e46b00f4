"""Recommendations: the item-item model against a hand computation, a customer's suggestions (kinds,
exclusions, fallback), the time-split evaluation beating the most-popular baseline, the SDK call,
the API, the page, the 360 panel and the CLI."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
import random
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from payvand.core.cli import cli
from payvand.plugins.analytics import permissions as perm
from payvand.plugins.analytics.services import recommend
from payvand.plugins.sales.models import Category, Order, OrderLine, Product
from payvand.sdk import Recommendation
from tests.analytics.test_clv_cli import analytics_installed  # noqa: F401 - a fixture

_numbers = itertools.count(1)


def _catalog(db_session: Any, products: dict[str, tuple[str, bool]]) -> dict[str, int]:
    """{sku: id} for products given as {sku: (category name, active)}."""
    categories: dict[str, Category] = {}
    made: dict[str, Product] = {}
    for sku, (category, active) in products.items():
        if category not in categories:
            categories[category] = Category(name=category)
            db_session.add(categories[category])
            db_session.flush()
        made[sku] = Product(sku=sku, name=f"Product {sku}", category_id=categories[category].id, active=active)
        db_session.add(made[sku])
    db_session.commit()  # (other sessions write customers next: SQLite has one writer)
    return {sku: product.id for sku, product in made.items()}


def _buy(db_session: Any, customer_id: int, product_id: int, day: str, unit_price: int = 1000, quantity: int = 1) -> None:
    placed = dt.datetime.combine(dt.date.fromisoformat(day), dt.time(12), tzinfo=dt.UTC)
    total = Decimal(unit_price * quantity)
    order = Order(number=f"R-{next(_numbers)}", customer_id=customer_id, currency="IRR", total=total, placed_at=placed)
    order.lines.append(OrderLine(description="Item", product_id=product_id, quantity=Decimal(quantity), total=total))
    db_session.add(order)


def test_similarities_are_shrunk_cosines_of_the_buyers_checked_by_hand():
    # customers 1-4; products 10, 20, 30, 40
    pairs = [(1, 10), (1, 20), (2, 10), (2, 20), (2, 30), (3, 10), (3, 30), (4, 40), (1, 10)]  # (1, 10) twice
    customers, products = np.array([c for c, _ in pairs]), np.array([p for _, p in pairs])
    model = recommend.fit(customers, products, neighbours=2, shrink=1.0)
    buyers = {10: 3, 20: 2, 30: 2, 40: 1}
    together = {(10, 20): 2, (10, 30): 2, (20, 30): 1}

    def expected(i: int, j: int) -> float:
        return together[tuple(sorted((i, j)))] / (math.sqrt(buyers[i] * buyers[j]) + 1.0)

    assert dict(zip(model.products.tolist(), model.buyers.tolist(), strict=True)) == buyers
    assert model.neighbours[10] == [(20, pytest.approx(expected(10, 20))), (30, pytest.approx(expected(10, 30)))]
    assert model.neighbours[20] == [(10, pytest.approx(expected(20, 10))), (30, pytest.approx(expected(20, 30)))]
    assert 40 not in model.neighbours  # bought with nothing else
    assert model.popular() == [10, 20, 30, 40]  # ties (20, 30) by id
    assert model.scores({10}) == {20: pytest.approx(expected(10, 20)), 30: pytest.approx(expected(10, 30))}


def test_only_the_best_neighbours_are_kept_ties_by_product_id():
    rng = random.Random(3)
    pairs = [(c, p) for c in range(200) for p in rng.sample(range(1, 40), 5)]
    model = recommend.fit(np.array([c for c, _ in pairs]), np.array([p for _, p in pairs]), neighbours=4, shrink=0.0)
    for product, kept in model.neighbours.items():
        assert len(kept) <= 4
        scores = [s for _, s in kept]
        assert scores == sorted(scores, reverse=True)
        full = recommend.fit(np.array([c for c, _ in pairs]), np.array([p for _, p in pairs]), neighbours=100, shrink=0.0)
        assert [n for n, _ in kept] == [n for n, _ in full.neighbours[product][:4]]
        break


@pytest.fixture
def shop(in_app, db_session, make_customer):
    """Phones (cheap P1, dear P2), cases C1/C2, an inactive case C3 and a book B1; buyers of phones
    also buy cases, two of them both phones; customer `alice` has P1 only; `bob` bought nothing."""
    ids = _catalog(db_session, {"P1": ("Phones", True), "P2": ("Phones", True), "C1": ("Cases", True),
                                "C2": ("Cases", True), "C3": ("Cases", False), "B1": ("Books", True)})
    people = [make_customer(given_name=f"K{n}").id for n in range(12)]
    for n, customer in enumerate(people):
        _buy(db_session, customer, ids["P1"] if n % 2 else ids["P2"], "2024-01-10", 5000 if n % 2 else 9000)
        _buy(db_session, customer, ids["C1"], "2024-01-11", 300)
        _buy(db_session, customer, ids["C3"], "2024-01-12", 200)
        if n < 4:
            _buy(db_session, customer, ids["C2"], "2024-01-12", 400)
        if n < 2:  # one P1 buyer upgraded to P2 later, one P2 buyer also got a P1
            _buy(db_session, customer, ids["P2"] if n % 2 else ids["P1"], "2024-02-20", 9000 if n % 2 else 5000)
    for customer in people[:3]:
        _buy(db_session, customer, ids["B1"], "2024-02-01", 100)
    alice = make_customer(given_name="Alice").id
    _buy(db_session, alice, ids["P1"], "2024-03-01", 5000)
    bob = make_customer(given_name="Bob").id
    db_session.commit()
    return {"ids": ids, "alice": alice, "bob": bob, "people": people}


def test_before_the_first_fit_there_are_no_suggestions(shop):
    assert recommend.for_customer(shop["alice"]) == []


def test_a_customers_suggestions_leave_out_what_they_bought_and_inactive_products(shop, db_session):
    recommend.run_recommend()
    db_session.commit()
    ids = shop["ids"]
    found = recommend.for_customer(shop["alice"], 10)
    products = [r.product_id for r in found]
    assert ids["P1"] not in products and ids["C3"] not in products  # bought; inactive
    assert products[0] == ids["C1"]  # bought with P1 by every P1 buyer
    kinds = {r.product_id: r.kind for r in found}
    assert kinds[ids["C1"]] == "cross_sell"  # a category Alice never bought from
    assert kinds[ids["P2"]] == "up_sell"  # her category, dearer than the 5,000 she paid
    assert all(r.because == (ids["P1"],) for r in found if r.kind != "popular")
    assert all(isinstance(r, Recommendation) and r.name.startswith("Product ") for r in found)


def test_a_lookup_runs_at_most_four_queries_whatever_the_history(shop, db_session, make_customer, count_queries):
    recommend.run_recommend()
    db_session.commit()
    busy = make_customer(given_name="Busy").id
    for product in shop["ids"].values():
        _buy(db_session, busy, product, "2024-04-01", 100)
    db_session.commit()
    for customer in (shop["alice"], shop["people"][0], busy, shop["bob"]):
        recommend.for_customer(customer, 3)  # the statements are built once per set of plugins
        with count_queries() as queries:
            found = recommend.for_customer(customer, 3)
        assert len(queries) <= 4, (customer, found)  # run, bought + neighbours, details (+ popular)


def test_a_customer_without_history_gets_the_most_bought_active_products(shop, db_session):
    recommend.run_recommend()
    db_session.commit()
    found = recommend.for_customer(shop["bob"], 3)
    assert [r.kind for r in found] == ["popular"] * 3
    assert found[0].product_id == shop["ids"]["C1"]  # 13 buyers; C3 has 12 but is inactive
    assert shop["ids"]["C3"] not in [r.product_id for r in found]


def test_also_bought_lists_a_products_nearest_products(shop, db_session):
    recommend.run_recommend()
    db_session.commit()
    ids = shop["ids"]
    also = recommend.also_bought(ids["P1"], 5)
    assert also[0][0] == ids["C1"] and ids["C3"] not in [p for p, _, _ in also]
    assert all(name.startswith("Product ") and score > 0 for _, name, score in also)


def _clustered(db_session: Any, make_customer: Any, seed: int = 11) -> None:
    """Two tastes: 60 % of customers buy in cluster A (the most bought products), 40 % in cluster B;
    before 2024-06-01 each buys three products of their cluster, after it one more of the same."""
    rng = random.Random(seed)
    ids = _catalog(db_session, {f"A{n}": ("A", True) for n in range(8)} | {f"B{n}": ("B", True) for n in range(8)})
    for n in range(120):
        cluster = "A" if n % 5 < 3 else "B"
        picks = rng.sample(range(8), 4)
        customer = make_customer(given_name=f"T{n}").id
        for k, pick in enumerate(picks[:3]):
            _buy(db_session, customer, ids[f"{cluster}{pick}"], f"2024-0{1 + k}-15")
        _buy(db_session, customer, ids[f"{cluster}{picks[3]}"], "2024-07-01")
    db_session.commit()


def test_the_time_split_evaluation_beats_the_most_popular_baseline(in_app, db_session, make_customer):
    _clustered(db_session, make_customer)
    result = recommend.evaluate(dt.date(2024, 6, 1), k=3)
    assert result["customers"] == 120
    assert result["model_hit_rate"] > result["popular_hit_rate"]
    assert result["model_hit_rate"] > 0.5
    run = recommend.run_recommend(evaluate_from=dt.date(2024, 6, 1))
    db_session.commit()
    assert run.results["evaluation"]["customers"] == 120


def test_the_sdk_call_answers_through_the_hook(shop, db_session):
    from payvand.sdk import recommend as sdk_recommend

    assert sdk_recommend(shop["alice"]) == []
    recommend.run_recommend()
    db_session.commit()
    answered = [r.product_id for r in sdk_recommend(shop["alice"], 2)]
    assert answered == [r.product_id for r in recommend.for_customer(shop["alice"], 2)] and len(answered) == 2


def test_the_api_lists_suggestions_and_also_bought(shop, db_session, api_as):
    recommend.run_recommend()
    db_session.commit()
    api = api_as([perm.VIEW, "core.customer.view"])
    body = api.get(f"/api/v1/analytics/customers/{shop['alice']}/recommendations?limit=2").json
    assert body["run_id"] and len(body["recommendations"]) == 2
    assert body["recommendations"][0]["product_id"] == shop["ids"]["C1"]
    assert body["recommendations"][0]["because"] == [shop["ids"]["P1"]]
    also = api.get(f"/api/v1/analytics/products/{shop['ids']['P1']}/also-bought").json
    assert also["also_bought"][0]["product_id"] == shop["ids"]["C1"]
    assert api.get("/api/v1/analytics/customers/999999/recommendations").status_code == 404
    assert api.get(f"/api/v1/analytics/customers/{shop['alice']}/recommendations?limit=0").status_code == 422
    assert api_as(["core.customer.view"]).get(
        f"/api/v1/analytics/customers/{shop['alice']}/recommendations").status_code == 403


def test_the_page_shows_the_evaluation_with_a_table_view_and_also_bought(in_app, db_session, make_customer, web_as):
    _clustered(db_session, make_customer)
    web = web_as([perm.VIEW, perm.RUN])
    assert 'id="recommend-empty"' in web.get("/analytics/recommendations").text
    recommend.run_recommend(evaluate_from=dt.date(2024, 6, 1))
    db_session.commit()
    text = web.get("/analytics/recommendations?product=1").text
    assert 'id="recommend-hit-rate"' in text and 'id="recommend-hit-rate-table"' in text
    assert 'id="also-bought"' in text
    assert "is-invalid" in web.get("/analytics/recommendations?product=abc").text
    assert web.get("/analytics/recommendations?product=99999999999999999999999").status_code == 200
    assert web.post("/analytics/recommendations", {}).status_code == 302
    assert web.get("/analytics/recommendations").status_code == 200


def test_the_page_needs_its_permissions(web_as):
    assert web_as(["core.customer.view"]).get("/analytics/recommendations").status_code == 403


def test_fitting_from_the_page_needs_the_run_permission(web_as):
    assert web_as([perm.VIEW]).post("/analytics/recommendations", {}).status_code == 403


def test_the_customer_page_shows_suggested_products(shop, db_session, web_as):
    recommend.run_recommend()
    db_session.commit()
    text = web_as(["core.customer.view", perm.VIEW]).get(f"/customers/{shop['alice']}").text
    assert 'id="analytics-suggestions"' in text and "Product C1" in text


def test_the_cli_fits_and_prints_a_customers_suggestions(analytics_installed, payvand_database_url):  # noqa: F811
    runner = CliRunner()
    base = ["--database-url", payvand_database_url, "analytics", "recommend"]
    empty = runner.invoke(cli, base)
    assert empty.exit_code == 1 and "no purchases" in empty.output
    fitted = runner.invoke(cli, [*base, "--json"])
    assert fitted.exit_code == 1  # still nothing bought
    nothing = runner.invoke(cli, [*base, "--customer", "1", "--json"])
    assert nothing.exit_code == 0, nothing.output
    assert json.loads(nothing.stdout) == {"customer_id": 1, "recommendations": []}


def test_the_cli_fits_with_an_evaluation_and_prints_the_same_suggestions_as_the_service(
        analytics_installed, payvand_database_url, db_session, make_customer):  # noqa: F811
    _clustered(db_session, make_customer)
    runner = CliRunner()
    base = ["--database-url", payvand_database_url, "analytics", "recommend"]
    fitted = runner.invoke(cli, [*base, "--evaluate-from", "2024-06-01", "--json"])
    assert fitted.exit_code == 0, fitted.output
    printed = json.loads(fitted.stdout)
    assert printed["products"] == 16 and printed["customers"] == 120
    assert printed["evaluation"]["model_hit_rate"] > printed["evaluation"]["popular_hit_rate"]
    shown = runner.invoke(cli, [*base, "--customer", "1", "--limit", "3", "--json"])
    assert shown.exit_code == 0, shown.output
    assert len(json.loads(shown.stdout)["recommendations"]) == 3
    text = runner.invoke(cli, base)
    assert text.exit_code == 0 and "Fitted on 120 customers and 16 products" in text.stdout
