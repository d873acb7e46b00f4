"""Event hooks: changes through the API reach plugins after the commit, one batch per transaction."""

from __future__ import annotations

from payvand.core.audit import SYSTEM
from payvand.core.db import bind_session
from payvand.core.schemas import CustomerIn
from payvand.core.services.customers import create_customer
from payvand.sdk import record_interaction


def test_create_patch_and_record_reach_the_plugin_after_run_jobs(api, plugin, run_jobs):
    created = api.post("customers", json={"given_name": "Sara", "family_name": "Karimi"}).json
    api.patch(f"customers/{created['id']}", json={"family_name": "Ahmadi"})
    interaction = api.post(f"customers/{created['id']}/interactions", json={"kind": "core.call", "channel": "phone"}).json
    assert plugin.events == []  # nothing is delivered inside the request

    run_jobs()

    assert plugin.events == [
        ("created", [(created["id"], "Sara Ahmadi")]),
        ("updated", [(created["id"], "Sara Ahmadi")], {created["id"]: {"family_name": ["Karimi", "Ahmadi"]}}),
        ("interaction", [(interaction["id"], "core.call", created["id"])]),
    ]
    run_jobs()
    assert len(plugin.events) == 3  # delivered once


def test_one_transaction_is_one_batch(runtime, plugin, run_jobs):
    with runtime.sessionmaker.begin() as session, bind_session(session):
        ids = [create_customer(session, CustomerIn().load({"family_name": f"K{n}"}), SYSTEM).id for n in range(3)]
        recorded = [record_interaction(ids[0], "core.note", "phone", f"note {n}").id for n in range(2)]
    run_jobs()
    assert plugin.events == [
        ("created", [(i, f"K{n}") for n, i in enumerate(ids)]),
        ("interaction", [(i, "core.note", ids[0]) for i in recorded]),
    ]


def test_failed_request_queues_no_event(api, plugin, make_customer, run_jobs):
    customer = make_customer()
    run_jobs()
    plugin.events.clear()
    api.post("customers", json={"given_name": 5})
    api.patch(f"customers/{customer.id}", json={"given_name": "X"}, headers={"If-Match": '"9"'})
    run_jobs()
    assert plugin.events == []
