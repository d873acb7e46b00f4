"""A JSON body nested too deeply is refused with 400 before it is parsed, on every API route."""

from __future__ import annotations

import json

import pytest

import payvand.plugins.sales as sales
from payvand.core.api.json_depth import MAX_JSON_DEPTH, json_depth


@pytest.fixture
def payvand_plugins():
    return [sales]


def _nested(depth: int, opener: str = "[", closer: str = "]") -> str:
    return opener * depth + closer * depth


@pytest.mark.parametrize(("text", "depth"), [
    ("1", 0), ('"[[[["', 0), ("[]", 1), ('{"a": [1, {"b": "]]]}}}"}]}', 3), (_nested(10), 10),
    ('["\\"[[["]', 1), (_nested(MAX_JSON_DEPTH + 5, "{", "}"), MAX_JSON_DEPTH + 1),
])
def test_json_depth_counts_brackets_outside_strings(text, depth):
    assert json_depth(text.encode()) == depth


def test_a_body_nested_fifty_thousand_deep_is_refused_with_400_on_core_and_plugin_routes(api, app):
    deep = _nested(50_000)
    body = '{"title": "x", "payload": ' + deep + "}"
    refused = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or not rule.methods & {"POST", "PUT", "PATCH"}:
            continue
        path = rule.build({name: 1 for name in rule.arguments}, append_unknown=False)[1].removeprefix("/api/v1/")
        for method in sorted(rule.methods & {"POST", "PUT", "PATCH"}):
            response = getattr(api, method.lower())(path, data=body, content_type="application/json")
            assert response.status_code == 400, (method, path, response.status_code)
            assert "nested more than" in response.json["error"]["message"]
            refused.append(path)
    assert any(p.startswith("sales/") for p in refused) and any(p.startswith("customers") for p in refused)


def test_a_body_at_the_limit_is_parsed_and_validated(api):
    payload = json.loads(_nested(MAX_JSON_DEPTH - 2))
    at_limit = api.post("customers/1/interactions", json={"kind": "core.note", "channel": "phone",
                                                           "payload": {"x": payload}})
    assert at_limit.status_code in (404, 422), at_limit.json
    over = api.post("customers", data='{"given_name": ' + _nested(MAX_JSON_DEPTH + 1) + "}",
                    content_type="application/json")
    assert over.status_code == 400
