"""Every sales API route refuses a token whose user lacks its permission (403), and an anonymous call (401)."""

from __future__ import annotations

from web.test_shell import _sample_path


def _sales_api_rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1/sales/")]


def test_every_sales_api_route_needs_a_permission(app, api_as, client):
    nobody = api_as(["core.customer.view"])
    rules = _sales_api_rules(app)
    assert len(rules) >= 20
    for rule in rules:
        path = _sample_path(rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            kwargs = {"json": {}} if method in ("POST", "PATCH", "PUT") else {}
            response = nobody.client.open(path, method=method, headers={"Authorization": f"Bearer {nobody.token}"},
                                          **kwargs)
            assert response.status_code == 403, (method, path, response.status_code)
            assert client.open(path, method=method, **kwargs).status_code == 401, (method, path)
