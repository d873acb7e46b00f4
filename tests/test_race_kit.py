"""The `race` fixture of `payvand.sdk.testing`: parallel requests at a real server of the app."""

from __future__ import annotations

import pytest


def test_race_sends_n_requests_and_answers_each(api, race):
    results = race(6, "POST", "customers", client=api,
                   jsons=[{"given_name": f"Racer{n}", "family_name": "Test"} for n in range(6)])
    assert [r.status for r in results] == [201] * 6
    assert [r.json["given_name"] for r in results] == [f"Racer{n}" for n in range(6)]  # in request order
    assert len({r.json["id"] for r in results}) == 6


def test_race_mixed_fires_different_requests_and_keeps_their_order(api, race, make_customer):
    customer = make_customer()
    results = race.mixed([("GET", f"customers/{customer.id}"), ("GET", "customers/999999"),
                          ("POST", "customers", {"given_name": "Mixed", "family_name": "Test"}),
                          ("GET", "/api/v1/customers", None, {"Accept-Language": "en"})], client=api)
    assert [r.status for r in results] == [200, 404, 201, 200]
    assert results[1].json["error"]["code"] and results[0].headers["Content-Type"].startswith("application/json")


def test_race_without_a_token_is_refused_by_the_api(race):
    assert {r.status for r in race(3, "GET", "customers")} == {401}


def test_race_refuses_a_body_list_of_the_wrong_length(api, race):
    with pytest.raises(ValueError):
        race(3, "POST", "customers", client=api, jsons=[{}])
