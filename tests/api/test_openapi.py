"""The OpenAPI 3.1 document at `/api/v1/openapi.json`: complete, with honest error responses."""

from __future__ import annotations

import re

import pytest

HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
def spec(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json


def operations(spec):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield path, method, operation, item.get("parameters", []) + operation.get("parameters", [])


def test_document_is_openapi_3_1_with_bearer_security(spec):
    assert spec["openapi"] == "3.1.0"
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {"type": "http", "scheme": "bearer"}
    assert spec["security"] == [{"bearerAuth": []}]


def test_document_lists_every_api_route_of_the_app_with_its_methods(app, spec):
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint.startswith("api-docs."):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        routes |= {(path, m.lower()) for m in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(path, method) for path, method, _, _ in operations(spec)}
    assert routes == documented
    assert ("/api/v1/apitest/customers/{customer_id}/badge", "get") in documented
    assert len(documented) >= 12


def test_every_operation_documents_its_error_responses(spec, subtests):
    for path, method, operation, parameters in operations(spec):
        with subtests.test(operation=f"{method.upper()} {path}"):
            codes = set(operation["responses"])
            expected = {"401", "403"}
            if any(p["in"] == "path" for p in parameters) or "/apitest/" in path:
                expected.add("404")
            if "requestBody" in operation:
                expected |= {"400", "413", "415", "422"}
            if any(p["in"] == "query" for p in parameters):
                expected |= {"400", "422"}
            if method in ("patch", "delete") or (
                path.endswith(("/merge", "/undo", "/erase", "/interactions")) and method == "post"
            ):
                expected.add("409")
            assert expected <= codes, sorted(expected - codes)
            assert "default" not in codes
            assert any(code.startswith("2") for code in codes)


def test_error_responses_describe_the_error_envelope(spec, subtests):
    schemas = spec["components"]["schemas"]
    assert schemas["ErrorOut"]["required"] == ["error"]
    assert set(schemas["ErrorDetail"]["required"]) == {"code", "message", "fields"}
    responses = spec["components"]["responses"]
    for path, method, operation, _ in operations(spec):
        for code, response in operation["responses"].items():
            if code.startswith("4"):
                with subtests.test(operation=f"{method.upper()} {path}", code=code):
                    if "$ref" in response:
                        response = responses[response["$ref"].rsplit("/", 1)[1]]
                    assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorOut"}


def test_integer_path_parameters_are_bounded_ids(spec, subtests):
    for path, method, _, parameters in operations(spec):
        for parameter in parameters:
            if parameter["in"] == "path":
                with subtests.test(operation=f"{method.upper()} {path}", parameter=parameter["name"]):
                    assert parameter["schema"] | {"examples": None} == {
                        "type": "integer", "minimum": 1, "maximum": 2**63 - 1, "examples": None
                    }


def test_nullable_fields_use_type_lists_with_null_once(spec):
    def walk(node):
        if isinstance(node, dict):
            kind = node.get("type")
            if isinstance(kind, list):
                assert len(kind) == len(set(kind)), node
            assert "nullable" not in node, node  # OpenAPI 3.0 style has no place in 3.1
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec)
    customer = spec["components"]["schemas"]["CustomerOut"]
    assert customer["properties"]["birthday"]["type"] == ["string", "null"]
    assert set(customer["required"]) == set(customer["properties"])
    interaction = spec["components"]["schemas"]["InteractionOut"]
    assert interaction["properties"]["value"]["type"] == ["string", "null"]
    assert set(interaction["required"]) == set(interaction["properties"])


def test_request_bodies_are_required_json_objects(spec, subtests):
    for path, method, operation, _ in operations(spec):
        if "requestBody" in operation:
            with subtests.test(operation=f"{method.upper()} {path}"):
                body = operation["requestBody"]
                assert body["required"] is True
                assert list(body["content"]) == ["application/json"]


def test_document_is_valid_against_the_openapi_3_1_schema(spec):
    import openapi_spec_validator as validator
    validator.validate(spec)


def test_two_first_reads_at_once_both_get_the_whole_document(app):
    """The blueprints are documented when the document is first read: two requests reading it
    at the same time on a new app both wait for the whole of it (not a half-documented one)."""
    import threading

    barrier, bodies = threading.Barrier(2, timeout=30), []

    def read() -> None:
        client = app.test_client()
        barrier.wait()
        bodies.append(client.get("/api/v1/openapi.json").get_json())

    threads = [threading.Thread(target=read) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    whole = app.test_client().get("/api/v1/openapi.json").get_json()
    assert len(bodies) == 2 and bodies[0] == bodies[1] == whole
    assert "/api/v1/customers" in whole["paths"]
