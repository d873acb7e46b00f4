"""Schemathesis's stateful phase over the core and sales API on a seeded database.

Operations are chained through the links schemathesis infers from the document (a created
customer's id feeds its GET, PATCH, interactions, ...; a quote's its accept; an order's its
invoice; an invoice's its payments), starting from a database that already holds customers,
a priced catalog, quotes, orders and invoices. No step may answer a 5xx. The run is bounded
(a few scenarios of a few steps, derandomized) so it takes seconds; `PAYVAND_STATEFUL_EXAMPLES`
raises the number of scenarios for a longer probe. The PDF operations are left out (see
`produces_pdf` in test_schemathesis.py).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

import payvand.plugins.sales as sales

from .test_schemathesis import produces_pdf

ROUTES = (
    r"^/api/v1/(customers|sales/(customers|products|categories|price-lists|quotes|orders|invoices"
    r"|deals|pipelines|activities|leads|forecast))"
)
EXAMPLES = int(os.environ.get("PAYVAND_STATEFUL_EXAMPLES", "8"))
STEPS = int(os.environ.get("PAYVAND_STATEFUL_STEPS", "6"))


@pytest.fixture
def payvand_plugins():
    return [sales]


@pytest.fixture
def seeded_database(api, make_customer, make_interaction):
    """Customers with interactions, a priced catalog, and per customer a quote, an order with its invoice and a deal."""
    retail = api.post("sales/price-lists", json={"name": "Retail"}).get_json()
    api.post("sales/categories", json={"name": "All"})
    for n in range(1, 4):
        customer = make_customer(emails=[f"c{n}@example.com"], phones=[f"0912000{n:04d}"], tags=["seed"])
        make_interaction(customer.id, kind="core.call", value="12.5", currency="IRR")
        product = api.post("sales/products", json={"sku": f"S{n}", "name": f"Product {n}"}).get_json()
        api.put(f"sales/price-lists/{retail['id']}/prices/{product['id']}", json={"unit_price": str(1000 * n)})
        lines = [{"product_id": product["id"], "quantity": "2"}]
        api.post("sales/quotes", json={"customer_id": customer.id, "lines": lines})
        order = api.post("sales/orders", json={"customer_id": customer.id, "lines": lines}).get_json()
        api.post("sales/invoices", json={"order_id": order["id"]})
        deal = api.post("sales/deals", json={"title": f"Deal {n}", "customer_id": customer.id}).get_json()
        api.post("sales/activities", json={"subject": "Call", "deal_id": deal["id"]})
        api.post("sales/leads", json={"name": f"Lead {n}", "email": f"lead{n}@example.com"})


def _onto_seeded(value: Any) -> Any:
    """Generated ids (large random numbers) folded onto the seeded rows 1..3, so steps reach real
    records; small ids (taken from earlier responses through links) and everything else stay."""
    if isinstance(value, dict):
        return {k: (v % 3 + 1 if k.endswith("id") and isinstance(v, int) and not isinstance(v, bool) and 1000 < v < 2**63
                    else _onto_seeded(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_onto_seeded(v) for v in value]
    return value


@pytest.fixture
def restore_seeded(runtime, seeded_database, tmp_path):
    """A function putting the database back as seeded: each scenario starts from the same rows and
    ids, so the same generated steps get the same answers (hypothesis checks that they do)."""
    live = runtime.engine.url.database
    snapshot = sqlite3.connect(tmp_path / "seeded.db")
    runtime.engine.dispose()
    with contextlib.closing(sqlite3.connect(live)) as source:
        source.backup(snapshot)

    def restore() -> None:
        runtime.engine.dispose()
        with contextlib.closing(sqlite3.connect(live)) as target:
            snapshot.backup(target)

    yield restore
    snapshot.close()


@pytest.mark.sqlite_only  # each scenario restores a copy of the seeded SQLite file
def test_stateful_sequences_over_core_and_sales_never_answer_5xx(app, api, restore_seeded, caplog):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app).include(path_regex=ROUTES).exclude(func=produces_pdf)

    @schema.hook
    def map_path_parameters(context: Any, path_parameters: Any) -> Any:
        return _onto_seeded(path_parameters)

    @schema.hook
    def map_body(context: Any, body: Any) -> Any:
        return _onto_seeded(body)

    machine = schema.as_state_machine()
    server_errors: list[tuple[str, str, Any, int]] = []
    calls: list[tuple[str, str, int]] = []
    refusals: list[str] = []

    class Stateful(machine):  # type: ignore[misc, valid-type]
        def setup(self) -> None:
            restore_seeded()

        def before_call(self, case: Any) -> None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {api.token}"}

        def step(self, input: Any) -> Any:
            # Nothing raises inside a scenario: the database outlives scenarios, so a replayed
            # failing sequence would meet other rows (hypothesis calls that flaky); errors are
            # collected and asserted once at the end instead.
            try:
                return super().step(input)
            except Exception as exc:  # noqa: BLE001 - reported below
                server_errors.append((input.case.method, input.case.formatted_path, input.case.body, repr(exc)))
                return None

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            calls.append((case.method, case.operation.path, response.status_code))
            if response.status_code == 422 and os.environ.get("PAYVAND_STATEFUL_REPORT"):
                refusals.append(f"{case.method} {case.operation.path} {response.text[:300]}")
            if response.status_code >= 500:
                server_errors.append((case.method, case.formatted_path, case.body, response.status_code))

    Stateful.run(settings=settings(max_examples=EXAMPLES, stateful_step_count=STEPS,
                                   derandomize=not os.environ.get("PAYVAND_STATEFUL_RANDOM"), deadline=None,
                                   database=None, suppress_health_check=list(HealthCheck)))
    tracebacks = [r.exc_text.splitlines()[-1] for r in caplog.records if r.exc_text]
    if os.environ.get("PAYVAND_STATEFUL_REPORT"):
        import collections
        import json

        with open(os.environ["PAYVAND_STATEFUL_REPORT"], "w") as report:
            json.dump({"calls": len(calls), "by_status": collections.Counter(str(c[2]) for c in calls),
                       "by_operation": collections.Counter(f"{c[0]} {c[1]} {c[2]}" for c in calls),
                       "server_errors": [list(map(str, e)) for e in server_errors], "refusals": refusals,
                       "tracebacks": [r.exc_text for r in caplog.records if r.exc_text]}, report, indent=1)
    assert server_errors == [], tracebacks
