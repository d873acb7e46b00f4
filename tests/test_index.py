"""The public landing page."""


def test_landing_page_points_at_the_api_and_reveals_no_plugins(client, runtime):
    page = client.get("/")
    assert page.status_code == 200
    assert "/api/v1/openapi.json" in page.get_data(as_text=True)
    assert "plugins" not in page.get_data(as_text=True).lower()
