"""`GET /api/v1/plugins` and a plugin's own ApiBlueprint under `/api/v1/<plugin>/...`."""

from __future__ import annotations


def test_plugins_lists_the_installed_plugins_with_their_state(api):
    response = api.get("plugins")
    assert response.status_code == 200
    rows = {row["name"]: row for row in response.json}
    row = rows["apitest"]
    assert row == {
        "name": "apitest", "title": "API test plugin", "version": "1.0", "requires": [], "enabled": True,
        "active": True, "problems": [], "error_count": 0, "last_error": None, "last_error_at": None,
        "recent_errors": [],
    }


def test_plugin_route_is_served_under_the_api_prefix(api, make_customer, make_interaction):
    customer = make_customer()
    for _ in range(3):
        make_interaction(customer.id, kind="apitest.badge")
    response = api.get(f"apitest/customers/{customer.id}/badge")
    assert response.status_code == 200
    assert response.json == {"customer_id": customer.id, "badge": "gold", "count": 3}


def test_plugin_route_needs_a_token_and_the_plugins_permission(client, api_as, make_customer):
    customer = make_customer()
    assert client.get(f"/api/v1/apitest/customers/{customer.id}/badge").status_code == 401
    assert api_as(permissions=["core.customer.view"]).get(f"apitest/customers/{customer.id}/badge").status_code == 403
    assert api_as(permissions=["apitest.badge.view"]).get(f"apitest/customers/{customer.id}/badge").status_code == 200
