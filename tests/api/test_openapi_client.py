"""The OpenAPI document makes a good client: stable, unique operation ids, binary answers a
generator understands, and a real generator (openapi-python-client) skips nothing."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from payvand.core.api.operations import operation_id

METHODS = ("get", "put", "post", "patch", "delete")


@pytest.fixture
def payvand_plugins() -> list[Any]:
    """The core and the sales plugin: every kind of route (lists, items, actions, PDFs)."""
    return ["sales"]


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, operation) for path, item in document["paths"].items()
            for method, operation in item.items() if method in METHODS]


def _document(client: Any) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


@pytest.mark.parametrize("method, path, expected", [
    ("get", "/api/v1/customers", "customers_list"),
    ("post", "/api/v1/customers", "customers_create"),
    ("get", "/api/v1/customers/{customer_id}", "customers_get"),
    ("patch", "/api/v1/customers/{customer_id}", "customers_update"),
    ("delete", "/api/v1/customers/{customer_id}", "customers_delete"),
    ("post", "/api/v1/customers/{customer_id}/merge", "customers_merge"),
    ("get", "/api/v1/customers/{customer_id}/interactions", "customers_interactions_list"),
    ("post", "/api/v1/sales/deals/{deal_id}/move", "sales_deals_move"),
    ("get", "/api/v1/sales/quotes/{quote_id}/pdf", "sales_quotes_pdf_get"),
    ("put", "/api/v1/sales/price-lists/{price_list_id}/prices/{product_id}", "sales_price_lists_prices_replace"),
    ("get", "/api/v1/sales/forecast", "sales_forecast_get"),
])
def test_operation_ids_are_plugin_resource_verb(method, path, expected):
    assert operation_id(path, method) == expected


def test_every_operation_has_a_unique_operation_id_that_is_the_same_in_every_app(app, client):
    from payvand.core.app import create_app

    first = {(p, m): o["operationId"] for p, m, o in _operations(_document(client))}
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", name) for name in first.values()), first
    assert len(set(first.values())) == len(first)
    again = create_app(dict(app.config))
    try:
        second = {(p, m): o["operationId"] for p, m, o in _operations(_document(again.test_client()))}
    finally:
        again.extensions["payvand"].engine.dispose()
    assert second == first


def test_a_route_may_choose_its_own_operation_id():
    from apispec import APISpec

    from payvand.core.api.operations import OperationIdPlugin

    spec = APISpec("t", "1", "3.1.0", plugins=[OperationIdPlugin()])
    spec.path("/api/v1/loyalty/cards", operations={"get": {"operationId": "loyalty_cards_browse", "responses": {}},
                                                   "post": {"responses": {}}})
    operations = spec.to_dict()["paths"]["/api/v1/loyalty/cards"]
    assert (operations["get"]["operationId"], operations["post"]["operationId"]) == (
        "loyalty_cards_browse", "loyalty_cards_create")


def test_binary_answers_are_documented_for_generators(client):
    pdf = _document(client)["paths"]["/api/v1/sales/quotes/{quote_id}/pdf"]["get"]["responses"]["200"]["content"]
    binary = {"type": "string", "format": "binary"}
    assert pdf == {"application/pdf": {"schema": binary}, "application/octet-stream": {"schema": binary}}


def test_a_client_asking_for_octet_stream_gets_it_and_the_same_bytes(api, make_customer):
    customer = make_customer(given_name="Sara")
    quote = api.post("sales/quotes", json={"customer_id": customer.id,
                                           "lines": [{"description": "Pen", "quantity": "1", "unit_price": "10"}]})
    assert quote.status_code == 201, quote.get_json()
    path = f"sales/quotes/{quote.get_json()['id']}/pdf?lang=en"
    plain = api.get(path)
    octet = api.get(path, headers={"Accept": "application/octet-stream"})
    assert plain.status_code == octet.status_code == 200
    assert plain.headers["Content-Type"] == "application/pdf"
    assert octet.headers["Content-Type"] == "application/octet-stream"
    assert octet.data.startswith(b"%PDF-") and len(octet.data) > 1000


@pytest.mark.slow
def test_openapi_python_client_generates_every_operation_without_a_warning(payvand_database, client, tmp_path):
    if payvand_database != "sqlite":
        pytest.skip("the document does not depend on the database: generated once, on SQLite")
    document = _document(client)
    source = tmp_path / "openapi.json"
    source.write_text(json.dumps(document), encoding="utf-8")
    package = tmp_path / "payvand_client"
    generator = Path(sys.executable).with_name("openapi-python-client")
    command = [str(generator)] if generator.exists() else [sys.executable, "-m", "openapi_python_client"]
    # the generator formats its output with ruff, installed beside it (the test extra): found on
    # PATH whether or not the environment's bin folder was activated
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    result = subprocess.run([*command, "generate", "--path", str(source), "--output-path", str(package),
                             "--meta", "none"], capture_output=True, text=True, timeout=300, cwd=tmp_path,
                            env={**os.environ, "PATH": path})
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert not re.search(r"warning|error|skipp|omitted", output, re.I), output  # nothing left out
    missing = []
    for path, method, operation in _operations(document):
        module = package / "api" / operation["tags"][0] / f"{operation['operationId']}.py"
        if not module.is_file():
            missing.append(f"{method.upper()} {path} ({operation['operationId']})")
    assert missing == []
    pdf_module = (package / "api" / "sales" / "sales_quotes_pdf_get.py").read_text(encoding="utf-8")
    assert "File" in pdf_module  # the PDF answer is bytes, not dropped
    names = sorted({(o["tags"][0], o["operationId"]) for _, _, o in _operations(document)})
    check = ("import importlib, sys\n"
             f"names = {names!r}\n"
             "for tag, name in names:\n"
             "    module = importlib.import_module(f'payvand_client.api.{tag}.{name}')\n"
             "    assert callable(module.sync) and callable(module.asyncio), name\n"
             "import payvand_client\n"
             "print(len(names), payvand_client.Client.__name__)\n")
    imported = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, timeout=120,
                              cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(tmp_path)})
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert imported.stdout.split() == [str(len(names)), "Client"]
