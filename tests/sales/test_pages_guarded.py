"""Every sales page is guarded: login required, 403 without its permission (public pages excepted)."""

from __future__ import annotations

from web.test_shell import _sample_path

from payvand.sdk.testing import WebClient


def _sales_rules(app):
    """The sales pages (not the API, not the plugin's static files, which are public like the core's)."""
    return [rule for rule in app.url_map.iter_rules()
            if rule.endpoint.startswith("sales.") and not rule.rule.startswith("/api/")
            and rule.endpoint != "sales.static"]


def test_every_sales_page_is_guarded_or_deliberately_public(app):
    rules = _sales_rules(app)
    assert len(rules) >= 20
    for rule in rules:
        view = app.view_functions[rule.endpoint]
        assert getattr(view, "__payvand_staff__", False) or getattr(view, "__payvand_public__", False), rule.endpoint


def test_a_user_without_sales_permissions_gets_403_everywhere(app, web_as):
    nobody = web_as(["core.customer.view"])
    for rule in _sales_rules(app):
        view = app.view_functions[rule.endpoint]
        if getattr(view, "__payvand_public__", False) or getattr(view, "__payvand_permission__", None) is None:
            continue
        path = _sample_path(rule)
        response = nobody.get(path) if "GET" in rule.methods else nobody.post(path)
        assert response.status_code == 403, (rule.endpoint, path, response.status_code)


def test_anonymous_visitors_are_sent_to_login(app):
    anonymous = WebClient(app.test_client(), None)
    for rule in _sales_rules(app):
        view = app.view_functions[rule.endpoint]
        if getattr(view, "__payvand_public__", False) or "GET" not in rule.methods:
            continue
        response = anonymous.get(_sample_path(rule))
        assert response.status_code == 302 and "/login" in response.headers["Location"], rule.endpoint
