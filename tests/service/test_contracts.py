"""Service contracts: a ticket counts against the running contract, which sets its SLA policy;
usage, warnings and time logged; shown on the ticket page and the 360 panel."""

from __future__ import annotations

import datetime as dt

EDIT = ["service.ticket.view", "service.ticket.edit", "core.customer.view"]


def test_tickets_count_against_the_running_contract_and_take_its_policy(api, web_as, make_customer):
    customer = make_customer()
    policy = api.post("service/sla-policies", json={"name": "Gold", "position": 99, "first_response_minutes": 30})
    today = dt.date.today()
    contract = api.post("service/contracts", json={
        "customer_id": customer.id, "name": "Gold care", "starts_on": (today - dt.timedelta(days=30)).isoformat(),
        "ends_on": (today + dt.timedelta(days=7)).isoformat(), "included_tickets": 2,
        "sla_policy_id": policy.get_json()["id"], "products": ["sales.product:7"]})
    assert contract.status_code == 201, contract.get_json()
    cid = contract.get_json()["id"]
    assert contract.get_json()["usage"]["warnings"] == ["ending_soon"]
    made = [api.post("service/tickets", json={"customer_id": customer.id, "subject": f"t{n}"}).get_json()
            for n in range(2)]
    assert {t["contract_id"] for t in made} == {cid}
    assert all(t["first_response_due_at"] for t in made)  # the contract's policy
    found = api.get(f"service/contracts/{cid}").get_json()
    assert found["usage"]["tickets"] == 2 and "used_up" in found["usage"]["warnings"]
    logged = api.post(f"service/contracts/{cid}/time", json={"minutes": 45})
    assert logged.status_code == 200 and logged.get_json()["usage"]["minutes"] == 45
    web = web_as(EDIT)
    page = web.get(f"/service/tickets/{made[0]['id']}").get_data(as_text=True)
    assert "Gold care" in page and 'data-warning="used_up"' in page
    panel = web.get(f"/customers/{customer.id}").get_data(as_text=True)
    assert 'id="service-panel-contract"' in panel


def test_no_contract_outside_its_period_and_bad_periods_refused(api, make_customer):
    customer = make_customer()
    old = api.post("service/contracts", json={"customer_id": customer.id, "name": "Old", "starts_on": "2020-01-01",
                                              "ends_on": "2020-12-31"})
    assert old.status_code == 201 and "expired" in old.get_json()["usage"]["warnings"]
    ticket = api.post("service/tickets", json={"customer_id": customer.id, "subject": "x"}).get_json()
    assert ticket["contract_id"] is None
    bad = api.post("service/contracts", json={"customer_id": customer.id, "name": "Bad", "starts_on": "2026-02-01",
                                              "ends_on": "2026-01-01"})
    assert bad.status_code == 422
