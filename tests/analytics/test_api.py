"""`/api/v1/analytics/...`: the newest runs and one customer's figures, behind `analytics.view`."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from payvand.plugins.analytics import permissions as perm
from payvand.plugins.analytics.models import CustomerRfm
from payvand.plugins.analytics.services import lifetime, rfm
from tests.analytics.orders import add_orders
from tests.analytics.test_clv_cli import simulated_purchases


def test_before_any_run_the_api_says_not_found(api_as):
    api = api_as([perm.VIEW])
    assert api.get("/api/v1/analytics/clv").status_code == 404
    assert api.get("/api/v1/analytics/rfm").status_code == 404


def test_runs_and_customer_figures(api_as, in_app, db_session, make_customer):
    ids = [make_customer(given_name=f"C{n}").id for n in range(40)]
    add_orders(db_session, simulated_purchases(ids))
    lifetime.run_instance(lifetime.ClvOptions(dt.date(2024, 7, 31), holdout_end=dt.date(2024, 12, 31)))
    rfm.run_rfm(rfm.RfmOptions(dt.date(2024, 1, 1), dt.date(2024, 12, 31)))
    db_session.commit()
    api = api_as([perm.VIEW])
    clv = api.get("/api/v1/analytics/clv").json
    assert clv["customers"] == 40 and clv["period"] == "week" and clv["calibration_end"] == "2024-07-31"
    assert set(clv["bgnbd"]) == {"r", "alpha", "a", "b"} and set(clv["gamma_gamma"]) == {"p", "q", "v"}
    segments = api.get("/api/v1/analytics/rfm").json["segments"]
    assert sum(segments.values()) == 40
    figures = api.get(f"/api/v1/analytics/customers/{ids[0]}").json
    assert 0 <= figures["clv"]["p_alive"] <= 1 and figures["rfm"]["segment"] in rfm.SEGMENTS
    nobody = api.get("/api/v1/analytics/customers/999999").json
    assert nobody == {"customer_id": 999999, "clv": None, "rfm": None}


@pytest.mark.parametrize("path", ["/api/v1/analytics/clv", "/api/v1/analytics/rfm", "/api/v1/analytics/customers/1"])
def test_the_api_needs_the_analytics_permission(api_as, path):
    assert api_as(["core.customer.view"]).get(path).status_code == 403


def test_the_routes_are_in_a_valid_openapi_document(client):
    from openapi_spec_validator import validate

    document = client.get("/api/v1/openapi.json").get_json()
    validate(document)
    routes = {"/api/v1/analytics/clv", "/api/v1/analytics/rfm", "/api/v1/analytics/customers/{customer_id}"}
    assert routes <= set(document["paths"])


def test_rfm_runs_and_transitions_between_any_two(api_as, in_app, db_session, make_customer):
    ids = [make_customer(given_name=f"C{n}").id for n in range(30)]
    add_orders(db_session, simulated_purchases(ids))
    first = rfm.run_rfm(rfm.RfmOptions(dt.date(2024, 1, 1), dt.date(2024, 4, 30))).id
    second = rfm.run_rfm(rfm.RfmOptions(dt.date(2024, 1, 1), dt.date(2024, 8, 31))).id
    third = rfm.run_rfm(rfm.RfmOptions(dt.date(2024, 1, 1), dt.date(2024, 12, 31))).id
    db_session.commit()
    api = api_as([perm.VIEW])
    assert [r["id"] for r in api.get("/api/v1/analytics/rfm/runs").json] == [third, second, first]
    assert [r["end"] for r in api.get("/api/v1/analytics/rfm/runs?limit=1").json] == ["2024-12-31"]
    default = api.get("/api/v1/analytics/rfm/transitions").json
    assert (default["from"]["id"], default["to"]["id"]) == (second, third)
    assert default["matrix"] == rfm.transitions(second, third)
    chosen = api.get(f"/api/v1/analytics/rfm/transitions?from={first}&to={third}").json
    assert chosen["matrix"] == rfm.transitions(first, third)
    in_first = db_session.scalars(sa.select(sa.func.count()).select_from(CustomerRfm).where(CustomerRfm.run_id == first))
    assert sum(sum(row.values()) for row in chosen["matrix"].values()) == in_first.one()  # all in both: third covers more
    backwards = api.get(f"/api/v1/analytics/rfm/transitions?from={third}&to={first}")
    assert backwards.status_code == 422 and "from" in backwards.json["error"]["fields"]
    assert api.get("/api/v1/analytics/rfm/transitions?from=999999").status_code == 404
    assert api.get("/api/v1/analytics/rfm/transitions?to=abc").status_code == 422
    assert api.get(f"/api/v1/analytics/rfm/transitions?to={first}").status_code == 404  # nothing before the first
    assert api_as(["core.customer.view"]).get("/api/v1/analytics/rfm/transitions").status_code == 403
