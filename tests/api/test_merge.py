"""Merging duplicates (`POST /customers/{id}/merge`) and undoing it (`POST /customers/merges/{id}/undo`)."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from payvand.core.models import (
    AuditLog,
    CustomerAddress,
    CustomerConsent,
    CustomerEmail,
    CustomerMerge,
    CustomerPhone,
    CustomerTag,
    Interaction,
)

from .helpers import error_of


def owners(runtime, model, key="id"):
    """{row key: customer_id} for every row of a customer child table."""
    with runtime.sessionmaker() as session:
        return dict(session.execute(sa.select(getattr(model, key), model.customer_id)).all())


def snapshot(runtime):
    """Who owns every interaction, email, phone, address, consent and tag."""
    return {model.__name__: owners(runtime, model, "tag" if model is CustomerTag else "id")
            for model in (Interaction, CustomerEmail, CustomerPhone, CustomerAddress, CustomerConsent, CustomerTag)}


@pytest.fixture
def pair(make_customer, make_interaction):
    """A target and a source with history of every kind, and the plugin's own interactions on the source."""
    target = make_customer(given_name="Sara", family_name="Karimi", emails=["sara@example.com"], tags=["vip"],
                           phones=["09121111111"])
    source = make_customer(given_name="Sarah", family_name="Karimi", emails=["sara@example.com", "sk@work.example"],
                           phones=["09122222222"], tags=["vip", "newsletter"], birthday="1990-05-01",
                           addresses=[{"line1": "Valiasr 12", "city": "Tehran"}],
                           consents=[{"channel": "sms", "granted": True}],
                           attributes={"apitest.tier": "gold"})
    history = [make_interaction(source.id, kind="core.call").id for _ in range(2)]
    badges = [make_interaction(source.id, kind="apitest.badge").id for _ in range(2)]
    make_interaction(target.id)
    return target, source, history, badges


def test_merge_moves_history_contacts_addresses_consents_and_tags(api, runtime, pair):
    target, source, history, badges = pair
    response = api.post(f"customers/{target.id}/merge", json={"source_id": source.id})
    assert response.status_code == 200, response.json
    body = response.json
    assert (body["target_id"], body["source_id"], body["undone_at"]) == (target.id, source.id, None)
    assert body["moved"] == {"core_interaction": 4, "core_customer_email": 1, "core_customer_phone": 1,
                             "core_customer_address": 1, "core_customer_consent": 1, "core_customer_tag": 1}
    merged = api.get(f"customers/{target.id}").json
    assert [e["value"] for e in merged["emails"]] == ["sara@example.com", "sk@work.example"]
    assert [p["value"] for p in merged["phones"]] == ["+989121111111", "+989122222222"]
    assert merged["tags"] == ["newsletter", "vip"]
    assert merged["addresses"][0]["line1"] == "Valiasr 12"
    assert merged["consents"][0]["channel"] == "sms"
    assert merged["birthday"] == "1990-05-01"  # filled: the target had none
    assert merged["given_name"] == "Sara"  # kept: the target had one
    assert merged["attributes"] == {"apitest.tier": "gold"}
    timeline = api.get(f"customers/{target.id}/interactions").json["items"]
    assert set(history + badges) <= {i["id"] for i in timeline}
    gone = api.get(f"customers/{source.id}").json
    assert gone["merged_into_id"] == target.id
    assert [e["value"] for e in gone["emails"]] == ["sara@example.com"]  # the target's duplicate stays


def test_merge_record_lists_every_moved_row_with_the_plugins_first(api, runtime, plugin, pair):
    target, source, history, badges = pair
    merge_id = api.post(f"customers/{target.id}/merge", json={"source_id": source.id}).json["id"]
    assert plugin.merged == [(target.id, source.id)]
    with runtime.sessionmaker() as session:
        record = session.get(CustomerMerge, merge_id)
        moves = [(m["table"], m["column"], sorted(m["ids"])) for m in record.moves]
    assert moves[0] == ("core_interaction", "customer_id", badges)  # the plugin's move
    assert ("core_interaction", "customer_id", history) in moves
    assert ("core_customer_tag", "customer_id", ["newsletter"]) in moves


def test_undo_puts_everything_back(api, runtime, pair):
    target, source, _, _ = pair
    before = snapshot(runtime)
    target_before = api.get(f"customers/{target.id}").json
    merge_id = api.post(f"customers/{target.id}/merge", json={"source_id": source.id}).json["id"]
    assert snapshot(runtime) != before
    response = api.post(f"customers/merges/{merge_id}/undo")
    assert response.status_code == 200, response.json
    assert response.json["undone_at"] is not None
    assert snapshot(runtime) == before
    restored = api.get(f"customers/{target.id}").json
    for key in ("given_name", "family_name", "birthday", "attributes", "emails", "phones", "tags", "addresses", "consents"):
        assert restored[key] == target_before[key], key
    assert api.get(f"customers/{source.id}").json["merged_into_id"] is None
    listed = {c["id"] for c in api.get("customers").json["items"]}
    assert {target.id, source.id} <= listed


def test_undo_keeps_changes_made_to_filled_fields_after_the_merge(api, pair):
    target, source, _, _ = pair
    merge_id = api.post(f"customers/{target.id}/merge", json={"source_id": source.id}).json["id"]
    api.patch(f"customers/{target.id}", json={"birthday": "1991-01-01"})
    api.post(f"customers/merges/{merge_id}/undo")
    assert api.get(f"customers/{target.id}").json["birthday"] == "1991-01-01"


def test_interactions_recorded_after_the_merge_stay_on_the_target_after_undo(api, pair):
    target, source, _, _ = pair
    merge_id = api.post(f"customers/{target.id}/merge", json={"source_id": source.id}).json["id"]
    later = api.post(f"customers/{target.id}/interactions", json={"kind": "core.note", "channel": "phone"}).json["id"]
    api.post(f"customers/merges/{merge_id}/undo")
    assert later in {i["id"] for i in api.get(f"customers/{target.id}/interactions").json["items"]}


def test_undoing_twice_is_409(api, pair):
    target, source, _, _ = pair
    merge_id = api.post(f"customers/{target.id}/merge", json={"source_id": source.id}).json["id"]
    assert api.post(f"customers/merges/{merge_id}/undo").status_code == 200
    response = api.post(f"customers/merges/{merge_id}/undo")
    assert response.status_code == 409
    assert error_of(response)["code"] == "merge_refused"


def test_plugin_veto_refuses_the_merge_and_changes_nothing(api, runtime, plugin, pair, count_rows):
    target, source, _, _ = pair
    before = snapshot(runtime)
    plugin.veto_merge = True
    response = api.post(f"customers/{target.id}/merge", json={"source_id": source.id})
    assert response.status_code == 409
    error = error_of(response)
    assert error["message"] == "apitest refuses: this customer has an open dispute."
    assert snapshot(runtime) == before
    assert count_rows(CustomerMerge) == 0
    assert count_rows(AuditLog, AuditLog.action == "merge") == 0
    assert api.get(f"customers/{source.id}").json["merged_into_id"] is None
    assert api.get(f"customers/{target.id}").json["birthday"] is None


def test_merge_refusals(api, make_customer, subtests):
    a, b, c, d = (make_customer() for _ in range(4))
    api.post(f"customers/{a.id}/merge", json={"source_id": b.id})
    api.post(f"customers/{d.id}/erase")
    for target, source, status in ((a, a, 422), (a, b, 409), (b, c, 409), (c, d, 409), (d, c, 409)):
        with subtests.test(target=target.id, source=source.id):
            response = api.post(f"customers/{target.id}/merge", json={"source_id": source.id})
            assert response.status_code == status, response.json
            error_of(response)


def test_undo_is_refused_once_the_target_was_merged_elsewhere(api, make_customer):
    a, b, c = make_customer(), make_customer(), make_customer()
    first = api.post(f"customers/{a.id}/merge", json={"source_id": b.id}).json["id"]
    second = api.post(f"customers/{c.id}/merge", json={"source_id": a.id}).json["id"]
    assert api.post(f"customers/merges/{first}/undo").status_code == 409
    assert api.post(f"customers/merges/{second}/undo").status_code == 200
    assert api.post(f"customers/merges/{first}/undo").status_code == 200


def test_merge_chain_undone_in_reverse_restores_every_owner(api, runtime, make_customer, make_interaction):
    a, b, c = make_customer(), make_customer(), make_customer()
    rows = {customer.id: make_interaction(customer.id, kind="apitest.badge", occurred_at=dt.datetime.now(dt.UTC)).id
            for customer in (a, b, c)}
    first = api.post(f"customers/{a.id}/merge", json={"source_id": b.id}).json["id"]
    second = api.post(f"customers/{c.id}/merge", json={"source_id": a.id}).json["id"]
    assert set(owners(runtime, Interaction).values()) == {c.id}
    api.post(f"customers/merges/{second}/undo")
    api.post(f"customers/merges/{first}/undo")
    assert owners(runtime, Interaction) == {row: customer for customer, row in rows.items()}
