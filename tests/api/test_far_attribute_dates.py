"""A plugin's custom `date` field on customers follows the business-date range too."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("text", ["9999-12-31", "0001-01-01", "1899-12-31", "2200-01-01"])
def test_a_custom_date_attribute_outside_the_range_is_refused_with_422(api, text):
    response = api.post("customers", json={"given_name": "Sara", "attributes": {"apitest.since": text}})
    assert response.status_code == 422
    assert "1900-01-01" in str(response.json["error"]["fields"])


def test_a_custom_date_attribute_at_the_edges_is_kept(api):
    for text in ("1900-01-01", "2199-12-31"):
        response = api.post("customers", json={"given_name": "Sara", "attributes": {"apitest.since": text}})
        assert (response.status_code, response.json["attributes"]["apitest.since"]) == (201, text)
